//! Every relation of one SGD step, written once for both sides (see [`super::session`]). Each
//! relation is checked at its own transcript point (a rescaling at the point its uncommitted
//! remainder's range check leaves); what it leaves are claims on committed tensors, opened at the
//! end. Element-wise identities and row reductions go into one batched
//! sumcheck; products of matrices are Thaler matmul sumchecks; range checks and the exp table are
//! logUp lookups.
use kaizen_field::{KaizenField, Transcript};
use kaizen_gkr::lookup::Table;
use kaizen_sumcheck::{
    conv::{ConvAxis, ConvDims, Sparse},
    matmul::MatmulDims,
    Claim,
};
use tracing::debug_span;

use super::{
    packing::Relayout,
    plan::{self, Place, Plan, EXP_MULT},
    session::{mask_at, Bound, Factor, Instance, Operand, Session},
    ProveError,
};
use crate::model::{LayerKind, Loss, EXP_FRAC_BITS};

fn log2(x: usize) -> usize {
    plan::log2(x) as usize
}

fn pow2<F: KaizenField>(bits: u32) -> F {
    F::from(2u64).pow([u64::from(bits)])
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
    debug_span!("elementwise").in_scope(|| {
        let mut batch = Vec::new();
        for (l, (name, kind)) in plan.model.layers.iter().enumerate() {
            match *kind {
                LayerKind::Relu => relu(plan, s, l, name, &mut batch)?,
                LayerKind::MaxPool(k) => max_pool(plan, s, l, name, k, &mut batch)?,
                LayerKind::AvgPool(k) => avg_pool(plan, s, l, name, k)?,
                LayerKind::Flatten | LayerKind::Dense { .. } | LayerKind::Conv { .. } => {}
            }
            if matches!(kind, LayerKind::Dense { .. } | LayerKind::Conv { .. }) {
                bias_gradient(plan, s, l, name)?;
                padding_is_zero(plan, s, name)?;
            }
        }
        loss(plan, s, exp_table, &mut batch)?;
        s.sumcheck(&batch)
    })?;
    debug_span!("ranges").in_scope(|| ranges(plan, s))?;
    let _span = debug_span!("reductions").entered();
    // The rescaling remainders and the weight gradients are not committed: the remainders'
    // claims (from their range checks) are the forward and input-gradient relations, each
    // reduced by its matmul or conv reduction; the claims on a weight gradient (from the update's
    // and its own range checks) are reduced to claims on the layer's input and output gradient.
    for (l, (name, kind)) in plan.model.layers.iter().enumerate() {
        let n = |t: &str| format!("{name}.{t}");
        match *kind {
            LayerKind::Dense { outputs, .. } => {
                for claim in remainder_claims(s, &n("z_rem"))? {
                    dense_forward(plan, s, l, outputs, claim)?;
                }
                if l > 0 {
                    for claim in remainder_claims(s, &n("dx_rem"))? {
                        dense_input_gradient(plan, s, l, outputs, claim)?;
                    }
                }
                for claim in s.take_claims(&n("dW")) {
                    dense_weight_gradient(plan, s, l, outputs, claim)?;
                }
            }
            LayerKind::Conv {
                kernel,
                stride,
                padding,
                ..
            } => {
                let conv = (kernel, stride, padding);
                for claim in remainder_claims(s, &n("z_rem"))? {
                    conv_forward(plan, s, l, conv, claim)?;
                }
                if l > 0 {
                    for claim in remainder_claims(s, &n("dx_rem"))? {
                        conv_input_gradient(plan, s, l, conv, claim)?;
                    }
                }
                // The weight-shaped range checks leave one claim per block of the kernel's real
                // entries: reduced to one point first, for one kernel-gradient reduction — unless
                // a reduction per claim reads less than that multi-point sumcheck over the kernel
                // (each reads the layer's input and output gradient once).
                let claims = s.take_claims(&n("dW"));
                let vars = plan.spec(&n("dW"))?.vars();
                let per_claim = [plan.input_of(l), plan.grad_of(l)]
                    .iter()
                    .map(|t| plan.spec(t).map(|spec| 1usize << spec.vars()))
                    .sum::<Result<usize, _>>()?;
                if claims.len().saturating_sub(1) * per_claim < 1 << vars {
                    for claim in claims {
                        conv_weight_gradient(plan, s, l, conv, claim)?;
                    }
                } else {
                    let claim = s.reduce_points(&n("dW"), vars, &claims)?;
                    conv_weight_gradient(plan, s, l, conv, claim)?;
                }
            }
            _ => {}
        }
    }
    unpack(plan, s)
}

