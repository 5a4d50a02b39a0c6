//! GKR for fractional sums (Papini–Haböck 2023, §3): proves `Σ_i p_i/q_i = P/Q` over the `2^n`
//! leaves of each of several trees at once.
//!
//! Layers of one tree: `L_n = (p, q)`; `L_{k−1}[x] = (p[2x]·q[2x+1] + p[2x+1]·q[2x], q[2x]·q[2x+1])`,
//! so the fraction is preserved and `L_0 = (P, Q)`. The prover sends every tree's `L_1` (two
//! fractions); the verifier computes each `(P, Q)` and draws `c`, giving claims on each `L_1`'s
//! MLEs at `(c)`. A claim on `L_k` at `r` becomes, by one degree-3 sumcheck
//!
//! ```text
//!     p_k(r) + λ·q_k(r) = Σ_x eq(r, x)·(p0·q1 + p1·q0 + λ·q0·q1)(x)
//! ```
//!
//! (`p0(x) = p_{k+1}[2x]`, …), claims on the four halves at `ρ`; a fresh `c` merges them into claims
//! on `L_{k+1}` at `(c, ρ)` (the child bit is the low-order variable). After `n − 1` sumchecks the
//! verifier holds claims on the leaf MLEs `p` and `q`. No inverse is ever computed.
//!
//! Trees of different sizes share the challenges: at depth `k` every tree with more than `k`
//! variables has its layer sumcheck in one batch (all over `k` variables, so all trees stand at
//! the same point), and a tree with `n` variables leaves the batch once its leaves are reached.
//! Nothing is padded. A *unit* tree has all numerators one (the looked-up side of logUp): its
//! numerators are neither stored nor claimed, and its leaf layer's summand is
//! `eq·(q1 + q0 + λ·q0·q1)` over two tables instead of four. A *shifted* unit tree
//! ([`Leaves::shifted`]) has leaves `c − v` with `v` a small integer and `c` fixed on blocks (a
//! range lookup's limbs and their table's pole): its leaf layer is kept as integers, and the layer
//! above and the leaf layer's first round are computed from them with products of a field element
//! and an integer, the round as a few integer-weighted sums per block (the summand is a quadratic
//! in `c` with integer coefficients).
use ark_serialize::CanonicalSerialize;
use kaizen_field::{eq_table, Accumulator};
use kaizen_field::{KaizenField, Transcript, PAR_MIN_LEN};
use kaizen_sumcheck::{
    protocol::RoundProver, prove, verify, Claim, ProductSum, RoundPoly, SumcheckProof,
    SumcheckShape, Term, Weight,
};
use rayon::prelude::*;
use tracing::debug_span;

use crate::GkrError;

/// The leaves of one tree: `2^n` numerators (or all one) and denominators, `n ≥ 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaves<F>(Form<F>);

#[derive(Clone, Debug, PartialEq, Eq)]
enum Form<F> {
    Dense {
        numerators: Option<Vec<F>>,
        denominators: Vec<F>,
    },
    Shifted(Shifted<F>),
}

/// Integers of shifted leaves are below `2^SHIFTED_VALUE_BITS` (their products, and those of
/// the first round's extrapolations, fit in 64 bits).
pub const SHIFTED_VALUE_BITS: u32 = 30;

impl<F: KaizenField> Leaves<F> {
    /// Leaves `p_i/q_i`.
    pub fn new(numerators: Vec<F>, denominators: Vec<F>) -> Self {
        Self(Form::Dense {
            numerators: Some(numerators),
            denominators,
        })
    }

    /// Leaves `1/q_i`.
    pub fn unit(denominators: Vec<F>) -> Self {
        Self(Form::Dense {
            numerators: None,
            denominators,
        })
    }

    /// Leaves `1/(c_b − v_i)`: `blocks` are `(length, c_b)` in order, each of even length, and
    /// cover the integers `values` (each below `2^SHIFTED_VALUE_BITS`; at least 8 leaves).
    pub fn shifted(blocks: Vec<(usize, F)>, values: Vec<u64>) -> Self {
        Self(Form::Shifted(Shifted { blocks, values }))
    }

