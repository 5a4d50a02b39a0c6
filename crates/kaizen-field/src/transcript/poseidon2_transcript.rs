//! A duplex-sponge Fiat–Shamir transcript over `F_p` (`p = 2^61 − 1`) with the width-16 Poseidon2
//! permutation: rate 12, capacity 4 (244 bits, ≥ 2^120 generic security).
//!
//! Sponge: inputs are queued; a full queue of 12 (or any squeeze with a non-empty queue) overwrites
//! the rate part of the state with the queue and permutes; squeezes pop from the rate part of the
//! last permuted state, permuting again when it runs out.
//!
//! Element layout (every record starts with a tag element):
//! * `new(domain)`: `0 ‖ bytes(domain)`;
//! * absorb bytes: `1 ‖ bytes(label) ‖ bytes(data)`;
//! * absorb field elements: `2 ‖ bytes(label) ‖ n ‖` coordinates (an `F_{p²}` element as `c0, c1`);
//! * squeeze: `3 ‖ bytes(label) ‖ k` then `k` sampled base elements;
//!
//! where `bytes(s)` = `len(s) ‖` the bytes packed 7 per element, little-endian (each < 2^56 < p).
//! Squeezed bytes are the low 7 bytes of sampled elements (bias below 2^-60 per element).
use ark_ff::{AdditiveGroup, PrimeField};

use super::Transcript;
use crate::{
    poseidon2::{poseidon2_16, Poseidon2},
    KaizenField, M61Ext2, M61,
};

const WIDTH: usize = 16;
const RATE: usize = 12;

/// Fields whose elements are vectors over `F_p`, `p = 2^61 − 1`, so the sponge absorbs them natively.
pub trait M61Coords: KaizenField {
    /// Number of base-field coordinates.
    const DEGREE: usize;
    /// Appends the coordinates.
    fn push_coords(&self, out: &mut Vec<M61>);
    /// Builds an element from exactly `DEGREE` coordinates.
    fn from_coords(coords: &[M61]) -> Self;
}

impl M61Coords for M61 {
    const DEGREE: usize = 1;
    fn push_coords(&self, out: &mut Vec<M61>) {
        out.push(*self);
    }
    fn from_coords(coords: &[M61]) -> Self {
        coords[0]
    }
}

impl M61Coords for M61Ext2 {
    const DEGREE: usize = 2;
    fn push_coords(&self, out: &mut Vec<M61>) {
        out.extend([self.c0, self.c1]);
    }
    fn from_coords(coords: &[M61]) -> Self {
        Self::new(coords[0], coords[1])
    }
}

/// Duplex-sponge transcript over the width-16 Poseidon2 permutation.
#[derive(Clone, Debug)]
pub struct Poseidon2Transcript {
    perm: &'static Poseidon2<WIDTH>,
    state: [M61; WIDTH],
    input: Vec<M61>,
    output: Vec<M61>,
}

impl Poseidon2Transcript {
    /// A transcript bound to a domain separator.
    pub fn new(domain: &[u8]) -> Self {
        let mut t = Self {
            perm: poseidon2_16(),
            state: [M61::ZERO; WIDTH],
            input: Vec::with_capacity(RATE),
            output: Vec::with_capacity(RATE),
        };
        t.observe(M61::ZERO);
        t.observe_bytes(domain);
        t
    }

    fn duplex(&mut self) {
        self.state[..self.input.len()].copy_from_slice(&self.input);
        self.input.clear();
        self.perm.permute(&mut self.state);
        self.output.clear();
        self.output.extend_from_slice(&self.state[..RATE]);
    }

    fn observe(&mut self, x: M61) {
        self.output.clear();
        self.input.push(x);
        if self.input.len() == RATE {
            self.duplex();
        }
    }

    fn observe_bytes(&mut self, bytes: &[u8]) {
        self.observe(M61::from(bytes.len() as u64));
        for chunk in bytes.chunks(7) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.observe(M61::from(u64::from_le_bytes(buf)));
        }
    }

    fn sample(&mut self) -> M61 {
        if !self.input.is_empty() || self.output.is_empty() {
            self.duplex();
        }
        // `output` was just refilled if it was empty, so pop always succeeds.
        self.output.pop().unwrap_or(M61::ZERO)
    }

    fn start_squeeze(&mut self, label: &[u8], count: usize) {
        self.observe(M61::from(3u64));
        self.observe_bytes(label);
        self.observe(M61::from(count as u64));
    }
}

impl<F: M61Coords> Transcript<F> for Poseidon2Transcript {
    fn absorb_bytes(&mut self, label: &[u8], bytes: &[u8]) {
        self.observe(M61::from(1u64));
        self.observe_bytes(label);
        self.observe_bytes(bytes);
    }

    fn absorb_fields(&mut self, label: &[u8], elems: &[F]) {
        self.observe(M61::from(2u64));
        self.observe_bytes(label);
        self.observe(M61::from(elems.len() as u64));
        let mut coords = Vec::with_capacity(F::DEGREE);
        for e in elems {
            coords.clear();
            e.push_coords(&mut coords);
            coords.iter().for_each(|&c| self.observe(c));
        }
    }

    fn squeeze_bytes(&mut self, label: &[u8], out: &mut [u8]) {
        let chunks = out.len().div_ceil(7);
        self.start_squeeze(label, chunks);
        for chunk in out.chunks_mut(7) {
            let v = self.sample().into_bigint().0[0].to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }

    fn challenge(&mut self, label: &[u8]) -> F {
        self.start_squeeze(label, F::DEGREE);
        let coords: Vec<M61> = (0..F::DEGREE).map(|_| self.sample()).collect();
        F::from_coords(&coords)
    }
}
