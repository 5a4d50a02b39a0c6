//! Hardened deserialization helpers for proof types, and [`write_elements`], the fast
//! serialization of field elements for hashing.
//!
//! ark-serialize's `Vec<T>` reads a `u64` length and pre-allocates that many elements, so a malformed
//! length aborts the process. Proof types in Kaizen-rs read their vectors with [`read_vec`], which
//! bounds both the length and the pre-allocation, and decode whole byte strings with [`from_bytes`],
//! which also rejects trailing bytes.
use crate::KaizenField;
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Validate,
};

/// Largest vector length any Kaizen-rs proof contains (2^32 elements).
pub const MAX_VEC_LEN: u64 = 1 << 32;

/// Reads a `u64`-length-prefixed vector (the ark-serialize layout) without trusting the length.
pub fn read_vec<T: CanonicalDeserialize, R: Read>(
    mut reader: R,
    compress: Compress,
    validate: Validate,
) -> Result<Vec<T>, SerializationError> {
    let len = u64::deserialize_with_mode(&mut reader, compress, validate)?;
    if len > MAX_VEC_LEN {
        return Err(SerializationError::InvalidData);
    }
    let mut out = Vec::with_capacity((len as usize).min(1 << 10));
    for _ in 0..len {
        out.push(T::deserialize_with_mode(&mut reader, compress, validate)?);
    }
    Ok(out)
}

/// Reads a `u64`-length-prefixed vector of vectors with bounded lengths at both levels.
pub fn read_vec_vec<T: CanonicalDeserialize, R: Read>(
    mut reader: R,
    compress: Compress,
    validate: Validate,
) -> Result<Vec<Vec<T>>, SerializationError> {
    let len = u64::deserialize_with_mode(&mut reader, compress, validate)?;
    if len > MAX_VEC_LEN {
        return Err(SerializationError::InvalidData);
    }
    let mut out = Vec::with_capacity((len as usize).min(1 << 10));
    for _ in 0..len {
        out.push(read_vec(&mut reader, compress, validate)?);
    }
    Ok(out)
}

/// Implements `Valid` (no checks beyond the fields' own) and a bounded `CanonicalDeserialize`
/// for a proof struct, reading its fields in declaration order (the order the derived
/// `CanonicalSerialize` writes them): `vec` fields with [`read_vec`], `vec2` fields with
/// [`read_vec_vec`], `one` fields with their own `deserialize_with_mode`.
///
/// ```
/// use ark_serialize::CanonicalSerialize;
/// use kaizen_field::{serialize::{from_bytes, to_bytes}, KaizenField, M61Ext2};
///
/// #[derive(Debug, PartialEq, CanonicalSerialize)]
/// struct Proof<F: KaizenField> {
///     rounds: Vec<F>,
///     value: F,
/// }
/// kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] Proof<F> { rounds: vec, value: one });
///
/// let proof = Proof { rounds: vec![M61Ext2::from(3u64)], value: M61Ext2::from(4u64) };
/// let bytes = to_bytes(&proof);
/// assert_eq!(from_bytes::<Proof<M61Ext2>>(&bytes).unwrap(), proof);
/// assert!(from_bytes::<Proof<M61Ext2>>(&bytes[..bytes.len() - 1]).is_err());
/// ```
#[macro_export]
macro_rules! impl_bounded_deserialize {
    (impl[$($generics:tt)*] $ty:ty { $($field:ident : $how:ident),* $(,)? }) => {
        impl<$($generics)*> $crate::ark_serialize::Valid for $ty {
            fn check(&self) -> Result<(), $crate::ark_serialize::SerializationError> {
                Ok(())
            }
        }

        impl<$($generics)*> $crate::ark_serialize::CanonicalDeserialize for $ty {
            fn deserialize_with_mode<R: $crate::ark_serialize::Read>(
                mut reader: R,
                compress: $crate::ark_serialize::Compress,
                validate: $crate::ark_serialize::Validate,
            ) -> Result<Self, $crate::ark_serialize::SerializationError> {
                Ok(Self {
                    $($field: $crate::impl_bounded_deserialize!(@read $how, reader, compress, validate),)*
                })
            }
        }
    };
    (@read vec, $r:ident, $c:ident, $v:ident) => {
        $crate::serialize::read_vec(&mut $r, $c, $v)?
    };
    (@read vec2, $r:ident, $c:ident, $v:ident) => {
        $crate::serialize::read_vec_vec(&mut $r, $c, $v)?
    };
    (@read one, $r:ident, $c:ident, $v:ident) => {
        $crate::ark_serialize::CanonicalDeserialize::deserialize_with_mode(&mut $r, $c, $v)?
    };
}

