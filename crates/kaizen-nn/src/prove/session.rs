//! One code path for prover and verifier: a [`Session`] sends (prover) or reads (verifier) each
//! value and sub-proof in the same order, drives the shared transcript, and records every claim
//! the step leaves on a committed tensor. The relations in [`super::relations`] are written once
//! against it, so the two sides cannot drift apart.
use std::collections::HashMap;

use kaizen_field::{eq_eval, eq_table, fix_block, mle::SubCube, KaizenField, Transcript};
use kaizen_gkr::{
    lookup::{prove_lookup, verify_lookup, LookupProof, Table},
    range::{prove_range, verify_range, RangeClaims, RangeShape, RangeWitness},
};
use kaizen_sumcheck::{
    conv::{
        prove_conv, prove_spread, spread_sum, verify_conv, verify_spread, ConvDims, ConvProof,
        Sparse,
    },
    matmul::{prove_matmul, verify_matmul, MatmulClaims, MatmulDims},
    multipoint::{prove_multipoint, verify_multipoint},
    protocol, BatchClaims, Claim, ProductSum, SumcheckProof, SumcheckShape, Term, Weight,
};
use rayon::prelude::*;

use super::{packing::Relayout, plan::log2, Checks, ProofParts, ProveError};

/// A factor of a sumcheck term.
#[derive(Clone, Debug)]
pub(crate) enum Factor<F> {
    /// A committed tensor, broadcast along its `low` lowest variables.
    Tensor { name: String, low: usize },
    /// `eq(point, x_high)`, broadcast along the `low` lowest variables (verifier-evaluated).
    EqHigh { point: Vec<F>, low: usize },
    /// The indicator of a tensor's real (unpadded) entries: `dims` are `(length, variables)`
    /// per dimension, outermost first (verifier-evaluated).
    Mask { dims: Vec<(usize, usize)> },
    /// The weight moving claims on a packed parameter's padded view to the packed tensor
    /// (verifier-evaluated; [`super::packing`]).
    Relayout(Box<Relayout<F>>),
}

/// `Σ_{j < len} eq(r, j)`: the MLE of `[j < len]` at `r`.
pub(crate) fn mask_at<F: KaizenField>(len: usize, r: &[F]) -> F {
    eq_table(r).iter().take(len).copied().sum()
}

impl<F: KaizenField> Factor<F> {
    pub(crate) fn tensor(name: &str) -> Self {
        Factor::Tensor {
            name: name.to_string(),
            low: 0,
        }
    }

    /// The factor's value at the end of the sumcheck, if the verifier computes it itself.
    fn public_value(&self, x: &[F]) -> Option<F> {
        match self {
            Factor::Tensor { .. } => None,
            Factor::EqHigh { point, low } => eq_eval(point, x.get(*low..)?),
            Factor::Mask { dims } => {
                let mut rest = x;
                let mut value = F::ONE;
                for &(len, vars) in dims.iter().rev() {
                    let (r, high) = rest.split_at_checked(vars)?;
                    value *= mask_at(len, r);
                    rest = high;
                }
                rest.is_empty().then_some(value)
            }
            Factor::Relayout(g) => g.evaluate(x),
        }
    }

    /// The real-entry mask of a tensor of (unpadded) shape `dims`.
    pub(crate) fn mask(dims: &[usize]) -> Self {
        Factor::Mask {
            dims: dims.iter().map(|&d| (d, log2(d) as usize)).collect(),
        }
    }
}

/// One sumcheck instance: `Σ_x w(x)·Σ_t c_t·Π factors = sum` over `vars` variables, with
/// `w = eq(weight, ·)` when given.
#[derive(Clone, Debug)]
pub(crate) struct Instance<F> {
    pub vars: usize,
    pub factors: Vec<Factor<F>>,
    pub terms: Vec<(F, Vec<usize>)>,
    pub weight: Option<Vec<F>>,
    pub sum: F,
}