    /// The tree's public shape, or an error for lengths that are not equal powers of two ≥ 2
    /// (shifted leaves: blocks that do not fit, or values out of range).
    pub fn shape(&self) -> Result<TreeShape, GkrError> {
        let (len, p_len) = match &self.0 {
            Form::Dense {
                numerators,
                denominators,
            } => {
                let len = denominators.len();
                (len, numerators.as_ref().map_or(len, Vec::len))
            }
            Form::Shifted(s) => {
                let len = s.values.len();
                let covered: usize = s.blocks.iter().map(|b| b.0).sum();
                if covered != len
                    || len < 8
                    || s.blocks.iter().any(|b| b.0 == 0 || b.0 % 2 == 1)
                    || s.values.iter().any(|v| v >> SHIFTED_VALUE_BITS != 0)
                {
                    return Err(GkrError::Input(format!(
                        "shifted leaves: {len} values below 2^{SHIFTED_VALUE_BITS} in even blocks \
                         covering {covered}, at least 8"
                    )));
                }
                (len, len)
            }
        };
        if p_len != len || len < 2 || !len.is_power_of_two() {
            return Err(GkrError::Input(format!(
                "leaves of lengths {p_len} and {len}"
            )));
        }
        Ok(TreeShape {
            num_vars: len.trailing_zeros() as usize,
            unit: !matches!(
                self.0,
                Form::Dense {
                    numerators: Some(_),
                    ..
                }
            ),
        })
    }
}

/// Shifted unit leaves `c_b − v_i` ([`Leaves::shifted`]).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shifted<F> {
    blocks: Vec<(usize, F)>,
    values: Vec<u64>,
}

impl<F: KaizenField> Shifted<F> {
    /// `(first leaf, pole)` of every block.
    fn starts(&self) -> Vec<(usize, F)> {
        let mut start = 0;
        self.blocks
            .iter()
            .map(|&(len, c)| {
                let at = start;
                start += len;
                (at, c)
            })
            .collect()
    }

    /// The layer above, in halves: entry `x` is `(2c − (a + b), c² − c·(a + b) + a·b)` for the
    /// leaves `c − a`, `c − b` of pair `x`.
    fn parent(&self) -> Halves<F> {
        let starts = self.starts();
        let v = &self.values;
        // Per job: a cursor into the blocks and the current block's `(c, c²)`.
        let init = || (0usize, usize::MAX, F::ZERO, F::ZERO);
        let entry = |(cursor, block, c, c_sq): &mut (usize, usize, F, F), x: usize| {
            let at = block_at(&starts, cursor, 2 * x);
            if at != *block {
                (*block, *c) = (at, starts[at].1);
                *c_sq = c.square();
            }
            let (a, b) = (v[2 * x], v[2 * x + 1]);
            (
                c.double() - F::from_u64(a + b),
                *c_sq - c.mul_u64(a + b) + F::from_u64(a * b),
            )
        };
        let half = |odd: usize| -> (Vec<F>, Vec<F>) {
            (0..v.len() / 4)
                .into_par_iter()
                .with_min_len(PAR_MIN_LEN)
                .map_init(init, |state, y| entry(state, 2 * y + odd))
                .unzip()
        };
        let ((p0, q0), (p1, q1)) = (half(0), half(1));
        Halves {
            p: Some((p0, p1)),
            q: (q0, q1),
        }
    }
}

/// The public shape of one tree: `2^num_vars` leaves, numerators all one if `unit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TreeShape {
    /// log2 of the number of leaves (at least 1).
    pub num_vars: usize,
    /// Whether every numerator is one.
    pub unit: bool,
}

/// A fractional-sum proof: each tree's two fractions under its root, then one batched sumcheck
/// per depth.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct FractionalProof<F: KaizenField> {
    /// Per tree, `p(0), p(1), q(0), q(1)` of its one-variable layer.
    pub tops: Vec<[F; 4]>,
    /// Batched sumchecks for the layers with `1, 2, …, max n − 1` variables.
    pub layers: Vec<SumcheckProof<F>>,
}

/// What a verified fractional sum establishes for one tree: `Σ p_i/q_i = numerator/denominator`,
/// provided the leaf MLEs satisfy the returned claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractionalClaims<F> {
    /// `P`.
    pub numerator: F,
    /// `Q`.
    pub denominator: F,
    /// Claim on the leaf numerators' MLE (none for a unit tree).
    pub p: Option<Claim<F>>,
    /// Claim on the leaf denominators' MLE.
    pub q: Claim<F>,
}

/// The summand of one layer sumcheck over `eq(r, ·)`: `p0·q1 + p1·q0 + λ·q0·q1` over
/// `[p0, p1, q0, q1]`, or, at a unit tree's leaves, `q1 + q0 + λ·q0·q1` over `[q0, q1]`.
fn layer_shape<F: KaizenField>(r: &[F], lambda: F, unit_leaves: bool) -> SumcheckShape<F> {
    let term = |coeff, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    let (num_polys, terms) = if unit_leaves {
        let terms = vec![
            term(F::ONE, &[1]),
            term(F::ONE, &[0]),
            term(lambda, &[0, 1]),
        ];
        (2, terms)
    } else {
        let terms = vec![
            term(F::ONE, &[0, 3]),
            term(F::ONE, &[1, 2]),
            term(lambda, &[2, 3]),
        ];
        (4, terms)
    };
    SumcheckShape {
        num_vars: r.len(),
        num_polys,
        terms,
        weight: Some(Weight::Eq(r.to_vec())),
    }
}

