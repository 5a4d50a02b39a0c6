//! The Mersenne prime field `F_p`, `p = 2^61 − 1`, and its quadratic extension `F_p[i]/(i² + 1)`.
//!
//! `p ≡ 3 (mod 4)`, so `−1` is a non-residue and `i² = −1` defines `F_{p²}`. Its multiplicative group
//! has order `p² − 1 = 2^62·(2^60 − 1)`: 2-adicity 62, so Reed–Solomon domains of any practical size
//! exist.
//!
//! `F_p` is ark-ff's [`Fp64`] over our own backend [`M61Config`]: elements are stored canonically
//! (in `[0, p)`, not in Montgomery form) and a product `x < 2^122` reduces with shifts and adds,
//! `x ≡ (x mod 2^61) + ⌊x / 2^61⌋`, since `2^61 ≡ 1`. Sums of products (ark-ff's extension-field
//! multiplication uses them) accumulate in `u128` and reduce once, so an `F_{p²}` product costs four
//! 64-bit multiplications and two reductions.
use std::marker::PhantomData;

use ark_ff::{
    fields::{Fp, Fp2, Fp2Config, Fp64, FpConfig},
    BigInt, Field, PrimeField, SqrtPrecomputation, Zero,
};

use crate::{Accumulator, KaizenField};

pub(crate) mod lanes;

/// `p = 2^61 − 1`.
pub(crate) const P: u64 = (1 << 61) - 1;

/// The element with canonical value `v < p`.
pub(crate) const fn m61(v: u64) -> M61 {
    Fp(BigInt([v]), PhantomData)
}

/// `y mod p` for `y < 2p`, without a branch or a comparison: `y ≥ p` exactly when
/// `y + 1 ≥ 2^61`, and then `(y + 1) mod 2^61 = y − p`. (Shifts, adds and masks only, so the
/// compiler's vectorised forms stay cheap on baseline x86-64, which has no unsigned 64-bit compare.)
#[inline(always)]
pub(crate) fn canonical(y: u64) -> u64 {
    (y + ((y + 1) >> 61)) & P
}

/// `x·2^k` for `k < 61`: a rotation of the canonical 61-bit value (never all ones, so the result
/// is canonical too).
#[inline(always)]
pub(crate) fn mul_pow2(x: M61, k: u32) -> M61 {
    debug_assert!(k < 61);
    let v = x.0 .0[0];
    m61(((v << k) | (v >> (61 - k))) & P)
}

/// `Σ xs`, adding canonical values eight at a time without reduction (eight stay below 2^64).
#[inline(always)]
pub(crate) fn sum_lazy(xs: &[M61]) -> M61 {
    let partial = |c: &[M61]| reduce64(c.iter().map(|x| x.0 .0[0]).sum());
    m61(reduce64(xs.chunks(8).map(partial).sum()))
}

/// `x mod p` for `x < 2^64`, canonical.
#[inline(always)]
fn reduce64(x: u64) -> u64 {
    canonical((x & P) + (x >> 61))
}

/// `x mod p` for any `x < 2^128`, canonical.
#[inline(always)]
fn reduce128(x: u128) -> u64 {
    // (x mod 2^61) + ⌊x / 2^61⌋ < 2^61 + 2^67 fits in 68 bits; a second fold brings it below 2^62.
    let y = (x as u64 & P) as u128 + (x >> 61);
    reduce64((y as u64 & P) + (y >> 61) as u64)
}

/// `x mod p` for `x < 2^125 − 2^122`, canonical: one fold leaves less than `2^64`.
#[inline(always)]
fn reduce125(x: u128) -> u64 {
    reduce64((x as u64 & P) + (x >> 61) as u64)
}

/// ark-ff backend for `F_p`, `p = 2^61 − 1`, with canonical (non-Montgomery) storage and Mersenne
/// reduction; 37 generates `F_p^*`.
pub struct M61Config;

