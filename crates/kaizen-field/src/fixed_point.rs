//! Signed fixed-point numbers with `s` fractional bits and their embedding in a field (DESIGN §2).
//!
//! A real `x` is quantized to the integer `round(x·2^s)`; the integer is embedded in the field as
//! `x mod p` (negatives as `p − |x|`) only while `|x| < 2^F::SIGNED_BITS`, and every operation
//! reports overflow instead of wrapping. After a product the scale is `2s`; [`div_rem_floor`] is the
//! rescaling `x = q·d + r, 0 ≤ r < d` that the proofs check with a range check on `r`.
use crate::{FieldError, KaizenField};

/// Largest fixed-point scale supported (fractional bits).
pub const MAX_SCALE: u32 = 32;

/// Quantized values are `i64` with magnitude below `2^QUANT_BITS`.
pub const QUANT_BITS: u32 = 62;

/// A fixed-point format: `scale` fractional bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPoint {
    scale: u32,
}

impl FixedPoint {
    /// The format with `scale` fractional bits (`scale ≤ MAX_SCALE`).
    pub fn new(scale: u32) -> Result<Self, FieldError> {
        if scale > MAX_SCALE {
            return Err(FieldError::BadScale(scale));
        }
        Ok(Self { scale })
    }

    /// Fractional bits.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The integer representing 1.0, i.e. `2^scale`.
    pub fn one(&self) -> i64 {
        1i64 << self.scale
    }

    /// `round(x · 2^scale)` (ties away from zero), or an error for non-finite or too large `x`.
    pub fn quantize(&self, x: f64) -> Result<i64, FieldError> {
        if !x.is_finite() {
            return Err(FieldError::NotFinite(x));
        }
        let q = (x * self.one() as f64).round();
        if q.abs() >= (1u64 << QUANT_BITS) as f64 {
            return Err(FieldError::FixedPointOverflow {
                value: x,
                scale: self.scale,
                bits: QUANT_BITS,
            });
        }
        Ok(q as i64)
    }

    /// The real number a quantized integer at this scale represents.
    pub fn dequantize(&self, q: i128) -> f64 {
        q as f64 / self.one() as f64
    }

    /// Quantizes `x` and embeds it in `F`.
    pub fn encode<F: KaizenField>(&self, x: f64) -> Result<F, FieldError> {
        F::from_signed(self.quantize(x)?.into())
    }

    /// Reads a field element back as a real number at this scale.
    pub fn decode<F: KaizenField>(&self, v: &F) -> Result<f64, FieldError> {
        Ok(self.dequantize(to_signed(v)?))
    }

    /// Rescales a product (scale `2s`) back to scale `s`: `x = q·2^s + r`, `0 ≤ r < 2^s`.
    pub fn rescale(&self, x: i128) -> (i128, i128) {
        (x >> self.scale, x & ((1i128 << self.scale) - 1))
    }
}

/// Floor division with remainder: `x = q·d + r` with `0 ≤ r < d`, for `d > 0`.
pub fn div_rem_floor(x: i128, d: i128) -> Result<(i128, i128), FieldError> {
    if d <= 0 {
        return Err(FieldError::BadDivisor(d));
    }
    Ok((x.div_euclid(d), x.rem_euclid(d)))
}

/// The signed integer a field element embeds, or [`FieldError::NotSigned`].
pub fn to_signed<F: KaizenField>(v: &F) -> Result<i128, FieldError> {
    v.to_signed().ok_or(FieldError::NotSigned {
        bits: F::SIGNED_BITS,
    })
}

/// Embeds a slice of signed integers, failing on the first out-of-range value.
pub fn embed_all<F: KaizenField>(xs: &[i64]) -> Result<Vec<F>, FieldError> {
    xs.iter().map(|&x| F::from_signed(x.into())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fr, M61Ext2, M61};
    use proptest::prelude::*;

    #[test]
    fn encode_decode_round_trip() {
        let fp = FixedPoint::new(16).unwrap();
        for x in [0.0, 1.0, -1.0, 3.25, -1234.5, 1e-5, -0.75] {
            let e: M61Ext2 = fp.encode(x).unwrap();
            let back = fp.decode(&e).unwrap();
            assert!((back - x).abs() <= 0.5 / 65536.0, "{x} -> {back}");
            let e: Fr = fp.encode(x).unwrap();
            assert!((fp.decode(&e).unwrap() - x).abs() <= 0.5 / 65536.0);
        }
    }

    #[test]
    fn negative_values_embed_as_p_minus_abs() {
        let e = M61::from_signed(-5).unwrap();
        assert_eq!(e + M61::from(5u64), M61::from(0u64));
    }

    #[test]
    fn overflow_is_an_error() {
        let fp = FixedPoint::new(16).unwrap();
        assert!(matches!(
            fp.quantize(f64::NAN),
            Err(FieldError::NotFinite(_))
        ));
        assert!(matches!(
            fp.quantize(1e30),
            Err(FieldError::FixedPointOverflow { .. })
        ));
        // 2^50 at scale 16 is 2^66: beyond i64.
        assert!(fp.quantize(2f64.powi(50)).is_err());
        // 2^45 at scale 16 is 2^61: a valid i64 but outside M61's signed range.
        assert!(matches!(
            fp.encode::<M61>(2f64.powi(45)),
            Err(FieldError::SignedOverflow { .. })
        ));
        assert!(fp.encode::<Fr>(2f64.powi(45)).is_ok());
        assert!(FixedPoint::new(33).is_err());
    }

    #[test]
    fn decode_rejects_non_integers() {
        let fp = FixedPoint::new(8).unwrap();
        let half_p = M61::from(1u64 << 60);
        assert!(matches!(
            fp.decode(&half_p),
            Err(FieldError::NotSigned { .. })
        ));
        let ext = M61Ext2::new(M61::from(1u64), M61::from(1u64));
        assert!(fp.decode(&ext).is_err());
    }

    #[test]
    fn divisor_must_be_positive() {
        assert!(div_rem_floor(5, 0).is_err());
        assert!(div_rem_floor(5, -2).is_err());
    }

    proptest! {
        #[test]
        fn rescale_is_floor_division(x in -(1i128 << 100)..(1i128 << 100), s in 0u32..=32) {
            let fp = FixedPoint::new(s).unwrap();
            let (q, r) = fp.rescale(x);
            prop_assert_eq!(q * (1i128 << s) + r, x);
            prop_assert!((0..(1i128 << s)).contains(&r));
            prop_assert_eq!((q, r), div_rem_floor(x, 1i128 << s).unwrap());
        }

        #[test]
        fn signed_embedding_is_a_ring_map(a in -(1i64 << 28)..(1i64 << 28), b in -(1i64 << 28)..(1i64 << 28)) {
            let fa = M61Ext2::from_signed(a.into()).unwrap();
            let fb = M61Ext2::from_signed(b.into()).unwrap();
            prop_assert_eq!((fa * fb).to_signed(), Some(i128::from(a) * i128::from(b)));
            prop_assert_eq!((fa - fb).to_signed(), Some(i128::from(a) - i128::from(b)));
        }
    }
}
