//! Fixed-base scalar multiplication in batch: `base·s` for many scalars `s`, returned in affine
//! form — how the KZG backend computes its parameter tables `g^{eq(τ, ·)}`.
//!
//! Each scalar is written in signed windows of `w` bits (digits in `(−2^{w−1}, 2^{w−1}]`), so
//! `base·s = Σ_j d_j·(2^{wj}·base)` is one addition per window from a table of the multiples
//! `k·2^{wj}·base`, `k ∈ 1..=2^{w−1}` (the sign flips `y`). The additions run in affine
//! coordinates over a batch of scalars at a time: the batch's denominators `x_2 − x_1` share one
//! field inversion (Montgomery's trick), so an addition costs about six multiplications against
//! eleven for a projective–affine one, and the results need no normalization. `w` minimizes the
//! additions plus the table's size for the number of scalars, up to 14 bits (2^18 scalars and
//! more).
//!
//! An addition whose two points have the same `x` (a doubling, or a sum at infinity) is not
//! computed in affine form: that scalar is multiplied on its own instead. The partial sums are the
//! signed-digit prefixes of a scalar below the group order, so this happens for at most a few
//! scalars crafted for it (unit test: `exceptional_sums_fall_back`), never for a random one.
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::CurveGroup;
use kaizen_field::ark_ff::{AdditiveGroup, Field, PrimeField};
use rayon::prelude::*;

/// Scalars per batch of affine additions (one inversion each).
const LANES: usize = 1024;

/// Groups with batched fixed-base multiplication.
pub trait FixedBaseMul: CurveGroup {
    /// `[base·s for s in scalars]`, in affine form.
    fn fixed_base_mul(base: Self, scalars: &[Self::ScalarField]) -> Vec<Self::Affine>;
}

impl<P: SWCurveConfig> FixedBaseMul for Projective<P> {
    fn fixed_base_mul(base: Self, scalars: &[P::ScalarField]) -> Vec<Affine<P>> {
        let bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
        mul_with_window(base, scalars, window(scalars.len(), bits)).0
    }
}

/// The window width minimizing `windows · (additions per window + table points per window)`,
/// a table point costing about two batched additions; at most 14 bits (tables of 16-bit windows,
/// 54 MiB in G1 and 108 MiB in G2 for BLS12-381, were no faster for 2^18–2^20 scalars: their
/// reads leave the cache).
fn window(num_scalars: usize, bits: usize) -> usize {
    (2..=14)
        .min_by_key(|&w| (bits / w + 1) * (num_scalars + (1 << w)))
        .unwrap_or(2)
}

/// The multiples `k·2^{wj}·base` for `k ∈ 1..=2^{w−1}`, window `j` after window `j − 1`.
struct Table<P: SWCurveConfig> {
    half: usize,
    points: Vec<Affine<P>>,
}

impl<P: SWCurveConfig> Table<P> {
    fn new(base: Projective<P>, w: usize, windows: usize) -> Self {
        let half = 1 << (w - 1);
        let window_bases: Vec<Projective<P>> = std::iter::successors(Some(base), |b| {
            let mut b = *b;
            (0..w).for_each(|_| {
                b.double_in_place();
            });
            Some(b)
        })
        .take(windows)
        .collect();
        let multiples: Vec<Projective<P>> = window_bases
            .par_iter()
            .flat_map_iter(|&b| std::iter::successors(Some(b), move |m| Some(*m + b)).take(half))
            .collect();
        Self {
            half,
            points: Projective::normalize_batch(&multiples),
        }
    }

    /// `d·2^{wj}·base` for a digit `d ≠ 0`.
    fn get(&self, j: usize, d: i32) -> Affine<P> {
        let p = self.points[j * self.half + d.unsigned_abs() as usize - 1];
        if d < 0 {
            -p
        } else {
            p
        }
    }
}

