//! # kaizen-gkr
//!
//! Layered-circuit GKR (Libra-style linear-time prover) and logUp lookup arguments proven with a GKR
//! fractional-sum tree: range checks and fixed tables (DESIGN §3). Not built yet (issue "kaizen-gkr"):
//! this crate is empty.