impl<F: KaizenField> Instance<F> {
    fn shape(&self) -> SumcheckShape<F> {
        SumcheckShape {
            num_vars: self.vars,
            num_polys: self.factors.len(),
            terms: self
                .terms
                .iter()
                .map(|(c, f)| Term {
                    coeff: *c,
                    factors: f.clone(),
                })
                .collect(),
            weight: self.weight.clone().map(Weight::Eq),
        }
    }
}

/// The prover's committed tables (padded, by name) and the range checks' witness.
pub(crate) struct ProverTables<F> {
    pub tables: HashMap<String, Vec<F>>,
    /// Every range group's check, as one batch.
    pub ranges: RangeWitness<F>,
    /// Where the range checks' committed tables live in `ranges` (kept there, not copied).
    pub range_tables: HashMap<String, RangePart>,
}

/// A committed table of the range checks' witness.
#[derive(Clone, Copy, Debug)]
pub(crate) enum RangePart {
    /// Committed limb `k + 1` of vector `v` of group `g`: `Limb(g, v, k)`.
    Limb(usize, usize, usize),
    /// The multiplicities of the shared table `t`.
    Multiplicities(usize),
}

impl<F: KaizenField> ProverTables<F> {
    pub(crate) fn get(&self, name: &str) -> Result<&[F], ProveError> {
        if let Some(t) = self.tables.get(name) {
            return Ok(t);
        }
        let part = self
            .range_tables
            .get(name)
            .ok_or_else(|| ProveError::Witness(format!("missing tensor {name}")))?;
        let missing = || ProveError::Witness(format!("range checks: no {name}"));
        match *part {
            RangePart::Limb(g, v, k) => self
                .ranges
                .committed_limbs(g, v)
                .and_then(|limbs| limbs.get(k))
                .map(Vec::as_slice)
                .ok_or_else(missing),
            RangePart::Multiplicities(t) => self.ranges.multiplicities(t).ok_or_else(missing),
        }
    }
}

enum Side<'a, F: KaizenField> {
    Prover {
        tables: &'a ProverTables<F>,
        parts: ProofParts<F>,
        checks: Checks,
    },
    Verifier {
        parts: &'a ProofParts<F>,
        next: [usize; 4],
    },
}

/// `(tensor, claim)` pairs left to open.
pub(crate) type NamedClaims<F> = Vec<(String, Claim<F>)>;

/// A run of the step protocol on one side.
pub(crate) struct Session<'a, F: KaizenField, T> {
    pub transcript: &'a mut T,
    /// `(tensor, claim)` for every value the step left to open.
    pub claims: NamedClaims<F>,
    side: Side<'a, F>,
}

fn take<'p, X>(items: &'p [X], next: &mut usize, what: &str) -> Result<&'p X, ProveError> {
    let item = items
        .get(*next)
        .ok_or_else(|| ProveError::ProofShape(format!("proof ends before {what} {}", *next)))?;
    *next += 1;
    Ok(item)
}

/// `T(point)` for the table of `T`.
pub(crate) fn evaluate<F: KaizenField>(table: &[F], point: &[F]) -> Result<F, ProveError> {
    if table.len() != 1 << point.len() {
        return Err(ProveError::Witness(format!(
            "table of {} entries at a {}-variable point",
            table.len(),
            point.len()
        )));
    }
    // A point on a sub-cube (a claim from a range check on a block of a tensor) reads the
    // sub-cube's entries alone.
    let cube = SubCube::of_point(point);
    if cube.free_vars() < point.len() {
        return Ok(cube.evaluate(table, &cube.free_coordinates(point))?);
    }
    let eq = eq_table(point);
    Ok(table
        .par_iter()
        .zip(eq.par_iter())
        .map(|(&a, &b)| a * b)
        .sum())
}

/// `point` with its `low` lowest coordinates moved to the top (the transpose of a matrix whose
/// column variables are the `low` lowest).
pub(crate) fn swap<F: Copy>(point: &[F], low: usize) -> Vec<F> {
    point[low..].iter().chain(&point[..low]).copied().collect()
}