/// One layer held as its even- and odd-indexed halves, `(L[2x], L[2x+1])`: the layer sumcheck's
/// tables as they are (the child bit is the low-order variable), and its parent's entry `x` a
/// function of entry `x` of each half.
struct Halves<F> {
    /// Numerators, `None` where all are one.
    p: Option<(Vec<F>, Vec<F>)>,
    q: (Vec<F>, Vec<F>),
}

impl<F: KaizenField> Halves<F> {
    fn of(numerators: Option<&[F]>, denominators: &[F]) -> Self {
        Self {
            p: numerators.map(split),
            q: split(denominators),
        }
    }

    /// Entries per half.
    fn len(&self) -> usize {
        self.q.0.len()
    }

    /// Entry `x` of the parent layer: `(p0·q1 + p1·q0, q0·q1)`, or `(q0 + q1, q0·q1)` for unit
    /// numerators.
    fn parent_entry(&self, x: usize) -> (F, F) {
        let (q0, q1) = (self.q.0[x], self.q.1[x]);
        match &self.p {
            Some((p0, p1)) => (p0[x] * q1 + p1[x] * q0, q0 * q1),
            None => (q0 + q1, q0 * q1),
        }
    }

    /// The parent layer, written straight into its halves.
    fn parent(&self) -> Self {
        let half = |odd: usize| -> (Vec<F>, Vec<F>) {
            (0..self.len() / 2)
                .into_par_iter()
                .with_min_len(PAR_MIN_LEN)
                .map(|y| self.parent_entry(2 * y + odd))
                .unzip()
        };
        let ((p0, q0), (p1, q1)) = (half(0), half(1));
        Self {
            p: Some((p0, p1)),
            q: (q0, q1),
        }
    }
}

/// One layer of a tree as the prover keeps it: in halves, or (a shifted tree's leaves) as
/// integers.
enum Layer<F> {
    Dense(Halves<F>),
    Shifted(Shifted<F>),
}

impl<F: KaizenField> Layer<F> {
    fn of(leaves: Leaves<F>) -> Self {
        match leaves.0 {
            Form::Dense {
                numerators,
                denominators,
            } => Layer::Dense(Halves::of(numerators.as_deref(), &denominators)),
            Form::Shifted(s) => Layer::Shifted(s),
        }
    }

    /// Entries per half.
    fn len(&self) -> usize {
        match self {
            Layer::Dense(h) => h.len(),
            Layer::Shifted(s) => s.values.len() / 2,
        }
    }

    fn parent(&self) -> Self {
        Layer::Dense(match self {
            Layer::Dense(h) => h.parent(),
            Layer::Shifted(s) => s.parent(),
        })
    }
}

/// The prover of one tree's layer sumcheck: [`ProductSum`] over the layer's halves, or a shifted
/// leaf layer's first round on the integers ([`ShiftedRound`]), a [`ProductSum`] once it is bound.
enum LayerProver<F: KaizenField> {
    Dense(ProductSum<F>),
    Shifted(Box<ShiftedRound<F>>),
    /// The instance after a bind that could not continue (its final values are missing, which the
    /// caller reports).
    Failed,
}

/// The first round of a shifted leaf layer's sumcheck `Σ_x eq(r, x)·(q0 + q1 + λ·q0·q1)(x)`
/// (`q0(x)`, `q1(x)` the leaves `2x`, `2x + 1`; the highest variable bound first, pairing `x`
/// with `x + m`). Over a run of `x` where the poles `c` of leaf `2x` and `c'` of leaf
/// `2x + 2m` are fixed, with `q(X) = C_X − A_X`, `C_X = (1 − X)·c + X·c'` and `A_X` the same
/// line through the integers, the summand is
/// `(2C + λC²) − (1 + λC)·(A + B) + λ·A·B`: the run needs `Σ w`, `Σ w·(a + b)`, `Σ w·(a' + b')`,
/// `Σ w·a·b`, `Σ w·a'·b'` and `Σ w·(a'·b + a·b')` for `w` the `eq` weight of the lower variables
/// — integer-weighted sums — for `t(0)`, `t(1)`, `t(2)`.
struct ShiftedRound<F: KaizenField> {
    leaves: Shifted<F>,
    point: Vec<F>,
    lambda: F,
}

