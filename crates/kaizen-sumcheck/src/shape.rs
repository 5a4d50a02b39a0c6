//! Sumcheck statements ([`SumcheckShape`]) and the prover's instance ([`ProductSum`]).
use rayon::prelude::*;

use kaizen_field::{
    eq_eval, eq_table, line_entries,
    mle::{eq_table_into, SubCube},
    prefetch, prefetch_ahead, Accumulator, KaizenField, PAR_MIN_LEN, PREFETCH_MIN_BYTES,
};

use crate::SumcheckError;

/// One term `c · Π_{j ∈ factors} P_j` of the summand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term<F> {
    /// Coefficient `c`.
    pub coeff: F,
    /// Indices of the polynomials multiplied (repetitions allowed, e.g. `b·b`).
    pub factors: Vec<usize>,
}

/// A weight polynomial the verifier evaluates itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Weight<F> {
    /// `eq(r, x)`.
    Eq(Vec<F>),
    /// `Σ_k c_k · eq(r_k, x)` (multi-point reduction).
    EqSum {
        /// The points `r_k`.
        points: Vec<Vec<F>>,
        /// The coefficients `c_k`.
        coeffs: Vec<F>,
    },
}

impl<F: KaizenField> Weight<F> {
    fn check(&self, num_vars: usize) -> Result<(), SumcheckError> {
        let dims_ok = match self {
            Weight::Eq(r) => r.len() == num_vars,
            Weight::EqSum { points, coeffs } => {
                points.len() == coeffs.len() && points.iter().all(|p| p.len() == num_vars)
            }
        };
        dims_ok.then_some(()).ok_or(SumcheckError::Shape(
            "weight dimension differs from num_vars",
        ))
    }

    /// The weight's value at `x` (dimensions were checked by the shape).
    pub fn evaluate(&self, x: &[F]) -> F {
        match self {
            Weight::Eq(r) => eq_eval(r, x).unwrap_or(F::ZERO),
            Weight::EqSum { points, coeffs } => points
                .iter()
                .zip(coeffs)
                .map(|(p, &c)| c * eq_eval(p, x).unwrap_or(F::ZERO))
                .sum(),
        }
    }

    /// The weight's hypercube table.
    pub fn table(&self) -> Vec<F> {
        match self {
            Weight::Eq(r) => eq_table(r),
            Weight::EqSum { points, coeffs } => {
                let n = points.first().map_or(0, Vec::len);
                let mut acc = vec![F::ZERO; 1 << n];
                eq_sum_into(points, coeffs, 0, &mut acc);
                acc
            }
        }
    }
}

/// Writes `Σ_k c_k·eq(p_k, x)` for `x ∈ [base, base + out.len())` into `out` (zeroed), summing the
/// points whose blocks lie in that range. Boolean high coordinates select one block (a claim
/// lifted from a segment): `eq(p, x)` vanishes outside it, so only the block is filled — written
/// in place if no earlier point touched it, else built in one reused scratch buffer and added.
/// Boolean coordinates below the block's top (a claim on a sub-cube, such as a tensor's padding)
/// confine `eq` further: it is built over the other coordinates alone and added where it lives.
///
/// The points' top-level blocks (disjoint) are filled in parallel.
pub(crate) fn eq_sum_into<F: KaizenField>(
    points: &[Vec<F>],
    coeffs: &[F],
    base: usize,
    out: &mut [F],
) {
    let end = base + out.len();
    let blocks: Vec<(usize, usize)> = point_blocks(points)
        .into_iter()
        .filter(|&(o, l)| o >= base && o + l <= end)
        .collect();
    if blocks.len() < 2 {
        return eq_sum_block(points, coeffs, base, out);
    }
    let mut slices = Vec::with_capacity(blocks.len());
    let (mut rest, mut at) = (out, base);
    for (o, l) in blocks {
        let (block, tail) = std::mem::take(&mut rest)[o - at..].split_at_mut(l);
        slices.push((o, block));
        (rest, at) = (tail, o + l);
    }
    slices
        .into_par_iter()
        .for_each(|(o, block)| eq_sum_block(points, coeffs, o, block));
}

/// [`eq_sum_into`] on one block, point by point.
fn eq_sum_block<F: KaizenField>(points: &[Vec<F>], coeffs: &[F], base: usize, out: &mut [F]) {
    let end = base + out.len();
    let inside: Vec<(&[F], F, usize, usize)> = points
        .iter()
        .zip(coeffs)
        .map(|(p, &c)| {
            let (k, o) = block_of(p);
            (p.as_slice(), c, k, o)
        })
        .filter(|&(_, _, k, o)| o >= base && o + (1 << k) <= end)
        .collect();
    let largest = inside.iter().map(|b| 1usize << b.2).max().unwrap_or(0);
    let mut scratch = Vec::new();
    for (i, &(p, c, k, offset)) in inside.iter().enumerate() {
        let range = offset - base..offset - base + (1 << k);
        if p[..k].iter().any(|x| x.is_zero() || x.is_one()) {
            add_subcube_eq(&p[..k], c, &mut out[range]);
            continue;
        }
        let fresh = inside[..i]
            .iter()
            .all(|&(_, _, k2, o2)| o2 >= offset + (1 << k) || o2 + (1 << k2) <= offset);
        if fresh {
            eq_table_into(&p[..k], c, &mut out[range]);
        } else {
            scratch.resize(largest, F::ZERO);
            let eq = &mut scratch[..1 << k];
            eq_table_into(&p[..k], c, eq);
            out[range]
                .par_iter_mut()
                .with_min_len(PAR_MIN_LEN)
                .zip(&*eq)
                .for_each(|(a, &v)| *a += v);
        }
    }
}