fn transpose<F: Copy + Send + Sync>(m: &[F], cols: usize) -> Vec<F> {
    let rows = m.len() / cols.max(1);
    (0..cols)
        .into_par_iter()
        .flat_map_iter(|c| (0..rows).map(move |r| m[r * cols + c]))
        .collect()
}

/// A matmul operand: a committed row-major matrix with `cols` (padded) columns, or its transpose.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Operand<'n> {
    pub name: &'n str,
    pub cols: usize,
    pub transposed: bool,
}

impl<'n> Operand<'n> {
    /// The matrix `name` itself.
    pub(crate) fn plain(name: &'n str, cols: usize) -> Self {
        Self {
            name,
            cols,
            transposed: false,
        }
    }

    /// The transpose of the matrix `name` (stored with `cols` columns).
    pub(crate) fn transposed(name: &'n str, cols: usize) -> Self {
        Self {
            name,
            cols,
            transposed: true,
        }
    }
}

/// A committed tensor with a block of middle variables bound to `point`: the table
/// `[outer][2^|point|][2^inner]` becomes `[outer][2^inner]`.
#[derive(Clone, Debug)]
pub(crate) struct Bound<F> {
    pub name: String,
    pub inner: usize,
    pub point: Vec<F>,
}

impl<F: KaizenField> Bound<F> {
    /// `name` with the block of variables just above its `inner` lowest bound to `point`.
    pub(crate) fn new(name: &str, inner: usize, point: &[F]) -> Self {
        Self {
            name: name.to_string(),
            inner,
            point: point.to_vec(),
        }
    }

    fn table(&self, tables: &ProverTables<F>) -> Result<Vec<F>, ProveError> {
        Ok(fix_block(
            tables.get(&self.name)?,
            1 << self.inner,
            &self.point,
        )?)
    }

    /// The tensor's point for a point `rho` of the bound table.
    fn full_point(&self, rho: &[F]) -> Vec<F> {
        let inner = self.inner.min(rho.len());
        [&rho[..inner], &self.point, &rho[inner..]].concat()
    }
}

impl<'a, F: KaizenField, T: Transcript<F>> Session<'a, F, T> {
    pub(crate) fn prover(
        transcript: &'a mut T,
        tables: &'a ProverTables<F>,
        checks: Checks,
    ) -> Self {
        Self {
            transcript,
            claims: Vec::new(),
            side: Side::Prover {
                tables,
                parts: ProofParts::default(),
                checks,
            },
        }
    }

    /// A relation the verifier checks on claimed values: an error for the verifier, and for a
    /// strict prover (an honest witness never fails one); a lenient prover goes on.
    pub(crate) fn check(&self, ok: bool, what: &str) -> Result<(), ProveError> {
        match (&self.side, ok) {
            (_, true)
            | (
                Side::Prover {
                    checks: Checks::Lenient,
                    ..
                },
                false,
            ) => Ok(()),
            _ => Err(ProveError::Relation(what.to_string())),
        }
    }

    pub(crate) fn verifier(transcript: &'a mut T, parts: &'a ProofParts<F>) -> Self {
        Self {
            transcript,
            claims: Vec::new(),
            side: Side::Verifier {
                parts,
                next: [0; 4],
            },
        }
    }

    /// The proof parts (prover), or an error if the verifier left parts unread.
    pub(crate) fn finish(self) -> Result<(ProofParts<F>, NamedClaims<F>), ProveError> {
        match self.side {
            Side::Prover { parts, .. } => Ok((parts, self.claims)),
            Side::Verifier { parts, next } => {
                let lens = [
                    parts.evals.len(),
                    parts.sumchecks.len(),
                    parts.lookups.len(),
                    parts.convs.len(),
                ];
                if next != lens {
                    return Err(ProveError::ProofShape(format!(
                        "proof has {lens:?} parts, the step uses {next:?}"
                    )));
                }
                Ok((ProofParts::default(), self.claims))
            }
        }
    }

    /// A fresh random point with `n` coordinates.
    pub(crate) fn point(&mut self, n: usize) -> Vec<F> {
        self.transcript.challenges(b"step/point", n)
    }

