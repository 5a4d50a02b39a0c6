//! # kaizen-pcs
//!
//! Multilinear polynomial commitment schemes (DESIGN §5): the commitment trait, the Ligero-style
//! Reed–Solomon/Merkle scheme over M61², an ark-poly-commit backend over BLS12-381, and later the
//! ARC/WARP-style accumulation capability. Not built yet (issue "kaizen-pcs"): this crate is empty.