/// Adds `c·eq(p, x)` into `out[x]` (`2^{|p|}` entries) for a point `p` with boolean coordinates:
/// `eq` is zero unless `x` agrees with them, so it is built over the other coordinates (`2^m`
/// products) and added at those entries alone, run by run ([`SubCube::for_each_run`]).
fn add_subcube_eq<F: KaizenField>(p: &[F], c: F, out: &mut [F]) {
    let cube = SubCube::of_point(p);
    cube.for_each_run(&cube.free_coordinates(p), c, |start, eq| {
        for (o, &v) in out[start..start + eq.len()].iter_mut().zip(eq) {
            *o += v;
        }
    });
}

/// The blocks `(offset, len)` the points select ([`block_of`]), merged ([`merge_blocks`]).
pub(crate) fn point_blocks<F: KaizenField>(points: &[Vec<F>]) -> Vec<(usize, usize)> {
    merge_blocks(
        points
            .iter()
            .map(|p| {
                let (k, o) = block_of(p);
                (o, 1 << k)
            })
            .collect(),
    )
}

/// Sorts aligned power-of-two blocks `(offset, len)` and drops those inside another (two aligned
/// blocks are disjoint or nested).
pub(crate) fn merge_blocks(mut blocks: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    blocks.sort_by_key(|&(o, l)| (o, std::cmp::Reverse(l)));
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(blocks.len());
    for (o, l) in blocks {
        if out.last().is_none_or(|&(o2, l2)| o >= o2 + l2) {
            out.push((o, l));
        }
    }
    out
}

/// `(k, offset)` of the block a point selects: its coordinates from `k` on are boolean and spell
/// `offset / 2^k` (`k = n`, offset 0, when the last coordinate is not boolean).
pub(crate) fn block_of<F: KaizenField>(p: &[F]) -> (usize, usize) {
    let k = p
        .iter()
        .rposition(|x| !x.is_zero() && !x.is_one())
        .map_or(0, |i| i + 1);
    let offset = p[k..]
        .iter()
        .enumerate()
        .filter(|(_, x)| x.is_one())
        .map(|(j, _)| 1 << (k + j))
        .sum();
    (k, offset)
}

/// The public statement of one sumcheck instance: `Σ_x w(x)·Σ_t c_t·Π_{j∈S_t} P_j(x)` over
/// `num_vars` variables and `num_polys` committed (or otherwise claimed) polynomials `P_j`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumcheckShape<F> {
    /// Number of variables.
    pub num_vars: usize,
    /// Number of polynomials `P_j`.
    pub num_polys: usize,
    /// The terms of the summand.
    pub terms: Vec<Term<F>>,
    /// Optional verifier-computable weight `w`.
    pub weight: Option<Weight<F>>,
}

impl<F: KaizenField> SumcheckShape<F> {
    /// `Σ_x Π_j P_j(x)` over all `num_polys` polynomials (e.g. `Σ a·b`).
    pub fn product(num_vars: usize, num_polys: usize) -> Self {
        Self {
            num_vars,
            num_polys,
            terms: vec![Term {
                coeff: F::ONE,
                factors: (0..num_polys).collect(),
            }],
            weight: None,
        }
    }

    /// The same statement multiplied by a weight.
    pub fn with_weight(mut self, weight: Weight<F>) -> Self {
        self.weight = Some(weight);
        self
    }

    /// Degree of each round polynomial.
    pub fn degree(&self) -> usize {
        let terms = self
            .terms
            .iter()
            .map(|t| t.factors.len())
            .max()
            .unwrap_or(0);
        terms + usize::from(self.weight.is_some())
    }

    /// Checks that terms reference existing polynomials and the weight has the right dimension.
    pub fn check(&self) -> Result<(), SumcheckError> {
        if self.terms.is_empty() || self.terms.iter().any(|t| t.factors.is_empty()) {
            return Err(SumcheckError::Shape(
                "every shape needs terms with at least one factor",
            ));
        }
        if self.num_polys + usize::from(self.weight.is_some()) > MAX_TABLES {
            return Err(SumcheckError::Shape("more than MAX_TABLES tables"));
        }
        if self.degree() > MAX_DEGREE {
            return Err(SumcheckError::Shape("degree above MAX_DEGREE"));
        }
        if self
            .terms
            .iter()
            .flat_map(|t| &t.factors)
            .any(|&j| j >= self.num_polys)
        {
            return Err(SumcheckError::Shape("term references a missing polynomial"));
        }
        self.weight
            .as_ref()
            .map_or(Ok(()), |w| w.check(self.num_vars))
    }

    /// `Σ_t c_t Π_{j∈S_t} v_j` for polynomial values `v` (the weight excluded).
    /// Unit coefficients and the product's first factor cost no multiplication (this is the
    /// general kernel's inner loop).
    pub fn combine(&self, values: &[F]) -> F {
        self.terms
            .iter()
            .map(|t| {
                let mut factors = t.factors.iter().map(|&j| values[j]);
                let first = factors.next().unwrap_or(F::ONE);
                let product = factors.fold(first, |acc, v| acc * v);
                if t.coeff.is_one() {
                    product
                } else {
                    t.coeff * product
                }
            })
            .sum()
    }

    /// The weight at `x` (one if there is none).
    pub fn weight_at(&self, x: &[F]) -> F {
        self.weight.as_ref().map_or(F::ONE, |w| w.evaluate(x))
    }
}

/// What a kernel pass does: evaluate the first round, fold and evaluate the next, or (rarely)
/// evaluate the factored summand at `X = 1`.
enum Op<'a, F> {
    Evaluate,
    Fold {
        tables: &'a mut [Vec<F>],
        m: usize,
        r: F,
    },
    AtOne,
}

/// Most tables one instance may have (polynomials plus the weight).
pub const MAX_TABLES: usize = 8;