impl FpConfig<1> for M61Config {
    const MODULUS: BigInt<1> = BigInt([P]);
    const GENERATOR: M61 = m61(37);
    const ZERO: M61 = m61(0);
    const ONE: M61 = m61(1);
    const TWO_ADICITY: u32 = 1;
    const TWO_ADIC_ROOT_OF_UNITY: M61 = m61(P - 1);
    const SQRT_PRECOMP: Option<SqrtPrecomputation<M61>> = Some(SqrtPrecomputation::Case3Mod4 {
        modulus_plus_one_div_four: &[(P + 1) / 4],
    });

    #[inline(always)]
    fn add_assign(a: &mut M61, b: &M61) {
        a.0 .0[0] = canonical(a.0 .0[0] + b.0 .0[0]);
    }

    #[inline(always)]
    fn sub_assign(a: &mut M61, b: &M61) {
        a.0 .0[0] = canonical(a.0 .0[0] + P - b.0 .0[0]);
    }

    #[inline(always)]
    fn double_in_place(a: &mut M61) {
        let b = *a;
        Self::add_assign(a, &b);
    }

    #[inline(always)]
    fn neg_in_place(a: &mut M61) {
        a.0 .0[0] = canonical(P - a.0 .0[0]);
    }

    #[inline(always)]
    fn mul_assign(a: &mut M61, b: &M61) {
        let x = a.0 .0[0] as u128 * b.0 .0[0] as u128;
        // x < (p − 1)² < 2^122, and x ≢ 0 unless a or b is 0: the two halves sum to below 2p.
        a.0 .0[0] = canonical((x as u64 & P) + (x >> 61) as u64);
    }

    #[inline(always)]
    fn sum_of_products<const T: usize>(a: &[M61; T], b: &[M61; T]) -> M61 {
        let product = |k: usize| a[k].0 .0[0] as u128 * b[k].0 .0[0] as u128;
        if T <= 2 {
            // Below 2^123.
            return m61(reduce125((0..T).fold(0u128, |s, k| s + product(k))));
        }
        // Each product is below 2^122, so 64 of them fit in a u128.
        let mut acc = 0u64;
        for start in (0..T).step_by(64) {
            let sum = (start..T.min(start + 64)).fold(0u128, |s, k| s + product(k));
            acc = reduce64(acc + reduce128(sum));
        }
        m61(acc)
    }

    #[inline(always)]
    fn square_in_place(a: &mut M61) {
        let b = *a;
        Self::mul_assign(a, &b);
    }

    fn inverse(a: &M61) -> Option<M61> {
        // Fermat: a^(p − 2), p − 2 = (2^59 − 1)·4 + 1, through e_k = a^(2^k − 1) and
        // e_{j+k} = e_j^(2^k)·e_k: 60 squarings and 10 multiplications.
        if a.is_zero() {
            return None;
        }
        let e = |x: M61, k: u32, y: M61| (0..k).fold(x, |z, _| z.square()) * y;
        let e1 = *a;
        let e2 = e(e1, 1, e1);
        let e4 = e(e2, 2, e2);
        let e8 = e(e4, 4, e4);
        let e16 = e(e8, 8, e8);
        let e32 = e(e16, 16, e16);
        let e48 = e(e32, 16, e16);
        let e56 = e(e48, 8, e8);
        let e58 = e(e56, 2, e2);
        let e59 = e(e58, 1, e1);
        Some(e(e59, 2, e1))
    }

    fn from_bigint(r: BigInt<1>) -> Option<M61> {
        (r.0[0] < P).then(|| m61(r.0[0]))
    }

    #[inline(always)]
    fn into_bigint(a: M61) -> BigInt<1> {
        a.0
    }
}

/// The base field `F_p`, `p = 2^61 − 1`. Too small for challenges on its own (61 bits); use it for
/// values and for the Poseidon2 sponge state.
pub type M61 = Fp64<M61Config>;

/// Quadratic-extension parameters: `i² = −1`.
pub struct M61Ext2Config;

impl Fp2Config for M61Ext2Config {
    type Fp = M61;
    const NONRESIDUE: M61 = m61(P - 1);
    const FROBENIUS_COEFF_FP2_C1: &'static [M61] = &[m61(1), m61(P - 1)];

