//! # kaizen-pcs
//!
//! Multilinear polynomial commitment schemes (DESIGN §5).
//!
//! * [`MultilinearPcs`] — the small trait every backend implements: commit to a polynomial's
//!   hypercube evaluations, open several committed polynomials at one point, verify. Commitments and
//!   proofs serialize with ark-serialize (bounded reads). Open and verify absorb the commitments,
//!   the point and the claimed values into the caller's transcript before drawing any challenge.
//! * [`ligero`] — the default backend: Ligero-style, rows Reed–Solomon-encoded by FFT over M61²
//!   ([`fft`], from kaizen-field; rate 1/4 by default), columns hashed into a Merkle tree
//!   ([`merkle`]: blake3 by default, Poseidon2 over M61 as a parameter), openings checked at
//!   transcript-chosen columns (proximity test + consistency), ≥ 100-bit security in the
//!   unique-decoding regime.
//! * [`kzg`] — multilinear KZG over a pairing (BLS12-381: [`Bls12Kzg`]), its parameter tables
//!   computed on first use with [`fixed_base`]'s batched fixed-base multiplication.
//! * [`multipoint`] — one polynomial at several points, through kaizen-sumcheck's multi-point
//!   reduction, for any backend; several committed polynomials with one batched proof (their
//!   reductions in one sumcheck, [`MultilinearPcs::open_points_batch`]).
//! * [`segmented`] — many named vectors as blocks of one commitment; all their claims proven with
//!   one opening, and claims on several segmented commitments with one batched proof (DESIGN §3).
//!
//! Accumulation (ARC/WARP-style folding of openings, DESIGN §5) is the next milestone's capability
//! trait; nothing here folds commitments.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod error;
pub use kaizen_field::fft;
pub mod fixed_base;
pub mod kzg;
pub mod ligero;
pub mod merkle;
pub mod msm;
pub mod multipoint;
pub mod segmented;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
pub use error::PcsError;
use kaizen_field::{serialize::to_bytes, KaizenField, Transcript};
use kaizen_sumcheck::Claim;
pub use kzg::{Bls12Kzg, MultilinearKzg};
pub use ligero::{Ligero, LigeroParams, MatrixShape, KEEP_ENCODING_VARS_24_GIB};
use multipoint::{BatchOpeningProof, MultiPointProof};

/// What commitments and proofs must be: comparable, printable, serializable, shareable.
pub trait ProofData:
    Clone + std::fmt::Debug + PartialEq + CanonicalSerialize + CanonicalDeserialize + Send + Sync
{
}

impl<T> ProofData for T where
    T: Clone
        + std::fmt::Debug
        + PartialEq
        + CanonicalSerialize
        + CanonicalDeserialize
        + Send
        + Sync
{
}

/// A commitment scheme for multilinear polynomials given by their hypercube evaluations
/// (index `Σ x_i·2^i`, the workspace convention). A scheme is shared across threads (openings of
/// several commitments run in parallel).
pub trait MultilinearPcs<F: KaizenField>: Sync {
    /// What the verifier holds.
    type Commitment: ProofData;
    /// What the prover keeps to open later (includes the evaluations).
    type ProverData: Send + Sync;
    /// An opening proof.
    type Proof: ProofData;

    /// Largest number of variables this instance commits to.
    fn max_num_vars(&self) -> usize;

    /// Commits to the polynomial with these evaluations (a power-of-two count).
    fn commit(&self, evals: &[F]) -> Result<(Self::Commitment, Self::ProverData), PcsError>;

    /// [`Self::commit`] taking the evaluations by value, so a scheme that keeps them need not
    /// copy them (peak memory: one table fewer).
    fn commit_owned(
        &self,
        evals: Vec<F>,
    ) -> Result<(Self::Commitment, Self::ProverData), PcsError> {
        self.commit(&evals)
    }

    /// The commitment a prover's data belongs to.
    fn commitment(data: &Self::ProverData) -> Self::Commitment;

    /// The committed evaluations.
    fn evals(data: &Self::ProverData) -> &[F];

    /// Number of variables of a committed polynomial.
    fn num_vars(commitment: &Self::Commitment) -> usize;

