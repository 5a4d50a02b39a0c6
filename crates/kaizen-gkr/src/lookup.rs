//! logUp lookups (Haböck 2022) proven with the fractional-sum GKR (Papini–Haböck 2023).
//!
//! Statement: every row of the witness *segments* (each a few columns of `2^s` rows) is a row of the
//! public table `T` (`2^t` rows), with multiplicities `m`. With `X` and `α` drawn from the transcript
//! (after the caller has absorbed commitments to the segments and to `m`), and rows compressed as
//! `w = Σ_c α^c·col_c`:
//!
//! ```text
//!     Σ_segments Σ_i 1/(X − w_i)  −  Σ_t m_t/(X − T_t)  =  0
//! ```
//!
//! One fractional sum over `2^n` leaves holds everything: the table block (`p = −m`,
//! `q = X − T`), each segment block (`p = 1`, `q = X − w`), and padding (`p = 0`, `q = 1`). Blocks
//! are placed largest first, so each sits at an offset that is a multiple of its size and its
//! indicator is `eq` on the high variables. The verifier checks that the root numerator is 0 and the
//! denominator non-zero, then rebuilds the leaf MLEs at the GKR point from: the table (evaluated
//! itself), and the segment columns' and multiplicities' values at the point's low coordinates,
//! which the proof states and which become the returned [`Claim`]s.
use std::collections::HashMap;

use ark_serialize::CanonicalSerialize;
use kaizen_field::{eq_table, BlockLayout, KaizenField, MultilinearPoly, Transcript};
use kaizen_sumcheck::Claim;

use crate::{
    fractional::{prove_fractional, verify_fractional, FractionalProof},
    GkrError,
};

/// One public table column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableColumn<F> {
    /// `start, start + 1, …`: evaluated by the verifier in `O(t)`.
    Range {
        /// First value.
        start: F,
    },
    /// Explicit values (`2^t` of them): evaluated by the verifier in `O(2^t)`.
    Values(Vec<F>),
}

/// A public lookup table of `2^log_len` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table<F> {
    log_len: usize,
    columns: Vec<TableColumn<F>>,
}

impl<F: KaizenField> Table<F> {
    /// The one-column table `0, 1, …, 2^log_len − 1`.
    pub fn range(log_len: usize) -> Self {
        Self {
            log_len,
            columns: vec![TableColumn::Range { start: F::ZERO }],
        }
    }

    /// A table with the given columns.
    pub fn new(log_len: usize, columns: Vec<TableColumn<F>>) -> Result<Self, GkrError> {
        let bad = columns
            .iter()
            .any(|c| matches!(c, TableColumn::Values(v) if v.len() != 1 << log_len));
        if columns.is_empty() || bad {
            return Err(GkrError::Input(
                "table columns must have 2^log_len values".into(),
            ));
        }
        Ok(Self { log_len, columns })
    }

    /// log2 of the number of rows.
    pub fn log_len(&self) -> usize {
        self.log_len
    }

    /// Number of columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }

    fn entry(&self, column: usize, row: usize) -> F {
        match &self.columns[column] {
            TableColumn::Range { start } => *start + F::from(row as u64),
            TableColumn::Values(v) => v[row],
        }
    }

    /// The column's MLE at `point` (`log_len` coordinates).
    fn evaluate(&self, column: usize, point: &[F]) -> Result<F, GkrError> {
        Ok(match &self.columns[column] {
            TableColumn::Range { start } => {
                let mut pow = F::ONE;
                let mut acc = *start;
                for &r in point {
                    acc += pow * r;
                    pow.double_in_place();
                }
                acc
            }
            TableColumn::Values(v) => MultilinearPoly::new(v.clone())?.evaluate(point)?,
        })
    }
}

/// A witness segment: columns of equal power-of-two length (as many as the table has).
pub type Segment<F> = Vec<Vec<F>>;

/// A lookup proof: the fractional sum and the values behind the returned claims.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct LookupProof<F: KaizenField> {
    /// The fractional-sum GKR.
    pub fraction: FractionalProof<F>,
    /// For each segment, each column's MLE at the segment's point.
    pub segment_evals: Vec<Vec<F>>,
    /// The multiplicities' MLE at the table's point.
    pub multiplicity_eval: F,
}

