//! # kaizen
//!
//! Zero-knowledge proofs of training (Kaizen, ePrint 2024/162): a [`Prover`] trains a model by
//! mini-batch SGD on a committed dataset and proves every step; a [`Verifier`] checks a step, or
//! a whole chain of steps, against the dataset and model commitments alone.
//!
//! ```
//! use kaizen::{Architecture, Dataset, Hyper, Ligero, LigeroParams, Loss, MatrixShape, M61Ext2};
//! use kaizen::{Prover, Verifier};
//!
//! # fn main() -> Result<(), kaizen::Error> {
//! let pcs = Ligero::<M61Ext2>::new(LigeroParams::new(24, MatrixShape::Balanced));
//! let hyper = Hyper::new(16, 0.1, 4, Loss::SoftmaxCrossEntropy)?;
//! let mut prover = Prover::new(pcs.clone(), Architecture::Mlp(vec![784, 8, 10]), hyper)?;
//! let data = Dataset::embedded()?.split_at(64).0;
//! let c_d = prover.commit_dataset(data)?;
//! let c_w0 = prover.init_model(1)?;
//! let steps = vec![prover.step()?, prover.step()?];
//!
//! let verifier = Verifier::new(pcs);
//! verifier.verify(&steps[1])?;
//! let c_w2 = verifier.verify_chain(&c_d, 64, &c_w0, &steps)?;
//! assert_eq!(c_w2, steps[1].statement.new_weights);
//! // Whoever holds the trained weights can check that they are the committed ones.
//! if let Some(model) = prover.model() {
//!     assert!(verifier.commits_model(&c_w2, model, prover.hyper())?);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! [`run`] reads and writes run directories (the `kaizen` CLI's format); [`artifact`] is the
//! versioned, checksummed file format they use.
pub mod artifact;
mod error;
mod prover;
pub mod run;

pub use error::Error;
pub use kaizen_field::{Fr, KaizenField, M61Ext2};
pub use kaizen_nn::{
    arch::Architecture,
    data::{Dataset, Split},
    model::{Hyper, Loss, Model},
    prove::{ProveError, StepProof, StepStatement},
    reference::FloatGap,
    NnError,
};
pub use kaizen_pcs::{Bls12Kzg, Ligero, LigeroParams, MatrixShape, MultilinearPcs, PcsError};
pub use prover::{transcript, Prover, Step, Verifier};
