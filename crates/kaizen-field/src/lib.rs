//! # kaizen-field
//!
//! The arithmetic foundation of Kaizen-rs (DESIGN §2, §4):
//!
//! * [`KaizenField`] — the field trait every upper layer is generic over: arkworks' [`ark_ff::Field`]
//!   plus signed-integer embedding, power-of-two roots of unity (for Reed–Solomon FFTs) and uniform
//!   sampling from transcript bytes.
//! * Two instantiations: [`M61Ext2`], the quadratic extension of the Mersenne prime `p = 2^61 − 1`
//!   (`i² = −1`, the fast default, 2^122 elements so every challenge has ≥ 120 bits of entropy), with its
//!   base field [`M61`]; and BLS12-381's scalar field [`Fr`] for EC-based commitments.
//! * [`Accumulator`] — sums of products added unreduced and reduced once (`KaizenField::Acc`), and
//!   `KaizenField::lerp`, the one-variable bind, reduced once, with
//!   [`KaizenField::lerp_in_place`] for a whole table (in M61², eight elements per step in vector
//!   lanes): the inner loops of sumcheck rounds, inner products and row combinations.
//! * [`prefetch`](mod@prefetch) — a cache hint for passes that read several long tables side by side.
//! * [`fft`] — radix-4 FFT over a power-of-two subgroup and Reed–Solomon encoding (two base-field
//!   rows per FFT in M61², sixteen per vectorised FFT with [`KaizenField::encode_rows_batched`]).
//! * [`fixed_point`] — signed fixed-point values with `s` fractional bits, their field embedding with
//!   explicit overflow errors, and floor division with remainder (the rescaling the proofs check).
//! * [`mle`] — dense multilinear polynomials over the boolean hypercube (low-order variable first),
//!   `eq(r, ·)` tables and sub-cube selection.
//! * [`transcript`] — the Fiat–Shamir [`Transcript`] trait with a blake3 implementation (default) and a
//!   Poseidon2 duplex sponge over `F_p` (x^17 S-box) for in-circuit verification later.
//!
//! Variable order convention used throughout Kaizen-rs: the hypercube point `x = (x_0, …, x_{n−1})`
//! corresponds to the index `Σ x_i·2^i`, and `x_0` is bound first by `fix_variable` and by sumchecks.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

mod bls;
mod error;
pub mod fft;
pub mod fixed_point;
pub mod layout;
mod m61;
pub mod mle;
pub mod poseidon2;
pub mod prefetch;
pub mod serialize;
pub mod transcript;

#[cfg(test)]
mod field_tests;

pub use ark_ff::{self, AdditiveGroup, Field, One, PrimeField, Zero};
pub use ark_serialize::{self, CanonicalDeserialize, CanonicalSerialize};
pub use bls::Fr;
pub use error::FieldError;
pub use fixed_point::FixedPoint;
pub use layout::{Block, BlockLayout};
pub use m61::{M61Acc, M61Config, M61Ext2, M61Ext2Acc, M61Ext2Config, M61};
pub use mle::{eq_eval, eq_table, fix_block, inner_product, MultilinearPoly};
pub use prefetch::{line_entries, prefetch, prefetch_ahead, PREFETCH_MIN_BYTES};
pub use transcript::{Blake3Transcript, Poseidon2Transcript, Transcript};

/// Minimum number of items a rayon task handles; below it a loop runs on one thread. Every parallel
/// loop in Kaizen-rs goes through `with_min_len(PAR_MIN_LEN)`, so the sequential path is the same code.
pub const PAR_MIN_LEN: usize = 1 << 12;

