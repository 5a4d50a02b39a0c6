//! Multi-scalar multiplication `Σ s_i·B_i` for short-Weierstrass curves, faster than ark-ec's
//! for the scalars of a KZG prover.
//!
//! * **Small signed scalars** — the committed tables of a training step (fixed-point integers) and
//!   the first quotient of a KZG opening (their differences). ark-ec's MSM runs Pippenger's
//!   buckets over every window of the field's 255 bits, also for a scalar such as `−3` (`r − 3`
//!   as an integer). Here a scalar `s` with `|s| < 2^63` (as `s` or `−s`) is multiplied as that
//!   signed integer: its base is negated when `s < 0`, and the buckets run over the windows of
//!   the largest `|s|` only (two 12-bit windows for 24-bit values instead of seventeen 15-bit
//!   ones).
//! * **Full-width scalars** (the later quotients) — Pippenger with buckets in affine
//!   coordinates: the additions into a window's buckets are queued, a batch at a time, and their
//!   denominators share one field inversion (about six multiplications per addition against
//!   eleven for a projective–affine one). A term whose bucket already has an addition queued, or
//!   has the term's `x` (a doubling or a sum at infinity), goes to the bucket's projective side
//!   sum instead (a few percent of random terms; all but one per batch when many scalars are
//!   equal, so repeated values cost no more than projective buckets). A window of fewer than
//!   10 bits (the top one) keeps projective buckets. Fewer than 2^14 terms go to ark-ec's MSM.
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{CurveGroup, VariableBaseMSM};
use kaizen_field::ark_ff::{AdditiveGroup, PrimeField};
use rayon::prelude::*;

use crate::fixed_base::{add_with_inverse, bits_at, invert_all};

/// Fewest full-width terms for the affine-bucket method.
const AFFINE_MIN_TERMS: usize = 1 << 14;

/// Narrowest window with affine buckets: a narrower one (the top window, with the scalars' last
/// few bits) has so few buckets that a batch would be a handful of additions per inversion and
/// most terms would find their bucket busy.
const AFFINE_MIN_WIDTH: usize = 10;

/// Bucket additions per shared inversion.
const BATCH: usize = 512;

/// Groups with [`Msm::multi_scalar_mul`].
pub trait Msm: CurveGroup {
    /// `Σ s_i·B_i` over the common length of `bases` and `scalars`.
    fn multi_scalar_mul(bases: &[Self::Affine], scalars: &[Self::ScalarField]) -> Self;
}