/// Every claim on a packed parameter's padded view, moved to the packed tensor: per view, the
/// claims combined with powers of a fresh `ρ`, and all views' relayout sumchecks
/// ([`super::packing`]) in one batch.
fn unpack<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
) -> Result<(), ProveError> {
    let mut instances = Vec::new();
    for spec in plan.tensors.values() {
        let Some(view) = &spec.packs else {
            continue;
        };
        let claims = s.take_claims(view);
        if claims.is_empty() {
            continue;
        }
        // Every claim's value is already bound to the transcript (sent, or public).
        let rho = s.point(1)[0];
        let coeffs: Vec<F> = std::iter::successors(Some(F::ONE), |c| Some(*c * rho))
            .take(claims.len())
            .collect();
        let points: Vec<Vec<F>> = claims.iter().map(|c| c.point.clone()).collect();
        let sum = claims.iter().zip(&coeffs).map(|(c, &k)| k * c.value).sum();
        let weight = Relayout::new(&plan.spec(view)?.dims, &points, &coeffs)?;
        instances.push(Instance {
            vars: weight.num_vars(),
            factors: vec![
                Factor::tensor(&spec.name),
                Factor::Relayout(Box::new(weight)),
            ],
            terms: vec![(F::ONE, vec![0, 1])],
            weight: None,
            sum,
        });
    }
    if instances.is_empty() {
        return Ok(());
    }
    s.sumcheck(&instances)
}

/// The claims on an uncommitted rescaling remainder; there is at least one (its range check's),
/// or its relation would go unchecked.
fn remainder_claims<F: KaizenField, T: Transcript<F>>(
    s: &mut Session<'_, F, T>,
    name: &str,
) -> Result<Vec<Claim<F>>, ProveError> {
    let claims = s.take_claims(name);
    if claims.is_empty() {
        return Err(ProveError::Config(format!("no claim on {name}")));
    }
    Ok(claims)
}

/// Variables of each (padded) dimension of tensor `name`.
fn dim_vars(plan: &Plan, name: &str) -> Result<Vec<usize>, ProveError> {
    Ok(plan.spec(name)?.dims.iter().map(|&d| log2(d)).collect())
}

/// Splits a point (lowest variables first) into the parts of dimensions with `vars` variables,
/// outermost dimension first.
fn split<'p, F>(point: &'p [F], vars: &[usize]) -> Vec<&'p [F]> {
    let mut parts = Vec::with_capacity(vars.len());
    let mut rest = point;
    for &v in vars.iter().rev() {
        let (low, high) = rest.split_at(v.min(rest.len()));
        parts.push(low);
        rest = high;
    }
    parts.reverse();
    parts
}

/// A claim on dense layer `l`'s `z_rem = a·Wᵀ + b·2^s − z·2^s` at `r`: the forward relation,
/// reduced by a matmul sumcheck to claims on `a` and `W` (and the claimed `z`, `b`).
fn dense_forward<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    outputs: usize,
    claim: Claim<F>,
) -> Result<(), ProveError> {
    let name = &plan.model.layers[l].0;
    let (kp, op) = dense_widths(plan, l, outputs);
    let scale = pow2::<F>(plan.hyper.fixed.scale());
    let r = &claim.point;
    let acc = s.eval(&format!("{name}.z"), r)? * scale + claim.value
        - s.eval(&format!("{name}.bias"), &r[..log2(op)])? * scale;
    let (input, weight) = (plan.input_of(l), format!("{name}.weight"));
    let dims = MatmulDims {
        rows: plan.hyper.batch,
        inner: kp,
        cols: op,
    };
    let (a, wt) = (Operand::plain(&input, kp), Operand::transposed(&weight, kp));
    s.matmul(dims, a, wt, r, acc)
}

