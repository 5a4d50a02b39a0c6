//! Range checks `0 ≤ x < 2^k` by limb decomposition, batched over many vectors in one lookup.
//!
//! Each vector `v` (power-of-two length) is split into `L` limb vectors of `w` bits with
//! `v = Σ_j 2^{wj}·limb_j`, each limb looked up in the table `[0, 2^w)`. The width `w` is a
//! function of the public shape ([`RangeShape::limb_bits`]): it balances the limbs' cost (each is
//! committed and looked up) against the tables' (`2^w` committed multiplicities and leaves), so a
//! large batch gets a wide table and few limbs. If `k` is not a multiple of `w`, the top limb must
//! be `< 2^{k − w(L−1)}`: it is looked up in a second, smaller table `[0, 2^{k − w(L−1)})` of the
//! same lookup (rows tagged by table, so a top limb cannot match the wide table; no wrap-around,
//! as `2^{2w} < p`). Limbs `1..L` are **committed witness** (the caller commits them and each
//! table's multiplicities before proving); limb 0 is not: it is `v − Σ_{j≥1} 2^{wj}·limb_j`, a
//! fixed linear function of `v` and the committed limbs. The verifier derives the claim on `v`
//! from the limb claims, all at the same point; the caller must then check that value claim
//! against `v` itself (by opening `v`, or from the claims on the committed tensors `v` combines)
//! — that check is what binds limb 0, whose claim is never opened.
//!
//! `k ≤ 64` and `k ≤ F::SIGNED_BITS`, so the limb sum never wraps modulo `p`.
use kaizen_field::{KaizenField, Transcript, PAR_MIN_LEN};
use kaizen_sumcheck::Claim;
use rayon::prelude::*;

use crate::{
    lookup::{prove_lookups, verify_lookups, LookupProof, LookupShape, Table},
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
    /// `N·2L + 3·(2^w + 2^t) + 2^10·V·L` — `N` checked values in `V` vectors, `L = ⌈k/w⌉` limbs
    /// (each looked up, all but limb 0 committed: `N·(2L − 1)` has the same minimiser), the
    /// tables' multiplicities (committed) and leaves (`2^t` the top limb's table, if any), and a
    /// fixed cost per limb vector (its own tree, claims and opening). Ties go to the narrower
    /// limb.
    pub fn limb_bits(&self) -> u32 {
        let n: u128 = self.log_lens.iter().map(|&l| 1u128 << l.min(100)).sum();
        let v = self.log_lens.len() as u128;
        (1..=self.bits.clamp(1, MAX_LIMB_BITS))
            .min_by_key(|&w| {
                let limbs = u128::from(self.bits.div_ceil(w));
                let top = match self.bits % w {
                    0 => 0,
                    t => 1u128 << t,
                };
                n * 2 * limbs + 3 * ((1u128 << w) + top) + (v << 10) * limbs
            })
            .unwrap_or(1)
    }

    /// Limbs per vector.
    pub fn limbs(&self) -> usize {
        self.bits.div_ceil(self.limb_bits()) as usize
    }

    /// Bits of the top limb's own table, if `k` is not a multiple of the width.
    pub fn top_bits(&self) -> Option<u32> {
        let rem = self.bits % self.limb_bits();
        (rem != 0).then_some(rem)
    }

    /// log2 of each table's rows: the limb table, then the top limb's if any.
    pub fn table_logs(&self) -> Vec<usize> {
        std::iter::once(self.limb_bits())
            .chain(self.top_bits())
            .map(|b| b as usize)
            .collect()
    }

    /// The table limb `j` is looked up in.
    fn table_of(&self, j: usize) -> usize {
        usize::from(j + 1 == self.limbs() && self.top_bits().is_some())
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

    fn tables<F: KaizenField>(&self) -> Vec<Table<F>> {
        self.table_logs().into_iter().map(Table::range).collect()
    }

    /// `(table, log2 rows)` of every lookup segment: each vector's limbs in order.
    fn segments(&self) -> Vec<(usize, usize)> {
        self.log_lens
            .iter()
            .flat_map(|&l| (0..self.limbs()).map(move |j| (self.table_of(j), l)))
            .collect()
    }
}

/// The prover's witness for a range check: limbs (all but limb 0 committed) and multiplicities.
#[derive(Clone, Debug)]
pub struct RangeWitness<F> {
    shape: RangeShape,
    /// Per vector, its limbs (low limb first).
    segments: Vec<Vec<Vec<F>>>,
    /// Per table, the multiplicities of its rows.
    multiplicities: Vec<Vec<F>>,
}

/// The claims a range check leaves: on each committed limb and on each table's multiplicities (to
/// be opened), and the derived claim on each checked vector (to be checked against the vector: it
/// binds the uncommitted limb 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeClaims<F> {
    /// Claim on each vector, derived from its limbs.
    pub values: Vec<Claim<F>>,
    /// Claims on each vector's committed limbs `1..L` (low limb first).
    pub committed_limbs: Vec<Vec<Claim<F>>>,
    /// Claim on the multiplicities of each table ([`RangeShape::table_logs`]).
    pub multiplicities: Vec<Claim<F>>,
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
        let mut counts: Vec<Vec<u64>> = shape
            .table_logs()
            .into_iter()
            .map(|t| vec![0u64; 1 << t])
            .collect();
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
            let limbs: Vec<Vec<u64>> = (0..shape.limbs())
                .map(|j| ints.iter().map(|&x| (x >> (w * j as u32)) & mask).collect())
                .collect();
            for (j, limb) in limbs.iter().enumerate() {
                let counts = &mut counts[shape.table_of(j)];
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
            multiplicities: counts
                .into_iter()
                .map(|c| c.into_iter().map(F::from).collect())
                .collect(),
        })
    }

    /// The public shape.
    pub fn shape(&self) -> &RangeShape {
        &self.shape
    }

    /// Per vector, its limb vectors `1..L` (low limb first) — to be committed by the caller
    /// (limb 0 is implied by the vector and these).
    pub fn committed_limbs(&self, vector: usize) -> &[Vec<F>] {
        &self.segments[vector][1..]
    }

    /// Multiplicities of each row of table `t` ([`RangeShape::table_logs`]) — to be committed
    /// by the caller.
    pub fn multiplicities(&self, t: usize) -> Option<&[F]> {
        self.multiplicities.get(t).map(Vec::as_slice)
    }
}

