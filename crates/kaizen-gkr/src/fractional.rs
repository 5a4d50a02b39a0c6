//! GKR for fractional sums (Papini–Haböck 2023, §3): proves `Σ_i p_i/q_i = P/Q` over `2^n` leaves.
//!
//! Layers: `L_n = (p, q)`; `L_{k−1}[x] = (p[2x]·q[2x+1] + p[2x+1]·q[2x], q[2x]·q[2x+1])`, so the
//! fraction is preserved and `L_0 = (P, Q)`. The prover sends `L_1` (two fractions); the verifier
//! computes `(P, Q)` and draws `c`, giving claims on `L_1`'s MLEs at `(c)`. A claim on `L_k` at `r`
//! becomes, by one degree-3 sumcheck
//!
//! ```text
//!     p_k(r) + λ·q_k(r) = Σ_x eq(r, x)·(p0·q1 + p1·q0 + λ·q0·q1)(x)
//! ```
//!
//! (`p0(x) = p_{k+1}[2x]`, …), claims on the four halves at `ρ`; a fresh `c` merges them into claims
//! on `L_{k+1}` at `(c, ρ)` (the child bit is the low-order variable). After `n − 1` sumchecks the
//! verifier holds claims on the leaf MLEs `p` and `q`. No inverse is ever computed.
use ark_serialize::CanonicalSerialize;
use kaizen_field::{mle::lerp, KaizenField, Transcript, PAR_MIN_LEN};
use kaizen_sumcheck::{
    prove_single, verify_single, Claim, ProductSum, SumcheckProof, SumcheckShape, Term, Weight,
};
use rayon::prelude::*;

use crate::GkrError;

/// A fractional-sum proof: the two fractions under the root, then one sumcheck per layer.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct FractionalProof<F: KaizenField> {
    /// `p(0), p(1), q(0), q(1)` of the one-variable layer.
    pub top: [F; 4],
    /// Sumchecks for the layers with `1, 2, …, n − 1` variables.
    pub layers: Vec<SumcheckProof<F>>,
}

/// What a verified fractional sum establishes: `Σ p_i/q_i = numerator/denominator`, provided the
/// leaf MLEs satisfy the two returned claims.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FractionalClaims<F> {
    /// `P`.
    pub numerator: F,
    /// `Q`.
    pub denominator: F,
    /// Claim on the leaf numerators' MLE.
    pub p: Claim<F>,
    /// Claim on the leaf denominators' MLE (same point).
    pub q: Claim<F>,
}

impl<F: Clone> FractionalClaims<F> {
    fn new(numerator: F, denominator: F, point: Vec<F>, p: F, q: F) -> Self {
        Self {
            numerator,
            denominator,
            p: Claim {
                point: point.clone(),
                value: p,
            },
            q: Claim { point, value: q },
        }
    }
}

/// `p0·q1 + p1·q0 + λ·q0·q1` over polynomials `[p0, p1, q0, q1]`, weighted by `eq(r, ·)`.
fn layer_shape<F: KaizenField>(r: &[F], lambda: F) -> SumcheckShape<F> {
    SumcheckShape {
        num_vars: r.len(),
        num_polys: 4,
        terms: vec![
            Term {
                coeff: F::ONE,
                factors: vec![0, 3],
            },
            Term {
                coeff: F::ONE,
                factors: vec![1, 2],
            },
            Term {
                coeff: lambda,
                factors: vec![2, 3],
            },
        ],
        weight: Some(Weight::Eq(r.to_vec())),
    }
}

/// The parent layer of `(p, q)`.
fn parent<F: KaizenField>(p: &[F], q: &[F]) -> (Vec<F>, Vec<F>) {
    p.par_chunks_exact(2)
        .zip(q.par_chunks_exact(2))
        .with_min_len(PAR_MIN_LEN)
        .map(|(p, q)| (p[0] * q[1] + p[1] * q[0], q[0] * q[1]))
        .unzip()
}

fn split<F: KaizenField>(v: &[F]) -> (Vec<F>, Vec<F>) {
    v.par_chunks_exact(2)
        .with_min_len(PAR_MIN_LEN)
        .map(|c| (c[0], c[1]))
        .unzip()
}

/// Proves the fractional sum of the leaves `p[i]/q[i]` (equal power-of-two lengths, at least 2).
pub fn prove_fractional<F: KaizenField, T: Transcript<F>>(
    p: Vec<F>,
    q: Vec<F>,
    transcript: &mut T,
) -> Result<(FractionalProof<F>, FractionalClaims<F>), GkrError> {
    if p.len() != q.len() || p.len() < 2 || !p.len().is_power_of_two() {
        return Err(GkrError::Input(format!(
            "leaves of lengths {} and {}",
            p.len(),
            q.len()
        )));
    }
    let n = p.len().trailing_zeros() as usize;
    let mut layers = vec![(p, q)];
    while layers.last().is_some_and(|(p, _)| p.len() > 2) {
        let (p, q) = layers.last().map(|(p, q)| parent(p, q)).unwrap_or_default();
        layers.push((p, q));
    }
    let (tp, tq) = layers.pop().unwrap_or_default();
    let top = [tp[0], tp[1], tq[0], tq[1]];
    let (numerator, denominator, mut point, mut vp, mut vq) = open_top(&top, transcript);
    let mut proofs = Vec::with_capacity(n - 1);
    while let Some((p, q)) = layers.pop() {
        let lambda = transcript.challenge(b"fraction/lambda");
        let ((p0, p1), (q0, q1)) = (split(&p), split(&q));
        // The layer lives on in its halves only (peak memory: one copy of the leaves, not two).
        drop((p, q));
        let instance = ProductSum::new(layer_shape(&point, lambda), vec![p0, p1, q0, q1])?;
        let (proof, claims) = prove_single(instance, vp + lambda * vq, transcript)?;
        (point, vp, vq) = descend(&claims, transcript)?;
        proofs.push(proof);
    }
    let claims = FractionalClaims::new(numerator, denominator, point, vp, vq);
    Ok((
        FractionalProof {
            top,
            layers: proofs,
        },
        claims,
    ))
}