/// A claim on dense layer `l`'s `dx_rem = dy·W − dx·2^s` at `r`: the input-gradient relation,
/// reduced by a matmul sumcheck to claims on `dy` and `W` (and the claimed `dx`).
fn dense_input_gradient<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    outputs: usize,
    claim: Claim<F>,
) -> Result<(), ProveError> {
    let name = &plan.model.layers[l].0;
    let (kp, op) = dense_widths(plan, l, outputs);
    let scale = pow2::<F>(plan.hyper.fixed.scale());
    let acc = s.eval(&format!("{name}.dx"), &claim.point)? * scale + claim.value;
    let (grad, weight) = (plan.grad_of(l), format!("{name}.weight"));
    let dims = MatmulDims {
        rows: plan.hyper.batch,
        inner: op,
        cols: kp,
    };
    let (dy, w) = (Operand::plain(&grad, op), Operand::plain(&weight, kp));
    s.matmul(dims, dy, w, &claim.point, acc)
}

/// The padded input and output widths of dense layer `l`.
fn dense_widths(plan: &Plan, l: usize, outputs: usize) -> (usize, usize) {
    let kp: usize = plan.shapes[l]
        .iter()
        .map(|d| d.next_power_of_two())
        .product();
    (kp, outputs.next_power_of_two())
}

/// A claim on dense layer `l`'s weight gradient `dW = dyᵀ·a`, reduced by a matmul sumcheck.
fn dense_weight_gradient<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    outputs: usize,
    claim: Claim<F>,
) -> Result<(), ProveError> {
    let (a, dy) = (plan.input_of(l), plan.grad_of(l));
    let (kp, op) = dense_widths(plan, l, outputs);
    let dims = MatmulDims {
        rows: op,
        inner: plan.hyper.batch,
        cols: kp,
    };
    let (dy_t, a_op) = (Operand::transposed(&dy, op), Operand::plain(&a, kp));
    s.matmul(dims, dy_t, a_op, &claim.point, claim.value)
}

/// A claim on conv layer `l`'s `z_rem = conv(x, W) + b·2^s − z·2^s` (bias on real positions
/// only) at `(r_b, r_o, r_i, r_j)`: the forward relation, reduced by a [`kaizen_sumcheck::conv`]
/// reduction to claims on `W` and `x` (and the claimed `z`, `b`).
fn conv_forward<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    conv: (usize, usize, usize),
    claim: Claim<F>,
) -> Result<(), ProveError> {
    let name = &plan.model.layers[l].0;
    let n = |t: &str| format!("{name}.{t}");
    let out = &plan.shapes[l + 1];
    let ConvGeometry {
        axes: [ah, aw],
        x: [vb, vc, vh, vw],
        z: [vo, vh2, vw2],
        vk,
    } = ConvGeometry::of(plan, l, conv)?;
    let scale = pow2::<F>(plan.hyper.fixed.scale());
    let r = &claim.point;
    let [r_b, r_o, r_i, r_j] = split(r, &[vb, vo, vh2, vw2])[..] else {
        return Err(ProveError::Config("point split".into()));
    };
    let bias = s.eval(&n("bias"), r_o)? * scale * mask_at(out[1], r_i) * mask_at(out[2], r_j);
    let acc = s.eval(&n("z"), r)? * scale + claim.value - bias;
    let sel = [ah.at_output(r_i)?, aw.at_output(r_j)?];
    let dims = ConvDims {
        g: vc,
        a: [vk, vk],
        b: [vh, vw],
    };
    let (p, q) = (
        Bound::new(&n("weight"), vc + 2 * vk, r_o),
        Bound::new(&plan.input_of(l), vc + vh + vw, r_b),
    );
    s.conv(dims, &p, &q, [&sel[0], &sel[1]], acc)
}

