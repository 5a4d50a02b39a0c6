use std::path::PathBuf;

use kaizen_field::FieldError;
use thiserror::Error;

/// Errors of the engine and the data loaders.
#[derive(Debug, Error)]
pub enum NnError {
    /// A data file that cannot be used.
    #[error("{path}: {reason}")]
    Data {
        /// The file (or `<embedded>`).
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A value left the fixed-point range.
    #[error("tensor {tensor}: value {value} at index {index} exceeds ±2^{bits}")]
    Overflow {
        /// Name of the tensor being produced.
        tensor: String,
        /// Flat index.
        index: usize,
        /// The value.
        value: i128,
        /// The bound's exponent.
        bits: u32,
    },
    /// Shapes that do not fit.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// A weights file that cannot be used.
    #[error("weights: {0}")]
    Weights(String),
    /// Bad hyper-parameters.
    #[error("bad configuration: {0}")]
    Config(String),
    /// A fixed-point conversion error.
    #[error(transparent)]
    Field(#[from] FieldError),
}