    fn record(&mut self, name: &str, point: Vec<F>, value: F) {
        self.claims.push((name.to_string(), Claim { point, value }));
    }

    /// Records the claim `name(point) = 0`, opened like any other (its value is public: nothing
    /// is sent).
    pub(crate) fn vanishes(&mut self, name: &str, point: Vec<F>) {
        self.record(name, point, F::ZERO);
    }

    /// Removes and returns the claims recorded so far on tensor `name` (for a tensor that is not
    /// committed: its relation reduces them instead of an opening).
    pub(crate) fn take_claims(&mut self, name: &str) -> Vec<Claim<F>> {
        let (taken, kept) = std::mem::take(&mut self.claims)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.claims = kept;
        taken.into_iter().map(|(_, c)| c).collect()
    }

    /// The value of tensor `name` at `point`: computed and sent by the prover, read by the
    /// verifier; absorbed and recorded as a claim to open. A point the step already holds a
    /// claim on (range checks of several groups over one tensor end at one point) reuses that
    /// claim's value: nothing is sent or recorded again.
    pub(crate) fn eval(&mut self, name: &str, point: &[F]) -> Result<F, ProveError> {
        Ok(self.evals(&[(name, point)])?[0])
    }

    /// [`Session::eval`] of each `(tensor, point)` in order; the prover computes the values it
    /// sends in parallel.
    pub(crate) fn evals(&mut self, requests: &[(&str, &[F])]) -> Result<Vec<F>, ProveError> {
        let held = |claims: &NamedClaims<F>, name: &str, point: &[F]| {
            claims
                .iter()
                .rev()
                .find(|(n, c)| n == name && c.point == point)
                .map(|(_, c)| c.value)
        };
        let mut computed = vec![F::ZERO; requests.len()];
        if let Side::Prover { tables, .. } = &self.side {
            // The requests to compute: neither held nor asked for earlier in this batch.
            let fresh: Vec<usize> = (0..requests.len())
                .filter(|&i| {
                    let (name, point) = requests[i];
                    held(&self.claims, name, point).is_none()
                        && !requests[..i].contains(&requests[i])
                })
                .collect();
            let values = fresh
                .par_iter()
                .map(|&i| {
                    let (name, point) = requests[i];
                    evaluate(tables.get(name)?, point)
                        .map_err(|e| ProveError::Witness(format!("{name}: {e}")))
                })
                .collect::<Result<Vec<F>, _>>()?;
            for (&i, v) in fresh.iter().zip(values) {
                computed[i] = v;
            }
        }
        requests
            .iter()
            .zip(computed)
            .map(|(&(name, point), computed)| {
                if let Some(value) = held(&self.claims, name, point) {
                    return Ok(value);
                }
                let value = self.send(b"step/eval", computed)?;
                self.record(name, point.to_vec(), value);
                Ok(value)
            })
            .collect()
    }