impl<P: SWCurveConfig> Msm for Projective<P> {
    fn multi_scalar_mul(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> Self {
        let n = bases.len().min(scalars.len());
        let (bases, scalars) = (&bases[..n], &scalars[..n]);
        let small: Vec<Option<i64>> = scalars.par_iter().map(signed_small).collect();
        if small.iter().all(Option::is_some) {
            let ints: Vec<i64> = small.into_iter().flatten().collect();
            return msm_small(bases, &ints);
        }
        if small.iter().all(Option::is_none) {
            return msm_large(bases, scalars);
        }
        let (mut small_bases, mut ints) = (Vec::new(), Vec::new());
        let (mut large_bases, mut large_scalars) = (Vec::new(), Vec::new());
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
        msm_small(&small_bases, &ints) + msm_large(&large_bases, &large_scalars)
    }
}

/// `Σ s_i·B_i` for full-width scalars: ark-ec's MSM below [`AFFINE_MIN_TERMS`] terms, else
/// affine buckets.
fn msm_large<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> Projective<P> {
    if scalars.len() < AFFINE_MIN_TERMS {
        Projective::msm_unchecked(bases, scalars)
    } else {
        msm_affine(bases, scalars)
    }
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
fn msm_small<P: SWCurveConfig>(bases: &[Affine<P>], ints: &[i64]) -> Projective<P> {
    let bits = 64
        - ints
            .iter()
            .fold(0, |a, s| a | s.unsigned_abs())
            .leading_zeros() as usize;
    if bits == 0 {
        return Projective::ZERO;
    }
    let chunk = ints.len().div_ceil(rayon::current_num_threads()).max(1);
    bases
        .par_chunks(chunk)
        .zip(ints.par_chunks(chunk))
        .map(|(b, s)| pippenger(b, s, bits))
        .sum()
}

/// Pippenger's bucket method over `⌈bits / c⌉` windows of `c` bits of `|s_i|`, the window width
/// minimizing the additions (one per term and window, two per bucket and window).
fn pippenger<P: SWCurveConfig>(bases: &[Affine<P>], ints: &[i64], bits: usize) -> Projective<P> {
    let c = (1..=bits.min(20))
        .min_by_key(|&c| bits.div_ceil(c) * (ints.len() + (2 << c)))
        .unwrap_or(1);
    let sums: Vec<Projective<P>> = (0..bits.div_ceil(c))
        .map(|j| {
            let terms = bases.iter().zip(ints).map(|(&b, &s)| {
                let d = ((s.unsigned_abs() >> (j * c)) & ((1 << c) - 1)) as usize;
                (if s < 0 { -b } else { b }, d)
            });
            projective_window(terms, c)
        })
        .collect();
    combine_windows(&sums, c)
}

/// One window of Pippenger's method with projective buckets: `Σ_k k·(Σ of the bases whose digit
/// is k)`.
fn projective_window<G: CurveGroup>(
    terms: impl Iterator<Item = (G::Affine, usize)>,
    width: usize,
) -> G {
    let mut buckets = vec![G::zero(); (1 << width) - 1];
    for (b, d) in terms.filter(|(_, d)| *d != 0) {
        buckets[d - 1] += b;
    }
    bucket_sum(&buckets)
}

/// `Σ_j 2^{cj}·sums[j]`, from the top window down.
fn combine_windows<G: CurveGroup>(sums: &[G], c: usize) -> G {
    sums.iter().rev().fold(G::zero(), |mut total, s| {
        for _ in 0..c {
            total.double_in_place();
        }
        total + s
    })
}

/// `Σ_k (k + 1)·buckets[k]` by running sums (two additions per bucket).
fn bucket_sum<G: CurveGroup>(buckets: &[G]) -> G {
    let (mut running, mut total) = (G::zero(), G::zero());
    for b in buckets.iter().rev() {
        running += b;
        total += running;
    }
    total
}

/// `Σ s_i·B_i` for full-width scalars: Pippenger's windows in parallel, each window's buckets
/// filled by batched affine additions.
fn msm_affine<P: SWCurveConfig>(bases: &[Affine<P>], scalars: &[P::ScalarField]) -> Projective<P> {
    let bigints: Vec<_> = scalars.par_iter().map(|s| s.into_bigint()).collect();
    let bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
    let c = (4..=20)
        .min_by_key(|&c| bits.div_ceil(c) * (bases.len() + (3 << c)))
        .unwrap_or(4);
    let sums: Vec<Projective<P>> = (0..bits.div_ceil(c))
        .into_par_iter()
        .map(|j| {
            let digits = bigints
                .iter()
                .map(|s| bits_at(s.as_ref(), j * c, c) as usize);
            let width = c.min(bits - j * c);
            if width < AFFINE_MIN_WIDTH {
                return projective_window(bases.iter().copied().zip(digits), width);
            }
            let mut buckets = Buckets::new((1 << width) - 1);
            for (b, d) in bases.iter().zip(digits).filter(|(_, d)| *d != 0) {
                buckets.add(d - 1, *b);
            }
            buckets.weighted_sum()
        })
        .collect();
    combine_windows(&sums, c)
}

/// One window's buckets in affine form, with the queued additions and the projective side sums
/// of the terms that could not be queued.
struct Buckets<P: SWCurveConfig> {
    points: Vec<Affine<P>>,
    side: Vec<Projective<P>>,
    busy: Vec<bool>,
    queue: Vec<(usize, Affine<P>)>,
    dens: Vec<P::BaseField>,
    prefix: Vec<P::BaseField>,
    batch: usize,
}

impl<P: SWCurveConfig> Buckets<P> {
    fn new(count: usize) -> Self {
        let batch = BATCH.min(count / 8).max(1);
        Self {
            points: vec![Affine::identity(); count],
            side: vec![Projective::ZERO; count],
            busy: vec![false; count],
            queue: Vec::with_capacity(batch),
            dens: Vec::with_capacity(batch),
            prefix: Vec::with_capacity(batch),
            batch,
        }
    }

    /// Adds `p` to bucket `k`: queued, or at once when the bucket is empty, or to its side sum
    /// when it has an addition queued already or the same `x` as `p`.
    fn add(&mut self, k: usize, p: Affine<P>) {
        let a = self.points[k];
        if self.busy[k] || (a.x == p.x && !a.infinity) {
            self.side[k] += p;
        } else if a.infinity {
            self.points[k] = p;
        } else {
            self.busy[k] = true;
            self.dens.push(p.x - a.x);
            self.queue.push((k, p));
            if self.queue.len() == self.batch {
                self.flush();
            }
        }
    }

    /// Performs the queued additions with one inversion.
    fn flush(&mut self) {
        invert_all(&mut self.dens, &mut self.prefix);
        for ((k, p), inv) in self.queue.drain(..).zip(&self.dens) {
            self.points[k] = add_with_inverse(&self.points[k], &p, inv);
            self.busy[k] = false;
        }
        self.dens.clear();
    }

    /// `Σ_k (k + 1)·bucket_k`, after the queued additions.
    fn weighted_sum(mut self) -> Projective<P> {
        self.flush();
        for (side, p) in self.side.iter_mut().zip(&self.points) {
            *side += p;
        }
        bucket_sum(&self.side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed_base::FixedBaseMul;
    use ark_bls12_381::{Fr, G1Projective, G2Projective};
    use kaizen_field::ark_ff::{AdditiveGroup, Field, UniformRand};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn check<G: Msm<ScalarField = Fr>>(bases: &[G::Affine], scalars: &[Fr]) {
        assert_eq!(
            G::multi_scalar_mul(bases, scalars),
            G::msm_unchecked(bases, scalars)
        );
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

    /// The affine buckets against ark-ec's MSM: random bases; one base repeated and negated (every
    /// bucket meets its own `x`: doublings and sums at infinity in the side sums); and through
    /// [`Msm::multi_scalar_mul`] above its threshold, alone and mixed with small scalars.
    #[test]
    fn affine_buckets_agree_with_ark_msm() {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let g = G1Projective::rand(&mut rng);
        let n = AFFINE_MIN_TERMS + 100;
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let bases = G1Projective::fixed_base_mul(g, &scalars);
        let want = |b: &[_], s: &[Fr]| G1Projective::msm_unchecked(b, s);
        assert_eq!(
            msm_affine(&bases[..3000], &scalars[..3000]),
            want(&bases[..3000], &scalars[..3000])
        );
        let repeated: Vec<_> = (0..3000)
            .map(|i| if i % 3 == 0 { -bases[0] } else { bases[0] })
            .collect();
        let few: Vec<Fr> = (0..3000)
            .map(|i| Fr::from(1 + i as u64 % 5) * scalars[7])
            .collect();
        for s in [&scalars[..3000], &few[..]] {
            assert_eq!(msm_affine(&repeated, s), want(&repeated, s));
        }
        let mixed: Vec<Fr> = scalars
            .iter()
            .enumerate()
            .map(|(i, &s)| if i % 50 == 0 { Fr::from(i as u64) } else { s })
            .collect();
        check::<G1Projective>(&bases, &mixed);
        check::<G1Projective>(&bases, &scalars);
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
