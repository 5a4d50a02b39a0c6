//! # kaizen-cli
//!
//! The `kaizen` binary (train with proofs, verify, inspect). Not built yet (issue "Facade crate and
//! CLI"): this crate is empty.