/// Proves the range check (after the caller absorbed commitments to the limbs and multiplicities).
pub fn prove_range<F: KaizenField, T: Transcript<F>>(
    witness: &RangeWitness<F>,
    transcript: &mut T,
) -> Result<(LookupProof<F>, RangeClaims<F>), GkrError> {
    let shape = &witness.shape;
    let segments: Vec<(usize, Vec<&[F]>)> = witness
        .segments
        .iter()
        .flat_map(|limbs| {
            limbs
                .iter()
                .enumerate()
                .map(|(j, l)| (shape.table_of(j), vec![l.as_slice()]))
        })
        .collect();
    let multiplicities: Vec<&[F]> = witness.multiplicities.iter().map(Vec::as_slice).collect();
    absorb_shape(shape, transcript);
    let (proof, claims) = prove_lookups(&shape.tables(), &segments, &multiplicities, transcript)?;
    let claims = range_claims(shape, claims)?;
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
    let (tables, segments) = (shape.tables(), shape.segments());
    let lookup = LookupShape {
        tables: &tables,
        segments: &segments,
    };
    let claims = verify_lookups(&lookup, proof, transcript)?;
    range_claims(shape, claims)
}

fn absorb_shape<F: KaizenField, T: Transcript<F>>(shape: &RangeShape, transcript: &mut T) {
    transcript.absorb_bytes(b"range/bits", &shape.bits.to_le_bytes());
}