/// The elements' compressed serializations end to end (what `serialize_compressed` writes for
/// each), replacing `out`'s contents: one [`KaizenField::write_compressed`] limb copy per element.
/// Merkle columns and transcripts serialize every committed and absorbed element this way.
pub fn write_elements<F: KaizenField>(elems: &[F], out: &mut Vec<u8>) {
    let size = F::ZERO.compressed_size();
    out.clear();
    out.resize(elems.len() * size, 0);
    for (e, chunk) in elems.iter().zip(out.chunks_exact_mut(size)) {
        e.write_compressed(chunk);
    }
}

/// Serializes `value` (compressed) into a fresh byte vector.
pub fn to_bytes<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    // Writing into a Vec cannot fail.
    let _ = value.serialize_compressed(&mut out);
    out
}

/// Deserializes (compressed, validated) a value that must use all of `bytes`.
pub fn from_bytes<T: CanonicalDeserialize>(mut bytes: &[u8]) -> Result<T, SerializationError> {
    let value = T::deserialize_compressed(&mut bytes)?;
    if !bytes.is_empty() {
        return Err(SerializationError::InvalidData);
    }
    Ok(value)
}

/// Copies of `bytes`, one per little-endian `u64` in them that could be a vector's length (in
/// `1..2^20`), with that word replaced by `len`, and the word's offset: for tests that a decoder
/// trusts no length it reads (a trusted length of `2^40` pre-allocates and aborts the process).
pub fn with_lengths_replaced(
    bytes: &[u8],
    len: u64,
) -> impl Iterator<Item = (usize, Vec<u8>)> + '_ {
    bytes.windows(8).enumerate().filter_map(move |(i, word)| {
        let mut w = [0u8; 8];
        w.copy_from_slice(word);
        (1..1 << 20).contains(&u64::from_le_bytes(w)).then(|| {
            let mut b = bytes.to_vec();
            b[i..i + 8].copy_from_slice(&len.to_le_bytes());
            (i, b)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::M61Ext2;

    #[test]
    fn huge_length_is_an_error_not_an_abort() {
        let mut bytes = Vec::new();
        u64::MAX.serialize_compressed(&mut bytes).unwrap();
        let r = read_vec::<M61Ext2, _>(&bytes[..], Compress::Yes, Validate::Yes);
        assert!(r.is_err());
        let mut bytes = Vec::new();
        (1u64 << 30).serialize_compressed(&mut bytes).unwrap();
        assert!(read_vec::<M61Ext2, _>(&bytes[..], Compress::Yes, Validate::Yes).is_err());
    }

    #[test]
    fn replaced_lengths_are_errors() {
        let v: Vec<Vec<M61Ext2>> = vec![vec![M61Ext2::from(3u64)], vec![]];
        let bytes = to_bytes(&v);
        let copies: Vec<_> = with_lengths_replaced(&bytes, 1 << 40).collect();
        // The outer length, the first inner one, the element's low limb, and words across them.
        let at: Vec<usize> = copies.iter().map(|(i, _)| *i).collect();
        assert_eq!(at, [0, 6, 7, 8, 14, 15, 16]);
        for (_, b) in copies.iter().filter(|(i, _)| [0, 8].contains(i)) {
            assert!(read_vec_vec::<M61Ext2, _>(&b[..], Compress::Yes, Validate::Yes).is_err());
        }
    }

    #[test]
    fn round_trip_and_trailing_bytes() {
        let v = vec![M61Ext2::from(3u64), M61Ext2::from(4u64)];
        let mut bytes = to_bytes(&v);
        let back: Vec<M61Ext2> = read_vec(&bytes[..], Compress::Yes, Validate::Yes).unwrap();
        assert_eq!(back, v);
        assert_eq!(from_bytes::<Vec<M61Ext2>>(&bytes).unwrap(), v);
        bytes.push(0);
        assert!(from_bytes::<Vec<M61Ext2>>(&bytes).is_err());
    }
}