/// The field interface every Kaizen-rs layer is generic over.
///
/// Beyond [`ark_ff::Field`] it adds what proofs of fixed-point training need: embedding signed
/// integers (and reading them back) within a documented safe range, power-of-two roots of unity for
/// Reed–Solomon encoding, and mapping transcript bytes to a (statistically) uniform element.
pub trait KaizenField:
    Field + CanonicalSerialize + CanonicalDeserialize + Send + Sync + Copy + 'static
{
    /// Short human-readable name, used in benches and artifact headers.
    const NAME: &'static str;

    /// The largest `k` such that `2^k` divides the multiplicative group order.
    const TWO_ADICITY: u32;

    /// Signed integers `x` with `|x| < 2^SIGNED_BITS` embed as `x mod p` and decode back without
    /// ambiguity. This is far below `p/2`, leaving headroom for sums of products of embedded values.
    const SIGNED_BITS: u32;

    /// Running sums of products in this field, reduced once at the end (see [`Accumulator`]).
    type Acc: Accumulator<Self>;

    /// Number of transcript bytes [`KaizenField::from_uniform_bytes`] consumes.
    const UNIFORM_BYTES: usize;

    /// Size of the field in bits (log2 of the number of elements, rounded down): the soundness
    /// error of a random challenge is `degree / 2^FIELD_BITS`.
    const FIELD_BITS: u32;

    /// A primitive `2^log_n`-th root of unity, or `None` if `log_n > TWO_ADICITY`.
    fn root_of_unity(log_n: u32) -> Option<Self>;

    /// Maps `UNIFORM_BYTES` bytes to an element with statistical distance ≤ 2^-60 from uniform.
    /// Extra bytes are ignored and missing bytes are read as zero.
    fn from_uniform_bytes(bytes: &[u8]) -> Self;

    /// The centred signed integer this element represents, if it lies in the prime subfield and its
    /// absolute value is below `2^SIGNED_BITS`.
    fn to_signed(&self) -> Option<i128>;

    /// `Some(i)` if this field is `B[i]/(i² + 1)` over a prime field `B` whose `2^k`-th roots of
    /// unity for `k < TWO_ADICITY` all have norm one, so that [`KaizenField::conjugate`] inverts
    /// them: one FFT then transforms two vectors over `B` at once (the Reed–Solomon encoder,
    /// [`fft::Radix2Domain::encode_pair_into`], does). `None` for other fields.
    fn imaginary_unit() -> Option<Self> {
        None
    }

    /// The conjugate `a − b·i` of `a + b·i` in a field with an [`KaizenField::imaginary_unit`];
    /// the element itself in other fields.
    fn conjugate(&self) -> Self {
        *self
    }

    /// `i·self` in a field with an [`KaizenField::imaginary_unit`] (`i·(a + b·i) = −b + a·i`,
    /// no multiplication where the field overrides it); `None` in other fields.
    fn times_imaginary(&self) -> Option<Self> {
        Self::imaginary_unit().map(|i| *self * i)
    }

    /// `a + r·(b − a)`: the multilinear interpolation between two evaluations, i.e. binding one
    /// variable to `r` (fields override it to reduce once).
    #[inline(always)]
    fn lerp(a: Self, b: Self, r: Self) -> Self {
        a + r * (b - a)
    }

    /// `lo[i] ← lerp(lo[i], hi[i], r)` for every `i` of the shorter slice: a table's highest
    /// variable bound to `r` in place, given its two halves (fields override it with vector
    /// lanes).
    fn lerp_in_place(lo: &mut [Self], hi: &[Self], r: Self) {
        for (a, &b) in lo.iter_mut().zip(hi) {
            *a = Self::lerp(*a, b, r);
        }
    }

    /// `out[i] = lerp(lo[i], hi[i], r)` for every `i` of the shortest slice:
    /// [`KaizenField::lerp_in_place`] into another table.
    fn lerp_into(out: &mut [Self], lo: &[Self], hi: &[Self], r: Self) {
        for (o, (&a, &b)) in out.iter_mut().zip(lo.iter().zip(hi)) {
            *o = Self::lerp(a, b, r);
        }
    }

    /// Writes the compressed serialization (what `serialize_compressed` writes) into the first
    /// `compressed_size()` bytes of `out`; fields override it with a plain copy of their limbs
    /// (Merkle leaves and transcripts serialize every committed and absorbed element).
    #[inline(always)]
    fn write_compressed(&self, out: &mut [u8]) {
        // `out` holds `compressed_size()` bytes, so the write cannot fail.
        let _ = self.serialize_compressed(out);
    }

    /// How many rows [`KaizenField::encode_rows_batched`] encodes at once for codewords of `len`
    /// entries (0: it encodes none) — a parallel encoder hands each task a multiple of it.
    fn batched_encoding_rows(len: usize) -> usize {
        let _ = len;
        0
    }

    /// Reed–Solomon-encodes the leading rows of `rows` (row-major, `cols` entries each) into `out`
    /// (as many codewords of `domain.size()`, row-major, zero on entry) with a kernel that runs
    /// one FFT for a batch of rows, where the field has one; returns how many rows it encoded (0
    /// by default: [`fft::Radix2Domain::encode_rows`] encodes the rest). M61² encodes base-field
    /// rows sixteen at a time, in eight vector lanes of pairs, for codewords of up to `2^16`
    /// entries.
    fn encode_rows_batched(
        domain: &fft::Radix2Domain<Self>,
        rows: &[Self],
        cols: usize,
        out: &mut [Self],
    ) -> usize {
        let _ = (domain, rows, cols, out);
        0
    }

    /// Embeds `x` as `x mod p` (fields override it without a division: integer witnesses are
    /// embedded entry by entry).
    fn from_u64(x: u64) -> Self {
        Self::from(x)
    }

    /// `self·k` for an integer `k`: a product with an element of the prime subfield (fields
    /// override it without a division).
    fn mul_u64(&self, k: u64) -> Self {
        self.mul_by_base_prime_field(&Self::BasePrimeField::from(k))
    }

    /// Embeds `x` as `x mod p`, failing if `|x| ≥ 2^SIGNED_BITS`.
    fn from_signed(x: i128) -> Result<Self, FieldError> {
        if x.unsigned_abs() >> Self::SIGNED_BITS != 0 {
            return Err(FieldError::SignedOverflow {
                value: x,
                bits: Self::SIGNED_BITS,
            });
        }
        // Through the (possibly division-free) `from_u64` where the magnitude fits.
        Ok(match u64::try_from(x.unsigned_abs()) {
            Ok(v) if x < 0 => -Self::from_u64(v),
            Ok(v) => Self::from_u64(v),
            Err(_) => Self::from(x),
        })
    }
}

