//! # kaizen-gkr
//!
//! GKR-style protocols (DESIGN §3):
//!
//! * [`circuit`] — layered arithmetic circuits as data (mul and scaled-linear wires), proven with
//!   GKR and Libra's linear-time two-phase sumcheck; outputs are part of the statement, and the
//!   input layer ends in two claims for the caller.
//! * [`fractional`] — the GKR fractional-sum tree of Papini–Haböck ("Improving logarithmic
//!   derivative lookups using GKR", 2023): proves `Σ_i p_i/q_i = P/Q` for several trees of any
//!   power-of-two sizes at once, layer by layer with one batched sumcheck per depth, ending in
//!   claims on each tree's leaf MLEs; unit trees (all numerators one) store and claim no numerators,
//!   and shifted unit trees (leaves `c − v`, `v` small integers) keep their leaves as integers.
//! * [`lookup`] — logUp lookups: every row of some committed witness columns lies in a public table
//!   (single column, or input → output pairs compressed with a random `α`), with committed
//!   multiplicities: `Σ_i 1/(X − w_i) = Σ_t m_t/(X − t_t)`, one tree per block (no padding), whose
//!   roots must sum to 0.
//! * [`range`] — range checks `0 ≤ x < 2^k` (k ≤ 64) by limbs against the table `[0, 2^w)`, the
//!   width `w ≤ 22` chosen from the batch's size, batched across many vectors in one lookup.
//!
//! Every protocol ends in [`Claim`]s on committed vectors (witness columns, limbs, multiplicities)
//! that the caller checks with a PCS opening; public tables are evaluated by the verifier itself.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod circuit;
mod error;
pub mod fractional;
pub mod lookup;
pub mod range;

pub use error::GkrError;
pub use kaizen_sumcheck::Claim;
