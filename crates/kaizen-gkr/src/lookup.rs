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
//! One batched fractional sum proves it, one tree per block: the table (`p = −m`, `q = X − T`) and
//! each segment (`p = 1`, a unit tree, `q = X − w`); a block of one row is padded to two with the
//! leaf `0/1`. The verifier checks that the roots sum to zero (numerator 0, denominator non-zero),
//! then rebuilds each tree's leaf MLEs at its GKR point from: the table (evaluated itself), and the
//! segment columns' and multiplicities' values at that point, which the proof states and which
//! become the returned [`Claim`]s.
use std::collections::HashMap;

use ark_serialize::CanonicalSerialize;
use kaizen_field::{
    eq_table, inner_product, KaizenField, MultilinearPoly, Transcript, PAR_MIN_LEN,
};
use kaizen_sumcheck::Claim;
use rayon::prelude::*;

use crate::{
    fractional::{
        prove_fractional, verify_fractional, FractionalClaims, FractionalProof, Leaves, TreeShape,
    },
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

/// The trees: the table's, then one unit tree per segment (a one-row block becomes a general tree
/// of two leaves).
fn tree_shapes(table_log: usize, segment_logs: &[usize]) -> Vec<TreeShape> {
    let table = TreeShape {
        num_vars: table_log.max(1),
        unit: false,
    };
    std::iter::once(table)
        .chain(segment_logs.iter().map(|&log| TreeShape {
            num_vars: log.max(1),
            unit: log > 0,
        }))
        .collect()
}

/// The leaves of a block of `p/q` fractions (`p = None`: all one), padded with `0/1` to two.
fn leaves<F: KaizenField>(p: Option<Vec<F>>, q: Vec<F>) -> Leaves<F> {
    match (p, q.len()) {
        (None, n) if n > 1 => Leaves::unit(q),
        (p, 1) => Leaves::new(
            vec![p.map_or(F::ONE, |p| p[0]), F::ZERO],
            vec![q[0], F::ONE],
        ),
        (p, n) => Leaves::new(p.unwrap_or_else(|| vec![F::ONE; n]), q),
    }
}

/// A padded block's leaf MLE at `point` from its value `v` at `point` (with one row, `point` has
/// one coordinate more than the block: the padding bit, whose leaf is `pad`).
fn padded_leaf<F: KaizenField>(log: usize, point: &[F], v: F, pad: F) -> F {
    match (log, point.first()) {
        (0, Some(&r)) => F::lerp(v, pad, r),
        _ => v,
    }
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
    let width = table.width();
    // `X − Σ_c α^c·v_c`; a one-column row is `X − v`.
    let leaf = |row: &mut dyn Iterator<Item = F>| {
        if width == 1 {
            return x - row.next().unwrap_or(F::ZERO);
        }
        x - row
            .fold((F::ZERO, F::ONE), |(acc, pow), v| {
                (acc + pow * v, pow * alpha)
            })
            .0
    };
    let table_q = (0..1usize << table.log_len)
        .into_par_iter()
        .with_min_len(PAR_MIN_LEN)
        .map(|i| leaf(&mut (0..width).map(|c| table.entry(c, i))))
        .collect();
    let table_p = multiplicities.par_iter().map(|&m| -m).collect();
    let trees = std::iter::once(leaves(Some(table_p), table_q))
        .chain(segments.iter().map(|seg| {
            let len = seg.first().map_or(0, |c| c.as_ref().len());
            let q = (0..len)
                .into_par_iter()
                .with_min_len(PAR_MIN_LEN)
                .map(|i| leaf(&mut seg.iter().map(|c| c.as_ref()[i])))
                .collect();
            leaves(None, q)
        }))
        .collect();
    let (fraction, claims) = prove_fractional(trees, transcript)?;
    // Each block's values at its tree's point (without a one-row block's padding bit). An
    // unpadded one-column block's value is `X − q(point)` (its leaves are `X − v`, and the `eq`
    // weights sum to one), the multiplicities' `−p(point)`: no pass over the data.
    let at = |t: usize, log: usize| {
        let point = &claims[t].q.point;
        eq_table(&point[point.len() - log..])
    };
    let segment_evals: Vec<Vec<F>> = segments
        .iter()
        .zip(&logs)
        .enumerate()
        .map(|(s, (seg, &log))| {
            if width == 1 && log >= 1 {
                return vec![x - claims[s + 1].q.value];
            }
            let eq = at(s + 1, log);
            seg.iter().map(|c| inner_product(&eq, c.as_ref())).collect()
        })
        .collect();
    let multiplicity_eval = match (&claims[0].p, table.log_len) {
        (Some(p), 1..) => -p.value,
        _ => inner_product(&at(0, table.log_len), multiplicities),
    };
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
    let shapes = tree_shapes(table.log_len, segment_logs);
    let claims = verify_fractional(&shapes, &proof.fraction, transcript)?;
    // Σ_t P_t/Q_t = 0, without inverses.
    let (num, den) = claims.iter().fold((F::ZERO, F::ONE), |(p, q), c| {
        (p * c.denominator + c.numerator * q, q * c.denominator)
    });
    if !num.is_zero() {
        return Err(GkrError::RootNumerator);
    }
    if den.is_zero() {
        return Err(GkrError::ZeroDenominator);
    }
    finish(table, segment_logs, proof, transcript, alpha, x, claims)
}

/// Rebuilds each tree's leaves at its point from the stated evaluations and compares them with the
/// fractional sum's leaf claims (shared by prover and verifier, so both absorb the same values).
/// The root check is the verifier's alone, so that a prover can be run on a false statement.
fn finish<F: KaizenField, T: Transcript<F>>(
    table: &Table<F>,
    logs: &[usize],
    proof: &LookupProof<F>,
    transcript: &mut T,
    alpha: F,
    x: F,
    claims: Vec<FractionalClaims<F>>,
) -> Result<LookupClaims<F>, GkrError> {
    if proof.segment_evals.len() != logs.len()
        || proof.segment_evals.iter().any(|e| e.len() != table.width())
        || claims.len() != logs.len() + 1
    {
        return Err(GkrError::ProofShape("one value per segment column".into()));
    }
    for e in &proof.segment_evals {
        transcript.absorb_fields(b"lookup/segment", e);
    }
    transcript.absorb_field(b"lookup/multiplicity", &proof.multiplicity_eval);
    let compress = |vals: &[F]| vals.iter().rev().fold(F::ZERO, |acc, &v| acc * alpha + v);
    // The block's own point: a one-row block's padding bit is the point's first coordinate.
    let own = |c: &FractionalClaims<F>, log: usize| c.q.point[c.q.point.len() - log..].to_vec();
    let check = |c: &FractionalClaims<F>, log: usize, p: F, w: F| {
        let q = c.q.point.as_slice();
        let p_ok = match &c.p {
            Some(claim) => padded_leaf(log, q, p, F::ZERO) == claim.value,
            None => p.is_one(),
        };
        let q_ok = padded_leaf(log, q, x - w, F::ONE) == c.q.value;
        (p_ok && q_ok).then_some(()).ok_or(GkrError::LeafMismatch)
    };
    let table_point = own(&claims[0], table.log_len);
    let cols: Vec<F> = (0..table.width())
        .map(|c| table.evaluate(c, &table_point))
        .collect::<Result<_, _>>()?;
    check(
        &claims[0],
        table.log_len,
        -proof.multiplicity_eval,
        compress(&cols),
    )?;
    let mut segments = Vec::with_capacity(logs.len());
    for ((&log, evals), c) in logs.iter().zip(&proof.segment_evals).zip(&claims[1..]) {
        check(c, log, F::ONE, compress(evals))?;
        let point = own(c, log);
        segments.push(
            evals
                .iter()
                .map(|&value| Claim {
                    point: point.clone(),
                    value,
                })
                .collect(),
        );
    }
    Ok(LookupClaims {
        segments,
        multiplicities: Claim {
            point: table_point,
            value: proof.multiplicity_eval,
        },
    })
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] LookupProof<F> {
    fraction: one,
    segment_evals: vec2,
    multiplicity_eval: one,
});