/// Bits `start..start + w` of a little-endian limb array (`w ≤ 32`).
pub(crate) fn bits_at(limbs: &[u64], start: usize, w: usize) -> i64 {
    let (i, s) = (start / 64, start % 64);
    let lo = limbs.get(i).map_or(0, |l| l >> s);
    let hi = match limbs.get(i + 1) {
        Some(l) if s + w > 64 => l << (64 - s),
        _ => 0,
    };
    ((lo | hi) & ((1 << w) - 1)) as i64
}

/// The signed `w`-bit digits of `limbs`, one per entry of `digits`: `Σ_j d_j·2^{wj}` equals the
/// integer when `digits` spans one window more than its bits need.
fn signed_digits(limbs: &[u64], w: usize, digits: &mut [i32]) {
    let mut carry = 0;
    for (j, d) in digits.iter_mut().enumerate() {
        let v = bits_at(limbs, j * w, w) + carry;
        carry = i64::from(v > 1 << (w - 1));
        *d = (v - (carry << w)) as i32;
    }
    debug_assert_eq!(carry, 0);
}

/// `[base·s for s in scalars]` with windows of `w` bits, and how many scalars took the
/// exceptional path (multiplied on their own).
fn mul_with_window<P: SWCurveConfig>(
    base: Projective<P>,
    scalars: &[P::ScalarField],
    w: usize,
) -> (Vec<Affine<P>>, usize) {
    let windows = P::ScalarField::MODULUS_BIT_SIZE as usize / w + 1;
    let table = Table::new(base, w, windows);
    let mut out = vec![Affine::identity(); scalars.len()];
    let exceptional = out
        .par_chunks_mut(LANES)
        .zip(scalars.par_chunks(LANES))
        .map(|(out, scalars)| {
            let mut digits = vec![0; scalars.len() * windows];
            for (s, d) in scalars.iter().zip(digits.chunks_mut(windows)) {
                signed_digits(s.into_bigint().as_ref(), w, d);
            }
            let on_own = accumulate(&table, &digits, windows, out);
            for &lane in &on_own {
                out[lane] = (base * scalars[lane]).into_affine();
            }
            on_own.len()
        })
        .sum();
    (out, exceptional)
}

/// Adds each window's table point to every lane's sum (`acc`, starting at infinity), the batch's
/// denominators inverted together; returns the lanes whose sum met a point with its own `x`
/// (left unfinished).
fn accumulate<P: SWCurveConfig>(
    table: &Table<P>,
    digits: &[i32],
    windows: usize,
    acc: &mut [Affine<P>],
) -> Vec<usize> {
    let mut on_own = vec![false; acc.len()];
    let mut lanes = Vec::with_capacity(acc.len());
    let mut addends = Vec::with_capacity(acc.len());
    let mut dens = Vec::with_capacity(acc.len());
    let mut prefix = Vec::with_capacity(acc.len());
    for j in 0..windows {
        lanes.clear();
        addends.clear();
        dens.clear();
        for (lane, a) in acc.iter_mut().enumerate() {
            let d = digits[lane * windows + j];
            if d == 0 || on_own[lane] {
                continue;
            }
            let p = table.get(j, d);
            if a.infinity {
                *a = p;
            } else if a.x == p.x {
                on_own[lane] = true;
            } else {
                lanes.push(lane);
                addends.push(p);
                dens.push(p.x - a.x);
            }
        }
        invert_all(&mut dens, &mut prefix);
        for ((&lane, p), inv) in lanes.iter().zip(&addends).zip(&dens) {
            acc[lane] = add_with_inverse(&acc[lane], p, inv);
        }
    }
    (0..acc.len()).filter(|&lane| on_own[lane]).collect()
}

/// `a + p` for affine points with `x_a ≠ x_p`, given `inv = 1 / (x_p − x_a)`.
pub(crate) fn add_with_inverse<P: SWCurveConfig>(
    a: &Affine<P>,
    p: &Affine<P>,
    inv: &P::BaseField,
) -> Affine<P> {
    let lambda = (p.y - a.y) * inv;
    let x = lambda.square() - a.x - p.x;
    let y = lambda * (a.x - x) - a.y;
    Affine::new_unchecked(x, y)
}