/// Groups the lookup's claims per vector and derives the value claims.
fn range_claims<F: KaizenField>(
    shape: &RangeShape,
    claims: crate::lookup::LookupClaims<F>,
) -> Result<RangeClaims<F>, GkrError> {
    let limbs = shape.limbs();
    let w = shape.limb_bits();
    let mut values = Vec::new();
    let mut limb_claims = Vec::new();
    for group in claims.segments.chunks(limbs) {
        let group: Vec<Claim<F>> = group.iter().filter_map(|c| c.first().cloned()).collect();
        if group.len() != limbs {
            return Err(GkrError::ProofShape("one claim per limb".into()));
        }
        let value = group
            .iter()
            .enumerate()
            .map(|(j, c)| c.value * F::from(2u64).pow([u64::from(w) * j as u64]))
            .sum();
        values.push(Claim {
            point: group[0].point.clone(),
            value,
        });
        limb_claims.push(group[1..].to_vec());
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

    /// A 33-bit check of one two-entry vector: five 7-bit limbs, the top one below 2^5 (looked up
    /// in its own table of 2^5 rows).
    fn shape() -> RangeShape {
        RangeShape {
            bits: 33,
            log_lens: vec![1],
        }
    }

    /// A witness with the given limbs, each limb value counted in the table `count(limb, value)`
    /// names (none: not counted).
    fn cheat(limbs: Vec<Vec<u64>>, count: impl Fn(usize, u64) -> Option<usize>) -> RangeWitness<F> {
        let mut m: Vec<Vec<F>> = shape()
            .table_logs()
            .into_iter()
            .map(|t| vec![F::ZERO; 1 << t])
            .collect();
        for (j, limb) in limbs.iter().enumerate() {
            for &y in limb {
                if let Some(t) = count(j, y) {
                    m[t][y as usize] += F::ONE;
                }
            }
        }
        RangeWitness {
            shape: shape(),
            segments: vec![limbs
                .into_iter()
                .map(|s| s.into_iter().map(F::from).collect())
                .collect()],
            multiplicities: m,
        }
    }

    /// Counts each limb in its own table when the value is a row of it.
    fn honest_count(j: usize, y: u64) -> Option<usize> {
        let t = shape().table_of(j);
        (y < 1 << shape().table_logs()[t]).then_some(t)
    }

    fn verdict(w: &RangeWitness<F>) -> Result<RangeClaims<F>, GkrError> {
        let (proof, _) = prove_range(w, &mut Blake3Transcript::new(b"r"))?;
        verify_range(w.shape(), &proof, &mut Blake3Transcript::new(b"r"))
    }

    #[test]
    fn limb_width_follows_the_batch_size() {
        assert_eq!((shape().limb_bits(), shape().limbs()), (7, 5));
        assert_eq!(shape().top_bits(), Some(5));
        assert_eq!(shape().table_logs(), vec![7, 5]);
        // A large batch gets one wide limb or two exact ones, a small one narrow limbs.
        let big = |bits| RangeShape {
            bits,
            log_lens: vec![22],
        };
        assert_eq!((big(21).limb_bits(), big(21).limbs()), (21, 1));
        assert_eq!((big(34).limb_bits(), big(34).limbs()), (17, 2));
        assert_eq!((big(44).limb_bits(), big(44).limbs()), (15, 3));
        assert_eq!(big(44).top_bits(), Some(14));
        let huge = RangeShape {
            bits: 44,
            log_lens: vec![26],
        };
        assert_eq!((huge.limb_bits(), huge.limbs()), (MAX_LIMB_BITS, 2));
    }

    #[test]
    fn top_limb_too_large_is_caught_by_its_table() {
        // 2^33 = 32·2^28: limbs (0, 0, 0, 0, 32) are 7-bit, but the top one is not 5-bit.
        let with_top = |top: u64| {
            let mut s = vec![vec![0, 0]; 4];
            s.push(vec![top, 0]);
            s
        };
        assert!(matches!(
            verdict(&cheat(with_top(32), honest_count)),
            Err(GkrError::RootNumerator)
        ));
        assert!(verdict(&cheat(with_top(31), honest_count)).is_ok());
        // Counting the top limb in the wide table, where 32 is a row, does not help either: the
        // rows are tagged by table.
        let wide = |j: usize, y: u64| honest_count(j, y).or(Some(0));
        assert!(matches!(
            verdict(&cheat(with_top(32), wide)),
            Err(GkrError::RootNumerator)
        ));
    }

    /// Limb 0 is never opened: a prover whose limbs decompose another vector than the checked
    /// one passes the lookup, and the value claim it leaves holds for the limbs' vector only —
    /// the caller's check of that claim against the checked vector is what rejects it.
    #[test]
    fn value_claim_is_what_binds_limb_zero() {
        let mut s = vec![vec![5, 0]];
        s.extend(vec![vec![0, 0]; 4]);
        let claims = verdict(&cheat(s, honest_count)).unwrap();
        let at = |v: [u64; 2]| {
            let r = &claims.values[0].point[0];
            F::from(v[0]) * (F::ONE - r) + F::from(v[1]) * r
        };
        assert_eq!(claims.values[0].value, at([5, 0]));
        assert_ne!(claims.values[0].value, at([6, 0]));
        assert_eq!(claims.committed_limbs[0].len(), 4);
        assert_eq!(claims.multiplicities.len(), 2);
    }
}
