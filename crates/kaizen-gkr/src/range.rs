//! Range checks `0 ≤ x < 2^k` by limb decomposition, batched over many vectors — and over several
//! bounds — in one lookup.
//!
//! Each vector `v` (power-of-two length) of a check with bound `k` is split into `L` limb vectors
//! of `w` bits with `v = Σ_j 2^{wj}·limb_j`, each limb looked up in the table `[0, 2^w)`. The
//! width `w` is a function of the check's public shape ([`RangeShape::limb_bits`]): it balances
//! the limbs' cost (each is committed and looked up) against the tables' (`2^w` committed
//! multiplicities and leaves), so a large check gets a wide table and few limbs. If `k` is not a
//! multiple of `w`, the top limb must be `< 2^{k − w(L−1)}`: it is looked up in a second, smaller
//! table `[0, 2^{k − w(L−1)})` (rows tagged by table, so a top limb cannot match the wide table;
//! no wrap-around, as `2^{2w} < p`). Limbs `1..L` are **committed witness** (the caller commits
//! them and each table's multiplicities before proving); limb 0 is not: it is
//! `v − Σ_{j≥1} 2^{wj}·limb_j`, a fixed linear function of `v` and the committed limbs. The
//! verifier derives the claim on `v` from the limb claims, all at the same point; the caller must
//! then check that value claim against `v` itself (by opening `v`, or from the claims on the
//! committed tensors `v` combines) — that check is what binds limb 0, whose claim is never opened.
//!
//! A [`RangeWitness`] holds one check or a batch of several ([`RangeWitness::batch`]), all proven
//! by one lookup: the checks share their tables (`[0, 2^t)` is one table, with one multiplicity
//! vector, whichever checks look limbs up in it — [`table_logs`]), and the lookup's trees of equal
//! size share one point, so the vectors of equal length in all checks end at the same point.
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

/// The public shape of one range check: the bound and each vector's log-length.
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

    /// log2 of the rows of the table limb `j` is looked up in: the limb width, or the top
    /// limb's bits.
    fn table_log(&self, j: usize) -> usize {
        match self.top_bits() {
            Some(top) if j + 1 == self.limbs() => top as usize,
            _ => self.limb_bits() as usize,
        }
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
}

/// log2 of the rows of each table a batch of checks shares: every check's limb table, then its
/// top limb's, each size once, in order of first use.
pub fn table_logs(shapes: &[RangeShape]) -> Vec<usize> {
    let mut logs: Vec<usize> = Vec::new();
    for s in shapes {
        for j in 0..s.limbs() {
            let log = s.table_log(j);
            if !logs.contains(&log) {
                logs.push(log);
            }
        }
    }
    logs
}

/// Index of the table of `2^log` rows among `logs` (a batch's [`table_logs`]: every table its
/// checks use is there).
fn table_index(logs: &[usize], log: usize) -> usize {
    logs.iter().position(|&t| t == log).unwrap_or(0)
}

/// `(table, log2 rows)` of every lookup segment of the batch: each check's vectors' limbs in
/// order, with `logs` the batch's [`table_logs`].
fn segments(shapes: &[RangeShape], logs: &[usize]) -> Vec<(usize, usize)> {
    shapes
        .iter()
        .flat_map(|s| {
            s.log_lens.iter().flat_map(move |&l| {
                (0..s.limbs()).map(move |j| {
                    let log = s.table_log(j);
                    (table_index(logs, log), l)
                })
            })
        })
        .collect()
}

/// The prover's witness for a batch of range checks: limbs (all but limb 0 committed) and the
/// shared tables' multiplicities.
#[derive(Clone, Debug)]
pub struct RangeWitness<F> {
    shapes: Vec<RangeShape>,
    /// Per check, per vector, its limbs (low limb first).
    segments: Vec<Vec<Vec<Vec<F>>>>,
    /// Per table ([`table_logs`]), the multiplicities of its rows.
    multiplicities: Vec<Vec<F>>,
}