/// A claim on conv layer `l`'s `dx_rem = conv_input_grad(dy, W) − dx·2^s` (rotated kernel,
/// padding) at `(r_b, r_c, r_x, r_y)`: the input-gradient relation, reduced by a
/// [`kaizen_sumcheck::conv`] reduction to claims on `W` and `dy` (and the claimed `dx`).
fn conv_input_gradient<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    conv: (usize, usize, usize),
    claim: Claim<F>,
) -> Result<(), ProveError> {
    let name = &plan.model.layers[l].0;
    let ConvGeometry {
        axes: [ah, aw],
        x: [vb, vc, vh, vw],
        z: [vo, vh2, vw2],
        vk,
    } = ConvGeometry::of(plan, l, conv)?;
    let scale = pow2::<F>(plan.hyper.fixed.scale());
    let r = &claim.point;
    let [r_b, r_c, r_x, r_y] = split(r, &[vb, vc, vh, vw])[..] else {
        return Err(ProveError::Config("point split".into()));
    };
    let acc = s.eval(&format!("{name}.dx"), r)? * scale + claim.value;
    let sel = [ah.at_input(r_x)?, aw.at_input(r_y)?];
    let dims = ConvDims {
        g: vo,
        a: [vk, vk],
        b: [vh2, vw2],
    };
    let (p, q) = (
        Bound::new(&format!("{name}.weight"), 2 * vk, r_c),
        Bound::new(&plan.grad_of(l), vo + vh2 + vw2, r_b),
    );
    s.conv(dims, &p, &q, [&sel[0], &sel[1]], acc)
}

/// The axes and variable counts of conv layer `l`: input `x` `[B, C, H, W]`, output `z`
/// `[·, O, H', W']`, kernel side `2^vk`.
struct ConvGeometry {
    axes: [ConvAxis; 2],
    x: [usize; 4],
    z: [usize; 3],
    vk: usize,
}

impl ConvGeometry {
    fn of(
        plan: &Plan,
        l: usize,
        (kernel, stride, padding): (usize, usize, usize),
    ) -> Result<Self, ProveError> {
        let name = &plan.model.layers[l].0;
        let (shape, out) = (&plan.shapes[l], &plan.shapes[l + 1]);
        let axis = |d: usize| ConvAxis {
            input: shape[d],
            output: out[d],
            kernel,
            stride,
            padding,
        };
        let [vb, vc, vh, vw] = dim_vars(plan, &plan.input_of(l))?[..] else {
            return Err(ProveError::Config(format!(
                "{name}: input is not [B, C, H, W]"
            )));
        };
        let [_, vo, vh2, vw2] = dim_vars(plan, &format!("{name}.z"))?[..] else {
            return Err(ProveError::Config(format!(
                "{name}: output is not [B, O, H, W]"
            )));
        };
        Ok(Self {
            axes: [axis(1), axis(2)],
            x: [vb, vc, vh, vw],
            z: [vo, vh2, vw2],
            vk: log2(kernel),
        })
    }
}

/// A claim on conv layer `l`'s kernel gradient `dW = Σ dy ⋆ x` at `(r_o, r_c, r_u, r_v)`, reduced
/// by a [`kaizen_sumcheck::conv`] reduction.
fn conv_weight_gradient<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    conv: (usize, usize, usize),
    claim: Claim<F>,
) -> Result<(), ProveError> {
    let (x, dy) = (plan.input_of(l), plan.grad_of(l));
    let ConvGeometry {
        axes: [ah, aw],
        x: [vb, vc, vh, vw],
        z: [vo, vh2, vw2],
        vk,
    } = ConvGeometry::of(plan, l, conv)?;
    let [r_o, r_c, r_u, r_v] = split(&claim.point, &[vo, vc, vk, vk])[..] else {
        return Err(ProveError::Config("point split".into()));
    };
    let sel = [ah.at_kernel(r_u)?, aw.at_kernel(r_v)?];
    let dims = ConvDims {
        g: vb,
        a: [vh2, vw2],
        b: [vh, vw],
    };
    let (p, q) = (
        Bound::new(&dy, vh2 + vw2, r_o),
        Bound::new(&x, vh + vw, r_c),
    );
    s.conv(dims, &p, &q, [&sel[0], &sel[1]], claim.value)
}