/// Highest round-polynomial degree an instance may have.
pub const MAX_DEGREE: usize = 8;

/// Calls `$body` with a const `$n` equal to `$len` (1..=MAX_TABLES; checked at construction).
macro_rules! dispatch {
    ($len:expr, $n:ident => $body:expr) => {
        match $len {
            1 => {
                const $n: usize = 1;
                $body
            }
            2 => {
                const $n: usize = 2;
                $body
            }
            3 => {
                const $n: usize = 3;
                $body
            }
            4 => {
                const $n: usize = 4;
                $body
            }
            5 => {
                const $n: usize = 5;
                $body
            }
            6 => {
                const $n: usize = 6;
                $body
            }
            7 => {
                const $n: usize = 7;
                $body
            }
            _ => {
                const $n: usize = MAX_TABLES;
                $body
            }
        }
    };
}

/// How the prover evaluates the summand at one hypercube point; chosen once per instance so the
/// common forms skip the generic term loop.
#[derive(Clone, Copy, Debug)]
enum Kernel<F> {
    /// `Σ c·a`: a single table (an `eq`-weighted `Σ eq·c·a` with the weight factored out).
    Single(F),
    /// `Σ c·a·b`, or `Σ w·c·a` with a tabled weight (degree 2).
    Pair(F),
    /// `Σ w·c·a·b` with a tabled weight (degree 3).
    WeightedPair(F),
    /// `Σ w·(a·d + b·c + λ·c·d)` over `[a, b, c, d]`: a layer of a fractional-sum tree
    /// (`p0·q1 + p1·q0 + λ·q0·q1`). The tables hold `a + μ·c` and `b + μ·d` in place of `a` and
    /// `b`, with `μ = λ/2` (this field holds `μ`): the summand is then `a'·d + b'·c`, two
    /// unreduced products instead of three and a reduced one, at every pair of every round. The
    /// change is linear, so folds commute with it; [`ProductSum::final_evals`] undoes it.
    Fraction(F),
    /// `Σ w·(b + a + λ·a·b)` over `[a, b]`: the same at leaves whose numerators are all one.
    UnitFraction(F),
    /// Anything else.
    General,
}

impl<F> Kernel<F> {
    /// Whether the kernel's summand is one homogeneous form, so the last round slot can hold
    /// its leading coefficient (see [`accumulate`]).
    fn leading(&self) -> bool {
        !matches!(self, Kernel::General | Kernel::UnitFraction(_))
    }
}

/// The fractional-layer kernel `shape` matches, if any (weight factored, so tables = polys); a
/// dense layer's kernel holds `μ = λ/2` ([`Kernel::Fraction`]).
fn fraction_kernel<F: KaizenField>(shape: &SumcheckShape<F>) -> Option<Kernel<F>> {
    let t = &shape.terms;
    let unit = |k: usize| t[k].coeff.is_one();
    match (shape.num_polys, t.len()) {
        (4, 3)
            if unit(0)
                && unit(1)
                && t[0].factors == [0, 3]
                && t[1].factors == [1, 2]
                && t[2].factors == [2, 3] =>
        {
            F::from(2u64)
                .inverse()
                .map(|half| Kernel::Fraction(t[2].coeff * half))
        }
        (2, 3)
            if unit(0)
                && unit(1)
                && t[0].factors == [1]
                && t[1].factors == [0]
                && t[2].factors == [0, 1] =>
        {
            Some(Kernel::UnitFraction(t[2].coeff))
        }
        _ => None,
    }
}

/// A weight `eq(r, x)` kept factored instead of tabled (Gruen's trick, ePrint 2024/108 §3.2): with
/// `v` variables unbound, `eq(r, x) = scale · eq(r_{v−1}, x_{v−1}) · eq(r_0..r_{v−2}, x_0..x_{v−2})`,
/// where `scale` collects the bound variables' factors. The prover sums the unweighted summand
/// against the table `rest` of the last factor (half the size, folded by additions), which gives a
/// polynomial `t` of one degree less; the round polynomial is `scale · eq(r_{v−1}, X) · t(X)`, and
/// `t(1)` follows from the running claim. Per hypercube pair this saves one evaluation point and
/// the weight table's fold.
#[derive(Clone, Debug)]
struct EqFactor<F> {
    point: Vec<F>,
    rest: Vec<F>,
    scale: F,
}

/// The prover's side of one sumcheck instance: the shape and the polynomials' tables (plus the
/// table of a multi-point weight; an `eq` weight stays factored, Gruen-style), folded in place
/// as variables are bound.
///
/// The prover binds the **highest-order** variable first: `t[i] ← t[i] + r·(t[i + m] − t[i])` for
/// `i < m` needs no second buffer and splits across threads trivially, and each bind also computes
/// the next round's evaluations in the same pass over memory. Claims are still reported with
/// `x_0` first. The tables are consumed: nothing is copied or allocated after construction,
/// which matters on machines where first-touch page faults are expensive.
#[derive(Clone, Debug)]
pub struct ProductSum<F: KaizenField> {
    shape: SumcheckShape<F>,
    tables: Vec<Vec<F>>,
    kernel: Kernel<F>,
    /// A factored `eq` weight (then not among `tables`).
    eq: Option<EqFactor<F>>,
    num_vars: usize,
    /// Round evaluations at `0, 2, …, d` computed by a fused bind (index 1 unused).
    next: Option<Vec<F>>,
}

/// Per-table slices one worker folds in place: `lo[i] ← lerp(lo[i], hi[i])` for both quarters.
struct Quarters<'a, F> {
    q0: &'a mut [F],
    q1: &'a mut [F],
    q2: &'a [F],
    q3: &'a [F],
}

