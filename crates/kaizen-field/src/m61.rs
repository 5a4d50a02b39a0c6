//! The Mersenne prime field `F_p`, `p = 2^61 − 1`, and its quadratic extension `F_p[i]/(i² + 1)`.
//!
//! `p ≡ 3 (mod 4)`, so `−1` is a non-residue and `i² = −1` defines `F_{p²}`. Its multiplicative group
//! has order `p² − 1 = 2^62·(2^60 − 1)`: 2-adicity 62, so Reed–Solomon domains of any practical size
//! exist. Both fields use ark-ff's Montgomery backend with one 64-bit limb (about 2 ns per base-field
//! multiplication on our 2-core machines; see the crate's benches).
use ark_ff::{
    fields::{Fp2, Fp2Config, Fp64, MontBackend, MontConfig},
    Field, MontFp, PrimeField, Zero,
};

use crate::KaizenField;

/// Montgomery parameters of `F_p`, `p = 2^61 − 1` (37 generates `F_p^*`).
#[derive(MontConfig)]
#[modulus = "2305843009213693951"]
#[generator = "37"]
pub struct M61Config;

/// The base field `F_p`, `p = 2^61 − 1`. Too small for challenges on its own (61 bits); use it for
/// values and for the Poseidon2 sponge state.
pub type M61 = Fp64<MontBackend<M61Config, 1>>;

/// Quadratic-extension parameters: `i² = −1`.
pub struct M61Ext2Config;

impl Fp2Config for M61Ext2Config {
    type Fp = M61;
    const NONRESIDUE: M61 = MontFp!("-1");
    const FROBENIUS_COEFF_FP2_C1: &'static [M61] = &[MontFp!("1"), MontFp!("-1")];

    #[inline(always)]
    fn mul_fp_by_nonresidue_in_place(fe: &mut M61) -> &mut M61 {
        *fe = -*fe;
        fe
    }
}

/// `F_{p²}` with `p = 2^61 − 1`: the default proof field (2^122 elements).
pub type M61Ext2 = Fp2<M61Ext2Config>;

/// A primitive `2^62`-th root of unity of `F_{p²}`: `(4 + i)^((p² − 1)/2^62)`.
const EXT2_ROOT_2_62: M61Ext2 = M61Ext2::new(
    MontFp!("1649274078120318132"),
    MontFp!("1985410294053884626"),
);

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

impl KaizenField for M61 {
    const NAME: &'static str = "M61";
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
        prime_to_signed(self, Self::SIGNED_BITS)
    }
}

impl KaizenField for M61Ext2 {
    const NAME: &'static str = "M61^2";
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

    /// `i` with `i² = −1`; the `2^k`-th roots of unity for `k ≤ 61` lie in the norm-one subgroup
    /// of order `p + 1 = 2^61`.
    fn imaginary_unit() -> Option<Self> {
        Some(Self::new(M61::zero(), M61::ONE))
    }

    fn conjugate(&self) -> Self {
        Self::new(self.c0, -self.c1)
    }
}