    fn next_sumcheck(&mut self) -> Result<Option<&'a SumcheckProof<F>>, ProveError> {
        match &mut self.side {
            Side::Prover { .. } => Ok(None),
            Side::Verifier { parts, next } => {
                Ok(Some(take(&parts.sumchecks, &mut next[1], "sumcheck")?))
            }
        }
    }

    fn push_sumcheck(&mut self, proof: SumcheckProof<F>) {
        if let Side::Prover { parts, .. } = &mut self.side {
            parts.sumchecks.push(proof);
        }
    }

    /// The prover's table of `factor` over `vars` variables.
    fn table(
        tables: &ProverTables<F>,
        factor: &Factor<F>,
        vars: usize,
    ) -> Result<Vec<F>, ProveError> {
        let n = 1usize << vars;
        Ok(match factor {
            Factor::Tensor { name, low } => {
                let t = tables.get(name)?;
                if t.len() << low != n {
                    return Err(ProveError::Witness(format!("{name} has the wrong size")));
                }
                (0..n).into_par_iter().map(|x| t[x >> low]).collect()
            }
            Factor::EqHigh { point, low } => {
                let eq = eq_table(point);
                (0..n).into_par_iter().map(|x| eq[x >> low]).collect()
            }
            Factor::Mask { dims } => (0..n)
                .into_par_iter()
                .map(|x| {
                    let mut rest = x;
                    let mut inside = true;
                    for &(len, vars) in dims.iter().rev() {
                        inside &= (rest & ((1 << vars) - 1)) < len;
                        rest >>= vars;
                    }
                    F::from(u64::from(inside))
                })
                .collect(),
            Factor::Relayout(g) if g.num_vars() == vars => g.table(),
            Factor::Relayout(_) => {
                return Err(ProveError::Config(
                    "a relayout weight of another size than its sumcheck".into(),
                ))
            }
        })
    }

    /// Proves or verifies a batch of sumchecks; records the claims on tensor factors and checks
    /// the verifier-evaluated ones.
    pub(crate) fn sumcheck(&mut self, instances: &[Instance<F>]) -> Result<(), ProveError> {
        let shapes: Vec<SumcheckShape<F>> = instances.iter().map(Instance::shape).collect();
        let sums: Vec<F> = instances.iter().map(|i| i.sum).collect();
        let claims: BatchClaims<F> = match self.next_sumcheck()? {
            Some(proof) => protocol::verify(&shapes, &sums, proof, self.transcript)?,
            None => {
                let Side::Prover { tables, .. } = &self.side else {
                    return Err(ProveError::Witness("no tables".into()));
                };
                let mut products = instances
                    .par_iter()
                    .zip(shapes)
                    .map(|(inst, shape)| {
                        let tables = inst
                            .factors
                            .iter()
                            .map(|f| Self::table(tables, f, inst.vars))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok(ProductSum::new(shape, tables)?)
                    })
                    .collect::<Result<Vec<_>, ProveError>>()?;
                let (proof, claims) = protocol::prove(&mut products, &sums, self.transcript)?;
                self.push_sumcheck(proof);
                claims
            }
        };
        for (inst, claims) in instances.iter().zip(claims) {
            for (factor, claim) in inst.factors.iter().zip(claims) {
                match factor {
                    Factor::Tensor { name, low } => {
                        self.record(name, claim.point[*low..].to_vec(), claim.value)
                    }
                    public => self.check(
                        public.public_value(&claim.point) == Some(claim.value),
                        "a public factor's final value is wrong",
                    )?,
                }
            }
        }
        Ok(())
    }

    /// Reduces the claims on tensor `name` (`vars` variables) to one claim at a fresh point, by
    /// the multi-point sumcheck of [`kaizen_sumcheck::multipoint`] (a single claim is returned as
    /// it is): for a tensor that is not committed and whose relation costs a reduction per point.
    pub(crate) fn reduce_points(
        &mut self,
        name: &str,
        vars: usize,
        claims: &[Claim<F>],
    ) -> Result<Claim<F>, ProveError> {
        if let [claim] = claims {
            return Ok(claim.clone());
        }
        match self.next_sumcheck()? {
            Some(proof) => Ok(verify_multipoint(vars, claims, proof, self.transcript)?),
            None => {
                let Side::Prover { tables, .. } = &self.side else {
                    return Err(ProveError::Witness("no tables".into()));
                };
                let (proof, claim) = prove_multipoint(tables.get(name)?, claims, self.transcript)?;
                self.push_sumcheck(proof);
                Ok(claim)
            }
        }
    }

    /// `C(point) = value` for `C = A·B`; records the claims on both operands.
    pub(crate) fn matmul(
        &mut self,
        dims: MatmulDims,
        a: Operand<'_>,
        b: Operand<'_>,
        point: &[F],
        value: F,
    ) -> Result<(), ProveError> {
        let claims: MatmulClaims<F> = match self.next_sumcheck()? {
            Some(proof) => verify_matmul(dims, point, value, proof, self.transcript)?,
            None => {
                let Side::Prover { tables, .. } = &self.side else {
                    return Err(ProveError::Witness("no tables".into()));
                };
                let load = |op: Operand<'_>| -> Result<std::borrow::Cow<'_, [F]>, ProveError> {
                    let t = tables.get(op.name)?;
                    Ok(if op.transposed {
                        transpose(t, op.cols).into()
                    } else {
                        t.into()
                    })
                };
                let (ta, tb) = (load(a)?, load(b)?);
                let (proof, claims) = prove_matmul(dims, &ta, &tb, point, value, self.transcript)?;
                self.push_sumcheck(proof);
                claims
            }
        };
        for (op, claim, low) in [
            (a, claims.a, dims.inner.trailing_zeros() as usize),
            (b, claims.b, dims.cols.trailing_zeros() as usize),
        ] {
            let point = if op.transposed {
                swap(&claim.point, low)
            } else {
                claim.point
            };
            self.record(op.name, point, claim.value);
        }
        Ok(())
    }

    fn next_conv(&mut self) -> Result<Option<&'a ConvProof<F>>, ProveError> {
        match &mut self.side {
            Side::Prover { .. } => Ok(None),
            Side::Verifier { parts, next } => Ok(Some(take(&parts.convs, &mut next[3], "conv")?)),
        }
    }

    /// `Σ P·Q·S1·S2 = value` for the bound tensors `p`, `q` (a convolution claim, see
    /// [`kaizen_sumcheck::conv`]); records the claims on both tensors.
    pub(crate) fn conv(
        &mut self,
        dims: ConvDims,
        p: &Bound<F>,
        q: &Bound<F>,
        sel: [&Sparse<F>; 2],
        value: F,
    ) -> Result<(), ProveError> {
        let claims = match self.next_conv()? {
            Some(proof) => verify_conv(dims, sel, value, proof, self.transcript)?,
            None => {
                let Side::Prover { tables, parts, .. } = &mut self.side else {
                    return Err(ProveError::Witness("no tables".into()));
                };
                let (tp, tq) = (p.table(tables)?, q.table(tables)?);
                let (proof, claims) = prove_conv(dims, &tp, &tq, sel, value, self.transcript)?;
                parts.convs.push(proof);
                claims
            }
        };
        self.record(&p.name, p.full_point(&claims.p.point), claims.p.value);
        self.record(&q.name, q.full_point(&claims.q.point), claims.q.value);
        Ok(())
    }

    /// `Σ_b Q(b)·S1(ρ1, b1)·S2(ρ2, b2) = value` for `Q = Σ c·T` over bound tensors `T` (a pooling
    /// window sum or broadcast); with `value` `None` the prover sends the sum. Returns the sum;
    /// records the claims on the tensors.
    pub(crate) fn spread(
        &mut self,
        q: &[(F, Bound<F>)],
        axes: [(&Sparse<F>, &[F]); 2],
        value: Option<F>,
    ) -> Result<F, ProveError> {
        let prover_q = match &self.side {
            Side::Prover { tables, .. } => {
                let mut sum: Option<Vec<F>> = None;
                for (c, t) in q {
                    let table = t.table(tables)?;
                    sum = Some(match sum {
                        None => table.into_iter().map(|v| *c * v).collect(),
                        Some(acc) => acc
                            .into_iter()
                            .zip(table)
                            .map(|(a, v)| a + *c * v)
                            .collect(),
                    });
                }
                Some(sum.ok_or_else(|| ProveError::Witness("empty spread".into()))?)
            }
            Side::Verifier { .. } => None,
        };
        let value = match value {
            Some(v) => v,
            None => {
                let computed = match &prover_q {
                    Some(table) => spread_sum(table, axes)?,
                    None => F::ZERO,
                };
                self.send(b"step/sent", computed)?
            }
        };
        let claim = match self.next_sumcheck()? {
            Some(proof) => verify_spread(axes, value, proof, self.transcript)?,
            None => {
                let table = prover_q.unwrap_or_default();
                let (proof, claim) = prove_spread(&table, axes, value, self.transcript)?;
                self.push_sumcheck(proof);
                claim
            }
        };
        match q {
            [(c, t)] if *c == F::ONE => {
                self.record(&t.name, t.full_point(&claim.point), claim.value)
            }
            _ => {
                let mut total = F::ZERO;
                for (c, t) in q {
                    total += *c * self.eval(&t.name, &t.full_point(&claim.point))?;
                }
                self.check(
                    total == claim.value,
                    "a spread's combination does not match its tensors",
                )?;
            }
        }
        Ok(value)
    }

    /// A value the prover computed (and sends) or the verifier reads, absorbed under `label`.
    fn send(&mut self, label: &'static [u8], computed: F) -> Result<F, ProveError> {
        let value = match &mut self.side {
            Side::Prover { parts, .. } => {
                parts.evals.push(computed);
                computed
            }
            Side::Verifier { parts, next } => *take(&parts.evals, &mut next[0], "value")?,
        };
        self.transcript.absorb_field(label, &value);
        Ok(value)
    }

    fn next_lookup(&mut self) -> Result<Option<&'a LookupProof<F>>, ProveError> {
        match &mut self.side {
            Side::Prover { .. } => Ok(None),
            Side::Verifier { parts, next } => {
                Ok(Some(take(&parts.lookups, &mut next[2], "lookup")?))
            }
        }
    }

    /// The range checks of every group (of `shapes`), as one lookup; records the committed
    /// limbs' claims under `range{group}.…` and the shared tables' multiplicities' under
    /// `range.mult…`, and returns each group's claims on its checked vectors (the caller checks
    /// them against the checked combinations: that binds limb 0).
    pub(crate) fn range(
        &mut self,
        shapes: &[RangeShape],
    ) -> Result<Vec<Vec<Claim<F>>>, ProveError> {
        let claims: RangeClaims<F> = match self.next_lookup()? {
            Some(proof) => verify_range(shapes, proof, self.transcript)?,
            None => {
                let Side::Prover { tables, parts, .. } = &mut self.side else {
                    return Err(ProveError::Witness("no tables".into()));
                };
                let (proof, claims) = prove_range(&tables.ranges, self.transcript)?;
                parts.lookups.push(proof);
                claims
            }
        };
        for (g, group) in claims.committed_limbs.into_iter().enumerate() {
            for (v, limbs) in group.into_iter().enumerate() {
                for (j, c) in (1..).zip(limbs) {
                    self.record(&limb_name(g, v, j), c.point, c.value);
                }
            }
        }
        for (t, m) in claims.multiplicities.into_iter().enumerate() {
            self.record(&mult_name(t), m.point, m.value);
        }
        Ok(claims.values)
    }

    /// Lookup of the rows `(columns[0][i], columns[1][i], …)` (tensors of `2^log` entries) in
    /// `table`, multiplicities in tensor `mult`; records every claim.
    pub(crate) fn lookup(
        &mut self,
        table: &Table<F>,
        columns: &[&str],
        log: usize,
        mult: &str,
    ) -> Result<(), ProveError> {
        let claims = match self.next_lookup()? {
            Some(proof) => verify_lookup(table, &[log], proof, self.transcript)?,
            None => {
                let Side::Prover { tables, parts, .. } = &mut self.side else {
                    return Err(ProveError::Witness("no tables".into()));
                };
                let segment = columns
                    .iter()
                    .map(|c| tables.get(c))
                    .collect::<Result<Vec<_>, _>>()?;
                let (proof, claims) =
                    prove_lookup(table, &[segment], tables.get(mult)?, self.transcript)?;
                parts.lookups.push(proof);
                claims
            }
        };
        for seg in claims.segments {
            for (name, c) in columns.iter().zip(seg) {
                self.record(name, c.point, c.value);
            }
        }
        for m in claims.multiplicities {
            self.record(mult, m.point, m.value);
        }
        Ok(())
    }
}

/// Name of limb `j` of vector `v` of range group `g` in the step commitment.
pub(crate) fn limb_name(g: usize, v: usize, j: usize) -> String {
    format!("range{g}.{v}.limb{j}")
}

/// Name of the multiplicities of the range checks' shared table `t` in the step commitment.
pub(crate) fn mult_name(t: usize) -> String {
    format!("range.mult{t}")
}