/// `db = Σ_{rows, positions} dy` (an average of `dy`'s MLE at `½` points) of a dense or conv
/// layer. (The update `new = old − ⌊η·grad / D⌋` is two range checks of the plan: `old − new`
/// small and `η·grad − D·(old − new) ∈ [0, D)`.)
fn bias_gradient<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    name: &str,
) -> Result<(), ProveError> {
    let n = |t: &str| format!("{name}.{t}");
    let dy = plan.grad_of(l);
    let dy_vars = dim_vars(plan, &dy)?;
    let (lb, lo) = (dy_vars[0], dy_vars[1]);
    let spatial: usize = dy_vars[2..].iter().sum();
    let r = s.point(lo);
    let db = s.eval(&n("db"), &r)?;
    let at: Vec<F> = halves(spatial)
        .into_iter()
        .chain(r.iter().copied())
        .chain(halves(lb))
        .collect();
    let dy_avg = s.eval(&dy, &at)?;
    s.check(
        db == dy_avg * pow2::<F>((lb + spatial) as u32),
        &format!("{name}: db ≠ Σ dy"),
    )?;
    Ok(())
}

/// The padding of a layer's committed parameters (old and new) is zero. The relations read padded
/// weights (a dense layer after a flatten reads the padded `(c, h, w)` cube), so a model
/// commitment with nonzero padding would be a different network. Each dimension's padded indices
/// `[d, 2^v)` are a union of aligned blocks; a tensor vanishes on a block (times every other
/// dimension) iff its MLE restricted to that sub-cube is zero, checked at a random point of it: a
/// claim `T(point) = 0` opened with the commitment, the block's index bits fixed in `point` (no
/// sumcheck, and the opening's `eq` weight for it lives on the block alone).
fn padding_is_zero<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    name: &str,
) -> Result<(), ProveError> {
    for t in ["weight", "bias", "weight_new", "bias_new"] {
        let spec = plan.spec(&format!("{name}.{t}"))?;
        if spec.place == Place::Virtual {
            // A packed parameter's view, zero on its padding by construction.
            continue;
        }
        let r = s.point(spec.vars());
        for point in padding_points(&spec.dims, &r) {
            s.vanishes(&spec.name, point);
        }
    }
    Ok(())
}

/// Points of the sub-cubes that cover the padding of a row-major tensor of shape `dims` (each
/// dimension padded to a power of two; the last dimension's variables first), with the free
/// coordinates taken from `r`.
fn padding_points<F: KaizenField>(dims: &[usize], r: &[F]) -> Vec<Vec<F>> {
    let mut points = Vec::new();
    let mut low = 0;
    for &d in dims.iter().rev() {
        let vars = log2(d);
        let mut start = d.max(1);
        while start < 1 << vars {
            let j = start.trailing_zeros() as usize;
            let mut p = r.to_vec();
            for (t, x) in p[low + j..low + vars].iter_mut().enumerate() {
                *x = if (start >> (j + t)) & 1 == 1 {
                    F::ONE
                } else {
                    F::ZERO
                };
            }
            points.push(p);
            start += 1 << j;
        }
        low += vars;
    }
    points
}