impl<F: KaizenField> ProductSum<F> {
    /// An instance with the polynomials' hypercube tables (each of length `2^shape.num_vars`).
    pub fn new(shape: SumcheckShape<F>, polys: Vec<Vec<F>>) -> Result<Self, SumcheckError> {
        shape.check()?;
        if polys.len() != shape.num_polys {
            return Err(SumcheckError::Shape(
                "number of tables differs from num_polys",
            ));
        }
        let len = 1usize << shape.num_vars;
        if let Some((table, p)) = polys.iter().enumerate().find(|(_, p)| p.len() != len) {
            return Err(SumcheckError::TableLength {
                instance: 0,
                table,
                expected: len,
                got: p.len(),
            });
        }
        let single_term = shape.terms.len() == 1;
        let pair = single_term && shape.num_polys == 2 && shape.terms[0].factors == [0, 1];
        // `Σ w·c·a` is a pair product once the weight's table is appended.
        let weighted_one = single_term && shape.num_polys == 1 && shape.terms[0].factors == [0];
        let coeff = shape.terms[0].coeff;
        let eq = match &shape.weight {
            Some(Weight::Eq(r)) if shape.num_vars > 0 => Some(EqFactor {
                point: r.clone(),
                rest: eq_table(&r[..r.len() - 1]),
                scale: F::ONE,
            }),
            _ => None,
        };
        let tabled_weight = shape.weight.is_some() && eq.is_none();
        let kernel = match (pair, weighted_one, tabled_weight) {
            (true, _, false) | (_, true, true) => Kernel::Pair(coeff),
            (true, _, true) => Kernel::WeightedPair(coeff),
            (_, true, false) => Kernel::Single(coeff),
            _ => match (tabled_weight, fraction_kernel(&shape)) {
                (false, Some(k)) => k,
                _ => Kernel::General,
            },
        };
        let mut tables = polys;
        if tabled_weight {
            tables.extend(shape.weight.as_ref().map(Weight::table));
        }
        if let Kernel::Fraction(mu) = kernel {
            shift_numerators(&mut tables, mu);
        }
        Ok(Self {
            num_vars: shape.num_vars,
            shape,
            tables,
            kernel,
            eq,
            next: None,
        })
    }

    /// The same instance with its `eq` weight multiplied by `scale`: for a prover that bound
    /// earlier variables of a larger `eq`-weighted sum itself (`scale` is their `eq` factor) and
    /// goes on with this instance over the folded tables. An error for an instance whose weight
    /// is not a factored `eq`.
    pub fn with_eq_scale(mut self, scale: F) -> Result<Self, SumcheckError> {
        let eq = self
            .eq
            .as_mut()
            .ok_or(SumcheckError::Shape("no factored eq weight to scale"))?;
        eq.scale *= scale;
        Ok(self)
    }

    /// Degree of the polynomial the kernels evaluate: the round degree, less one with a factored
    /// `eq`.
    fn kernel_degree(&self) -> usize {
        self.shape.degree() - usize::from(self.eq.is_some())
    }

    /// The public statement.
    pub fn shape(&self) -> &SumcheckShape<F> {
        &self.shape
    }

    /// Variables not bound yet.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// The current round polynomial at `0, 1, …, degree`, given the running claim `s(0) + s(1)`.
    /// `degree` may exceed the shape's degree (batching): the extra evaluations are extrapolated.
    pub fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F> {
        let own = self.shape.degree();
        let d = self.kernel_degree();
        let mut evals = match self.next.take() {
            Some(e) => e,
            None => self.evaluate_round(),
        };
        // With a factored eq: s(0) = scale·(1 − r_c)·t(0) and s(1) = scale·r_c·t(1).
        let factor = self.eq.as_ref().map(|eq| {
            let rc = eq.point[self.num_vars - 1];
            (eq.scale, rc)
        });
        evals[1] = match factor {
            None => claim - evals[0],
            Some((scale, rc)) => {
                let s0 = scale * (F::ONE - rc) * evals[0];
                match (scale * rc).inverse() {
                    Some(inv) => (claim - s0) * inv,
                    None => self.with_summand_n(Op::AtOne)[0],
                }
            }
        };
        if self.kernel.leading() && d >= 2 {
            // Slot `d` holds the leading coefficient L: s(d) = q(d) + L·d!, where q is the
            // degree-(d−1) interpolant of s(0), …, s(d − 1).
            let lead = evals[d];
            let factorial: F = (1..=d as u64).map(F::from).product();
            evals[d] = crate::RoundPoly::next_node(&evals[..d]) + lead * factorial;
        }
        if let Some((scale, rc)) = factor {
            crate::RoundPoly::extend_to(&mut evals, own);
            crate::RoundPoly::times_eq(&mut evals, rc, scale);
        }
        crate::RoundPoly::extend_to(&mut evals, degree);
        evals
    }

    /// Binds the current highest-order variable to `r`, folding every table in place and, in the
    /// same pass, computing the next round's evaluations.
    /// Does nothing once every variable is bound.
    pub fn bind(&mut self, r: F) {
        if self.num_vars == 0 {
            return;
        }
        let m = self.tables[0].len() / 2;
        if let Some(eq) = &mut self.eq {
            let rc = eq.point[self.num_vars - 1];
            eq.scale *= rc * r + (F::ONE - rc) * (F::ONE - r);
            // Sum the next variable out of `rest`: eq(r_k, 0) + eq(r_k, 1) = 1.
            let q = eq.rest.len() / 2;
            if q > 0 {
                let (lo, hi) = eq.rest.split_at_mut(q);
                lo.par_iter_mut()
                    .with_min_len(PAR_MIN_LEN)
                    .zip(&*hi)
                    .for_each(|(a, &b)| *a += b);
                eq.rest.truncate(q);
            }
        }
        let mut tables = std::mem::take(&mut self.tables);
        self.next = if m >= 2 {
            Some(self.fold_and_evaluate(&mut tables, m, r))
        } else {
            for t in tables.iter_mut() {
                t[0] = F::lerp(t[0], t[1], r);
            }
            None
        };
        for t in tables.iter_mut() {
            t.truncate(m);
        }
        self.tables = tables;
        self.num_vars -= 1;
    }

