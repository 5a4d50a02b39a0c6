//! Range checks `0 ≤ x < 2^k` by limb decomposition, batched over many vectors in one lookup.
//!
//! Each vector `v` (power-of-two length) is split into `L` committed limb vectors of `w` bits with
//! `v = Σ_j 2^{wj}·limb_j`, each limb looked up in the table `[0, 2^w)`. The width `w` is a
//! function of the public shape ([`RangeShape::limb_bits`]): it balances the limbs' cost (each is
//! committed and looked up) against the table's (`2^w` committed multiplicities and leaves), so a
//! large batch gets a wide table and few limbs. If `k` is not a multiple of `w`, the top limb `y`
//! (which must be `< 2^{k − w(L−1)}`) is also looked up shifted, as `y·2^{wL − k}`: both `y` and the
//! shifted value lie in `[0, 2^w)` only if `y` is small enough (no wrap-around, as
//! `2^{2w} < p`). Limbs `1..L` are **committed witness** (the caller commits them and the
//! multiplicities before proving); limb 0 is not: it is `v − Σ_{j≥1} 2^{wj}·limb_j`, a fixed
//! linear function of `v` and the committed limbs. The verifier derives the claim on `v` from the
//! limb claims, all at the same point, and checks the shifted limb's claim against the top limb's;
//! the caller must then check that value claim against `v` itself (by opening `v`, or from the
//! claims on the committed tensors `v` combines) — that check is what binds limb 0, whose claim
//! is never opened.
//!
//! `k ≤ 64` and `k ≤ F::SIGNED_BITS`, so the limb sum never wraps modulo `p`.
use kaizen_field::{KaizenField, Transcript, PAR_MIN_LEN};
use kaizen_sumcheck::Claim;
use rayon::prelude::*;

use crate::{
    lookup::{prove_lookup, verify_lookup, LookupProof, Table},
    GkrError,
};

/// Widest limb (the largest table has `2^MAX_LIMB_BITS` rows).
pub const MAX_LIMB_BITS: u32 = 22;

/// The public shape of a batched range check: the bound and each vector's log-length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeShape {
    /// `k`: values must lie in `[0, 2^k)`.
    pub bits: u32,
    /// log2 of each vector's length.
    pub log_lens: Vec<usize>,
}

impl RangeShape {
    /// Bits per limb: the width `w ≤ MAX_LIMB_BITS` minimising
    /// `N·(2L + s) + 3·2^w + 2^10·V·(L + s)` — `N` checked values in `V` vectors, `L = ⌈k/w⌉`
    /// limbs (each looked up, all but limb 0 committed: `N·(2L − 1 + s)` has the same
    /// minimiser), `s` one if the top limb needs its shifted lookup, the table's `2^w`
    /// multiplicities (committed) and leaves, and a fixed cost per limb vector (its own tree,
    /// claims and opening). Ties go to the narrower limb.
    pub fn limb_bits(&self) -> u32 {
        let n: u128 = self.log_lens.iter().map(|&l| 1u128 << l.min(100)).sum();
        let v = self.log_lens.len() as u128;
        (1..=self.bits.clamp(1, MAX_LIMB_BITS))
            .min_by_key(|&w| {
                let limbs = u128::from(self.bits.div_ceil(w));
                let shift = u128::from(self.bits % w != 0);
                n * (2 * limbs + shift) + 3 * (1u128 << w) + (v << 10) * (limbs + shift)
            })
            .unwrap_or(1)
    }

    /// Committed limbs per vector.
    pub fn limbs(&self) -> usize {
        self.bits.div_ceil(self.limb_bits()) as usize
    }

    /// The shift applied to the top limb's second lookup, if `k` is not a multiple of the width.
    fn top_shift(&self) -> Option<u32> {
        let w = self.limb_bits();
        let rem = self.bits % w;
        (rem != 0).then_some(w - rem)
    }

    /// Lookup segments per vector: the limbs, plus the shifted top limb if any.
    fn per_vector(&self) -> usize {
        self.limbs() + usize::from(self.top_shift().is_some())
    }

    fn check<F: KaizenField>(&self) -> Result<(), GkrError> {
        if self.bits == 0 || self.bits > 64 || self.bits > F::SIGNED_BITS {
            return Err(GkrError::Input(format!(
                "range bits {} not in 1..=min(64, {})",
                self.bits,
                F::SIGNED_BITS
            )));
        }
        Ok(())
    }

    fn table<F: KaizenField>(&self) -> Table<F> {
        Table::range(self.limb_bits() as usize)
    }
}

/// The prover's witness for a range check: limbs (all but limb 0 committed) and multiplicities.
#[derive(Clone, Debug)]
pub struct RangeWitness<F> {
    shape: RangeShape,
    /// Per vector, the lookup segments (limbs, then the shifted top limb if any).
    segments: Vec<Vec<Vec<F>>>,
    multiplicities: Vec<F>,
}