/// A running sum `Σ_k a_k·b_k + Σ_k c_k` whose terms are added without a modular reduction each:
/// the field element comes out of [`Accumulator::reduce`] once. Sumcheck round evaluations and inner
/// products are such sums; in `F_{p²}`, `p = 2^61 − 1`, a term costs four 64-bit multiplications and
/// a few additions instead of a full product and sum.
pub trait Accumulator<F: Field>: Copy + Default + Send + Sync {
    /// Adds `a·b`.
    fn add_product(&mut self, a: F, b: F);
    /// Adds `(a₁ − a₀)·(b₁ − b₀)` for `a = (a₀, a₁)`, `b = (b₀, b₁)`: the leading coefficient of
    /// `X ↦ (a₀ + X·(a₁ − a₀))·(b₀ + X·(b₁ − b₀))`, which sumcheck provers sum at every pair of
    /// every round. Fields whose accumulator takes wider inputs override it to leave the
    /// differences unreduced.
    #[inline(always)]
    fn add_product_of_differences(&mut self, (a0, a1): (F, F), (b0, b1): (F, F)) {
        self.add_product(a1 - a0, b1 - b0);
    }
    /// Adds `a`.
    fn add(&mut self, a: F);
    /// Adds another accumulator's sum.
    fn merge(&mut self, other: Self);
    /// The sum, reduced.
    fn reduce(self) -> F;
}

/// The [`Accumulator`] that reduces every term: for fields whose products have no cheaper
/// unreduced form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reduced<F>(pub F);

impl<F: Field> Accumulator<F> for Reduced<F> {
    #[inline(always)]
    fn add_product(&mut self, a: F, b: F) {
        self.0 += a * b;
    }

    #[inline(always)]
    fn add(&mut self, a: F) {
        self.0 += a;
    }

    #[inline(always)]
    fn merge(&mut self, other: Self) {
        self.0 += other.0;
    }

    #[inline(always)]
    fn reduce(self) -> F {
        self.0
    }
}