/// The claims a batch of range checks leaves: on each committed limb and on each table's
/// multiplicities (to be opened), and the derived claim on each checked vector (to be checked
/// against the vector: it binds the uncommitted limb 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeClaims<F> {
    /// Per check, the claim on each vector, derived from its limbs.
    pub values: Vec<Vec<Claim<F>>>,
    /// Per check, the claims on each vector's committed limbs `1..L` (low limb first).
    pub committed_limbs: Vec<Vec<Vec<Claim<F>>>>,
    /// Claim on the multiplicities of each table ([`table_logs`]).
    pub multiplicities: Vec<Claim<F>>,
}

impl<F: KaizenField> RangeWitness<F> {
    /// One check: decomposes the vectors (power-of-two lengths, entries in `[0, 2^bits)`).
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
        let logs = table_logs(std::slice::from_ref(&shape));
        let table_of: Vec<usize> = (0..shape.limbs())
            .map(|j| table_index(&logs, shape.table_log(j)))
            .collect();
        let mut counts: Vec<Vec<u64>> = logs.iter().map(|&t| vec![0u64; 1 << t]).collect();
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
            for (limb, &t) in limbs.iter().zip(&table_of) {
                for &y in limb {
                    counts[t][y as usize] += 1;
                }
            }
            segments.push(
                limbs
                    .into_iter()
                    .map(|l| {
                        l.into_par_iter()
                            .with_min_len(PAR_MIN_LEN)
                            .map(F::from_u64)
                            .collect()
                    })
                    .collect(),
            );
        }
        Ok(Self {
            shapes: vec![shape],
            segments: vec![segments],
            multiplicities: counts
                .into_iter()
                .map(|c| c.into_iter().map(F::from_u64).collect())
                .collect(),
        })
    }

    /// The checks of `witnesses`, in order, as one batch: each table size's multiplicities
    /// summed over the checks that use it.
    pub fn batch(witnesses: Vec<Self>) -> Self {
        let shapes: Vec<RangeShape> = witnesses.iter().flat_map(|w| w.shapes.clone()).collect();
        let logs = table_logs(&shapes);
        let mut multiplicities: Vec<Vec<F>> = logs.iter().map(|&t| vec![F::ZERO; 1 << t]).collect();
        let mut segments = Vec::with_capacity(shapes.len());
        for w in witnesses {
            for (m, log) in w.multiplicities.iter().zip(table_logs(&w.shapes)) {
                multiplicities[table_index(&logs, log)]
                    .par_iter_mut()
                    .with_min_len(PAR_MIN_LEN)
                    .zip(m)
                    .for_each(|(a, &b)| *a += b);
            }
            segments.extend(w.segments);
        }
        Self {
            shapes,
            segments,
            multiplicities,
        }
    }

    /// The public shapes of the checks.
    pub fn shapes(&self) -> &[RangeShape] {
        &self.shapes
    }

    /// The limb vectors `1..L` (low limb first) of vector `vector` of check `check` — to be
    /// committed by the caller (limb 0 is implied by the vector and these).
    pub fn committed_limbs(&self, check: usize, vector: usize) -> Option<&[Vec<F>]> {
        self.segments
            .get(check)
            .and_then(|c| c.get(vector))
            .map(|limbs| &limbs[1..])
    }

    /// Multiplicities of each row of table `t` ([`table_logs`]) — to be committed by the
    /// caller.
    pub fn multiplicities(&self, t: usize) -> Option<&[F]> {
        self.multiplicities.get(t).map(Vec::as_slice)
    }
}

/// Proves the batch of range checks (after the caller absorbed commitments to the limbs and
/// multiplicities).
pub fn prove_range<F: KaizenField, T: Transcript<F>>(
    witness: &RangeWitness<F>,
    transcript: &mut T,
) -> Result<(LookupProof<F>, RangeClaims<F>), GkrError> {
    let logs = table_logs(&witness.shapes);
    let layout = segments(&witness.shapes, &logs);
    let limbs: Vec<(usize, Vec<&[F]>)> = witness
        .segments
        .iter()
        .flatten()
        .flatten()
        .zip(&layout)
        .map(|(limb, &(t, _))| (t, vec![limb.as_slice()]))
        .collect();
    let multiplicities: Vec<&[F]> = witness.multiplicities.iter().map(Vec::as_slice).collect();
    let tables: Vec<Table<F>> = logs.iter().map(|&t| Table::range(t)).collect();
    absorb_shapes(&witness.shapes, transcript);
    let (proof, claims) = prove_lookups(&tables, &limbs, &multiplicities, transcript)?;
    let claims = range_claims(&witness.shapes, claims)?;
    Ok((proof, claims))
}