/// The claims a range check leaves: on each committed limb and on the multiplicities (to be
/// opened), and the derived claim on each checked vector (to be checked against the vector: it
/// binds the uncommitted limb 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeClaims<F> {
    /// Claim on each vector, derived from its limbs.
    pub values: Vec<Claim<F>>,
    /// Claims on each vector's committed limbs `1..L` (low limb first).
    pub committed_limbs: Vec<Vec<Claim<F>>>,
    /// Claim on the multiplicities of the limb table `[0, 2^w)`.
    pub multiplicities: Claim<F>,
}

impl<F: KaizenField> RangeWitness<F> {
    /// Decomposes the vectors (power-of-two lengths, entries in `[0, 2^bits)`).
    pub fn new(vectors: &[&[F]], bits: u32) -> Result<Self, GkrError> {
        let log_lens = vectors
            .iter()
            .map(|v| {
                v.len()
                    .is_power_of_two()
                    .then(|| v.len().trailing_zeros() as usize)
                    .ok_or_else(|| {
                        GkrError::Input(format!("vector length {} is not a power of two", v.len()))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let shape = RangeShape { bits, log_lens };
        shape.check::<F>()?;
        let w = shape.limb_bits();
        let mask = (1u64 << w) - 1;
        let mut counts = vec![0u64; 1 << w];
        let mut segments = Vec::with_capacity(vectors.len());
        for (vector, v) in vectors.iter().enumerate() {
            let ints: Vec<u64> = v
                .par_iter()
                .enumerate()
                .map(|(index, x)| match x.to_signed() {
                    Some(i) if i >= 0 && (i >> bits) == 0 => Ok(i as u64),
                    other => Err(GkrError::OutOfRange {
                        vector,
                        index,
                        value: other.unwrap_or(-1),
                        bits,
                    }),
                })
                .collect::<Result<_, _>>()?;
            let mut limbs: Vec<Vec<u64>> = (0..shape.limbs())
                .map(|j| ints.iter().map(|&x| (x >> (w * j as u32)) & mask).collect())
                .collect();
            if let (Some(shift), Some(top)) = (shape.top_shift(), limbs.last()) {
                let shifted = top.iter().map(|&y| y << shift).collect();
                limbs.push(shifted);
            }
            for limb in &limbs {
                for &y in limb {
                    counts[y as usize] += 1;
                }
            }
            segments.push(
                limbs
                    .into_iter()
                    .map(|l| {
                        l.into_par_iter()
                            .with_min_len(PAR_MIN_LEN)
                            .map(F::from)
                            .collect()
                    })
                    .collect(),
            );
        }
        Ok(Self {
            shape,
            segments,
            multiplicities: counts.into_iter().map(F::from).collect(),
        })
    }

    /// The public shape.
    pub fn shape(&self) -> &RangeShape {
        &self.shape
    }

    /// Per vector, its limb vectors `1..L` (low limb first) — to be committed by the caller
    /// (limb 0 is implied by the vector and these).
    pub fn committed_limbs(&self, vector: usize) -> &[Vec<F>] {
        &self.segments[vector][1..self.shape.limbs()]
    }

    /// Multiplicities of each value of the limb table `[0, 2^w)` — to be committed by the caller.
    pub fn multiplicities(&self) -> &[F] {
        &self.multiplicities
    }
}

fn lookup_logs(shape: &RangeShape) -> Vec<usize> {
    shape
        .log_lens
        .iter()
        .flat_map(|&l| std::iter::repeat_n(l, shape.per_vector()))
        .collect()
}

/// Proves the range check (after the caller absorbed commitments to the limbs and multiplicities).
pub fn prove_range<F: KaizenField, T: Transcript<F>>(
    witness: &RangeWitness<F>,
    transcript: &mut T,
) -> Result<(LookupProof<F>, RangeClaims<F>), GkrError> {
    let segments: Vec<Vec<&[F]>> = witness
        .segments
        .iter()
        .flat_map(|limbs| limbs.iter().map(|l| vec![l.as_slice()]))
        .collect();
    let table = witness.shape.table();
    absorb_shape(&witness.shape, transcript);
    let (proof, claims) = prove_lookup(&table, &segments, &witness.multiplicities, transcript)?;
    let claims = range_claims(&witness.shape, claims)?;
    Ok((proof, claims))
}

/// Verifies a range check of the given shape.
pub fn verify_range<F: KaizenField, T: Transcript<F>>(
    shape: &RangeShape,
    proof: &LookupProof<F>,
    transcript: &mut T,
) -> Result<RangeClaims<F>, GkrError> {
    shape.check::<F>()?;
    absorb_shape(shape, transcript);
    let table = shape.table();
    let claims = verify_lookup(&table, &lookup_logs(shape), proof, transcript)?;
    range_claims(shape, claims)
}

fn absorb_shape<F: KaizenField, T: Transcript<F>>(shape: &RangeShape, transcript: &mut T) {
    transcript.absorb_bytes(b"range/bits", &shape.bits.to_le_bytes());
}

/// Groups the lookup's claims per vector, checks the shifted top limbs, derives the value claims.
fn range_claims<F: KaizenField>(
    shape: &RangeShape,
    claims: crate::lookup::LookupClaims<F>,
) -> Result<RangeClaims<F>, GkrError> {
    let per = shape.per_vector();
    let limbs = shape.limbs();
    let w = shape.limb_bits();
    let mut values = Vec::new();
    let mut limb_claims = Vec::new();
    for (vector, group) in claims.segments.chunks(per).enumerate() {
        let group: Vec<Claim<F>> = group.iter().filter_map(|c| c.first().cloned()).collect();
        if group.len() != per {
            return Err(GkrError::ProofShape("one claim per limb".into()));
        }
        if let Some(shift) = shape.top_shift() {
            let top = &group[limbs - 1];
            if group[limbs].value != top.value * F::from(1u64 << shift) {
                return Err(GkrError::LimbRelation { vector });
            }
        }
        let value = group[..limbs]
            .iter()
            .enumerate()
            .map(|(j, c)| c.value * F::from(2u64).pow([u64::from(w) * j as u64]))
            .sum();
        values.push(Claim {
            point: group[0].point.clone(),
            value,
        });
        limb_claims.push(group[1..limbs].to_vec());
    }
    Ok(RangeClaims {
        values,
        committed_limbs: limb_claims,
        multiplicities: claims.multiplicities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kaizen_field::{AdditiveGroup, Blake3Transcript, Field, M61Ext2};

    type F = M61Ext2;

    /// A 33-bit check of one two-entry vector: five 7-bit limbs, the top one below 2^5 and also
    /// looked up shifted by 2.
    fn shape() -> RangeShape {
        RangeShape {
            bits: 33,
            log_lens: vec![1],
        }
    }

    fn cheat(segments: Vec<Vec<u64>>) -> RangeWitness<F> {
        let w = shape().limb_bits();
        let mut m = vec![F::ZERO; 1 << w];
        for &y in segments.iter().flatten() {
            if y < 1 << w {
                m[y as usize] += F::ONE;
            }
        }
        RangeWitness {
            shape: shape(),
            segments: vec![segments
                .into_iter()
                .map(|s| s.into_iter().map(F::from).collect())
                .collect()],
            multiplicities: m,
        }
    }

    fn verdict(w: &RangeWitness<F>) -> Result<RangeClaims<F>, GkrError> {
        let (proof, _) = prove_range(w, &mut Blake3Transcript::new(b"r"))?;
        verify_range(w.shape(), &proof, &mut Blake3Transcript::new(b"r"))
    }

    #[test]
    fn limb_width_follows_the_batch_size() {
        assert_eq!((shape().limb_bits(), shape().limbs()), (7, 5));
        assert_eq!(shape().top_shift(), Some(2));
        // A large batch gets one wide limb or two exact ones, a small one narrow limbs.
        let big = |bits| RangeShape {
            bits,
            log_lens: vec![22],
        };
        assert_eq!((big(21).limb_bits(), big(21).per_vector()), (21, 1));
        assert_eq!((big(34).limb_bits(), big(34).per_vector()), (17, 2));
        assert_eq!(
            (big(44).limb_bits(), big(44).per_vector()),
            (MAX_LIMB_BITS, 2)
        );
    }

    #[test]
    fn top_limb_too_large_is_caught_by_the_shifted_lookup() {
        // 2^33 = 32·2^28: limbs (0, 0, 0, 0, 32) are 7-bit, but 32·2^2 = 2^7 is not.
        let zeros = || vec![vec![0, 0]; 4];
        let with_top = |top: u64, shifted: u64| {
            let mut s = zeros();
            s.push(vec![top, 0]);
            s.push(vec![shifted, 0]);
            s
        };
        assert!(matches!(
            verdict(&cheat(with_top(32, 32 << 2))),
            Err(GkrError::RootNumerator)
        ));
        assert!(verdict(&cheat(with_top(31, 31 << 2))).is_ok());
    }

    /// Limb 0 is never opened: a prover whose limbs decompose another vector than the checked
    /// one passes the lookup, and the value claim it leaves holds for the limbs' vector only —
    /// the caller's check of that claim against the checked vector is what rejects it.
    #[test]
    fn value_claim_is_what_binds_limb_zero() {
        let mut s = vec![vec![5, 0]];
        s.extend(vec![vec![0, 0]; 5]);
        let claims = verdict(&cheat(s)).unwrap();
        let at = |v: [u64; 2]| {
            let r = &claims.values[0].point[0];
            F::from(v[0]) * (F::ONE - r) + F::from(v[1]) * r
        };
        assert_eq!(claims.values[0].value, at([5, 0]));
        assert_ne!(claims.values[0].value, at([6, 0]));
        assert_eq!(claims.committed_limbs[0].len(), 4);
    }

    #[test]
    fn shifted_limb_must_match_the_top_limb() {
        let mut s = vec![vec![0, 0]; 4];
        s.push(vec![16, 0]);
        s.push(vec![0, 0]);
        assert!(matches!(
            verdict(&cheat(s)),
            Err(GkrError::LimbRelation { vector: 0 })
        ));
    }
}