impl<F: KaizenField> ShiftedRound<F> {
    /// `t(0), t(1), t(2)` of the round's polynomial without its `eq(r_top, X)` factor, over
    /// chunks of `x` in parallel.
    fn evaluate(&self) -> [F; 3] {
        let k = self.point.len();
        let m = 1usize << (k - 1);
        let rest = eq_table(&self.point[..k - 1]);
        let starts = self.leaves.starts();
        (0..m.div_ceil(PAR_MIN_LEN))
            .into_par_iter()
            .map(|chunk| {
                let range = chunk * PAR_MIN_LEN..((chunk + 1) * PAR_MIN_LEN).min(m);
                self.evaluate_range(&starts, &rest, range)
            })
            .reduce(
                || [F::ZERO; 3],
                |a, b| [a[0] + b[0], a[1] + b[1], a[2] + b[2]],
            )
    }

    /// [`ShiftedRound::evaluate`] over `x ∈ range`, run by run.
    fn evaluate_range(
        &self,
        starts: &[(usize, F)],
        rest: &[F],
        range: std::ops::Range<usize>,
    ) -> [F; 3] {
        let m = rest.len();
        let v = &self.leaves.values;
        let lambda = self.lambda;
        let (mut lo_cursor, mut hi_cursor) = (0, 0);
        let mut t = [F::ZERO; 3];
        let mut x = range.start;
        while x < range.end {
            let (lo, hi) = (
                block_at(starts, &mut lo_cursor, 2 * x),
                block_at(starts, &mut hi_cursor, 2 * x + 2 * m),
            );
            let (c, c_hi) = (starts[lo].1, starts[hi].1);
            // The run ends where either block ends.
            let next = |block: usize| starts.get(block + 1).map_or(usize::MAX, |s| s.0);
            let end = range
                .end
                .min(next(lo) / 2)
                .min(next(hi).saturating_sub(2 * m) / 2);
            let mut acc: [F::Acc; 5] = Default::default();
            let mut weight = F::ZERO;
            for y in x..end {
                let w = rest[y];
                let (a, b) = (v[2 * y], v[2 * y + 1]);
                let (a1, b1) = (v[2 * y + 2 * m], v[2 * y + 2 * m + 1]);
                weight += w;
                let sums = [a + b, a1 + b1, a * b, a1 * b1, a1 * b + a * b1];
                for (acc, k) in acc.iter_mut().zip(sums) {
                    acc.add_product(w, F::from_u64(k));
                }
            }
            let [s0, s1, p0, p1, cross] = acc.map(Accumulator::reduce);
            let summand = |c: F, s: F, p: F| {
                (c.double() + lambda * c.square()) * weight - (F::ONE + lambda * c) * s + lambda * p
            };
            t[0] += summand(c, s0, p0);
            t[1] += summand(c_hi, s1, p1);
            // X = 2: C = 2c' − c, A + B = 2(a' + b') − (a + b), A·B = 4a'b' − 2(a'b + ab') + ab.
            let two = F::from(2u64);
            t[2] += summand(
                c_hi.double() - c,
                two * s1 - s0,
                two.double() * p1 - two * cross + p0,
            );
            x = end.max(x + 1);
        }
        t
    }

    /// The folded tables `q(x) + r·(q(x + m) − q(x))` of both halves, as field elements.
    fn fold(&self, r: F) -> [Vec<F>; 2] {
        let m = 1usize << (self.point.len() - 1);
        let v = &self.leaves.values;
        let starts = self.leaves.starts();
        // `a + r·(a' − a)` for integers, by the sign of the difference.
        let line = |a: u64, a1: u64| {
            if a1 >= a {
                F::from_u64(a) + r.mul_u64(a1 - a)
            } else {
                F::from_u64(a) - r.mul_u64(a - a1)
            }
        };
        // Per job: cursors into the blocks and the current pair of blocks' folded pole.
        let init = || (0usize, 0usize, (usize::MAX, usize::MAX), F::ZERO);
        let (q0, q1) = (0..m)
            .into_par_iter()
            .with_min_len(PAR_MIN_LEN)
            .map_init(init, |(lo_cursor, hi_cursor, blocks, pole), x| {
                let at = (
                    block_at(&starts, lo_cursor, 2 * x),
                    block_at(&starts, hi_cursor, 2 * x + 2 * m),
                );
                if at != *blocks {
                    let (c, c_hi) = (starts[at.0].1, starts[at.1].1);
                    (*blocks, *pole) = (at, c + r * (c_hi - c));
                }
                (
                    *pole - line(v[2 * x], v[2 * x + 2 * m]),
                    *pole - line(v[2 * x + 1], v[2 * x + 2 * m + 1]),
                )
            })
            .unzip();
        [q0, q1]
    }
}

/// The block holding `leaf`, by a cursor into the blocks' starts that only moves forward (each
/// job visits its leaves in order).
fn block_at<F>(starts: &[(usize, F)], cursor: &mut usize, leaf: usize) -> usize {
    while *cursor + 1 < starts.len() && starts[*cursor + 1].0 <= leaf {
        *cursor += 1;
    }
    *cursor
}

