//! Multi-scalar multiplication `Σ s_i·B_i` that takes advantage of small signed scalars — the
//! committed tables of a training step (fixed-point integers) and the first quotient of a KZG
//! opening (their differences).
//!
//! ark-ec's MSM runs Pippenger's buckets over every window of the field's 255 bits, also for a
//! scalar such as `−3` (`r − 3` as an integer). Here a scalar `s` with `|s| < 2^63` (as `s` or
//! `−s`) is multiplied as that signed integer: its base is negated when `s < 0`, and the buckets
//! run over the windows of the largest `|s|` only (two 12-bit windows for 24-bit values instead
//! of seventeen 15-bit ones). The remaining scalars, if any, go to ark-ec's MSM.
use ark_ec::CurveGroup;
use kaizen_field::ark_ff::PrimeField;
use rayon::prelude::*;

/// `Σ s_i·B_i` over the common length of `bases` and `scalars`.
pub fn msm<G: CurveGroup>(bases: &[G::Affine], scalars: &[G::ScalarField]) -> G {
    let (bases, scalars) = (
        &bases[..bases.len().min(scalars.len())],
        &scalars[..bases.len().min(scalars.len())],
    );
    let small: Vec<Option<i64>> = scalars.par_iter().map(signed_small).collect();
    let large = small.iter().filter(|s| s.is_none()).count();
    if large == small.len() {
        return G::msm_unchecked(bases, scalars);
    }
    let (mut small_bases, mut ints) = (Vec::new(), Vec::new());
    let (mut large_bases, mut large_scalars) = (Vec::new(), Vec::new());
    if large > 0 {
        for ((b, s), v) in bases.iter().zip(scalars).zip(&small) {
            match v {
                Some(i) => {
                    small_bases.push(*b);
                    ints.push(*i);
                }
                None => {
                    large_bases.push(*b);
                    large_scalars.push(*s);
                }
            }
        }
        return msm_small::<G>(&small_bases, &ints)
            + G::msm_unchecked(&large_bases, &large_scalars);
    }
    ints.extend(small.into_iter().flatten());
    msm_small::<G>(bases, &ints)
}

/// `s` as a signed integer when `|s| < 2^63`.
fn signed_small<F: PrimeField>(s: &F) -> Option<i64> {
    let as_i64 = |x: F| {
        let big = x.into_bigint();
        let limbs = big.as_ref();
        (limbs[1..].iter().all(|&l| l == 0))
            .then(|| i64::try_from(limbs[0]).ok())
            .flatten()
    };
    as_i64(*s).or_else(|| as_i64(-*s).map(|i| -i))
}

/// `Σ s_i·B_i` for signed integer scalars: one Pippenger sum per core over its share of the
/// terms.
fn msm_small<G: CurveGroup>(bases: &[G::Affine], ints: &[i64]) -> G {
    let bits = 64
        - ints
            .iter()
            .fold(0, |a, s| a | s.unsigned_abs())
            .leading_zeros() as usize;
    if bits == 0 {
        return G::zero();
    }
    let chunk = ints.len().div_ceil(rayon::current_num_threads()).max(1);
    bases
        .par_chunks(chunk)
        .zip(ints.par_chunks(chunk))
        .map(|(b, s)| pippenger::<G>(b, s, bits))
        .sum()
}

/// Pippenger's bucket method over `⌈bits / c⌉` windows of `c` bits of `|s_i|`, the window width
/// minimizing the additions (one per term and window, two per bucket and window).
fn pippenger<G: CurveGroup>(bases: &[G::Affine], ints: &[i64], bits: usize) -> G {
    let c = (1..=bits.min(20))
        .min_by_key(|&c| bits.div_ceil(c) * (ints.len() + (2 << c)))
        .unwrap_or(1);
    let mut buckets = vec![G::zero(); (1 << c) - 1];
    let mut total = G::zero();
    for j in (0..bits.div_ceil(c)).rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        buckets.iter_mut().for_each(|b| *b = G::zero());
        for (b, &s) in bases.iter().zip(ints) {
            let d = ((s.unsigned_abs() >> (j * c)) & ((1 << c) - 1)) as usize;
            if d != 0 {
                if s < 0 {
                    buckets[d - 1] -= b;
                } else {
                    buckets[d - 1] += b;
                }
            }
        }
        let mut running = G::zero();
        for b in buckets.iter().rev() {
            running += b;
            total += running;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{Fr, G1Projective, G2Projective};
    use kaizen_field::ark_ff::{AdditiveGroup, Field, UniformRand};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn check<G: CurveGroup<ScalarField = Fr>>(bases: &[G::Affine], scalars: &[Fr]) {
        assert_eq!(msm::<G>(bases, scalars), G::msm_unchecked(bases, scalars));
    }

    /// Small signed scalars (up to `±(2^63 − 1)`, zeros, a single term), large ones and mixes of
    /// both give ark-ec's MSM, in both groups.
    #[test]
    fn agrees_with_ark_msm() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let n = 700;
        let g1: Vec<_> = (0..n)
            .map(|_| G1Projective::rand(&mut rng).into_affine())
            .collect();
        let g2: Vec<_> = (0..64)
            .map(|_| G2Projective::rand(&mut rng).into_affine())
            .collect();
        let int = |i: i64| {
            if i < 0 {
                -Fr::from(i.unsigned_abs())
            } else {
                Fr::from(i as u64)
            }
        };
        let small: Vec<Fr> = (0..n)
            .map(|_| int(rng.gen_range(-(1 << 24)..1 << 24)))
            .collect();
        let wide: Vec<Fr> = (0..n)
            .map(|_| int(rng.gen_range(i64::MIN + 1..=i64::MAX)))
            .collect();
        let large: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let mixed: Vec<Fr> = small
            .iter()
            .zip(&large)
            .enumerate()
            .map(|(i, (&s, &l))| if i % 3 == 0 { l } else { s })
            .collect();
        let edges = [
            int(i64::MAX),
            int(-i64::MAX),
            int(i64::MIN),
            Fr::from(1u64 << 63),
            Fr::ZERO,
            Fr::ONE,
            -Fr::ONE,
        ];
        for scalars in [&small, &wide, &large, &mixed, &vec![Fr::ZERO; n]] {
            check::<G1Projective>(&g1, scalars);
        }
        check::<G1Projective>(&g1, &edges);
        check::<G1Projective>(&g1[..1], &small[..1]);
        check::<G1Projective>(&g1[..0], &small[..0]);
        check::<G2Projective>(&g2, &small[..64]);
        check::<G2Projective>(&g2, &mixed[..64]);
    }

    #[test]
    fn small_scalars_are_recognized_with_their_sign() {
        assert_eq!(signed_small(&Fr::from(5u64)), Some(5));
        assert_eq!(signed_small(&-Fr::from(5u64)), Some(-5));
        assert_eq!(signed_small(&Fr::from(i64::MAX as u64)), Some(i64::MAX));
        assert_eq!(signed_small(&Fr::from(1u64 << 63)), None);
        assert_eq!(signed_small(&-Fr::from(1u64 << 63)), None);
        assert_eq!(signed_small(&Fr::from(2u64).pow([100])), None);
    }
}