    #[inline(always)]
    fn mul_fp_by_nonresidue_in_place(fe: &mut M61) -> &mut M61 {
        *fe = -*fe;
        fe
    }
}

/// `F_{p²}` with `p = 2^61 − 1`: the default proof field (2^122 elements).
pub type M61Ext2 = Fp2<M61Ext2Config>;

/// A primitive `2^62`-th root of unity of `F_{p²}`: `(4 + i)^((p² − 1)/2^62)`.
const EXT2_ROOT_2_62: M61Ext2 = M61Ext2::new(m61(1649274078120318132), m61(1985410294053884626));

/// Centred signed value of a prime-field element if it is below `2^bits` in absolute value.
pub(crate) fn prime_to_signed<P: PrimeField>(x: &P, bits: u32) -> Option<i128> {
    use ark_ff::BigInteger;
    let small = |v: &P| -> Option<i128> {
        let big = v.into_bigint();
        (big.num_bits() <= bits).then(|| {
            let limbs = big.as_ref();
            let lo = limbs[0] as u128 | ((*limbs.get(1).unwrap_or(&0) as u128) << 64);
            lo as i128
        })
    };
    small(x).or_else(|| small(&-*x).map(|v| -v))
}

/// The canonical value of an element.
#[inline(always)]
pub(crate) fn value(x: M61) -> u64 {
    x.0 .0[0]
}

/// `a + r·(b − a)` in `F_p` from canonical values, reduced once: `b + p − a < 2^62`, so the sum is
/// below `2^124`.
#[inline(always)]
fn lerp_value(a: u64, b: u64, r: u64) -> u64 {
    reduce125(a as u128 + (b + P - a) as u128 * r as u128)
}

/// An unreduced sum of `F_p` terms: a `u128` and the number of times it wrapped around
/// (`2^128 = 2^(2·61 + 6) ≡ 2^6`). Terms (products of canonical values are below `2^122`, of
/// unreduced differences below `2^124`) are added as they are.
#[derive(Clone, Copy, Debug, Default)]
pub struct M61Acc {
    low: u128,
    wraps: u64,
}

impl M61Acc {
    #[inline(always)]
    fn add_raw(&mut self, x: u128) {
        let (sum, wrapped) = self.low.overflowing_add(x);
        self.low = sum;
        self.wraps += u64::from(wrapped);
    }

    /// `low + wraps·2^128 ≡ low + wraps·2^6`: `low` folded at bit 61 (below `2^68`) plus
    /// `wraps·2^6` (below `2^70`), folded again (below `2^62`) and corrected.
    #[inline(always)]
    fn reduce_raw(self) -> u64 {
        let y = (self.low as u64 & P) as u128 + (self.low >> 61) + ((self.wraps as u128) << 6);
        reduce64((y as u64 & P) + (y >> 61) as u64)
    }
}

/// `b − a + p` for canonical `a`, `b`: the difference, unreduced (below `2^62`).
#[inline(always)]
fn wide_difference(a: M61, b: M61) -> u64 {
    value(b) + P - value(a)
}

impl Accumulator<M61> for M61Acc {
    #[inline(always)]
    fn add_product(&mut self, a: M61, b: M61) {
        self.add_raw(value(a) as u128 * value(b) as u128);
    }

    /// The differences unreduced: their product is below `2^124`.
    #[inline(always)]
    fn add_product_of_differences(&mut self, (a0, a1): (M61, M61), (b0, b1): (M61, M61)) {
        self.add_raw(wide_difference(a0, a1) as u128 * wide_difference(b0, b1) as u128);
    }

    #[inline(always)]
    fn add(&mut self, a: M61) {
        self.add_raw(value(a) as u128);
    }

    #[inline(always)]
    fn merge(&mut self, other: Self) {
        self.add_raw(other.low);
        self.wraps += other.wraps;
    }

    #[inline(always)]
    fn reduce(self) -> M61 {
        m61(self.reduce_raw())
    }
}

