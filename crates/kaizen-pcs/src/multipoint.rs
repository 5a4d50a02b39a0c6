//! Opening one committed polynomial at several points, for any [`MultilinearPcs`]: by default the
//! claims are reduced to one point with kaizen-sumcheck's multi-point reduction, then opened once
//! ([`reduce_and_open`]); a scheme may override [`MultilinearPcs::open_points`] (Ligero reduces
//! claims on a few of its matrix rows over the row length alone). Claims on several committed
//! polynomials (of any sizes) are proven together by [`reduce_and_open_batch`]: their reductions
//! in one batched sumcheck, then the openings ([`MultilinearPcs::open_points_batch`]; Ligero
//! opens every polynomial whose rows have one length with one proof).
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use kaizen_field::{KaizenField, Transcript};
use kaizen_sumcheck::{
    multipoint::{prove_multipoint, verify_multipoint, MultipointStatement},
    Claim, SumcheckProof,
};

use crate::{MultilinearPcs, PcsError};

/// The reduction's sumcheck and the single opening.
#[derive(Clone, Debug, PartialEq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MultiPointProof<F: KaizenField, P: CanonicalSerialize + CanonicalDeserialize> {
    /// Sumcheck reducing the claims to one point.
    pub reduction: SumcheckProof<F>,
    /// Opening at that point.
    pub opening: P,
}

/// The generic proof of several claims: the multi-point reduction, then one opening.
pub fn reduce_and_open<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    data: &S::ProverData,
    claims: &[Claim<F>],
    transcript: &mut T,
) -> Result<MultiPointProof<F, S::Proof>, PcsError> {
    S::absorb_commitment(&S::commitment(data), transcript);
    let (reduction, claim) = prove_multipoint(S::evals(data), claims, transcript)?;
    let (_, opening) = pcs.open(&[data], &claim.point, transcript)?;
    Ok(MultiPointProof { reduction, opening })
}

/// Verifies a [`reduce_and_open`] proof.
pub fn verify_reduced<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    commitment: &S::Commitment,
    claims: &[Claim<F>],
    proof: &MultiPointProof<F, S::Proof>,
    transcript: &mut T,
) -> Result<(), PcsError> {
    S::absorb_commitment(commitment, transcript);
    let n = S::num_vars(commitment);
    let claim = verify_multipoint(n, claims, &proof.reduction, transcript)?;
    pcs.verify(
        &[commitment],
        &claim.point,
        &[claim.value],
        &proof.opening,
        transcript,
    )
}

/// Claims on several committed polynomials proven together: one batched sumcheck for all their
/// multi-point reductions, then the openings (one per polynomial by default; a scheme may open
/// several with one proof).
#[derive(Clone, Debug, PartialEq, CanonicalSerialize)]
pub struct BatchOpeningProof<F: KaizenField, P: CanonicalSerialize + CanonicalDeserialize> {
    /// The batched sumcheck of every polynomial's reduction.
    pub reduction: SumcheckProof<F>,
    /// The openings at the reductions' points.
    pub openings: Vec<P>,
}

kaizen_field::impl_bounded_deserialize!(
    impl[F: KaizenField, P: CanonicalSerialize + CanonicalDeserialize] BatchOpeningProof<F, P> {
        reduction: one,
        openings: vec,
    }
);

/// Checks that there is one set of claims per commitment.
pub(crate) fn check_claim_sets<C>(commitments: usize, claims: &[&[C]]) -> Result<(), PcsError> {
    if commitments == 0 {
        return Err(PcsError::EmptyBatch);
    }
    if claims.len() != commitments {
        return Err(PcsError::ClaimSets {
            expected: commitments,
            got: claims.len(),
        });
    }
    Ok(())
}

/// The one claim an instance of a reduction batch leaves (on its polynomial).
pub(crate) fn reduced_claim<F: KaizenField>(
    statement: &MultipointStatement<F>,
    claims: &[Claim<F>],
) -> Result<Claim<F>, PcsError> {
    let claim = claims
        .first()
        .cloned()
        .ok_or(PcsError::ProofShape("a reduction without its value".into()))?;
    Ok(statement.lift(claim))
}

/// Absorbs each commitment and states its reduction, in order (prover and verifier alike).
fn statements<'a, F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    commitments: impl Iterator<Item = &'a S::Commitment>,
    claims: &[&[Claim<F>]],
    transcript: &mut T,
) -> Result<Vec<MultipointStatement<F>>, PcsError>
where
    S::Commitment: 'a,
{
    commitments
        .zip(claims)
        .map(|(c, claims)| {
            S::absorb_commitment(c, transcript);
            Ok(MultipointStatement::new(
                S::num_vars(c),
                claims,
                0,
                transcript,
            )?)
        })
        .collect()
}

/// The generic proof of claims on several committed polynomials: each commitment absorbed and its
/// reduction stated in order, the reductions proven by one batched sumcheck, then one opening per
/// polynomial at its point.
pub fn reduce_and_open_batch<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    data: &[&S::ProverData],
    claims: &[&[Claim<F>]],
    transcript: &mut T,
) -> Result<BatchOpeningProof<F, S::Proof>, PcsError> {
    check_claim_sets(data.len(), claims)?;
    let commitments: Vec<S::Commitment> = data.iter().map(|d| S::commitment(d)).collect();
    let statements = statements::<F, S, T>(commitments.iter(), claims, transcript)?;
    let mut instances = statements
        .iter()
        .zip(data)
        .map(|(s, d)| s.prover(S::evals(d)))
        .collect::<Result<Vec<_>, _>>()?;
    let sums: Vec<F> = statements.iter().map(MultipointStatement::sum).collect();
    let (reduction, batch) = kaizen_sumcheck::prove(&mut instances, &sums, transcript)?;
    let openings = statements
        .iter()
        .zip(&batch)
        .zip(data)
        .map(|((s, out), d)| {
            let claim = reduced_claim(s, out)?;
            Ok(pcs.open(&[d], &claim.point, transcript)?.1)
        })
        .collect::<Result<Vec<_>, PcsError>>()?;
    Ok(BatchOpeningProof {
        reduction,
        openings,
    })
}

/// Verifies a [`reduce_and_open_batch`] proof.
pub fn verify_reduced_batch<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    commitments: &[&S::Commitment],
    claims: &[&[Claim<F>]],
    proof: &BatchOpeningProof<F, S::Proof>,
    transcript: &mut T,
) -> Result<(), PcsError> {
    check_claim_sets(commitments.len(), claims)?;
    if proof.openings.len() != commitments.len() {
        return Err(PcsError::ProofShape(format!(
            "{} openings for {} commitments",
            proof.openings.len(),
            commitments.len()
        )));
    }
    let statements = statements::<F, S, T>(commitments.iter().copied(), claims, transcript)?;
    let shapes: Vec<_> = statements.iter().map(|s| s.shape().clone()).collect();
    let sums: Vec<F> = statements.iter().map(MultipointStatement::sum).collect();
    let batch = kaizen_sumcheck::verify(&shapes, &sums, &proof.reduction, transcript)?;
    for (((s, out), &c), opening) in statements
        .iter()
        .zip(&batch)
        .zip(commitments)
        .zip(&proof.openings)
    {
        let claim = reduced_claim(s, out)?;
        pcs.verify(&[c], &claim.point, &[claim.value], opening, transcript)?;
    }
    Ok(())
}
