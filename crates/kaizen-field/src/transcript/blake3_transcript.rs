//! The blake3 Fiat–Shamir transcript.
//!
//! Byte layout fed to one running blake3 hasher (all lengths little-endian `u64`):
//! * `new(domain)`: `"kaizen-rs/transcript/v1" ‖ len(domain) ‖ domain`;
//! * absorb bytes: `0x01 ‖ len(label) ‖ label ‖ len(data) ‖ data`;
//! * absorb field elements: `0x02 ‖ len(label) ‖ label ‖ n ‖` the `n` elements in ark-serialize
//!   compressed form;
//! * squeeze `k` bytes: `0x03 ‖ len(label) ‖ label ‖ k`, then the output is the first `k` bytes of the
//!   XOF of the hasher state so far. Because the squeeze record itself is absorbed, later squeezes
//!   (even with the same label) see a different state.

use super::Transcript;
use crate::{serialize::write_elements, KaizenField};

/// Fiat–Shamir transcript over a running blake3 hash.
#[derive(Clone, Debug)]
pub struct Blake3Transcript {
    hasher: blake3::Hasher,
    scratch: Vec<u8>,
}

impl Blake3Transcript {
    /// A transcript bound to a domain separator (protocol name and version).
    pub fn new(domain: &[u8]) -> Self {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"kaizen-rs/transcript/v1");
        hasher.update(&(domain.len() as u64).to_le_bytes());
        hasher.update(domain);
        Self {
            hasher,
            scratch: Vec::new(),
        }
    }

    fn record(&mut self, tag: u8, label: &[u8], len: usize) {
        self.hasher.update(&[tag]);
        self.hasher.update(&(label.len() as u64).to_le_bytes());
        self.hasher.update(label);
        self.hasher.update(&(len as u64).to_le_bytes());
    }
}

impl<F: KaizenField> Transcript<F> for Blake3Transcript {
    fn absorb_bytes(&mut self, label: &[u8], bytes: &[u8]) {
        self.record(0x01, label, bytes.len());
        self.hasher.update(bytes);
    }

    fn absorb_fields(&mut self, label: &[u8], elems: &[F]) {
        self.record(0x02, label, elems.len());
        write_elements(elems, &mut self.scratch);
        self.hasher.update(&self.scratch);
    }

    fn squeeze_bytes(&mut self, label: &[u8], out: &mut [u8]) {
        self.record(0x03, label, out.len());
        self.hasher.finalize_xof().fill(out);
    }

    fn challenge(&mut self, label: &[u8]) -> F {
        let mut buf = [0u8; 64];
        let bytes = &mut buf[..F::UNIFORM_BYTES.min(64)];
        <Self as Transcript<F>>::squeeze_bytes(self, label, bytes);
        F::from_uniform_bytes(bytes)
    }
}