/// An unreduced sum of `F_{p²}` terms, one [`M61Acc`] per coordinate. The real part of
/// `(a₀ + a₁i)(b₀ + b₁i)` is `a₀b₀ − a₁b₁`; it is added as `a₀b₀ + p·2^61 − a₁b₁`, which is
/// non-negative (`a₁b₁ < p·2^61`) and below `2^123`. (Not as `a₀b₀ + a₁(p − b₁)`, the form
/// [`KaizenField::lerp`] uses with its fixed `r`: negating every `b₁` measured 13 % slower.)
#[derive(Clone, Copy, Debug, Default)]
pub struct M61Ext2Acc {
    re: M61Acc,
    im: M61Acc,
}

impl Accumulator<M61Ext2> for M61Ext2Acc {
    #[inline(always)]
    fn add_product(&mut self, a: M61Ext2, b: M61Ext2) {
        let m = |x: M61, y: M61| value(x) as u128 * value(y) as u128;
        self.re
            .add_raw(m(a.c0, b.c0) + ((P as u128) << 61) - m(a.c1, b.c1));
        self.im.add_raw(m(a.c0, b.c1) + m(a.c1, b.c0));
    }

    /// The differences' parts unreduced (below `2^62`, products below `2^124`): the real part
    /// `d₀e₀ − d₁e₁` is added as `d₀e₀ + p·2^64 − d₁e₁`, non-negative and below `2^126`.
    #[inline(always)]
    fn add_product_of_differences(
        &mut self,
        (a0, a1): (M61Ext2, M61Ext2),
        (b0, b1): (M61Ext2, M61Ext2),
    ) {
        let (d0, d1) = (wide_difference(a0.c0, a1.c0), wide_difference(a0.c1, a1.c1));
        let (e0, e1) = (wide_difference(b0.c0, b1.c0), wide_difference(b0.c1, b1.c1));
        let m = |x: u64, y: u64| x as u128 * y as u128;
        self.re.add_raw(m(d0, e0) + ((P as u128) << 64) - m(d1, e1));
        self.im.add_raw(m(d0, e1) + m(d1, e0));
    }

    #[inline(always)]
    fn add(&mut self, a: M61Ext2) {
        self.re.add(a.c0);
        self.im.add(a.c1);
    }

    #[inline(always)]
    fn merge(&mut self, other: Self) {
        self.re.merge(other.re);
        self.im.merge(other.im);
    }

    #[inline(always)]
    fn reduce(self) -> M61Ext2 {
        M61Ext2::new(self.re.reduce(), self.im.reduce())
    }
}

impl KaizenField for M61 {
    const NAME: &'static str = "M61";
    type Acc = M61Acc;
    const TWO_ADICITY: u32 = 1;
    const SIGNED_BITS: u32 = 59;
    const UNIFORM_BYTES: usize = 16;
    const FIELD_BITS: u32 = 60;

    fn root_of_unity(log_n: u32) -> Option<Self> {
        match log_n {
            0 => Some(Self::ONE),
            1 => Some(-Self::ONE),
            _ => None,
        }
    }

    fn from_uniform_bytes(bytes: &[u8]) -> Self {
        let mut buf = [0u8; 16];
        let n = bytes.len().min(16);
        buf[..n].copy_from_slice(&bytes[..n]);
        Self::from(u128::from_le_bytes(buf))
    }

    fn to_signed(&self) -> Option<i128> {
        let v = value(*self);
        let bound = 1u64 << Self::SIGNED_BITS;
        if v < bound {
            Some(i128::from(v))
        } else if P - v < bound {
            Some(-i128::from(P - v))
        } else {
            None
        }
    }

    #[inline(always)]
    fn from_u64(x: u64) -> Self {
        m61(reduce64(x))
    }

    #[inline(always)]
    fn mul_u64(&self, k: u64) -> Self {
        *self * Self::from_u64(k)
    }

    #[inline(always)]
    fn lerp(a: Self, b: Self, r: Self) -> Self {
        m61(lerp_value(value(a), value(b), value(r)))
    }

