//! Multi-point to single-point reduction (DESIGN §3): claims `P(r_1) = v_1, …, P(r_m) = v_m` on one
//! multilinear polynomial become one claim `P(r*) = v*` at a fresh point, by a sumcheck on
//!
//! ```text
//!     Σ_k ρ^k·v_k = Σ_x (Σ_k ρ^k·eq(r_k, x)) · P(x)
//! ```
//!
//! with `ρ` drawn after the transcript absorbed every point and value. The verifier evaluates the
//! weight `Σ_k ρ^k·eq(r_k, r*)` itself, so the proof is the sumcheck plus `P(r*)`.
use kaizen_field::{KaizenField, Transcript};

use crate::{
    protocol::{prove_single, verify_single},
    Claim, ProductSum, SumcheckError, SumcheckProof, SumcheckShape, Weight,
};

fn shape<F: KaizenField, T: Transcript<F>>(
    num_vars: usize,
    claims: &[Claim<F>],
    transcript: &mut T,
) -> Result<(SumcheckShape<F>, F), SumcheckError> {
    if claims.is_empty() {
        return Err(SumcheckError::EmptyBatch);
    }
    if let Some(c) = claims.iter().find(|c| c.point.len() != num_vars) {
        return Err(SumcheckError::PointDimension {
            expected: num_vars,
            got: c.point.len(),
        });
    }
    for c in claims {
        transcript.absorb_fields(b"multipoint/point", &c.point);
        transcript.absorb_field(b"multipoint/value", &c.value);
    }
    let rho = transcript.challenge(b"multipoint/rho");
    let coeffs: Vec<F> = std::iter::successors(Some(F::ONE), |p| Some(*p * rho))
        .take(claims.len())
        .collect();
    let sum = claims.iter().zip(&coeffs).map(|(c, &k)| k * c.value).sum();
    let points = claims.iter().map(|c| c.point.clone()).collect();
    let weight = Weight::EqSum { points, coeffs };
    Ok((SumcheckShape::product(num_vars, 1).with_weight(weight), sum))
}

/// Reduces claims on the polynomial with hypercube table `evals` to one claim.
pub fn prove_multipoint<F: KaizenField, T: Transcript<F>>(
    evals: &[F],
    claims: &[Claim<F>],
    transcript: &mut T,
) -> Result<(SumcheckProof<F>, Claim<F>), SumcheckError> {
    if !evals.len().is_power_of_two() {
        return Err(kaizen_field::FieldError::NotPowerOfTwo(evals.len()).into());
    }
    let num_vars = evals.len().trailing_zeros() as usize;
    let (shape, sum) = shape(num_vars, claims, transcript)?;
    let instance = ProductSum::new(shape, vec![evals.to_vec()])?;
    let (proof, mut out) = prove_single(instance, sum, transcript)?;
    let claim = out.pop().ok_or(SumcheckError::FinalEvalCount {
        expected: 1,
        got: 0,
    })?;
    Ok((proof, claim))
}

/// Verifies a multi-point reduction; returns the single claim the caller must still check.
pub fn verify_multipoint<F: KaizenField, T: Transcript<F>>(
    num_vars: usize,
    claims: &[Claim<F>],
    proof: &SumcheckProof<F>,
    transcript: &mut T,
) -> Result<Claim<F>, SumcheckError> {
    let (shape, sum) = shape(num_vars, claims, transcript)?;
    let mut out = verify_single(&shape, sum, proof, transcript)?;
    out.pop().ok_or(SumcheckError::FinalEvalCount {
        expected: 1,
        got: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use kaizen_field::{Blake3Transcript, M61Ext2, MultilinearPoly};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    type F = M61Ext2;

    #[test]
    fn reduces_claims_to_one_true_claim_and_rejects_a_false_one() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let n = 10;
        let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
        let poly = MultilinearPoly::new(evals.clone()).unwrap();
        let claims: Vec<Claim<F>> = (0..4)
            .map(|_| {
                let point: Vec<F> = (0..n).map(|_| F::rand(&mut rng)).collect();
                Claim {
                    value: poly.evaluate(&point).unwrap(),
                    point,
                }
            })
            .collect();
        let (proof, claim) =
            prove_multipoint(&evals, &claims, &mut Blake3Transcript::new(b"mp")).unwrap();
        let vclaim =
            verify_multipoint(n, &claims, &proof, &mut Blake3Transcript::new(b"mp")).unwrap();
        assert_eq!(claim, vclaim);
        assert_eq!(poly.evaluate(&claim.point).unwrap(), claim.value);

        // Any one false input claim: the honest prover's proof no longer verifies.
        for k in 0..claims.len() {
            let mut bad = claims.clone();
            bad[k].value += F::from(1u64);
            assert!(verify_multipoint(n, &bad, &proof, &mut Blake3Transcript::new(b"mp")).is_err());
            let (p2, _) =
                prove_multipoint(&evals, &bad, &mut Blake3Transcript::new(b"mp")).unwrap();
            assert!(verify_multipoint(n, &bad, &p2, &mut Blake3Transcript::new(b"mp")).is_err());
        }
        assert!(matches!(
            verify_multipoint(n + 1, &claims, &proof, &mut Blake3Transcript::new(b"mp")),
            Err(SumcheckError::PointDimension { .. })
        ));
        assert!(prove_multipoint(&evals[..3], &claims, &mut Blake3Transcript::new(b"mp")).is_err());
    }
}
