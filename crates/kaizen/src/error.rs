use std::path::PathBuf;

use kaizen_nn::{prove::ProveError, NnError};
use kaizen_pcs::PcsError;
use thiserror::Error;

/// Everything that can go wrong in the facade: configuration, training, proving, verifying, and
/// reading or writing artifacts.
#[derive(Debug, Error)]
pub enum Error {
    /// Proving failed, or a proof was rejected.
    #[error(transparent)]
    Prove(#[from] ProveError),
    /// The training engine or data loading failed.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// The commitment scheme failed.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// An API call out of order (a step before the dataset and model are committed, …).
    #[error("{0}")]
    State(String),
    /// An artifact file that is not what it should be.
    #[error("{path}: {reason}")]
    Artifact {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The proof in a file was rejected.
    #[error("{path}: proof rejected: {source}")]
    Rejected {
        /// The step file.
        path: PathBuf,
        /// Why the verifier rejected it.
        source: ProveError,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