/// The claims a lookup leaves for the caller to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupClaims<F> {
    /// For each segment, one claim per column.
    pub segments: Vec<Vec<Claim<F>>>,
    /// Claim on the multiplicities.
    pub multiplicities: Claim<F>,
}

/// The leaves' layout: block 0 is the table, block `i + 1` segment `i` (at least one variable).
fn layout(table_log: usize, segment_logs: &[usize]) -> BlockLayout {
    let logs: Vec<usize> = std::iter::once(table_log)
        .chain(segment_logs.iter().copied())
        .collect();
    BlockLayout::new(&logs, 1)
}

/// Absorbs the statement's shape and draws `(α, X)`.
fn challenges<F: KaizenField, T: Transcript<F>>(
    table: &Table<F>,
    segment_logs: &[usize],
    transcript: &mut T,
) -> (F, F) {
    let shape: Vec<u8> = [table.log_len, table.width(), segment_logs.len()]
        .into_iter()
        .chain(segment_logs.iter().copied())
        .flat_map(|x| (x as u64).to_le_bytes())
        .collect();
    transcript.absorb_bytes(b"lookup/shape", &shape);
    (
        transcript.challenge(b"lookup/alpha"),
        transcript.challenge(b"lookup/x"),
    )
}

/// How many times each table row occurs in the segments (prover side; errors on a missing row).
pub fn multiplicities<F: KaizenField + std::hash::Hash>(
    table: &Table<F>,
    segments: &[Segment<F>],
) -> Result<Vec<F>, GkrError> {
    let rows: HashMap<Vec<F>, usize> = (0..1usize << table.log_len)
        .map(|r| ((0..table.width()).map(|c| table.entry(c, r)).collect(), r))
        .collect();
    let mut counts = vec![0u64; 1 << table.log_len];
    for (s, seg) in segments.iter().enumerate() {
        let len = seg.first().map_or(0, Vec::len);
        for i in 0..len {
            let row: Vec<F> = seg.iter().map(|c| c[i]).collect();
            let &t = rows.get(&row).ok_or(GkrError::NotInTable {
                segment: s,
                index: i,
            })?;
            counts[t] += 1;
        }
    }
    Ok(counts.into_iter().map(F::from).collect())
}

fn segment_logs<F, C: AsRef<[F]>>(
    segments: &[Vec<C>],
    width: usize,
) -> Result<Vec<usize>, GkrError> {
    segments
        .iter()
        .map(|seg| {
            let len = seg.first().map_or(0, |c| c.as_ref().len());
            if seg.len() != width
                || !len.is_power_of_two()
                || seg.iter().any(|c| c.as_ref().len() != len)
            {
                return Err(GkrError::Input(
                    "segments need one power-of-two column per table column".into(),
                ));
            }
            Ok(len.trailing_zeros() as usize)
        })
        .collect()
}

/// Proves that every segment row is in the table, given the multiplicities. A segment's columns
/// are anything that reads as a slice (owned [`Segment`]s, or borrowed `Vec<&[F]>`).
pub fn prove_lookup<F: KaizenField, T: Transcript<F>, C: AsRef<[F]> + Sync>(
    table: &Table<F>,
    segments: &[Vec<C>],
    multiplicities: &[F],
    transcript: &mut T,
) -> Result<(LookupProof<F>, LookupClaims<F>), GkrError> {
    let logs = segment_logs(segments, table.width())?;
    if multiplicities.len() != 1 << table.log_len {
        return Err(GkrError::Input("one multiplicity per table row".into()));
    }
    let (alpha, x) = challenges(table, &logs, transcript);
    let layout = layout(table.log_len, &logs);
    let n = layout.num_vars();
    let mut p = vec![F::ZERO; 1 << n];
    let mut q = vec![F::ONE; 1 << n];
    let compress = |row: &mut dyn Iterator<Item = F>| {
        row.fold((F::ZERO, F::ONE), |(acc, pow), v| {
            (acc + pow * v, pow * alpha)
        })
        .0
    };
    for (block, b) in layout.blocks().iter().enumerate() {
        let (offset, log) = (b.offset, b.log_len);
        for i in 0..1usize << log {
            let (num, w) = match block.checked_sub(1) {
                None => (
                    -multiplicities[i],
                    compress(&mut (0..table.width()).map(|c| table.entry(c, i))),
                ),
                Some(s) => (
                    F::ONE,
                    compress(&mut segments[s].iter().map(|c| c.as_ref()[i])),
                ),
            };
            p[offset + i] = num;
            q[offset + i] = x - w;
        }
    }
    let (fraction, claims) = prove_fractional(p, q, transcript)?;
    let point = &claims.p.point;
    let segment_evals: Vec<Vec<F>> = segments
        .iter()
        .zip(&logs)
        .map(|(seg, &log)| {
            let eq = eq_table(&point[..log]);
            seg.iter()
                .map(|c| eq.iter().zip(c.as_ref()).map(|(&e, &v)| e * v).sum())
                .collect()
        })
        .collect();
    let eq = eq_table(&point[..table.log_len]);
    let multiplicity_eval = eq.iter().zip(multiplicities).map(|(&e, &m)| e * m).sum();
    let proof = LookupProof {
        fraction,
        segment_evals,
        multiplicity_eval,
    };
    let claims = finish(table, &logs, &proof, transcript, alpha, x, claims)?;
    Ok((proof, claims))
}

