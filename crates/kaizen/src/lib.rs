//! # kaizen
//!
//! The facade of Kaizen-rs: a stable `Prover` / `Verifier` API over the layer crates. Not built yet
//! (issue "Facade crate and CLI"); for now it re-exports the layers that exist.

pub use kaizen_field as field;
