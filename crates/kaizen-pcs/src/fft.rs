//! Radix-2 FFT over a power-of-two multiplicative subgroup, and Reed–Solomon encoding.
use kaizen_field::KaizenField;

use crate::PcsError;

/// The subgroup `{ω^i}` of size `2^log_size`, with its twiddle factors.
#[derive(Clone, Debug)]
pub struct Radix2Domain<F> {
    log_size: u32,
    /// `ω^i` for `i < size/2`.
    twiddles: Vec<F>,
}

impl<F: KaizenField> Radix2Domain<F> {
    /// The domain of size `2^log_size`, or an error if the field has no such subgroup.
    pub fn new(log_size: u32) -> Result<Self, PcsError> {
        let omega = F::root_of_unity(log_size).ok_or(PcsError::NoRootOfUnity {
            log_size,
            two_adicity: F::TWO_ADICITY,
        })?;
        let half = (1usize << log_size) / 2;
        let twiddles = std::iter::successors(Some(F::ONE), |w| Some(*w * omega))
            .take(half)
            .collect();
        Ok(Self { log_size, twiddles })
    }

    /// Number of points.
    pub fn size(&self) -> usize {
        1 << self.log_size
    }

    fn bit_reverse(&self, i: usize) -> usize {
        i.reverse_bits()
            .checked_shr(usize::BITS - self.log_size)
            .unwrap_or(0)
    }

    /// Radix-2 butterflies on a bit-reversed array, from blocks of `2·half` upwards.
    fn butterflies(&self, a: &mut [F], mut half: usize) {
        let n = a.len();
        while half < n {
            let step = n / (2 * half);
            for block in a.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for (j, (u, v)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                    let t = self.twiddles[j * step] * *v;
                    *v = *u - t;
                    *u += t;
                }
            }
            half *= 2;
        }
    }

    /// In place: coefficients `a_0..a_{n−1}` to evaluations `(Σ_k a_k ω^{ik})_i`, natural order.
    pub fn fft(&self, a: &mut [F]) {
        debug_assert_eq!(a.len(), self.size());
        for i in 0..a.len() {
            let j = self.bit_reverse(i);
            if i < j {
                a.swap(i, j);
            }
        }
        self.butterflies(a, 1);
    }

    /// Reed–Solomon encoding: the message as coefficients of a polynomial of degree
    /// `< message.len()` (a power of two dividing the domain size), evaluated on the whole
    /// domain, written into `out`.
    ///
    /// With `n = 2^ρ'·k` and only the first `k` coefficients non-zero, the bit-reversed input is
    /// non-zero only at multiples of `2^ρ'`, and the first `ρ'` stages merely copy those values
    /// across their blocks: we place them directly and start the butterflies there.
    pub fn encode_into(&self, message: &[F], out: &mut [F]) {
        debug_assert!(message.len().is_power_of_two() && out.len() == self.size());
        let block = out.len() / message.len();
        for (i, &m) in message.iter().enumerate() {
            let at = self.bit_reverse(i);
            out[at..at + block].iter_mut().for_each(|x| *x = m);
        }
        self.butterflies(out, block);
    }

    /// [`Radix2Domain::encode_into`] into a fresh vector.
    pub fn encode(&self, message: &[F]) -> Vec<F> {
        let mut out = vec![F::ZERO; self.size()];
        self.encode_into(message, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use kaizen_field::{Fr, M61Ext2};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn fft_matches_naive<F: KaizenField + UniformRand>() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for log in [0u32, 1, 3, 6] {
            let d = Radix2Domain::<F>::new(log).unwrap();
            let coeffs: Vec<F> = (0..1 << (log.max(1) - 1))
                .map(|_| F::rand(&mut rng))
                .collect();
            let coeffs = &coeffs[..coeffs.len().min(d.size())];
            let evals = d.encode(coeffs);
            let omega = F::root_of_unity(log).unwrap();
            for (i, e) in evals.iter().enumerate() {
                let x = omega.pow([i as u64]);
                let naive: F = coeffs.iter().rev().fold(F::ZERO, |acc, &c| acc * x + c);
                assert_eq!(*e, naive);
            }
        }
    }

    #[test]
    fn fft_m61ext2() {
        fft_matches_naive::<M61Ext2>();
    }

    #[test]
    fn fft_bls() {
        fft_matches_naive::<Fr>();
    }

    #[test]
    fn too_large_domain_is_an_error() {
        assert!(Radix2Domain::<Fr>::new(33).is_err());
        assert!(Radix2Domain::<M61Ext2>::new(63).is_err());
    }
}
