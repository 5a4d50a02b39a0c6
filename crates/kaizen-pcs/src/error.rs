use ark_serialize::SerializationError;
use kaizen_sumcheck::SumcheckError;
use thiserror::Error;

/// Why a commitment, opening or verification failed.
#[derive(Debug, Error)]
pub enum PcsError {
    /// Evaluation count that is not a power of two.
    #[error("{0} evaluations is not a power of two")]
    NotPowerOfTwo(usize),
    /// More variables than the setup supports.
    #[error("polynomial has {got} variables, the scheme supports at most {max}")]
    TooManyVariables {
        /// The bound.
        max: usize,
        /// Requested.
        got: usize,
    },
    /// A point of the wrong dimension.
    #[error("point has {got} coordinates, polynomial has {expected} variables")]
    PointDimension {
        /// Number of variables.
        expected: usize,
        /// Coordinates supplied.
        got: usize,
    },
    /// Opening or verifying an empty batch.
    #[error("empty batch")]
    EmptyBatch,
    /// Polynomials of different sizes in one batch.
    #[error("polynomials in one batch must have the same number of variables")]
    BatchSizes,
    /// Number of claimed values differs from the batch size.
    #[error("{got} values for {expected} polynomials")]
    ValueCount {
        /// Polynomials in the batch.
        expected: usize,
        /// Values supplied.
        got: usize,
    },
    /// A batched opening with claims (or openings) for another number of commitments.
    #[error("{got} sets of claims for {expected} commitments")]
    ClaimSets {
        /// Commitments opened.
        expected: usize,
        /// Sets of claims (or openings) given.
        got: usize,
    },
    /// A segment layout, or a claim on a segment, that does not fit.
    #[error("segments: {0}")]
    Segment(String),
    /// A commitment inconsistent with the scheme's parameters.
    #[error("commitment does not match the scheme's parameters: {0}")]
    CommitmentShape(&'static str),
    /// A proof whose parts have the wrong sizes.
    #[error("malformed proof: {0}")]
    ProofShape(String),
    /// Opened columns whose Merkle multi-path does not lead to the root.
    #[error("the opened columns of polynomial {poly} do not match its commitment")]
    MerklePath {
        /// Polynomial in the batch.
        poly: usize,
    },
    /// The random-combination row disagrees with the opened column.
    #[error("query {query}: proximity check failed (committed word is not close to a codeword)")]
    Proximity {
        /// Query index.
        query: usize,
    },
    /// The proximity row disagrees with the row values (or, committed, its reduction ends at a
    /// wrong weight).
    #[error("the proximity row disagrees with the opened row values")]
    Consistency,
    /// The claimed values do not match the opened row values.
    #[error("claimed values do not match the opened row values")]
    Evaluation,
    /// An error from the field layer.
    #[error(transparent)]
    Field(#[from] kaizen_field::FieldError),
    /// An error from the multi-point reduction.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    /// Malformed proof or commitment bytes.
    #[error("malformed bytes: {0}")]
    Serialization(#[from] SerializationError),
}
