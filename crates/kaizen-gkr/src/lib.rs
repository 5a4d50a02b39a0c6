//! # kaizen-gkr
//!
//! GKR-style protocols (DESIGN §3):
//!
//! * [`circuit`] — layered arithmetic circuits as data (mul and scaled-linear wires), proven with
//!   GKR and Libra's linear-time two-phase sumcheck; outputs are part of the statement, and the
//!   input layer ends in two claims for the caller.
//! * [`fractional`] — the GKR fractional-sum tree of Papini–Haböck ("Improving logarithmic
//!   derivative lookups using GKR", 2023): proves `Σ_i p_i/q_i = P/Q` layer by layer with one
//!   sumcheck per layer, ending in claims on the leaf MLEs `p`, `q`.
//! * [`lookup`] — logUp lookups: every row of some committed witness columns lies in a public table
//!   (single column, or input → output pairs compressed with a random `α`), with committed
//!   multiplicities: `Σ_i 1/(X − w_i) = Σ_t m_t/(X − t_t)` as one fractional sum that must be 0.
//! * [`range`] — range checks `0 ≤ x < 2^k` (k ≤ 64) by 16-bit limbs against the table
//!   `[0, 2^16)`, batched across many vectors in one lookup.
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