    /// Round evaluations at `0, 2, …, d` of the first round.
    fn evaluate_round(&self) -> Vec<F> {
        self.with_summand_n(Op::Evaluate)
    }

    /// Fused fold of every table by `r` and the next round's evaluations.
    fn fold_and_evaluate(&self, tables: &mut [Vec<F>], m: usize, r: F) -> Vec<F> {
        self.with_summand_n(Op::Fold { tables, m, r })
    }

    fn with_summand_n(&self, op: Op<'_, F>) -> Vec<F> {
        let len = match &op {
            Op::Fold { tables, .. } => tables.len(),
            _ => self.tables.len(),
        };
        dispatch!(len, N => self.with_summand::<N>(op))
    }

    /// Runs `op` with the summand `f` and, for a `LEADING` kernel, `lead`: the summand's leading
    /// form at the differences `hi − lo` of a pair.
    fn run<const N: usize, const LEADING: bool>(
        &self,
        op: Op<'_, F>,
        f: impl Fn(&mut F::Acc, &[F; N]) + Sync,
        lead: impl Fn(&mut F::Acc, &[F; N], &[F; N]) + Sync,
    ) -> Vec<F> {
        let rest = self.eq.as_ref().map(|eq| eq.rest.as_slice());
        let s = Summand { f, lead };
        match (op, rest) {
            (Op::Evaluate, None) => self.evaluate_round_n::<N, LEADING, false>(&[], &s),
            (Op::Evaluate, Some(w)) => self.evaluate_round_n::<N, LEADING, true>(w, &s),
            (Op::Fold { tables, m, r }, None) => {
                self.fold_and_evaluate_n::<N, LEADING, false>(tables, m, r, &[], &s)
            }
            (Op::Fold { tables, m, r }, Some(w)) => {
                self.fold_and_evaluate_n::<N, LEADING, true>(tables, m, r, w, &s)
            }
            (Op::AtOne, w) => vec![self.at_one_n(w.unwrap_or(&[]), &s.f)],
        }
    }

    /// [`Self::run`] with the leading form taken as the summand at the (reduced) differences.
    fn run_at_differences<const N: usize, const LEADING: bool>(
        &self,
        op: Op<'_, F>,
        f: impl Fn(&mut F::Acc, &[F; N]) + Sync,
    ) -> Vec<F> {
        let lead = |acc: &mut F::Acc, lo: &[F; N], hi: &[F; N]| {
            f(acc, &std::array::from_fn(|t| hi[t] - lo[t]))
        };
        self.run::<N, LEADING>(op, &f, lead)
    }

    /// `Σ_i w_i·f(hi_i)`: the factored summand at `X = 1`, for the round where `scale·r_c`
    /// vanishes and the running claim does not determine it.
    fn at_one_n<const N: usize>(
        &self,
        rest: &[F],
        f: &(impl Fn(&mut F::Acc, &[F; N]) + Sync),
    ) -> F {
        let m = self.tables[0].len() / 2;
        (0..m)
            .into_par_iter()
            .with_min_len(PAR_MIN_LEN)
            .fold(F::Acc::default, |mut acc, i| {
                let hi = std::array::from_fn(|t| self.tables[t][i + m]);
                add_weighted::<F, true>(&mut acc, rest[i], |a| f(a, &hi));
                acc
            })
            .reduce(F::Acc::default, |mut acc, other| {
                acc.merge(other);
                acc
            })
            .reduce()
    }

    /// Picks the summand for this instance's kernel and applies the kernel's coefficient (which
    /// the fast kernels factor out of the sum) to the result.
    fn with_summand<const N: usize>(&self, op: Op<'_, F>) -> Vec<F> {
        let (mut evals, coeff) = match self.kernel {
            Kernel::Single(c) => (
                self.run_at_differences::<N, true>(op, |acc: &mut F::Acc, v: &[F; N]| {
                    acc.add(v[0])
                }),
                c,
            ),
            // The products' leading forms take the pair's differences unreduced
            // (`Accumulator::add_product_of_differences`).
            Kernel::Pair(c) => (
                self.run::<N, true>(
                    op,
                    |acc: &mut F::Acc, v: &[F; N]| acc.add_product(v[0], v[N - 1]),
                    |acc: &mut F::Acc, lo: &[F; N], hi: &[F; N]| {
                        acc.add_product_of_differences((lo[0], hi[0]), (lo[N - 1], hi[N - 1]))
                    },
                ),
                c,
            ),
            Kernel::WeightedPair(c) => (
                self.run_at_differences::<N, true>(op, |acc: &mut F::Acc, v: &[F; N]| {
                    acc.add_product(v[0] * v[1], v[N - 1])
                }),
                c,
            ),
            Kernel::Fraction(_) => (
                self.run::<N, true>(
                    op,
                    |acc: &mut F::Acc, v: &[F; N]| {
                        acc.add_product(v[0], v[3]);
                        acc.add_product(v[1], v[2]);
                    },
                    |acc: &mut F::Acc, lo: &[F; N], hi: &[F; N]| {
                        acc.add_product_of_differences((lo[0], hi[0]), (lo[3], hi[3]));
                        acc.add_product_of_differences((lo[1], hi[1]), (lo[2], hi[2]));
                    },
                ),
                F::ONE,
            ),
            Kernel::UnitFraction(l) => (
                self.run_at_differences::<N, false>(op, |acc: &mut F::Acc, v: &[F; N]| {
                    acc.add(v[1]);
                    acc.add(v[0]);
                    acc.add_product(l * v[0], v[1]);
                }),
                F::ONE,
            ),
            Kernel::General => {
                let np = self.shape.num_polys;
                let f = |acc: &mut F::Acc, v: &[F; N]| {
                    let x = self.shape.combine(v);
                    if N > np {
                        acc.add_product(x, v[N - 1]);
                    } else {
                        acc.add(x);
                    }
                };
                (self.run_at_differences::<N, false>(op, f), F::ONE)
            }
        };
        if coeff != F::ONE {
            evals.iter_mut().for_each(|e| *e *= coeff);
        }
        evals
    }