/// Verifies a lookup of segments with `2^segment_logs[i]` rows into `table`.
pub fn verify_lookup<F: KaizenField, T: Transcript<F>>(
    table: &Table<F>,
    segment_logs: &[usize],
    proof: &LookupProof<F>,
    transcript: &mut T,
) -> Result<LookupClaims<F>, GkrError> {
    let (alpha, x) = challenges(table, segment_logs, transcript);
    let n = layout(table.log_len, segment_logs).num_vars();
    let claims = verify_fractional(n, &proof.fraction, transcript)?;
    if !claims.numerator.is_zero() {
        return Err(GkrError::RootNumerator);
    }
    if claims.denominator.is_zero() {
        return Err(GkrError::ZeroDenominator);
    }
    finish(table, segment_logs, proof, transcript, alpha, x, claims)
}

/// Rebuilds the leaves at the GKR point from the stated evaluations and compares them with the
/// fractional sum's leaf claims (shared by prover and verifier, so both absorb the same values).
/// The root check is the verifier's alone, so that a prover can be run on a false statement.
fn finish<F: KaizenField, T: Transcript<F>>(
    table: &Table<F>,
    logs: &[usize],
    proof: &LookupProof<F>,
    transcript: &mut T,
    alpha: F,
    x: F,
    claims: crate::fractional::FractionalClaims<F>,
) -> Result<LookupClaims<F>, GkrError> {
    if proof.segment_evals.len() != logs.len()
        || proof.segment_evals.iter().any(|e| e.len() != table.width())
    {
        return Err(GkrError::ProofShape("one value per segment column".into()));
    }
    for e in &proof.segment_evals {
        transcript.absorb_fields(b"lookup/segment", e);
    }
    transcript.absorb_field(b"lookup/multiplicity", &proof.multiplicity_eval);
    let point = &claims.p.point;
    let layout = layout(table.log_len, logs);
    let compress = |vals: &[F]| vals.iter().rev().fold(F::ZERO, |acc, &v| acc * alpha + v);
    let (mut p, mut q, mut covered) = (F::ZERO, F::ZERO, F::ZERO);
    for (block, b) in layout.blocks().iter().enumerate() {
        let log = b.log_len;
        let select = layout.selector(block, point);
        let (num, w) = match block.checked_sub(1) {
            None => {
                let cols: Vec<F> = (0..table.width())
                    .map(|c| table.evaluate(c, &point[..log]))
                    .collect::<Result<_, _>>()?;
                (-proof.multiplicity_eval, compress(&cols))
            }
            Some(s) => (F::ONE, compress(&proof.segment_evals[s])),
        };
        p += select * num;
        q += select * (x - w);
        covered += select;
    }
    q += F::ONE - covered;
    if p != claims.p.value || q != claims.q.value {
        return Err(GkrError::LeafMismatch);
    }
    Ok(LookupClaims {
        segments: logs
            .iter()
            .zip(&proof.segment_evals)
            .map(|(&log, evals)| {
                evals
                    .iter()
                    .map(|&value| Claim {
                        point: point[..log].to_vec(),
                        value,
                    })
                    .collect()
            })
            .collect(),
        multiplicities: Claim {
            point: point[..table.log_len].to_vec(),
            value: proof.multiplicity_eval,
        },
    })
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] LookupProof<F> {
    fraction: one,
    segment_evals: vec2,
    multiplicity_eval: one,
});
