//! Every relation of one SGD step, written once for both sides (see [`super::session`]). Each
//! relation is checked at its own transcript point; what it leaves are claims on committed
//! tensors, opened at the end. Element-wise identities and row reductions go into one batched
//! sumcheck; products of matrices are Thaler matmul sumchecks; range checks and the exp table are
//! logUp lookups.
use kaizen_field::{eq_table, KaizenField, Transcript};
use kaizen_gkr::{lookup::Table, range::RangeShape};
use kaizen_sumcheck::matmul::MatmulDims;

use super::{
    plan::{self, Plan, EXP_MULT},
    session::{Factor, Instance, Operand, Session},
    ProveError,
};
use crate::model::{LayerKind, Loss, EXP_FRAC_BITS, EXP_TABLE_LEN};

fn log2(x: usize) -> usize {
    plan::log2(x) as usize
}

fn pow2<F: KaizenField>(bits: u32) -> F {
    F::from(2u64).pow([u64::from(bits)])
}

/// The value of the column mask `[j < cols]`'s MLE at `r`.
fn mask_at<F: KaizenField>(cols: usize, r: &[F]) -> F {
    eq_table(r).iter().take(cols).copied().sum()
}

/// `n` coordinates `½`: at them a tensor's MLE is the average over those variables.
fn halves<F: KaizenField>(n: usize) -> Vec<F> {
    vec![F::from(2u64).inverse().unwrap_or(F::ZERO); n]
}

/// `Σ_x eq(r, x)·(Σ_t c_t Π factors) = 0`.
fn zero_check<F: KaizenField>(
    r: &[F],
    factors: Vec<Factor<F>>,
    terms: Vec<(F, Vec<usize>)>,
) -> Instance<F> {
    Instance {
        vars: r.len(),
        factors,
        terms,
        weight: Some(r.to_vec()),
        sum: F::ZERO,
    }
}

/// Runs every relation of the step described by `plan`.
pub(crate) fn run<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    exp_table: &Table<F>,
) -> Result<(), ProveError> {
    let mut batch = Vec::new();
    for (l, (name, kind)) in plan.model.layers.iter().enumerate() {
        match *kind {
            LayerKind::Dense { inputs, outputs } => dense(plan, s, l, name, (inputs, outputs))?,
            LayerKind::Relu => relu(plan, s, l, name, &mut batch)?,
            _ => {}
        }
    }
    loss(plan, s, exp_table, &mut batch)?;
    s.sumcheck(&batch)?;
    ranges(plan, s)
}

fn dense<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    name: &str,
    (inputs, outputs): (usize, usize),
) -> Result<(), ProveError> {
    let n = |t: &str| format!("{name}.{t}");
    let (a, dy) = (plan.input_of(l)?, plan.grad_of(l)?);
    let (b, kp, op) = (
        plan.hyper.batch,
        inputs.next_power_of_two(),
        outputs.next_power_of_two(),
    );
    let (lb, lk, lo) = (log2(b), log2(kp), log2(op));
    let scale = pow2::<F>(plan.hyper.fixed.scale());
    let weight = n("weight");
    let (w, wt) = (
        Operand::plain(&weight, kp),
        Operand::transposed(&weight, kp),
    );
    // Forward: z·2^s + z_rem = a·Wᵀ + b·2^s.
    let r = s.point(lo + lb);
    let acc = s.eval(&n("z"), &r)? * scale + s.eval(&n("z_rem"), &r)?
        - s.eval(&n("bias"), &r[..lo])? * scale;
    let a_op = Operand::plain(&a, kp);
    let dims = MatmulDims {
        rows: b,
        inner: kp,
        cols: op,
    };
    s.matmul(dims, a_op, wt, &r, acc)?;
    // dW = dyᵀ·a.
    let r = s.point(lk + lo);
    let dw = s.eval(&n("dW"), &r)?;
    let dy_t = Operand::transposed(&dy, op);
    let dims = MatmulDims {
        rows: op,
        inner: b,
        cols: kp,
    };
    s.matmul(dims, dy_t, a_op, &r, dw)?;
    // db = Σ_rows dy: the row average of dy's MLE times B.
    let r = s.point(lo);
    let db = s.eval(&n("db"), &r)?;
    let at: Vec<F> = r.iter().copied().chain(halves(lb)).collect();
    let dy_avg = s.eval(&dy, &at)?;
    s.check(
        db == dy_avg * F::from(b as u64),
        &format!("{name}: db ≠ Σ dy"),
    )?;
    // dx·2^s + dx_rem = dy·W (not for the first layer).
    if l > 0 {
        let r = s.point(lk + lb);
        let acc = s.eval(&n("dx"), &r)? * scale + s.eval(&n("dx_rem"), &r)?;
        let dy_op = Operand::plain(&dy, op);
        let dims = MatmulDims {
            rows: b,
            inner: op,
            cols: kp,
        };
        s.matmul(dims, dy_op, w, &r, acc)?;
    }
    // Update: step·D + step_rem = η·grad, new = old − step.
    let lr = F::from_signed(i128::from(plan.hyper.lr))?;
    let bd = plan.bounds;
    for (p, grad, vars, div) in [
        ("weight", "dW", lk + lo, bd.div_w),
        ("bias", "db", lo, bd.div_b),
    ] {
        let r = s.point(vars);
        let step = s.eval(&format!("{name}.{p}.step"), &r)?;
        let rem = s.eval(&format!("{name}.{p}.step_rem"), &r)?;
        let g = s.eval(&n(grad), &r)?;
        s.check(
            step * pow2::<F>(div) + rem == lr * g,
            &format!("{name}.{p}: step·D + rem ≠ η·{grad}"),
        )?;
        let old = s.eval(&n(p), &r)?;
        let new = s.eval(&format!("{name}.{p}_new"), &r)?;
        s.check(new == old - step, &format!("{name}.{p}_new ≠ old − step"))?;
    }
    Ok(())
}

