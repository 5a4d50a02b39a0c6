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
//! `eq·(q1 + q0 + λ·q0·q1)` over two tables instead of four.
use ark_serialize::CanonicalSerialize;
use kaizen_field::{KaizenField, Transcript, PAR_MIN_LEN};
use kaizen_sumcheck::{
    prove, verify, Claim, ProductSum, SumcheckProof, SumcheckShape, Term, Weight,
};
use rayon::prelude::*;

use crate::GkrError;

/// The leaves of one tree: `2^n` numerators (or all one) and denominators, `n ≥ 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaves<F> {
    numerators: Option<Vec<F>>,
    denominators: Vec<F>,
}

impl<F: KaizenField> Leaves<F> {
    /// Leaves `p_i/q_i`.
    pub fn new(numerators: Vec<F>, denominators: Vec<F>) -> Self {
        Self {
            numerators: Some(numerators),
            denominators,
        }
    }

    /// Leaves `1/q_i`.
    pub fn unit(denominators: Vec<F>) -> Self {
        Self {
            numerators: None,
            denominators,
        }
    }

    /// The tree's public shape, or an error for lengths that are not equal powers of two ≥ 2.
    pub fn shape(&self) -> Result<TreeShape, GkrError> {
        let len = self.denominators.len();
        let p_len = self.numerators.as_ref().map_or(len, Vec::len);
        if p_len != len || len < 2 || !len.is_power_of_two() {
            return Err(GkrError::Input(format!(
                "leaves of lengths {p_len} and {len}"
            )));
        }
        Ok(TreeShape {
            num_vars: len.trailing_zeros() as usize,
            unit: self.numerators.is_none(),
        })
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
    fn of(leaves: Leaves<F>) -> Self {
        Self {
            p: leaves.numerators.as_deref().map(split),
            q: split(&leaves.denominators),
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
    absorb_shapes(&shapes, transcript);
    // Per tree, its layers from the leaves up to the top (two fractions), in halves.
    let mut stacks: Vec<Vec<Halves<F>>> = trees
        .into_par_iter()
        .map(|leaves| {
            let mut stack = vec![Halves::of(leaves)];
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
            let top = stack
                .pop()
                .ok_or_else(|| GkrError::Input("empty tree".into()))?;
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
            let (q0, q1) = layer.q;
            let polys = match layer.p {
                Some((p0, p1)) => vec![p0, p1, q0, q1],
                None => vec![q0, q1],
            };
            let shape = layer_shape(&point, lambda, unit_leaves(&shapes[t], k));
            instances.push(ProductSum::new(shape, polys)?);
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
    use rand::SeedableRng;
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
        assert!(prove_fractional(vec![Leaves::unit(vec![F::ONE; 3])], &mut tr()).is_err());
    }
}
