//! Opening one committed polynomial at several points, for any [`MultilinearPcs`]: by default the
//! claims are reduced to one point with kaizen-sumcheck's multi-point reduction, then opened once
//! ([`reduce_and_open`]); a scheme may override [`MultilinearPcs::open_points`] (Ligero reduces
//! claims on a few of its matrix rows over the row length alone).
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use kaizen_field::{KaizenField, Transcript};
use kaizen_sumcheck::{
    multipoint::{prove_multipoint, verify_multipoint},
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
