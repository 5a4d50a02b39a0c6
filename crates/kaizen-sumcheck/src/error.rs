use ark_serialize::SerializationError;
use kaizen_field::FieldError;
use thiserror::Error;

use crate::Claim;

/// Why a sumcheck proof or instance was rejected.
#[derive(Debug, Error)]
pub enum SumcheckError {
    /// The proof has the wrong number of rounds.
    #[error("proof has {got} rounds, expected {expected}")]
    RoundCount {
        /// Rounds the statement needs.
        expected: usize,
        /// Rounds in the proof.
        got: usize,
    },
    /// A round polynomial has the wrong number of evaluations.
    #[error("round {round}: polynomial has {got} evaluations, expected {expected}")]
    RoundDegree {
        /// Round index.
        round: usize,
        /// `degree + 1`.
        expected: usize,
        /// Evaluations sent.
        got: usize,
    },
    /// `s(0) + s(1)` differs from the running claim.
    #[error("round {round}: s(0) + s(1) does not equal the claimed sum")]
    RoundSum {
        /// Round index.
        round: usize,
    },
    /// The proof's final evaluations do not match the instances.
    #[error("final evaluations: {got} instances (or polynomials), expected {expected}")]
    FinalEvalCount {
        /// Expected count.
        expected: usize,
        /// Count in the proof.
        got: usize,
    },
    /// The final evaluations do not give the value the last round polynomial promised.
    #[error("final evaluation check failed: the polynomials' values do not match the last round")]
    FinalEvaluation,
    /// The number of claimed sums differs from the number of instances.
    #[error("{got} claims for {expected} instances")]
    ClaimCount {
        /// Number of instances.
        expected: usize,
        /// Number of claims.
        got: usize,
    },
    /// A batch with no instance.
    #[error("empty batch")]
    EmptyBatch,
    /// An instance whose tables do not fit its shape.
    #[error("instance {instance}: table {table} has {got} entries, expected {expected}")]
    TableLength {
        /// Instance index.
        instance: usize,
        /// Table index (the weight counts as the last).
        table: usize,
        /// `2^num_vars`.
        expected: usize,
        /// Actual length.
        got: usize,
    },
    /// A shape whose terms reference missing polynomials, or a weight of the wrong dimension.
    #[error("malformed shape: {0}")]
    Shape(&'static str),
    /// Matrix dimensions that are not powers of two or do not match.
    #[error("matrix dimensions: {0}")]
    MatrixShape(String),
    /// A point of the wrong dimension.
    #[error("point has {got} coordinates, expected {expected}")]
    PointDimension {
        /// Expected coordinates.
        expected: usize,
        /// Supplied coordinates.
        got: usize,
    },
    /// An error from the field layer.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// Malformed proof bytes.
    #[error("malformed proof bytes: {0}")]
    Serialization(#[from] SerializationError),
}

/// `Ok` if table `name` has `expected` entries, else [`SumcheckError::MatrixShape`] naming it.
pub(crate) fn check_len(name: &str, got: usize, expected: usize) -> Result<(), SumcheckError> {
    (got == expected).then_some(()).ok_or_else(|| {
        SumcheckError::MatrixShape(format!("{name} has {got} entries, expected {expected}"))
    })
}

/// `Ok` if `point` has `expected` coordinates.
pub(crate) fn check_point<F>(point: &[F], expected: usize) -> Result<(), SumcheckError> {
    (point.len() == expected)
        .then_some(())
        .ok_or(SumcheckError::PointDimension {
            expected,
            got: point.len(),
        })
}

/// The two final claims of a sumcheck of a product of two tables.
pub(crate) fn final_pair<F>(claims: &[Claim<F>]) -> Result<&[Claim<F>; 2], SumcheckError> {
    claims
        .try_into()
        .map_err(|_| SumcheckError::FinalEvalCount {
            expected: 2,
            got: claims.len(),
        })
}