impl<F: KaizenField> RoundProver<F> for LayerProver<F> {
    fn num_vars(&self) -> usize {
        match self {
            LayerProver::Dense(p) => p.num_vars(),
            LayerProver::Shifted(s) => s.point.len(),
            LayerProver::Failed => 0,
        }
    }

    fn degree(&self) -> usize {
        match self {
            LayerProver::Dense(p) => p.shape().degree(),
            // `eq · (q1 + q0 + λ·q0·q1)`.
            LayerProver::Shifted(_) | LayerProver::Failed => 3,
        }
    }

    fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F> {
        match self {
            LayerProver::Dense(p) => p.round_evals(claim, degree),
            LayerProver::Shifted(s) => {
                let mut t = s.evaluate().to_vec();
                RoundPoly::extend_to(&mut t, degree);
                // s(X) = eq(r_top, X)·t(X).
                RoundPoly::times_eq(&mut t, s.point[s.point.len() - 1], F::ONE);
                t
            }
            LayerProver::Failed => vec![F::ZERO; degree + 1],
        }
    }

    fn bind(&mut self, r: F) {
        let next = match self {
            LayerProver::Dense(p) => return p.bind(r),
            LayerProver::Shifted(s) => {
                let k = s.point.len();
                let top = s.point[k - 1];
                let scale = top * r + (F::ONE - top) * (F::ONE - r);
                let shape = layer_shape(&s.point[..k - 1], s.lambda, true);
                ProductSum::new(shape, s.fold(r).to_vec())
                    .and_then(|p| p.with_eq_scale(scale))
                    .map_or(LayerProver::Failed, LayerProver::Dense)
            }
            LayerProver::Failed => return,
        };
        *self = next;
    }

    fn final_evals(&self) -> Vec<F> {
        match self {
            LayerProver::Dense(p) => p.final_evals(),
            LayerProver::Shifted(_) | LayerProver::Failed => Vec::new(),
        }
    }
}

fn split<F: KaizenField>(v: &[F]) -> (Vec<F>, Vec<F>) {
    v.par_chunks_exact(2)
        .with_min_len(PAR_MIN_LEN)
        .map(|c| (c[0], c[1]))
        .unzip()
}

/// Absorbs the trees' shapes.
fn absorb_shapes<F: KaizenField, T: Transcript<F>>(shapes: &[TreeShape], transcript: &mut T) {
    let bytes: Vec<u8> = shapes
        .iter()
        .flat_map(|s| (s.num_vars as u64 * 2 + u64::from(s.unit)).to_le_bytes())
        .collect();
    transcript.absorb_bytes(b"fraction/shapes", &bytes);
}

/// One tree's root `(P, Q)` and running claim `(p, q)` on its current layer (`p` is one at a
/// unit tree's leaves).
#[derive(Clone, Copy)]
struct Running<F> {
    root: (F, F),
    p: F,
    q: F,
}

/// Absorbs the tops; returns the first point and each tree's root and claims on `L_1`.
/// A unit tree with one variable has its leaves as top: its numerators must be one.
fn open_tops<F: KaizenField, T: Transcript<F>>(
    shapes: &[TreeShape],
    tops: &[[F; 4]],
    transcript: &mut T,
) -> Result<(Vec<F>, Vec<Running<F>>), GkrError> {
    if tops.len() != shapes.len() {
        return Err(GkrError::ProofShape(format!(
            "{} tops for {} trees",
            tops.len(),
            shapes.len()
        )));
    }
    for (s, top) in shapes.iter().zip(tops) {
        if s.unit && s.num_vars == 1 && (!top[0].is_one() || !top[1].is_one()) {
            return Err(GkrError::ProofShape(
                "a unit tree's leaf numerators must be one".into(),
            ));
        }
        transcript.absorb_fields(b"fraction/top", top);
    }
    let c = transcript.challenge(b"fraction/c");
    let running = tops
        .iter()
        .map(|&[p0, p1, q0, q1]| Running {
            root: (p0 * q1 + p1 * q0, q0 * q1),
            p: F::lerp(p0, p1, c),
            q: F::lerp(q0, q1, c),
        })
        .collect();
    Ok((vec![c], running))
}

/// Whether the layer sumcheck at depth `k` of tree `s` reads its unit leaves.
fn unit_leaves(s: &TreeShape, k: usize) -> bool {
    s.unit && s.num_vars == k + 1
}

/// Merges one tree's half-claims at `ρ` into its claims on the child layer at `(c, ρ)`.
fn descend<F: KaizenField>(
    running: &mut Running<F>,
    claims: &[Claim<F>],
    unit_leaves: bool,
    c: F,
) -> Result<(), GkrError> {
    (running.p, running.q) = match (claims, unit_leaves) {
        ([q0, q1], true) => (F::ONE, F::lerp(q0.value, q1.value, c)),
        ([p0, p1, q0, q1], false) => (
            F::lerp(p0.value, p1.value, c),
            F::lerp(q0.value, q1.value, c),
        ),
        _ => {
            return Err(GkrError::ProofShape(
                "a layer must end in four values (two at unit leaves)".into(),
            ))
        }
    };
    Ok(())
}

