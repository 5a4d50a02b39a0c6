//! # kaizen-recursion
//!
//! Incrementally verifiable computation across training iterations: accumulated commitments and the
//! step verifier circuit (DESIGN §5–§6). Next milestone: this crate is empty.