    /// Round evaluations at `0, 2, …, d` from the current tables (first round only; later rounds
    /// come from the fused bind).
    fn evaluate_round_n<const N: usize, const LEADING: bool, const W: bool>(
        &self,
        rest: &[F],
        f: &Summand<
            impl Fn(&mut F::Acc, &[F; N]) + Sync,
            impl Fn(&mut F::Acc, &[F; N], &[F; N]) + Sync,
        >,
    ) -> Vec<F> {
        let degree = self.kernel_degree();
        let m = self.tables[0].len() / 2;
        let tables: [&[F]; N] = std::array::from_fn(|t| self.tables[t].as_slice());
        let chunk = job_size(m);
        // A streaming pass: hints only where the tables outgrow the last-level cache (decided
        // once, outside the loop: a test inside it cost 7 % at 2^22).
        let ahead = read_bytes::<F, N>(m) >= PREFETCH_MIN_BYTES;
        let acc = (0..m.div_ceil(chunk))
            .into_par_iter()
            .map(|j| {
                let range = j * chunk..((j + 1) * chunk).min(m);
                if ahead {
                    round_sums::<F, N, LEADING, W, true>(&tables, range, rest, degree, f)
                } else {
                    round_sums::<F, N, LEADING, W, false>(&tables, range, rest, degree, f)
                }
            })
            .reduce(|| [F::Acc::default(); MAX_DEGREE + 1], merge_arrays::<F>);
        acc[..=degree].iter().map(|a| a.reduce()).collect()
    }

    fn fold_and_evaluate_n<const N: usize, const LEADING: bool, const W: bool>(
        &self,
        tables: &mut [Vec<F>],
        m: usize,
        r: F,
        rest: &[F],
        f: &Summand<
            impl Fn(&mut F::Acc, &[F; N]) + Sync,
            impl Fn(&mut F::Acc, &[F; N], &[F; N]) + Sync,
        >,
    ) -> Vec<F> {
        let degree = self.kernel_degree();
        let q = m / 2;
        let chunk = job_size(q);
        let mut jobs: Vec<Vec<Quarters<'_, F>>> = (0..q.div_ceil(chunk))
            .map(|_| Vec::with_capacity(N))
            .collect();
        for t in tables.iter_mut() {
            let (lo, hi) = t.split_at_mut(m);
            let (q0, q1) = lo.split_at_mut(q);
            let (q2, q3) = hi.split_at(q);
            let parts = q0
                .chunks_mut(chunk)
                .zip(q1.chunks_mut(chunk))
                .zip(q2.chunks(chunk))
                .zip(q3.chunks(chunk));
            for (job, (((q0, q1), q2), q3)) in jobs.iter_mut().zip(parts) {
                job.push(Quarters { q0, q1, q2, q3 });
            }
        }
        let acc = jobs
            .into_par_iter()
            .enumerate()
            .map(|(j, mut job)| {
                let mut acc = [F::Acc::default(); MAX_DEGREE + 1];
                let len = job[0].q0.len();
                // Fold a block of every table (vector lanes where the field has them), then
                // evaluate on it while it is in the cache.
                for start in (0..len).step_by(FOLD_BLOCK) {
                    let end = (start + FOLD_BLOCK).min(len);
                    for part in job.iter_mut() {
                        F::lerp_in_place(&mut part.q0[start..end], &part.q2[start..end], r);
                        F::lerp_in_place(&mut part.q1[start..end], &part.q3[start..end], r);
                    }
                    for i in start..end {
                        // The next block's entries, while this one is evaluated (at every size:
                        // measured no slower on cache-sized tables, faster from L3-sized ones).
                        if i % line_entries::<F>() == 0 {
                            for part in &job {
                                prefetch(part.q0, i + FOLD_BLOCK);
                                prefetch(part.q1, i + FOLD_BLOCK);
                                prefetch(part.q2, i + FOLD_BLOCK);
                                prefetch(part.q3, i + FOLD_BLOCK);
                            }
                        }
                        let lo = std::array::from_fn(|t| job[t].q0[i]);
                        let hi = std::array::from_fn(|t| job[t].q1[i]);
                        let w = if W { rest[j * chunk + i] } else { F::ONE };
                        accumulate::<F, N, LEADING, W>(&mut acc, &lo, &hi, degree, w, f);
                    }
                }
                acc
            })
            .reduce(|| [F::Acc::default(); MAX_DEGREE + 1], merge_arrays::<F>);
        acc[..=degree].iter().map(|a| a.reduce()).collect()
    }

    /// The polynomials' values at the bound point (after all variables are bound).
    pub fn final_evals(&self) -> Vec<F> {
        let mut evals: Vec<F> = self.tables[..self.shape.num_polys]
            .iter()
            .filter_map(|t| t.first().copied())
            .collect();
        if let (Kernel::Fraction(mu), [a, b, c, d]) = (&self.kernel, evals.as_mut_slice()) {
            *a -= *mu * *c;
            *b -= *mu * *d;
        }
        evals
    }
}