/// Absorbs the top layer; returns `(P, Q)`, the first point and the claims on `L_1`.
fn open_top<F: KaizenField, T: Transcript<F>>(
    top: &[F; 4],
    transcript: &mut T,
) -> (F, F, Vec<F>, F, F) {
    transcript.absorb_fields(b"fraction/top", top);
    let [p0, p1, q0, q1] = *top;
    let c = transcript.challenge(b"fraction/c");
    (
        p0 * q1 + p1 * q0,
        q0 * q1,
        vec![c],
        lerp(p0, p1, c),
        lerp(q0, q1, c),
    )
}

/// Merges the four half-claims at `ρ` into claims on the child layer at `(c, ρ)`.
fn descend<F: KaizenField, T: Transcript<F>>(
    claims: &[Claim<F>],
    transcript: &mut T,
) -> Result<(Vec<F>, F, F), GkrError> {
    let [p0, p1, q0, q1] = claims else {
        return Err(GkrError::ProofShape(
            "a layer must end in four values".into(),
        ));
    };
    let c = transcript.challenge(b"fraction/c");
    let mut point = vec![c];
    point.extend_from_slice(&p0.point);
    Ok((
        point,
        lerp(p0.value, p1.value, c),
        lerp(q0.value, q1.value, c),
    ))
}

/// Verifies a fractional-sum proof over `2^num_vars` leaves.
pub fn verify_fractional<F: KaizenField, T: Transcript<F>>(
    num_vars: usize,
    proof: &FractionalProof<F>,
    transcript: &mut T,
) -> Result<FractionalClaims<F>, GkrError> {
    if num_vars == 0 || proof.layers.len() != num_vars - 1 {
        return Err(GkrError::ProofShape(format!(
            "{} layer proofs for 2^{num_vars} leaves",
            proof.layers.len()
        )));
    }
    let (numerator, denominator, mut point, mut vp, mut vq) = open_top(&proof.top, transcript);
    for layer in &proof.layers {
        let lambda = transcript.challenge(b"fraction/lambda");
        let claims = verify_single(
            &layer_shape(&point, lambda),
            vp + lambda * vq,
            layer,
            transcript,
        )?;
        (point, vp, vq) = descend(&claims, transcript)?;
    }
    Ok(FractionalClaims::new(numerator, denominator, point, vp, vq))
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] FractionalProof<F> { top: one, layers: vec });

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use kaizen_field::{Blake3Transcript, Field, M61Ext2, MultilinearPoly};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    type F = M61Ext2;

    #[test]
    fn proves_the_fraction_and_true_leaf_claims() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for n in [1usize, 2, 7] {
            let p: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
            let q: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
            let expected: F = p.iter().zip(&q).map(|(a, b)| *a / b).sum();
            let (proof, claims) =
                prove_fractional(p.clone(), q.clone(), &mut Blake3Transcript::new(b"f")).unwrap();
            let v = verify_fractional(n, &proof, &mut Blake3Transcript::new(b"f")).unwrap();
            assert_eq!(v, claims);
            assert_eq!(v.numerator / v.denominator, expected);
            let pe = MultilinearPoly::new(p)
                .unwrap()
                .evaluate(&v.p.point)
                .unwrap();
            let qe = MultilinearPoly::new(q)
                .unwrap()
                .evaluate(&v.q.point)
                .unwrap();
            assert_eq!((pe, qe), (v.p.value, v.q.value));

            // A changed top fraction changes the proven sum; a changed layer is rejected.
            let mut bad = proof.clone();
            bad.top[1] += F::ONE;
            let r = verify_fractional(n, &bad, &mut Blake3Transcript::new(b"f"));
            assert!(r.map_or(true, |c| c.numerator != claims.numerator));
            if n > 1 {
                let mut bad = proof.clone();
                bad.layers[0].rounds[0].evals[0] += F::ONE;
                assert!(verify_fractional(n, &bad, &mut Blake3Transcript::new(b"f")).is_err());
            }
            assert!(verify_fractional(n + 1, &proof, &mut Blake3Transcript::new(b"f")).is_err());
        }
        assert!(
            prove_fractional(vec![F::ONE], vec![F::ONE], &mut Blake3Transcript::new(b"f")).is_err()
        );
    }
}