/// Max pool `k×k`: `select` boolean, one per window and zero outside windows; `out` zero on
/// its padding; `gap = bcast(out) − x` on windows (0 elsewhere, range-checked `≥ 0`) with
/// `select·gap = 0`, so `out` is the window maximum; backward `dx = select·dx` and
/// `Σ_window dx = dy`.
fn max_pool<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    name: &str,
    k: usize,
    batch: &mut Vec<Instance<F>>,
) -> Result<(), ProveError> {
    let n = |t: &str| format!("{name}.{t}");
    let (x, dy) = (plan.input_of(l), plan.grad_of(l));
    let (pool, in_vars, out_vars) = pool_axes(plan, l, &x, &n("out"), k)?;
    let (one, minus) = (F::ONE, -F::ONE);
    let t = |name: &str| Factor::tensor(name);
    // Element-wise, at a point of the input.
    let r = s.point(in_vars.iter().sum());
    let x_dims = &plan.spec(&x)?.dims;
    let windows = Factor::Mask {
        dims: x_dims
            .iter()
            .zip(&in_vars)
            .enumerate()
            .map(|(d, (&len, &v))| (if d >= 2 { (len / k) * k } else { len }, v))
            .collect(),
    };
    batch.push(zero_check(
        &r,
        vec![t(&n("select"))],
        vec![(one, vec![0, 0]), (minus, vec![0])],
    ));
    batch.push(zero_check(
        &r,
        vec![t(&n("select")), t(&n("gap"))],
        vec![(one, vec![0, 1])],
    ));
    batch.push(zero_check(
        &r,
        vec![t(&n("dx")), t(&n("select"))],
        vec![(one, vec![0]), (minus, vec![0, 1])],
    ));
    batch.push(zero_check(
        &r,
        vec![t(&n("select")), windows],
        vec![(one, vec![0]), (minus, vec![0, 1])],
    ));
    let out_dims = plan.spec(&n("out"))?.dims.clone();
    let r2 = s.point(out_vars.iter().sum());
    batch.push(zero_check(
        &r2,
        vec![t(&n("out")), Factor::mask(&out_dims)],
        vec![(one, vec![0]), (minus, vec![0, 1])],
    ));
    // Window sums, at a point (r_bc, r_i, r_j) of the output: Σ select = 1 on real windows,
    // Σ dx = dy.
    let (vh, vw, vh2, vw2) = (in_vars[2], in_vars[3], out_vars[2], out_vars[3]);
    let (hi, r_i, r_j) = spatial(&r2, vh2, vw2);
    let real = mask_at(out_dims[1], &hi[..out_vars[1]])
        * mask_at(out_dims[2], r_i)
        * mask_at(out_dims[3], r_j);
    let axes = [(&pool[0], r_i), (&pool[1], r_j)];
    s.spread(
        &[(one, Bound::new(&n("select"), vh + vw, hi))],
        axes,
        Some(real),
    )?;
    let dy_r = s.eval(&dy, &r2)?;
    s.spread(
        &[(one, Bound::new(&n("dx"), vh + vw, hi))],
        axes,
        Some(dy_r),
    )?;
    // gap + x·[in a window] = bcast(out), at a point (r_bc, r_x, r_y) of the input.
    let (hi, r_x, r_y) = spatial(&r, vh, vw);
    let diag = |vars: usize, len: usize| Sparse {
        a_vars: vars,
        b_vars: vars,
        entries: (0..len).map(|x| (x, x, F::ONE)).collect(),
    };
    let covered = [diag(vh, (x_dims[2] / k) * k), diag(vw, (x_dims[3] / k) * k)];
    let gap = s.eval(&n("gap"), &r)?;
    let inside = s.spread(
        &[(one, Bound::new(&x, vh + vw, hi))],
        [(&covered[0], r_x), (&covered[1], r_y)],
        None,
    )?;
    let bcast = [pool[0].transpose(), pool[1].transpose()];
    s.spread(
        &[(one, Bound::new(&n("out"), vh2 + vw2, hi))],
        [(&bcast[0], r_x), (&bcast[1], r_y)],
        Some(gap + inside),
    )?;
    Ok(())
}

/// A point of a `[B, C, H, W]` tensor (lowest variables first) as `(r_bc, r_h, r_w)`: the
/// batch-and-channel part and the two spatial parts, of `vh` and `vw` variables.
fn spatial<F>(point: &[F], vh: usize, vw: usize) -> (&[F], &[F], &[F]) {
    let (low, bc) = point.split_at(vh + vw);
    let (r_w, r_h) = low.split_at(vw);
    (bc, r_h, r_w)
}

/// The window selectors of a `k×k` pooling layer and the dimension variables of its input and
/// output.
type PoolAxes<F> = ([Sparse<F>; 2], Vec<usize>, Vec<usize>);

fn pool_axes<F: KaizenField>(
    plan: &Plan,
    l: usize,
    x: &str,
    out: &str,
    k: usize,
) -> Result<PoolAxes<F>, ProveError> {
    let shape = &plan.shapes[l];
    let (in_vars, out_vars) = (dim_vars(plan, x)?, dim_vars(plan, out)?);
    if shape.len() != 3 || in_vars.len() != 4 || out_vars.len() != 4 {
        return Err(ProveError::Config(format!(
            "{out}: pooling needs [B, C, H, W]"
        )));
    }
    let pool = [
        ConvAxis::pool(shape[1], k).windows(),
        ConvAxis::pool(shape[2], k).windows(),
    ];
    Ok((pool, in_vars, out_vars))
}