/// `[a, b, c, d] ← [a + μ·c, b + μ·d, c, d]`: a fraction layer's numerator tables shifted so
/// that its summand `a·d + b·c + 2μ·c·d` becomes `a'·d + b'·c` ([`Kernel::Fraction`]).
fn shift_numerators<F: KaizenField>(tables: &mut [Vec<F>], mu: F) {
    if let [a, b, c, d] = tables {
        for (p, q) in [(a, &*c), (b, &*d)] {
            p.par_iter_mut()
                .with_min_len(PAR_MIN_LEN)
                .zip(q.par_iter())
                .for_each(|(x, &y)| *x += mu * y);
        }
    }
}

/// Entries of each table the fused fold binds before it evaluates them (they stay in the cache).
const FOLD_BLOCK: usize = 128;

/// The round sums of the pairs `(i, i + m)`, `i ∈ range`, of `N` tables of `2m` entries; with
/// `AHEAD`, asking for every table's entries ahead of the reads ([`prefetch_ahead`]).
fn round_sums<
    F: KaizenField,
    const N: usize,
    const LEADING: bool,
    const W: bool,
    const AHEAD: bool,
>(
    tables: &[&[F]; N],
    range: std::ops::Range<usize>,
    rest: &[F],
    degree: usize,
    f: &Summand<
        impl Fn(&mut F::Acc, &[F; N]) + Sync,
        impl Fn(&mut F::Acc, &[F; N], &[F; N]) + Sync,
    >,
) -> [F::Acc; MAX_DEGREE + 1] {
    let m = tables[0].len() / 2;
    let mut acc = [F::Acc::default(); MAX_DEGREE + 1];
    for i in range {
        if AHEAD {
            for t in tables {
                prefetch_ahead(t, i);
                prefetch_ahead(t, i + m);
            }
        }
        let lo = std::array::from_fn(|t| tables[t][i]);
        let hi = std::array::from_fn(|t| tables[t][i + m]);
        let w = if W { rest[i] } else { F::ONE };
        accumulate::<F, N, LEADING, W>(&mut acc, &lo, &hi, degree, w, f);
    }
    acc
}

/// Bytes a pass over `N` tables of `2m` entries reads.
fn read_bytes<F, const N: usize>(m: usize) -> usize {
    N.saturating_mul(2 * m)
        .saturating_mul(std::mem::size_of::<F>())
}

/// Items per rayon job for a pass over `len` items: at least [`PAR_MIN_LEN`], and about eight
/// jobs per thread for load balance.
fn job_size(len: usize) -> usize {
    PAR_MIN_LEN.max(len.div_ceil(8 * rayon::current_num_threads()))
}

fn merge_arrays<F: KaizenField>(
    mut a: [F::Acc; MAX_DEGREE + 1],
    b: [F::Acc; MAX_DEGREE + 1],
) -> [F::Acc; MAX_DEGREE + 1] {
    a.iter_mut().zip(b).for_each(|(x, y)| x.merge(y));
    a
}

/// A kernel's summand `f` at one point, and its leading form `lead` at a pair `(lo, hi)`: the
/// summand at `hi − lo`, which a field's accumulator may compute from the differences without
/// reducing them ([`Accumulator::add_product_of_differences`]).
struct Summand<S, L> {
    f: S,
    lead: L,
}

/// Adds what `add` adds to `acc`, times `w` with `W` (then reduced once before the product).
#[inline(always)]
fn add_weighted<F: KaizenField, const W: bool>(
    acc: &mut F::Acc,
    w: F,
    add: impl FnOnce(&mut F::Acc),
) {
    if W {
        let mut value = F::Acc::default();
        add(&mut value);
        acc.add_product(w, value.reduce());
    } else {
        add(acc);
    }
}

/// Adds the pair `(lo, hi)`'s contribution at `X = 0, 2, …, degree` to `acc` (index 1 is left for
/// the caller, who derives `s(1)` from the running claim). With `LEADING`, the summand is one
/// homogeneous form in the tables (a single product, or the fraction layer's three products), so
/// the leading coefficient of `X ↦ f(lo + X·(hi − lo))` is `f(hi − lo)` (the kernel's `lead`):
/// slot `degree` then accumulates that coefficient instead of `s(degree)`, which saves the
/// additions for the last point ([`ProductSum::round_evals`] recovers `s(degree)`). With `W`,
/// every value is multiplied by the pair's weight `w` (a factored `eq`'s `rest` entry). Sums stay
/// unreduced in `acc` until the pass ends.
#[inline(always)]
fn accumulate<F: KaizenField, const N: usize, const LEADING: bool, const W: bool>(
    acc: &mut [F::Acc; MAX_DEGREE + 1],
    lo: &[F; N],
    hi: &[F; N],
    degree: usize,
    w: F,
    s: &Summand<
        impl Fn(&mut F::Acc, &[F; N]) + Sync,
        impl Fn(&mut F::Acc, &[F; N], &[F; N]) + Sync,
    >,
) {
    add_weighted::<F, W>(&mut acc[0], w, |a| (s.f)(a, lo));
    if degree < 2 {
        return;
    }
    let last = if LEADING {
        add_weighted::<F, W>(&mut acc[degree], w, |a| (s.lead)(a, lo, hi));
        degree - 1
    } else {
        degree
    };
    if last < 2 {
        return;
    }
    let diff: [F; N] = std::array::from_fn(|t| hi[t] - lo[t]);
    let mut cur: [F; N] = std::array::from_fn(|t| hi[t] + diff[t]);
    add_weighted::<F, W>(&mut acc[2], w, |a| (s.f)(a, &cur));
    for a in acc.iter_mut().take(last + 1).skip(3) {
        cur.iter_mut().zip(&diff).for_each(|(c, d)| *c += d);
        add_weighted::<F, W>(a, w, |acc| (s.f)(acc, &cur));
    }
}