    /// The canonical value, 8 bytes little-endian (ark-serialize's layout).
    #[inline(always)]
    fn write_compressed(&self, out: &mut [u8]) {
        out[..8].copy_from_slice(&value(*self).to_le_bytes());
    }
}

impl KaizenField for M61Ext2 {
    const NAME: &'static str = "M61^2";
    type Acc = M61Ext2Acc;
    const TWO_ADICITY: u32 = 62;
    const SIGNED_BITS: u32 = 59;
    const UNIFORM_BYTES: usize = 32;
    const FIELD_BITS: u32 = 121;

    fn root_of_unity(log_n: u32) -> Option<Self> {
        let mut w = EXT2_ROOT_2_62;
        for _ in log_n..Self::TWO_ADICITY {
            w.square_in_place();
        }
        (log_n <= Self::TWO_ADICITY).then_some(w)
    }

    fn from_uniform_bytes(bytes: &[u8]) -> Self {
        let (lo, hi) = bytes.split_at(bytes.len().min(16));
        Self::new(M61::from_uniform_bytes(lo), M61::from_uniform_bytes(hi))
    }

    fn to_signed(&self) -> Option<i128> {
        if self.c1.is_zero() {
            self.c0.to_signed()
        } else {
            None
        }
    }

    #[inline(always)]
    fn from_u64(x: u64) -> Self {
        Self::new(M61::from_u64(x), m61(0))
    }

    #[inline(always)]
    fn mul_u64(&self, k: u64) -> Self {
        let k = M61::from_u64(k);
        Self::new(self.c0 * k, self.c1 * k)
    }

    /// `i` with `i² = −1`; the `2^k`-th roots of unity for `k ≤ 61` lie in the norm-one subgroup
    /// of order `p + 1 = 2^61`.
    fn imaginary_unit() -> Option<Self> {
        Some(Self::new(M61::zero(), M61::ONE))
    }

    fn conjugate(&self) -> Self {
        Self::new(self.c0, -self.c1)
    }

    fn times_imaginary(&self) -> Option<Self> {
        Some(Self::new(-self.c1, self.c0))
    }

    fn batched_encoding_rows(len: usize) -> usize {
        if lanes::WIDE_VECTORS {
            lanes::batch_rows(len)
        } else {
            0
        }
    }

    fn encode_rows_batched(
        domain: &crate::fft::Radix2Domain<Self>,
        rows: &[Self],
        cols: usize,
        out: &mut [Self],
    ) -> usize {
        if lanes::WIDE_VECTORS {
            lanes::encode_rows(domain, rows, cols, out)
        } else {
            0
        }
    }

    /// With `d = b − a` kept unreduced (`b + p − a < 2^62`) and `r = r₀ + r₁i`:
    /// `a₀ + d₀r₀ + d₁(p − r₁)` and `a₁ + d₀r₁ + d₁r₀`, each below `2^125` and reduced once.
    #[inline(always)]
    fn lerp(a: Self, b: Self, r: Self) -> Self {
        let m = |x: u64, y: u64| x as u128 * y as u128;
        let (d0, d1) = (value(b.c0) + P - value(a.c0), value(b.c1) + P - value(a.c1));
        let (r0, r1) = (value(r.c0), value(r.c1));
        let c0 = value(a.c0) as u128 + m(d0, r0) + m(d1, P - r1);
        let c1 = value(a.c1) as u128 + m(d0, r1) + m(d1, r0);
        Self::new(m61(reduce125(c0)), m61(reduce125(c1)))
    }

    fn lerp_in_place(lo: &mut [Self], hi: &[Self], r: Self) {
        lanes::lerp_in_place(lo, hi, r, lanes::WIDE_VECTORS);
    }

    fn lerp_into(out: &mut [Self], lo: &[Self], hi: &[Self], r: Self) {
        lanes::lerp_into(out, lo, hi, r, lanes::WIDE_VECTORS);
    }

    /// `c0` then `c1`, 8 bytes little-endian each (ark-serialize's layout).
    #[inline(always)]
    fn write_compressed(&self, out: &mut [u8]) {
        self.c0.write_compressed(&mut out[..8]);
        self.c1.write_compressed(&mut out[8..16]);
    }
}