/// The claims a tree ends with, at `point`.
fn leaf_claims<F: KaizenField>(
    shape: &TreeShape,
    point: &[F],
    running: Running<F>,
) -> FractionalClaims<F> {
    let claim = |value| Claim {
        point: point.to_vec(),
        value,
    };
    FractionalClaims {
        numerator: running.root.0,
        denominator: running.root.1,
        p: (!shape.unit).then(|| claim(running.p)),
        q: claim(running.q),
    }
}

/// The trees with a layer sumcheck at depth `k`.
fn active_trees(shapes: &[TreeShape], k: usize) -> Vec<usize> {
    (0..shapes.len())
        .filter(|&t| shapes[t].num_vars > k)
        .collect()
}

/// Each active tree's claimed layer sum `p + λ·q`.
fn layer_sums<F: KaizenField>(active: &[usize], running: &[Running<F>], lambda: F) -> Vec<F> {
    active
        .iter()
        .map(|&t| running[t].p + lambda * running[t].q)
        .collect()
}

/// Draws `c` and moves every active tree's claims one layer down; returns the new point `(c, ρ)`.
fn descend_all<F: KaizenField, T: Transcript<F>>(
    active: &[usize],
    shapes: &[TreeShape],
    k: usize,
    batch: &[Vec<Claim<F>>],
    running: &mut [Running<F>],
    transcript: &mut T,
) -> Result<Vec<F>, GkrError> {
    let c = transcript.challenge(b"fraction/c");
    if batch.len() != active.len() {
        return Err(GkrError::ProofShape("one claim set per tree".into()));
    }
    for (&t, half) in active.iter().zip(batch) {
        descend(&mut running[t], half, unit_leaves(&shapes[t], k), c)?;
    }
    let rho = batch
        .first()
        .and_then(|h| h.first())
        .map_or(&[][..], |h| &h.point[..]);
    Ok(std::iter::once(c).chain(rho.iter().copied()).collect())
}

fn collect_claims<F>(
    claims: Vec<Option<FractionalClaims<F>>>,
) -> Result<Vec<FractionalClaims<F>>, GkrError> {
    claims
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| GkrError::ProofShape("a tree ended without claims".into()))
}

/// Proves the fractional sum of every tree's leaves.
pub fn prove_fractional<F: KaizenField, T: Transcript<F>>(
    trees: Vec<Leaves<F>>,
    transcript: &mut T,
) -> Result<(FractionalProof<F>, Vec<FractionalClaims<F>>), GkrError> {
    let shapes = trees
        .iter()
        .map(Leaves::shape)
        .collect::<Result<Vec<_>, _>>()?;
    let leaves: usize = shapes.iter().map(|s| 1usize << s.num_vars).sum();
    let _span = debug_span!("fractional", trees = shapes.len(), leaves).entered();
    absorb_shapes(&shapes, transcript);
    // Per tree, its layers from the leaves up to the top (two fractions), in halves.
    let mut stacks: Vec<Vec<Layer<F>>> = trees
        .into_par_iter()
        .map(|leaves| {
            let mut stack = vec![Layer::of(leaves)];
            while let Some(layer) = stack.last().filter(|l| l.len() > 1) {
                let up = layer.parent();
                stack.push(up);
            }
            stack
        })
        .collect();
    let tops = stacks
        .iter_mut()
        .map(|stack| {
            let Some(Layer::Dense(top)) = stack.pop() else {
                return Err(GkrError::Input("a tree without a top layer".into()));
            };
            let (q0, q1) = (top.q.0[0], top.q.1[0]);
            let (p0, p1) = top.p.map_or((F::ONE, F::ONE), |(p0, p1)| (p0[0], p1[0]));
            Ok([p0, p1, q0, q1])
        })
        .collect::<Result<Vec<[F; 4]>, GkrError>>()?;
    let (mut point, mut running) = open_tops(&shapes, &tops, transcript)?;
    let mut claims: Vec<Option<FractionalClaims<F>>> = vec![None; shapes.len()];
    let depth = shapes.iter().map(|s| s.num_vars).max().unwrap_or(0);
    let mut layers = Vec::with_capacity(depth.saturating_sub(1));
    for k in 1..=depth {
        for (t, s) in shapes.iter().enumerate().filter(|(_, s)| s.num_vars == k) {
            claims[t] = Some(leaf_claims(s, &point, running[t]));
        }
        let active = active_trees(&shapes, k);
        if active.is_empty() {
            break;
        }
        let lambda = transcript.challenge(b"fraction/lambda");
        let mut instances = Vec::with_capacity(active.len());
        for &t in &active {
            let layer = stacks[t]
                .pop()
                .ok_or_else(|| GkrError::Input("tree shorter than its shape".into()))?;
            instances.push(match layer {
                Layer::Dense(layer) => {
                    let (q0, q1) = layer.q;
                    let polys = match layer.p {
                        Some((p0, p1)) => vec![p0, p1, q0, q1],
                        None => vec![q0, q1],
                    };
                    let shape = layer_shape(&point, lambda, unit_leaves(&shapes[t], k));
                    LayerProver::Dense(ProductSum::new(shape, polys)?)
                }
                Layer::Shifted(leaves) => LayerProver::Shifted(Box::new(ShiftedRound {
                    leaves,
                    point: point.clone(),
                    lambda,
                })),
            });
        }
        let sums = layer_sums(&active, &running, lambda);
        let (proof, batch) = prove(&mut instances, &sums, transcript)?;
        drop(instances);
        point = descend_all(&active, &shapes, k, &batch, &mut running, transcript)?;
        layers.push(proof);
    }
    let claims = collect_claims(claims)?;
    Ok((FractionalProof { tops, layers }, claims))
}

