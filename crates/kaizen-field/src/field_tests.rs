//! The generic field suite every [`KaizenField`] instantiation must pass: field axioms (proptest),
//! serialization round-trips, roots of unity, signed embedding and uniform sampling.
use ark_ff::Field;
use ark_std::UniformRand;
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::{Fr, KaizenField, M61Ext2, M61};

fn elem<F: KaizenField + UniformRand>(seed: u64) -> F {
    F::rand(&mut ChaCha20Rng::seed_from_u64(seed))
}

fn axioms<F: KaizenField + UniformRand>(sa: u64, sb: u64, sc: u64) {
    let (a, b, c): (F, F, F) = (elem(sa), elem(sb), elem(sc));
    assert_eq!(a + b, b + a);
    assert_eq!(a * b, b * a);
    assert_eq!((a + b) + c, a + (b + c));
    assert_eq!((a * b) * c, a * (b * c));
    assert_eq!(a * (b + c), a * b + a * c);
    assert_eq!(a + F::ZERO, a);
    assert_eq!(a * F::ONE, a);
    assert_eq!(a + (-a), F::ZERO);
    assert_eq!((a + b) - b, a);
    assert_eq!(a.square(), a * a);
    if !a.is_zero() {
        assert_eq!(a * a.inverse().unwrap(), F::ONE);
    }
    assert!(F::ZERO.inverse().is_none());
}

fn serialization<F: KaizenField + UniformRand>(seed: u64) {
    let a: F = elem(seed);
    let mut bytes = Vec::new();
    a.serialize_compressed(&mut bytes).unwrap();
    assert_eq!(F::deserialize_compressed(&bytes[..]).unwrap(), a);
    let mut written = vec![0u8; a.compressed_size()];
    a.write_compressed(&mut written);
    assert_eq!(written, bytes, "write_compressed is serialize_compressed");
    // Truncated input is an error, not a panic.
    assert!(F::deserialize_compressed(&bytes[..bytes.len() - 1]).is_err());
}

fn roots_of_unity<F: KaizenField>() {
    for log_n in [0, 1, F::TWO_ADICITY.min(5), F::TWO_ADICITY] {
        let w = F::root_of_unity(log_n).unwrap();
        let mut x = w;
        for _ in 0..log_n {
            x.square_in_place();
        }
        assert_eq!(x, F::ONE, "w^(2^{log_n}) = 1");
        if log_n > 0 {
            let mut half = w;
            for _ in 0..log_n - 1 {
                half.square_in_place();
            }
            assert_eq!(half, -F::ONE, "primitive 2^{log_n}-th root");
        }
    }
    assert!(F::root_of_unity(F::TWO_ADICITY + 1).is_none());
}

fn signed_embedding<F: KaizenField>() {
    let max = (1i128 << F::SIGNED_BITS) - 1;
    for x in [0, 1, -1, 12345, -12345, max, -max] {
        assert_eq!(F::from_signed(x).unwrap().to_signed(), Some(x));
    }
    assert!(F::from_signed(max + 1).is_err());
    assert!(F::from_signed(-max - 1).is_err());
    // 1/2 = (p + 1)/2 lies in the middle of the field: no small integer.
    assert_eq!(F::from(2u64).inverse().unwrap().to_signed(), None);
}

fn uniform_bytes<F: KaizenField>() {
    let a = F::from_uniform_bytes(&[1u8; 64]);
    let b = F::from_uniform_bytes(&[2u8; 64]);
    assert_ne!(a, b);
    // Short input is zero-padded, not a panic.
    let _ = F::from_uniform_bytes(&[7u8; 3]);
}

macro_rules! field_suite {
    ($name:ident, $field:ty) => {
        mod $name {
            use super::*;
            proptest! {
                #[test]
                fn field_axioms(a in any::<u64>(), b in any::<u64>(), c in any::<u64>()) {
                    axioms::<$field>(a, b, c);
                }
                #[test]
                fn serialization_round_trip(seed in any::<u64>()) {
                    serialization::<$field>(seed);
                }
            }
            #[test]
            fn roots() {
                roots_of_unity::<$field>();
            }
            #[test]
            fn signed() {
                signed_embedding::<$field>();
            }
            #[test]
            fn uniform() {
                uniform_bytes::<$field>();
            }
        }
    };
}

field_suite!(m61, M61);
field_suite!(m61_ext2, M61Ext2);
field_suite!(bls12_381_fr, Fr);

#[test]
fn ext2_has_i_squared_minus_one() {
    let i = M61Ext2::new(M61::from(0u64), M61::from(1u64));
    assert_eq!(i * i, -M61Ext2::ONE);
    let x = M61Ext2::new(M61::from(3u64), M61::from(5u64));
    assert_eq!(x.times_imaginary(), Some(i * x));
    assert_eq!(Fr::from(2u64).times_imaginary(), None);
    assert_eq!(M61Ext2::TWO_ADICITY, 62);
}