#[cfg(test)]
mod tests {
    use ark_ff::AdditiveGroup;
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    use proptest::prelude::*;

    use super::*;

    fn reference_mul(a: u64, b: u64) -> u64 {
        (a as u128 * b as u128 % P as u128) as u64
    }

    /// Values at the edges of the Mersenne reductions.
    const EDGES: [u64; 8] = [0, 1, 2, P - 2, P - 1, 1 << 60, (1 << 60) + 1, (1 << 32) - 1];

    fn check(a: u64, b: u64) {
        let (x, y) = (m61(a), m61(b));
        assert_eq!((x * y).into_bigint().0[0], reference_mul(a, b), "{a}·{b}");
        assert_eq!(
            (x + y).into_bigint().0[0],
            ((a as u128 + b as u128) % P as u128) as u64
        );
        assert_eq!(
            (x - y).into_bigint().0[0],
            ((a as u128 + P as u128 - b as u128) % P as u128) as u64
        );
        assert_eq!((-x).into_bigint().0[0], (P - a) % P);
        assert_eq!(x.square(), x * x);
        assert_eq!(x.double(), x + x);
    }

    #[test]
    fn arithmetic_matches_u128_reference_at_the_edges() {
        for a in EDGES {
            for b in EDGES {
                check(a, b);
            }
        }
    }

    proptest! {
        #[test]
        fn arithmetic_matches_u128_reference(a in 0..P, b in 0..P) {
            check(a, b);
        }

        /// The division-free embeddings agree with ark's `From` and the generic signed decoding.
        #[test]
        fn integer_embeddings_match_the_generic_ones(x in any::<u64>(), s in any::<i64>(), c in 0..P, d in 0..P) {
            prop_assert_eq!(M61::from_u64(x), M61::from(x));
            prop_assert_eq!(M61Ext2::from_u64(x), M61Ext2::from(x));
            let e = M61Ext2::new(m61(c), m61(d));
            prop_assert_eq!(e.mul_u64(x), e * M61Ext2::from(x));
            prop_assert_eq!(m61(c).mul_u64(x), m61(c) * M61::from(x));
            let s = i128::from(s >> 5);
            prop_assert_eq!(M61::from_signed(s).unwrap(), M61::from(s));
            prop_assert_eq!(M61Ext2::from_signed(s).unwrap(), M61Ext2::from(s));
            prop_assert_eq!(M61::from(s).to_signed(), Some(s));
            prop_assert_eq!(m61(c).to_signed(), prime_to_signed(&m61(c), 59));
            prop_assert_eq!(M61Ext2::new(m61(c), m61(d | 1)).to_signed(), None);
        }

        /// Long sums of products reduce in chunks of 64 and agree with the plain sum.
        #[test]
        fn sum_of_products_matches_the_plain_sum(seed in any::<u64>()) {
            let xs: [M61; 70] = std::array::from_fn(|k| m61(P - 1 - (seed.wrapping_mul(k as u64 + 1) % 7)));
            let ys: [M61; 70] = std::array::from_fn(|k| m61((seed ^ k as u64) % P));
            let plain: M61 = xs.iter().zip(&ys).map(|(x, y)| *x * y).sum();
            prop_assert_eq!(M61Config::sum_of_products(&xs, &ys), plain);
        }

        #[test]
        fn lerp_matches_the_field_formula(a in 0..P, b in 0..P, r in 0..P, a1 in 0..P, b1 in 0..P, r1 in 0..P) {
            let (x, y, z) = (m61(a), m61(b), m61(r));
            prop_assert_eq!(M61::lerp(x, y, z), x + z * (y - x));
            let (x, y, z) = (ext(a, a1), ext(b, b1), ext(r, r1));
            prop_assert_eq!(M61Ext2::lerp(x, y, z), x + z * (y - x));
        }
    }

    fn ext(a: u64, b: u64) -> M61Ext2 {
        M61Ext2::new(m61(a), m61(b))
    }