    /// Opens the committed polynomials (all with the same number of variables) at `point`:
    /// returns their values and one proof.
    fn open<T: Transcript<F>>(
        &self,
        data: &[&Self::ProverData],
        point: &[F],
        transcript: &mut T,
    ) -> Result<(Vec<F>, Self::Proof), PcsError>;

    /// Checks that the committed polynomials take `values` at `point`.
    fn verify<T: Transcript<F>>(
        &self,
        commitments: &[&Self::Commitment],
        point: &[F],
        values: &[F],
        proof: &Self::Proof,
        transcript: &mut T,
    ) -> Result<(), PcsError>;

    /// Absorbs a commitment (its canonical bytes) into a transcript.
    fn absorb_commitment<T: Transcript<F>>(commitment: &Self::Commitment, transcript: &mut T) {
        transcript.absorb_bytes(b"pcs/commitment", &to_bytes(commitment));
    }

    /// Proves the claims (points and values) on one committed polynomial with one proof. By
    /// default they are reduced to one point by the multi-point sumcheck and opened there
    /// ([`multipoint::reduce_and_open`]); a scheme may prove them its own way.
    fn open_points<T: Transcript<F>>(
        &self,
        data: &Self::ProverData,
        claims: &[Claim<F>],
        transcript: &mut T,
    ) -> Result<MultiPointProof<F, Self::Proof>, PcsError>
    where
        Self: Sized,
    {
        multipoint::reduce_and_open(self, data, claims, transcript)
    }

    /// Checks a proof from [`MultilinearPcs::open_points`].
    fn verify_points<T: Transcript<F>>(
        &self,
        commitment: &Self::Commitment,
        claims: &[Claim<F>],
        proof: &MultiPointProof<F, Self::Proof>,
        transcript: &mut T,
    ) -> Result<(), PcsError>
    where
        Self: Sized,
    {
        multipoint::verify_reduced(self, commitment, claims, proof, transcript)
    }

    /// Proves the claims on several committed polynomials (each its own set; any numbers of
    /// variables) with one proof. By default their multi-point reductions run as one batched
    /// sumcheck and each polynomial is opened at its point
    /// ([`multipoint::reduce_and_open_batch`]); a scheme may share more of the openings.
    fn open_points_batch<T: Transcript<F>>(
        &self,
        data: &[&Self::ProverData],
        claims: &[&[Claim<F>]],
        transcript: &mut T,
    ) -> Result<BatchOpeningProof<F, Self::Proof>, PcsError>
    where
        Self: Sized,
    {
        multipoint::reduce_and_open_batch(self, data, claims, transcript)
    }

    /// Checks a proof from [`MultilinearPcs::open_points_batch`].
    fn verify_points_batch<T: Transcript<F>>(
        &self,
        commitments: &[&Self::Commitment],
        claims: &[&[Claim<F>]],
        proof: &BatchOpeningProof<F, Self::Proof>,
        transcript: &mut T,
    ) -> Result<(), PcsError>
    where
        Self: Sized,
    {
        multipoint::verify_reduced_batch(self, commitments, claims, proof, transcript)
    }
}

/// Checks the common shape of an opening: a non-empty batch, one value per polynomial, equal
/// sizes within the bound, and a point of that dimension. Returns the number of variables.
pub(crate) fn check_batch(
    num_vars: &[usize],
    max_num_vars: usize,
    point_len: usize,
    values: Option<usize>,
) -> Result<usize, PcsError> {
    let &n = num_vars.first().ok_or(PcsError::EmptyBatch)?;
    if num_vars.iter().any(|&m| m != n) {
        return Err(PcsError::BatchSizes);
    }
    if n > max_num_vars {
        return Err(PcsError::TooManyVariables {
            max: max_num_vars,
            got: n,
        });
    }
    if point_len != n {
        return Err(PcsError::PointDimension {
            expected: n,
            got: point_len,
        });
    }
    if let Some(v) = values.filter(|&v| v != num_vars.len()) {
        return Err(PcsError::ValueCount {
            expected: num_vars.len(),
            got: v,
        });
    }
    Ok(n)
}