/// Replaces every entry of `values` (all non-zero) by its inverse with one field inversion;
/// `prefix` is scratch space.
pub(crate) fn invert_all<F: Field>(values: &mut [F], prefix: &mut Vec<F>) {
    prefix.clear();
    let mut running = F::ONE;
    for v in values.iter() {
        prefix.push(running);
        running *= v;
    }
    let mut inv = running.inverse().unwrap_or(F::ZERO);
    for (v, before) in values.iter_mut().zip(prefix.iter()).rev() {
        let next = inv * *v;
        *v = inv * before;
        inv = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{g1, g2, Fr, G1Projective, G2Projective};
    use kaizen_field::ark_ff::{BigInt, BigInteger, UniformRand};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn check<P: SWCurveConfig<ScalarField = Fr>>(base: Projective<P>, scalars: &[Fr], w: usize) {
        let (got, _) = mul_with_window(base, scalars, w);
        let want: Vec<Affine<P>> = scalars.iter().map(|s| (base * s).into_affine()).collect();
        assert_eq!(got, want, "window {w}");
    }

    /// Random scalars and the edges (0, ±1, ±2^k, the largest) against plain multiplication, in
    /// both groups, for batch sizes across a batch boundary and several window widths.
    #[test]
    fn agrees_with_scalar_multiplication() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut scalars: Vec<Fr> = vec![Fr::ZERO, Fr::ONE, -Fr::ONE, -Fr::from(2u64)];
        scalars.extend((0..255).map(|k| Fr::from(2u64).pow([k])));
        scalars.extend((0..LANES + 7).map(|_| Fr::rand(&mut rng)));
        let g = G1Projective::rand(&mut rng);
        let h = G2Projective::rand(&mut rng);
        for w in [2, 5, 8, 13, 16] {
            check::<g1::Config>(g, &scalars, w);
        }
        check::<g2::Config>(h, &scalars[..300], 7);
        for n in [0, 1, 2, 3, 1000] {
            let got = G1Projective::fixed_base_mul(g, &scalars[..n]);
            let want: Vec<_> = scalars[..n].iter().map(|s| (g * s).into_affine()).collect();
            assert_eq!(got, want, "{n} scalars");
        }
    }

    /// For every window width where the construction applies (bits `jw − 1` and `jw − 2` of the
    /// group order `r` clear, `j` the top window), the scalar `r − 2·(r mod 2^{jw})` makes the
    /// partial sum before the top window, `−(r mod 2^{jw})`, equal to the top window's point
    /// `(r >> jw)·2^{jw}`: a doubling, computed on its own, still correct.
    #[test]
    fn exceptional_sums_fall_back() {
        let r = Fr::MODULUS;
        let g = G1Projective::rand(&mut ChaCha20Rng::seed_from_u64(4));
        let mut tested = 0;
        for w in 2..=16 {
            let low_bits = (Fr::MODULUS_BIT_SIZE as usize / w) * w;
            if r.get_bit(low_bits - 1) || r.get_bit(low_bits - 2) {
                continue;
            }
            let mut low = BigInt::<4>::zero();
            for i in 0..low_bits {
                low.0[i / 64] |= u64::from(r.get_bit(i)) << (i % 64);
            }
            let s = -Fr::from(2u64) * Fr::from_bigint(low).unwrap_or(Fr::ZERO);
            let (got, exceptional) = mul_with_window(g, &[s, Fr::ONE], w);
            assert_eq!(exceptional, 1, "window {w}");
            assert_eq!(got, vec![(g * s).into_affine(), g.into_affine()]);
            tested += 1;
        }
        assert!(tested > 0);
    }

    #[test]
    fn window_grows_with_the_batch() {
        assert_eq!(window(1 << 21, 255), 14);
        assert!(window(1 << 10, 255) < window(1 << 16, 255));
        assert_eq!(window(0, 255), 2);
    }
}
