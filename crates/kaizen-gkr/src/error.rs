use ark_serialize::SerializationError;
use kaizen_field::FieldError;
use kaizen_sumcheck::SumcheckError;
use thiserror::Error;

/// Why a GKR or lookup proof (or its input) was rejected.
#[derive(Debug, Error)]
pub enum GkrError {
    /// The fractional sum's numerator at the root is not the claimed one (for lookups: not zero).
    #[error("fractional sum mismatch: the looked-up values are not all in the table")]
    RootNumerator,
    /// The root denominator is zero (a degenerate challenge or a malicious leaf).
    #[error("fractional sum has a zero denominator")]
    ZeroDenominator,
    /// The stated column and multiplicity values do not rebuild the GKR's leaf claims.
    #[error("stated lookup evaluations do not match the fractional sum's leaves")]
    LeafMismatch,
    /// The wiring predicate's value stated by the prover is not the circuit's.
    #[error("layer {layer}: wiring predicate mismatch")]
    Wiring {
        /// Index of the layer (in the circuit's layer list) whose wiring failed.
        layer: usize,
    },
    /// The proof has the wrong number of layers or layer values.
    #[error("malformed proof: {0}")]
    ProofShape(String),
    /// An input vector or table with an unusable size.
    #[error("bad input: {0}")]
    Input(String),
    /// A value outside the range the prover was asked to prove.
    #[error("value {value} of vector {vector} (index {index}) is outside [0, 2^{bits})")]
    OutOfRange {
        /// Vector index in the batch.
        vector: usize,
        /// Entry index.
        index: usize,
        /// The value (as a signed integer, if it is one).
        value: i128,
        /// Range bits.
        bits: u32,
    },
    /// A looked-up row that is not in the table (prover side).
    #[error("row {index} of segment {segment} is not in the table")]
    NotInTable {
        /// Witness segment.
        segment: usize,
        /// Row.
        index: usize,
    },
    /// An error from a sumcheck.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    /// An error from the field layer.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// Malformed proof bytes.
    #[error("malformed bytes: {0}")]
    Serialization(#[from] SerializationError),
}
