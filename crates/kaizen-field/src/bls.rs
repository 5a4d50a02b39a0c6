//! BLS12-381's scalar field, used with the EC-based commitments of ark-poly-commit.
use ark_ff::{FftField, PrimeField};

use crate::{m61::prime_to_signed, KaizenField, Reduced};

/// The scalar field of BLS12-381 (255 bits, 2-adicity 32).
pub type Fr = ark_bls12_381::Fr;

impl KaizenField for Fr {
    const NAME: &'static str = "BLS12-381 Fr";
    const TWO_ADICITY: u32 = <Fr as FftField>::TWO_ADICITY;
    // Bounded by the i128 interface, far below p/2 ≈ 2^253.
    const SIGNED_BITS: u32 = 126;
    const UNIFORM_BYTES: usize = 64;
    const FIELD_BITS: u32 = 254;
    type Acc = Reduced<Fr>;

    fn root_of_unity(log_n: u32) -> Option<Self> {
        if log_n > <Self as KaizenField>::TWO_ADICITY {
            return None;
        }
        Self::get_root_of_unity(1u64 << log_n)
    }

    fn from_uniform_bytes(bytes: &[u8]) -> Self {
        Self::from_le_bytes_mod_order(&bytes[..bytes.len().min(Self::UNIFORM_BYTES)])
    }

    fn to_signed(&self) -> Option<i128> {
        prime_to_signed(self, Self::SIGNED_BITS)
    }
}