/// Verifies a fractional-sum proof over trees of the given shapes.
pub fn verify_fractional<F: KaizenField, T: Transcript<F>>(
    shapes: &[TreeShape],
    proof: &FractionalProof<F>,
    transcript: &mut T,
) -> Result<Vec<FractionalClaims<F>>, GkrError> {
    let depth = shapes.iter().map(|s| s.num_vars).max().unwrap_or(0);
    if shapes.iter().any(|s| s.num_vars == 0) || proof.layers.len() != depth.saturating_sub(1) {
        return Err(GkrError::ProofShape(format!(
            "{} layer proofs for trees of up to 2^{depth} leaves",
            proof.layers.len()
        )));
    }
    absorb_shapes(shapes, transcript);
    let (mut point, mut running) = open_tops(shapes, &proof.tops, transcript)?;
    let mut claims: Vec<Option<FractionalClaims<F>>> = vec![None; shapes.len()];
    for k in 1..=depth {
        for (t, s) in shapes.iter().enumerate().filter(|(_, s)| s.num_vars == k) {
            claims[t] = Some(leaf_claims(s, &point, running[t]));
        }
        let Some(layer) = proof.layers.get(k - 1) else {
            break;
        };
        let active = active_trees(shapes, k);
        let lambda = transcript.challenge(b"fraction/lambda");
        let layer_shapes: Vec<SumcheckShape<F>> = active
            .iter()
            .map(|&t| layer_shape(&point, lambda, unit_leaves(&shapes[t], k)))
            .collect();
        let sums = layer_sums(&active, &running, lambda);
        let batch = verify(&layer_shapes, &sums, layer, transcript)?;
        point = descend_all(&active, shapes, k, &batch, &mut running, transcript)?;
    }
    collect_claims(claims)
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] FractionalProof<F> { tops: vec, layers: vec });

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use kaizen_field::{Blake3Transcript, Field, M61Ext2, MultilinearPoly};
    use rand::{RngCore, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    type F = M61Ext2;

    fn mle(v: &[F], point: &[F]) -> F {
        MultilinearPoly::new(v.to_vec())
            .unwrap()
            .evaluate(point)
            .unwrap()
    }

    fn tr() -> Blake3Transcript {
        Blake3Transcript::new(b"f")
    }

    #[test]
    fn proves_each_trees_fraction_and_true_leaf_claims() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let mut rand = |n: usize| -> Vec<F> { (0..1 << n).map(|_| F::rand(&mut rng)).collect() };
        // Trees of mixed sizes, general and unit, the largest not first.
        let sizes = [
            (3usize, false),
            (7, true),
            (1, true),
            (7, false),
            (1, false),
            (4, true),
        ];
        let trees: Vec<(Option<Vec<F>>, Vec<F>)> = sizes
            .iter()
            .map(|&(n, unit)| ((!unit).then(|| rand(n)), rand(n)))
            .collect();
        let leaves: Vec<Leaves<F>> = trees
            .iter()
            .map(|(p, q)| match p {
                Some(p) => Leaves::new(p.clone(), q.clone()),
                None => Leaves::unit(q.clone()),
            })
            .collect();
        let shapes: Vec<TreeShape> = leaves.iter().map(|l| l.shape().unwrap()).collect();
        let (proof, claims) = prove_fractional(leaves, &mut tr()).unwrap();
        let v = verify_fractional(&shapes, &proof, &mut tr()).unwrap();
        assert_eq!(v, claims);
        for ((p, q), c) in trees.iter().zip(&v) {
            let expected: F = q
                .iter()
                .enumerate()
                .map(|(i, b)| p.as_ref().map_or(F::ONE, |p| p[i]) / b)
                .sum();
            assert_eq!(c.numerator / c.denominator, expected);
            assert_eq!(mle(q, &c.q.point), c.q.value);
            match (p, &c.p) {
                (Some(p), Some(cp)) => assert_eq!(mle(p, &cp.point), cp.value),
                (None, None) => {}
                _ => panic!("numerator claim present iff the tree is not unit"),
            }
        }

        // A changed top changes that tree's proven fraction; a changed layer is rejected; so
        // are other shapes, and a unit one-variable tree whose top numerators are not one.
        let mut bad = proof.clone();
        bad.tops[0][1] += F::ONE;
        let r = verify_fractional(&shapes, &bad, &mut tr());
        assert!(r.map_or(true, |c| c[0].numerator != claims[0].numerator));
        for layer in 0..proof.layers.len() {
            let mut bad = proof.clone();
            bad.layers[layer].rounds[0].evals[0] += F::ONE;
            assert!(verify_fractional(&shapes, &bad, &mut tr()).is_err());
        }
        let mut bad = proof.clone();
        bad.tops[2][0] += F::ONE;
        assert!(verify_fractional(&shapes, &bad, &mut tr()).is_err());
        let mut other = shapes.clone();
        other[1].unit = false;
        assert!(verify_fractional(&other, &proof, &mut tr()).is_err());
        other = shapes.clone();
        other[0].num_vars += 1;
        assert!(verify_fractional(&other, &proof, &mut tr()).is_err());
        assert!(verify_fractional(&shapes[1..], &proof, &mut tr()).is_err());
        assert!(
            prove_fractional(vec![Leaves::new(vec![F::ONE], vec![F::ONE])], &mut tr()).is_err()
        );
    }

    /// Shifted leaves give the same proof and claims as the unit leaves they stand for — blocks
    /// of several poles, whose runs end inside the first round's halves, next to another tree —
    /// and malformed ones are an error.
    #[test]
    fn shifted_leaves_prove_as_their_unit_leaves() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let poles: Vec<F> = (0..3).map(|_| F::rand(&mut rng)).collect();
        // The last case spans several parallel chunks of the first round.
        let cases: [(usize, &[(usize, usize)]); 5] = [
            (3, &[(8, 0)]),
            (6, &[(32, 0), (16, 1), (8, 2), (2, 0), (2, 1), (4, 2)]),
            (5, &[(2, 1), (30, 0)]),
            (4, &[(6, 2), (10, 1)]),
            (15, &[(16384, 0), (8192, 1), (4096, 2), (2, 0), (4094, 1)]),
        ];
        for (n, blocks) in cases {
            let blocks: Vec<(usize, F)> = blocks.iter().map(|&(l, p)| (l, poles[p])).collect();
            let values: Vec<u64> = (0..1u64 << n)
                .map(|i| match i % 5 {
                    0 => (1 << SHIFTED_VALUE_BITS) - 1 - i,
                    _ => rng.next_u64() % (1 << 11),
                })
                .collect();
            let mut dense = Vec::new();
            let mut at = 0;
            for &(len, c) in &blocks {
                dense.extend(values[at..at + len].iter().map(|&v| c - F::from(v)));
                at += len;
            }
            let other = Leaves::new(
                (0..4).map(|_| F::rand(&mut rng)).collect(),
                (0..4).map(|_| F::rand(&mut rng)).collect(),
            );
            let shifted = Leaves::shifted(blocks.clone(), values.clone());
            let (proof, claims) =
                prove_fractional(vec![shifted.clone(), other.clone()], &mut tr()).unwrap();
            let expected = prove_fractional(vec![Leaves::unit(dense), other], &mut tr()).unwrap();
            assert_eq!((proof, claims), expected, "n = {n}");
            assert_eq!(
                shifted.shape().unwrap(),
                TreeShape {
                    num_vars: n,
                    unit: true
                }
            );
        }
        let c = poles[0];
        for (blocks, values) in [
            (vec![(4, c), (3, c), (1, c)], vec![1u64; 8]),
            (vec![(4, c)], vec![1; 8]),
            (vec![(8, c)], vec![1 << SHIFTED_VALUE_BITS; 8]),
            (vec![(4, c)], vec![1; 4]),
        ] {
            assert!(Leaves::shifted(blocks.clone(), values.clone())
                .shape()
                .is_err());
            assert!(prove_fractional(vec![Leaves::shifted(blocks, values)], &mut tr()).is_err());
        }
        assert!(prove_fractional(vec![Leaves::unit(vec![F::ONE; 3])], &mut tr()).is_err());
    }
}
