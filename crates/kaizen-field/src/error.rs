use thiserror::Error;

/// Errors of the field layer: encodings that do not fit, and malformed inputs.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum FieldError {
    /// A signed integer is outside the field's safe embedding range.
    #[error("integer {value} does not fit the field's signed range (|x| < 2^{bits})")]
    SignedOverflow {
        /// The offending value.
        value: i128,
        /// The bound's exponent, [`crate::KaizenField::SIGNED_BITS`].
        bits: u32,
    },
    /// A field element is not the embedding of a small signed integer.
    #[error("field element is not a signed integer within 2^{bits}")]
    NotSigned {
        /// The bound's exponent.
        bits: u32,
    },
    /// A real number is NaN or infinite.
    #[error("value {0} is not finite")]
    NotFinite(f64),
    /// A real number is too large for the fixed-point format.
    #[error("value {value} exceeds the fixed-point range ±2^{bits} at scale {scale}")]
    FixedPointOverflow {
        /// The offending value.
        value: f64,
        /// Fractional bits.
        scale: u32,
        /// Magnitude bound of the quantized integer.
        bits: u32,
    },
    /// An unsupported fixed-point scale.
    #[error("fixed-point scale {0} is outside 0..=32")]
    BadScale(u32),
    /// Division by zero or by a negative divisor in fixed-point rescaling.
    #[error("divisor {0} must be positive")]
    BadDivisor(i128),
    /// An evaluation vector whose length is not a power of two.
    #[error("evaluation vector of length {0} is not a power of two")]
    NotPowerOfTwo(usize),
    /// A point whose dimension does not match the polynomial.
    #[error("point has {got} coordinates, polynomial has {expected} variables")]
    PointDimension {
        /// Number of variables of the polynomial.
        expected: usize,
        /// Coordinates supplied.
        got: usize,
    },
    /// A sub-cube request outside the polynomial.
    #[error(
        "sub-cube {index} of 2^{high_vars} does not exist in a {num_vars}-variable polynomial"
    )]
    SubCube {
        /// Requested segment index.
        index: usize,
        /// Number of high variables fixed.
        high_vars: usize,
        /// Number of variables of the polynomial.
        num_vars: usize,
    },
    /// The field has no multiplicative subgroup of the requested size.
    #[error("no 2^{log_size}-th root of unity (field 2-adicity {two_adicity})")]
    NoRootOfUnity {
        /// Requested domain size (log).
        log_size: u32,
        /// The field's 2-adicity.
        two_adicity: u32,
    },
}
