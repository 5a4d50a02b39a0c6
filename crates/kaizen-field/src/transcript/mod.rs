//! Fiat–Shamir transcripts (DESIGN §3–§4).
//!
//! A [`Transcript`] absorbs everything the verifier sees — public statement, commitment roots, round
//! polynomials, claimed values — under explicit labels, and squeezes challenges from all of it.
//! Prover and verifier drive identical transcripts; a proof never contains a challenge.
//!
//! Two implementations with documented byte layouts:
//! * [`Blake3Transcript`] — the fast default, for standalone proofs;
//! * [`Poseidon2Transcript`] — a duplex sponge over `F_p` (`p = 2^61 − 1`), so that a verifier can
//!   later be proven inside a circuit (recursion, DESIGN §6).
mod blake3_transcript;
mod poseidon2_transcript;

pub use blake3_transcript::Blake3Transcript;
pub use poseidon2_transcript::{M61Coords, Poseidon2Transcript};

use crate::KaizenField;

/// A Fiat–Shamir transcript producing challenges in `F`.
///
/// Every call is bound to a label; different labels or a different order of calls give
/// independent-looking challenges. Implementations must absorb the length of every input so that
/// no two different call sequences produce the same absorbed stream.
pub trait Transcript<F: KaizenField>: Clone + Send {
    /// Absorbs a labelled byte string (commitment roots, encoded statements).
    fn absorb_bytes(&mut self, label: &[u8], bytes: &[u8]);

    /// Absorbs a labelled sequence of field elements.
    fn absorb_fields(&mut self, label: &[u8], elems: &[F]);

    /// Absorbs one labelled field element.
    fn absorb_field(&mut self, label: &[u8], elem: &F) {
        self.absorb_fields(label, std::slice::from_ref(elem));
    }

    /// Squeezes `out.len()` labelled pseudo-random bytes.
    fn squeeze_bytes(&mut self, label: &[u8], out: &mut [u8]);

    /// Squeezes one labelled challenge, statistically close to uniform in `F`.
    fn challenge(&mut self, label: &[u8]) -> F;

    /// A transcript for one of several sub-protocols run side by side on what this one has
    /// absorbed (openings of independent claims, proven in parallel): a copy that absorbs `label`
    /// and `index`. Forks with different indices draw independent-looking challenges; the caller
    /// binds their outcomes back into this transcript.
    fn fork(&self, label: &[u8], index: u64) -> Self {
        let mut fork = self.clone();
        fork.absorb_bytes(label, &index.to_le_bytes());
        fork
    }

    /// Squeezes `n` labelled challenges.
    fn challenges(&mut self, label: &[u8], n: usize) -> Vec<F> {
        (0..n).map(|_| self.challenge(label)).collect()
    }

    /// Squeezes `count` indices in `0..bound` (query positions), each from 16 fresh bytes reduced
    /// modulo `bound` (bias below `bound / 2^128`). Returns an empty vector if `bound` is zero.
    fn squeeze_indices(&mut self, label: &[u8], count: usize, bound: usize) -> Vec<usize> {
        if bound == 0 {
            return Vec::new();
        }
        let mut bytes = vec![0u8; 16 * count];
        self.squeeze_bytes(label, &mut bytes);
        bytes
            .chunks_exact(16)
            .map(|c| {
                let mut buf = [0u8; 16];
                buf.copy_from_slice(c);
                (u128::from_le_bytes(buf) % bound as u128) as usize
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fr, M61Ext2, M61};

    fn transcript_suite<F: KaizenField, T: Transcript<F>>(new: impl Fn(&[u8]) -> T) {
        let run = |domain: &[u8], ops: &[(&[u8], &[u8])]| {
            let mut t = new(domain);
            for (label, data) in ops {
                t.absorb_bytes(label, data);
            }
            t.absorb_field(b"x", &F::from(7u64));
            (t.challenge(b"c"), t.challenge(b"c"))
        };
        let base = run(b"d", &[(b"a", b"hello"), (b"b", b"world")]);
        assert_eq!(
            base,
            run(b"d", &[(b"a", b"hello"), (b"b", b"world")]),
            "deterministic"
        );
        assert_ne!(base.0, base.1, "consecutive challenges differ");
        assert_ne!(
            base,
            run(b"e", &[(b"a", b"hello"), (b"b", b"world")]),
            "domain"
        );
        assert_ne!(
            base,
            run(b"d", &[(b"b", b"world"), (b"a", b"hello")]),
            "order"
        );
        assert_ne!(
            base,
            run(b"d", &[(b"a", b"hellow"), (b"b", b"orld")]),
            "boundaries"
        );
        assert_ne!(
            base,
            run(b"d", &[(b"x", b"hello"), (b"b", b"world")]),
            "label"
        );
        assert_ne!(
            base,
            run(b"d", &[(b"a", b"hello"), (b"b", b"worle")]),
            "data"
        );

        // The challenge label matters, and field elements are absorbed with their values.
        let mut t1 = new(b"d");
        let mut t2 = new(b"d");
        assert_ne!(t1.challenge(b"alpha"), t2.challenge(b"beta"));
        let mut t3 = new(b"d");
        let mut t4 = new(b"d");
        t3.absorb_field(b"v", &F::from(1u64));
        t4.absorb_field(b"v", &F::from(2u64));
        assert_ne!(t3.challenge(b"c"), t4.challenge(b"c"));

        // Forks of one state are deterministic, differ by index and label, and leave the parent
        // as it was.
        let parent = new(b"f");
        let fork = |label: &[u8], i| parent.fork(label, i).challenge(b"c");
        assert_eq!(fork(b"open", 0), fork(b"open", 0));
        assert_ne!(fork(b"open", 0), fork(b"open", 1));
        assert_ne!(fork(b"open", 0), fork(b"other", 0));
        assert_eq!(parent.clone().challenge(b"c"), new(b"f").challenge(b"c"));
        assert_ne!(fork(b"open", 0), new(b"f").challenge(b"c"));

        // Indices land in range and are spread out.
        let mut t = new(b"q");
        let idx = t.squeeze_indices(b"queries", 200, 37);
        assert!(idx.iter().all(|&i| i < 37));
        assert!(idx.iter().collect::<std::collections::BTreeSet<_>>().len() > 25);
        assert!(t.squeeze_indices(b"queries", 3, 0).is_empty());
    }

    #[test]
    fn blake3_m61ext2() {
        transcript_suite::<M61Ext2, _>(Blake3Transcript::new);
    }

    #[test]
    fn blake3_bls() {
        transcript_suite::<Fr, _>(Blake3Transcript::new);
    }

    #[test]
    fn poseidon2_m61ext2() {
        transcript_suite::<M61Ext2, _>(Poseidon2Transcript::new);
    }

    #[test]
    fn poseidon2_m61() {
        transcript_suite::<M61, _>(Poseidon2Transcript::new);
    }
}