fn relu<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    name: &str,
    batch: &mut Vec<Instance<F>>,
) -> Result<(), ProveError> {
    let n = |t: &str| Factor::tensor(&format!("{name}.{t}"));
    let (z, dy) = (plan.input_of(l)?, plan.grad_of(l)?);
    let r = s.point(plan.spec(&format!("{name}.bit"))?.vars());
    let (one, minus) = (F::ONE, -F::ONE);
    // out = bit·z; bit(1 − bit) = 0; dx = bit·dy (the sign range checks are in the plan).
    batch.push(zero_check(
        &r,
        vec![n("out"), n("bit"), Factor::tensor(&z)],
        vec![(one, vec![0]), (minus, vec![1, 2])],
    ));
    batch.push(zero_check(
        &r,
        vec![n("bit")],
        vec![(one, vec![0, 0]), (minus, vec![0])],
    ));
    batch.push(zero_check(
        &r,
        vec![n("dx"), n("bit"), Factor::tensor(&dy)],
        vec![(one, vec![0]), (minus, vec![1, 2])],
    ));
    Ok(())
}

fn loss<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    exp_table: &Table<F>,
    batch: &mut Vec<Instance<F>>,
) -> Result<(), ProveError> {
    let last = plan.model.layers.len() - 1;
    let z = format!("{}.z", plan.model.layers[last].0);
    let (classes, cv) = (plan.classes, plan.class_vars());
    let lb = log2(plan.hyper.batch);
    let s_bits = plan.hyper.fixed.scale();
    let scale = pow2::<F>(s_bits);
    let r = s.point(cv + lb);
    let (r_c, r_n) = r.split_at(cv);
    if plan.hyper.loss == Loss::Mse {
        let g = s.eval("loss.grad", &r)?;
        let zr = s.eval(&z, &r)?;
        let y = s.eval("labels", &r)?;
        return s.check(g == zr - scale * y, "loss.grad ≠ z − onehot");
    }
    let t = |name: &str| Factor::tensor(&format!("loss.{name}"));
    let (one, minus) = (F::ONE, -F::ONE);
    let mask = Factor::Mask {
        cols: classes,
        low: cv,
    };
    let eq_rows = Factor::EqHigh {
        point: r_n.to_vec(),
        low: cv,
    };
    // argmax: boolean, zero on padded classes, one per row.
    batch.push(zero_check(
        &r,
        vec![t("argmax")],
        vec![(one, vec![0, 0]), (minus, vec![0])],
    ));
    batch.push(zero_check(
        &r,
        vec![t("argmax"), mask.clone()],
        vec![(one, vec![0]), (minus, vec![0, 1])],
    ));
    let at: Vec<F> = halves(cv).into_iter().chain(r_n.iter().copied()).collect();
    let row_avg = s.eval("loss.argmax", &at)?;
    s.check(
        row_avg * F::from(1u64 << cv) == one,
        "loss.argmax: a row does not sum to 1",
    )?;
    // max = Σ_j argmax_j·z_j.
    let max = s.eval("loss.max", r_n)?;
    batch.push(Instance {
        vars: cv + lb,
        factors: vec![eq_rows.clone(), t("argmax"), Factor::tensor(&z)],
        terms: vec![(one, vec![0, 1, 2])],
        weight: None,
        sum: max,
    });
    // diff = max − z on real classes (z is zero on padding); diff = exp_in·2^{s−8} + rem.
    let diff = s.eval("loss.diff", &r)?;
    let zr = s.eval(&z, &r)?;
    s.check(
        diff == mask_at(classes, r_c) * max - zr,
        "loss.diff ≠ max − z",
    )?;
    let exp_in = s.eval("loss.exp_in", &r)?;
    let exp_rem = s.eval("loss.exp_in_rem", &r)?;
    s.check(
        diff == exp_in * pow2::<F>(s_bits - EXP_FRAC_BITS) + exp_rem,
        "loss.diff ≠ exp_in·2^(s−8) + rem",
    )?;
    // exp_idx = min(exp_in, cap): exp_in − exp_idx = sat·(exp_in − cap), sat boolean.
    let cap = F::from((EXP_TABLE_LEN - 1) as u64);
    batch.push(zero_check(
        &r,
        vec![t("exp_in"), t("exp_idx"), t("exp_sat")],
        vec![
            (one, vec![0]),
            (minus, vec![1]),
            (minus, vec![2, 0]),
            (cap, vec![2]),
        ],
    ));
    batch.push(zero_check(
        &r,
        vec![t("exp_sat")],
        vec![(one, vec![0, 0]), (minus, vec![0])],
    ));
    // exp = EXP[exp_idx].
    s.lookup(exp_table, &["loss.exp_idx", "loss.exp"], cv + lb, EXP_MULT)?;
    // sum = Σ_j exp_j over real classes.
    let sum = s.eval("loss.sum", r_n)?;
    batch.push(Instance {
        vars: cv + lb,
        factors: vec![eq_rows, mask.clone(), t("exp")],
        terms: vec![(one, vec![0, 1, 2])],
        weight: None,
        sum,
    });
    // exp·2^s = prob·sum + prob_rem on real classes.
    batch.push(zero_check(
        &r,
        vec![
            mask,
            t("exp"),
            t("prob"),
            Factor::Tensor {
                name: "loss.sum".into(),
                low: cv,
            },
            t("prob_rem"),
        ],
        vec![(scale, vec![0, 1]), (minus, vec![2, 3]), (minus, vec![4])],
    ));
    // grad = prob − onehot·2^s.
    let g = s.eval("loss.grad", &r)?;
    let p = s.eval("loss.prob", &r)?;
    let y = s.eval("labels", &r)?;
    s.check(g == p - scale * y, "loss.grad ≠ prob − onehot")
}

/// Runs the plan's range checks, one batched lookup per bit width.
fn ranges<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
) -> Result<(), ProveError> {
    for (g, (bits, specs)) in plan.range_groups().into_iter().enumerate() {
        let shape = RangeShape {
            bits,
            log_lens: specs.iter().map(|&i| plan.ranges[i].vars).collect(),
        };
        let claims = s.range(g, &shape)?;
        if claims.len() != specs.len() {
            return Err(ProveError::ProofShape("range claim count".into()));
        }
        for (claim, &i) in claims.iter().zip(&specs) {
            let spec = &plan.ranges[i];
            let mut value = F::from_signed(i128::from(spec.constant))?;
            for term in &spec.terms {
                let v = s.eval(&term.name, &claim.point[term.low..])?;
                value += F::from_signed(i128::from(term.coeff))? * v;
            }
            s.check(
                value == claim.value,
                &format!("range check of {}", spec.label),
            )?;
        }
    }
    Ok(())
}