    #[test]
    fn lerp_at_the_edges() {
        for (a, b, r) in EDGES
            .into_iter()
            .flat_map(|a| EDGES.map(|b| (a, b)))
            .flat_map(|(a, b)| EDGES.map(|r| (a, b, r)))
        {
            let (x, y, z) = (m61(a), m61(b), m61(r));
            assert_eq!(M61::lerp(x, y, z), x + z * (y - x));
            let (x, y, z) = (ext(a, r), ext(b, a), ext(r, b));
            assert_eq!(M61Ext2::lerp(x, y, z), x + z * (y - x));
        }
    }

    /// Unreduced sums agree with reduced ones, also past the `u128` wrap-around (a product of
    /// maximal `F_{p²}` coordinates adds almost `2^123`, so a few thousand of them wrap many times).
    #[test]
    fn accumulators_match_reduced_sums() {
        let values: Vec<u64> = EDGES
            .iter()
            .copied()
            .chain((0..40).map(|k| P - 1 - k))
            .collect();
        let (mut base, mut base_ref) = (M61Acc::default(), M61::ZERO);
        let (mut ext_acc, mut ext_ref) = (M61Ext2Acc::default(), M61Ext2::ZERO);
        let mut halves = (M61Ext2Acc::default(), M61Ext2Acc::default());
        for round in 0..60u64 {
            for (k, &a) in values.iter().enumerate() {
                let b = values[(k + round as usize) % values.len()];
                base.add_product(m61(a), m61(b));
                base.add(m61(b));
                base_ref += m61(a) * m61(b) + m61(b);
                let (x, y) = (ext(a, b), ext(b, P - 1 - round));
                ext_acc.add_product(x, y);
                ext_acc.add(y);
                ext_ref += x * y + y;
                let half = if k % 2 == 0 {
                    &mut halves.0
                } else {
                    &mut halves.1
                };
                half.add_product(x, y);
                half.add(y);
                // Differences at the edges: `b − a` unreduced is largest for `a = 0`, `b = p − 1`.
                // (`b` runs over a rotation of the `a`s: the pairs are not symmetric, so that
                // the sums of mixed products do not cancel.)
                let (u, w) = (ext(b, a), ext(a, 3 * k as u64));
                base.add_product_of_differences((m61(a), m61(b)), (m61(b), m61(a)));
                base_ref += (m61(b) - m61(a)) * (m61(a) - m61(b));
                ext_acc.add_product_of_differences((x, u), (y, w));
                ext_ref += (u - x) * (w - y);
                half.add_product_of_differences((x, u), (y, w));
            }
        }
        assert!(base.wraps > 0 && ext_acc.re.wraps > 0 && ext_acc.im.wraps > 0);
        assert_eq!(base.reduce(), base_ref);
        assert_eq!(ext_acc.reduce(), ext_ref);
        halves.0.merge(halves.1);
        assert_eq!(halves.0.reduce(), ext_ref);
        assert_eq!(M61Ext2Acc::default().reduce(), M61Ext2::ZERO);
    }

    #[test]
    fn canonical_storage_serializes_and_rejects_the_modulus() {
        let x = m61(P - 1);
        let mut bytes = Vec::new();
        x.serialize_compressed(&mut bytes).unwrap();
        assert_eq!(bytes, (P - 1).to_le_bytes());
        assert_eq!(M61::deserialize_compressed(&bytes[..]).unwrap(), x);
        assert!(M61::deserialize_compressed(&P.to_le_bytes()[..]).is_err());
        assert_eq!(M61::from(P), M61::ZERO);
        assert_eq!(M61::from(u128::MAX), m61((u128::MAX % P as u128) as u64));
    }

    #[test]
    fn inverse_and_sqrt() {
        for a in EDGES.into_iter().skip(1) {
            let x = m61(a);
            assert_eq!(x * x.inverse().unwrap(), M61::ONE);
            let s = x.square().sqrt().unwrap();
            assert!(s == x || s == -x);
        }
        // −1 is a non-residue (p ≡ 3 mod 4).
        assert!((-M61::ONE).sqrt().is_none());
        assert!(M61::ZERO.inverse().is_none());
    }
}