/// Verifies a batch of range checks of the given shapes.
pub fn verify_range<F: KaizenField, T: Transcript<F>>(
    shapes: &[RangeShape],
    proof: &LookupProof<F>,
    transcript: &mut T,
) -> Result<RangeClaims<F>, GkrError> {
    if shapes.is_empty() {
        return Err(GkrError::Input("no range check".into()));
    }
    for s in shapes {
        s.check::<F>()?;
    }
    let logs = table_logs(shapes);
    let tables: Vec<Table<F>> = logs.iter().map(|&t| Table::range(t)).collect();
    let segments = segments(shapes, &logs);
    absorb_shapes(shapes, transcript);
    let lookup = LookupShape {
        tables: &tables,
        segments: &segments,
    };
    let claims = verify_lookups(&lookup, proof, transcript)?;
    range_claims(shapes, claims)
}

fn absorb_shapes<F: KaizenField, T: Transcript<F>>(shapes: &[RangeShape], transcript: &mut T) {
    let bits: Vec<u8> = shapes.iter().flat_map(|s| s.bits.to_le_bytes()).collect();
    transcript.absorb_bytes(b"range/bits", &bits);
}

/// Groups the lookup's claims per check and vector and derives the value claims.
fn range_claims<F: KaizenField>(
    shapes: &[RangeShape],
    claims: crate::lookup::LookupClaims<F>,
) -> Result<RangeClaims<F>, GkrError> {
    let mut segments = claims.segments.into_iter();
    let (mut values, mut committed) = (Vec::new(), Vec::new());
    for shape in shapes {
        let (limbs, w) = (shape.limbs(), shape.limb_bits());
        let (mut check_values, mut check_limbs) = (Vec::new(), Vec::new());
        for _ in &shape.log_lens {
            let group: Vec<Claim<F>> = segments
                .by_ref()
                .take(limbs)
                .filter_map(|c| c.first().cloned())
                .collect();
            if group.len() != limbs {
                return Err(GkrError::ProofShape("one claim per limb".into()));
            }
            let value = group
                .iter()
                .enumerate()
                .map(|(j, c)| c.value * F::from(2u64).pow([u64::from(w) * j as u64]))
                .sum();
            check_values.push(Claim {
                point: group[0].point.clone(),
                value,
            });
            check_limbs.push(group[1..].to_vec());
        }
        values.push(check_values);
        committed.push(check_limbs);
    }
    Ok(RangeClaims {
        values,
        committed_limbs: committed,
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
        let mut m: Vec<Vec<F>> = table_logs(&[shape()])
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
            shapes: vec![shape()],
            segments: vec![vec![limbs
                .into_iter()
                .map(|s| s.into_iter().map(F::from_u64).collect())
                .collect()]],
            multiplicities: m,
        }
    }

    /// Counts each limb in its own table when the value is a row of it.
    fn honest_count(j: usize, y: u64) -> Option<usize> {
        let t = usize::from(j + 1 == shape().limbs());
        (y < 1 << table_logs(&[shape()])[t]).then_some(t)
    }

    fn verdict(w: &RangeWitness<F>) -> Result<RangeClaims<F>, GkrError> {
        let (proof, _) = prove_range(w, &mut Blake3Transcript::new(b"r"))?;
        verify_range(w.shapes(), &proof, &mut Blake3Transcript::new(b"r"))
    }

    #[test]
    fn limb_width_follows_the_batch_size() {
        assert_eq!((shape().limb_bits(), shape().limbs()), (7, 5));
        assert_eq!(shape().top_bits(), Some(5));
        assert_eq!(table_logs(&[shape()]), vec![7, 5]);
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
            let r = &claims.values[0][0].point[0];
            F::from(v[0]) * (F::ONE - r) + F::from(v[1]) * r
        };
        assert_eq!(claims.values[0][0].value, at([5, 0]));
        assert_ne!(claims.values[0][0].value, at([6, 0]));
        assert_eq!(claims.committed_limbs[0][0].len(), 4);
        assert_eq!(claims.multiplicities.len(), 2);
    }
}