#[cfg(test)]
mod tests {
    use kaizen_field::{AdditiveGroup, Field, M61Ext2};

    use super::*;

    type F = M61Ext2;

    /// `Weight::EqSum` tables `Σ c_k·eq(p_k, x)` exactly as the dense sum over every `x`.
    fn assert_table_is_dense_sum(points: Vec<Vec<F>>) {
        let n = points[0].len();
        let coeffs: Vec<F> = (0..points.len() as u64)
            .map(|k| F::from(11 + 2 * k))
            .collect();
        let dense: Vec<F> = (0..1 << n)
            .map(|x| {
                let bits = kaizen_field::mle::index_bits(x, n);
                points
                    .iter()
                    .zip(&coeffs)
                    .map(|(p, &c)| c * eq_eval(p, &bits).unwrap())
                    .sum()
            })
            .collect();
        assert_eq!(Weight::EqSum { points, coeffs }.table(), dense);
    }

    /// Tables past [`PREFETCH_MIN_BYTES`] take the first round's prefetching pass: its sums are
    /// the direct ones (`s(0)`, `s(1)`, `s(2)` of `Σ a·b`), and so are the next round's.
    #[test]
    fn large_tables_take_the_prefetching_pass() {
        let n = 21;
        let (len, m) = (1usize << n, 1usize << (n - 1));
        assert!(read_bytes::<F, 2>(m) >= PREFETCH_MIN_BYTES);
        let entry = |i: usize, k: u64| F::new((i as u64 * k + 5).into(), (i as u64 ^ k).into());
        let a: Vec<F> = (0..len).map(|i| entry(i, 0x9e37_79b9)).collect();
        let b: Vec<F> = (0..len).map(|i| entry(i, 0x85eb_ca6b)).collect();
        let sums = |a: &[F], b: &[F]| {
            let (lo, hi) = (a.len() / 2, a.len());
            let at_two =
                |t: &[F]| -> Vec<F> { (0..lo).map(|i| t[i + lo].double() - t[i]).collect() };
            [
                kaizen_field::inner_product(&a[..lo], &b[..lo]),
                kaizen_field::inner_product(&a[lo..hi], &b[lo..hi]),
                kaizen_field::inner_product(&at_two(a), &at_two(b)),
            ]
        };
        let claim = kaizen_field::inner_product(&a, &b);
        let mut inst = ProductSum::new(
            SumcheckShape::<F>::product(n, 2),
            vec![a.clone(), b.clone()],
        )
        .unwrap();
        assert_eq!(inst.round_evals(claim, 2), sums(&a, &b));
        let r = F::from(77u64);
        inst.bind(r);
        let fold = |t: &[F]| -> Vec<F> { (0..m).map(|i| t[i] + r * (t[i + m] - t[i])).collect() };
        let (a1, b1) = (fold(&a), fold(&b));
        let claim = kaizen_field::inner_product(&a1, &b1);
        assert_eq!(inst.round_evals(claim, 2), sums(&a1, &b1));
    }

    /// An instance whose `eq` weight is scaled sends its round polynomials times the scale; one
    /// without a factored `eq` weight cannot be scaled.
    #[test]
    fn eq_scale_multiplies_the_rounds() {
        let f = |x: u64| F::from(x);
        let shape = SumcheckShape::<F>::product(2, 2).with_weight(Weight::Eq(vec![f(3), f(5)]));
        let tables = vec![vec![f(1), f(2), f(3), f(4)], vec![f(7), f(6), f(5), f(9)]];
        let mut plain = ProductSum::new(shape.clone(), tables.clone()).unwrap();
        let mut scaled = ProductSum::new(shape, tables)
            .unwrap()
            .with_eq_scale(f(10))
            .unwrap();
        let claim = plain.round_evals(F::ZERO, 3);
        let sum = claim[0] + claim[1];
        let expected: Vec<F> = claim.iter().map(|&e| e * f(10)).collect();
        assert_eq!(scaled.round_evals(sum * f(10), 3), expected);
        let unweighted = ProductSum::new(SumcheckShape::<F>::product(1, 1), vec![vec![f(1); 2]]);
        assert!(unweighted.unwrap().with_eq_scale(f(2)).is_err());
    }

    /// Points whose high coordinates are boolean (lifted segment claims) fill only their block.
    #[test]
    fn eq_sum_table_with_boolean_suffixes_is_exact() {
        let f = |x: u64| F::from(x);
        assert_table_is_dense_sum(vec![
            vec![f(3), f(5), F::ONE, F::ZERO],
            vec![f(7), F::ZERO, F::ONE, F::ONE],
            vec![f(2), f(9), f(4), f(6)],
            vec![F::ONE, F::ZERO, F::ONE, F::ZERO],
        ]);
    }

    /// Points with boolean coordinates anywhere (sub-cube claims, such as a tensor's padding),
    /// before and after dense points on the same block, and lifted into a block.
    #[test]
    fn eq_sum_table_with_boolean_coordinates_inside_is_exact() {
        let f = |x: u64| F::from(x);
        let (o, z) = (F::ONE, F::ZERO);
        assert_table_is_dense_sum(vec![
            vec![f(3), z, f(5), o, f(8), f(2)],
            vec![f(2), f(9), f(4), f(6), f(10), f(12)],
            vec![o, f(7), z, f(4), o, f(3)],
            vec![f(5), f(6), o, o, f(9), z],
            vec![z, o, f(2), z, z, o],
            vec![f(4), o, f(3), z, o, o],
        ]);
    }
}