/// Average pool `k×k`: `Σ_window x = k²·out + rem` and backward `k²·dx = bcast(dy − dx_rem)`
/// (each input of a window gets `⌊dy/k²⌋`), both spreads; the ranges bound `out`, `dx` and the
/// remainders.
fn avg_pool<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
    l: usize,
    name: &str,
    k: usize,
) -> Result<(), ProveError> {
    let n = |t: &str| format!("{name}.{t}");
    let (x, dy) = (plan.input_of(l), plan.grad_of(l));
    let (pool, in_vars, out_vars) = pool_axes(plan, l, &x, &n("out"), k)?;
    let (vh, vw, vh2, vw2) = (in_vars[2], in_vars[3], out_vars[2], out_vars[3]);
    let window = F::from((k * k) as u64);
    let r = s.point(out_vars.iter().sum());
    let sum = s.eval(&n("out"), &r)? * window + s.eval(&n("rem"), &r)?;
    let (hi, r_i, r_j) = spatial(&r, vh2, vw2);
    s.spread(
        &[(F::ONE, Bound::new(&x, vh + vw, hi))],
        [(&pool[0], r_i), (&pool[1], r_j)],
        Some(sum),
    )?;
    let r = s.point(in_vars.iter().sum());
    let dx = s.eval(&n("dx"), &r)? * window;
    let (hi, r_x, r_y) = spatial(&r, vh, vw);
    let bcast = [pool[0].transpose(), pool[1].transpose()];
    s.spread(
        &[
            (F::ONE, Bound::new(&dy, vh2 + vw2, hi)),
            (-F::ONE, Bound::new(&n("dx_rem"), vh2 + vw2, hi)),
        ],
        [(&bcast[0], r_x), (&bcast[1], r_y)],
        Some(dx),
    )?;
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
    let (z, dy) = (plan.input_of(l), plan.grad_of(l));
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

/// `name` (`[B, classes]`, classes padded to `2^cv`) has one-hot rows: boolean entries and zeros
/// on the padded classes (zero checks at `r`), and rows summing to one (the row average at
/// `(½, …, ½, r_n)` is `2^{−cv}`).
fn one_hot_rows<F: KaizenField, T: Transcript<F>>(
    s: &mut Session<'_, F, T>,
    batch: &mut Vec<Instance<F>>,
    name: &str,
    r: &[F],
    cv: usize,
    mask: &Factor<F>,
) -> Result<(), ProveError> {
    let (one, minus) = (F::ONE, -F::ONE);
    let t = Factor::tensor(name);
    batch.push(zero_check(
        r,
        vec![t.clone()],
        vec![(one, vec![0, 0]), (minus, vec![0])],
    ));
    batch.push(zero_check(
        r,
        vec![t, mask.clone()],
        vec![(one, vec![0]), (minus, vec![0, 1])],
    ));
    let at: Vec<F> = halves(cv)
        .into_iter()
        .chain(r[cv..].iter().copied())
        .collect();
    let row_avg = s.eval(name, &at)?;
    s.check(
        row_avg * F::from(1u64 << cv) == one,
        &format!("{name}: a row does not sum to 1"),
    )
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
    let mask = Factor::mask(&[plan.hyper.batch, classes]);
    // The labels come from `C_D`, which the prover chose: one-hot rows, like the argmax.
    one_hot_rows(s, batch, "labels", &r, cv, &mask)?;
    if plan.hyper.loss == Loss::Mse {
        let g = s.eval("loss.grad", &r)?;
        let zr = s.eval(&z, &r)?;
        let y = s.eval("labels", &r)?;
        return s.check(g == zr - scale * y, "loss.grad ≠ z − onehot");
    }
    let t = |name: &str| Factor::tensor(&format!("loss.{name}"));
    let (one, minus) = (F::ONE, -F::ONE);
    let eq_rows = Factor::EqHigh {
        point: r_n.to_vec(),
        low: cv,
    };
    one_hot_rows(s, batch, "loss.argmax", &r, cv, &mask)?;
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
    let cap = F::from((1u64 << exp_table.log_len()) - 1);
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

/// Runs the plan's range checks: every bit width's group in one batched lookup.
fn ranges<F: KaizenField, T: Transcript<F>>(
    plan: &Plan,
    s: &mut Session<'_, F, T>,
) -> Result<(), ProveError> {
    let (shapes, groups): (Vec<_>, Vec<_>) = plan.range_groups().into_iter().unzip();
    let claims = s.range(&shapes)?;
    if claims.len() != groups.len() {
        return Err(ProveError::ProofShape("range group count".into()));
    }
    // Every checked combination's terms at its claim's (lifted) point, evaluated as one batch.
    let mut checks = Vec::new();
    for (claims, specs) in claims.iter().zip(&groups) {
        if claims.len() != specs.len() {
            return Err(ProveError::ProofShape("range claim count".into()));
        }
        for (claim, &i) in claims.iter().zip(specs) {
            checks.push((
                &plan.ranges[i],
                claim.value,
                plan.ranges[i].cube.lift(&claim.point),
            ));
        }
    }
    let requests: Vec<(&str, &[F])> = checks
        .iter()
        .flat_map(|(spec, _, point)| {
            spec.terms
                .iter()
                .map(|t| (t.name.as_str(), &point[t.low..]))
        })
        .collect();
    let mut values = s.evals(&requests)?.into_iter();
    for (spec, claimed, _) in &checks {
        let mut value = F::from_signed(i128::from(spec.constant))?;
        for term in &spec.terms {
            let v = values
                .next()
                .ok_or_else(|| ProveError::ProofShape("range term values".into()))?;
            value += F::from_signed(i128::from(term.coeff))? * v;
        }
        s.check(value == *claimed, &format!("range check of {}", spec.label))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use kaizen_field::{mle::index_bits, AdditiveGroup, Field, M61Ext2, MultilinearPoly, Zero};

    use super::*;

    type F = M61Ext2;

    /// The sub-cubes cover exactly the padding, and their claims hold iff the padding is zero.
    #[test]
    fn padding_points_cover_exactly_the_padding() {
        for dims in [
            vec![3, 5],
            vec![10, 128],
            vec![6, 1, 5, 5],
            vec![16],
            vec![1, 7],
        ] {
            let vars: Vec<usize> = dims.iter().map(|&d| log2(d)).collect();
            let n: usize = vars.iter().sum();
            let r: Vec<F> = (0..n).map(|i| F::from(1000 + i as u64)).collect();
            let points = padding_points(&dims, &r);
            // Index `x` of the padded tensor: is some coordinate past its dimension?
            let coords = |mut x: usize| {
                let mut c = vec![0; dims.len()];
                for k in (0..dims.len()).rev() {
                    c[k] = x % (1 << vars[k]);
                    x >>= vars[k];
                }
                c
            };
            let padding = |x: usize| coords(x).iter().zip(&dims).any(|(&c, &d)| c >= d);
            let covered = |x: usize| {
                let bits = index_bits(x, n);
                points.iter().any(|p| {
                    p.iter()
                        .zip(&bits)
                        .all(|(&c, &b)| !(c.is_zero() || c == F::ONE) || c == b)
                })
            };
            assert!((0..1 << n).all(|x| padding(x) == covered(x)), "{dims:?}");
            // A tensor with zero padding satisfies every claim; one nonzero padding entry
            // breaks one.
            let values: Vec<F> = (0..1usize << n)
                .map(|x| {
                    if padding(x) {
                        F::ZERO
                    } else {
                        F::from(x as u64 + 1)
                    }
                })
                .collect();
            let at = |v: &[F], p: &[F]| MultilinearPoly::new(v.to_vec()).unwrap().evaluate(p);
            assert!(points.iter().all(|p| at(&values, p).unwrap().is_zero()));
            if let Some(x) = (0..1usize << n).find(|&x| padding(x)) {
                let mut bad = values.clone();
                bad[x] = F::ONE;
                assert!(points.iter().any(|p| !at(&bad, p).unwrap().is_zero()));
            }
        }
    }
}
