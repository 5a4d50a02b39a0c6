//! logUp lookups (Haböck 2022) proven with the fractional-sum GKR (Papini–Haböck 2023).
//!
//! Statement: every row of the witness *segments* (each a few columns of `2^s` rows) is a row of
//! its public table `T_k` (`2^{t_k}` rows; one table, or several looked up at once), with
//! multiplicities `m_k`. With `X`, `α` and `γ` drawn from the transcript (after the caller has
//! absorbed commitments to the segments and to the `m_k`), and a row of table `k` compressed as
//! `w = Σ_c α^c·col_c + k·γ` (the tag `k·γ` keeps the tables apart):
//!
//! ```text
//!     Σ_segments Σ_i 1/(X − w_i)  −  Σ_k Σ_t m_{k,t}/(X − w(T_{k,t}))  =  0
//! ```
//!
//! One batched fractional sum proves it: one tree per table (`p = −m_k`, `q = X − w(T_k)`), one
//! unit tree (`p = 1`, `q = X − w`) per large segment, and the small segments packed into *bins*
//! of `2^L` leaves each (`2^L` about a thirty-second of all segment rows; largest first, so every
//! member sits on an aligned sub-cube; the last bin padded with the leaf `0/1`), so that a batch of
//! many small range vectors runs a few layer sumchecks per depth, not hundreds; a lone one-row
//! segment is padded to two leaves. All bins have `L` variables, so they end at one point `ρ`, and
//! a member of `2^m` rows at offset `o` is claimed at `ρ[..m]`: segments of one size share their
//! point wherever they lie. The verifier checks that the roots sum to zero (numerator 0,
//! denominator non-zero), then rebuilds each tree's leaf MLEs at its GKR point from: the tables
//! (evaluated themselves), and the segment columns' and multiplicities' values at their points,
//! which the proof states and which become the returned [`Claim`]s — a bin's leaf MLE at `ρ` is
//! `Σ_s eq(ρ[m_s..], o_s/2^{m_s})·(X − k_s·γ − w_s(ρ[..m_s]))` plus the padding's share.
use std::collections::HashMap;

use ark_serialize::CanonicalSerialize;
use kaizen_field::{
    eq_table, inner_product, KaizenField, MultilinearPoly, Transcript, PAR_MIN_LEN,
};
use kaizen_sumcheck::Claim;
use rayon::prelude::*;
use tracing::debug_span;

use crate::{
    fractional::{
        prove_fractional, verify_fractional, FractionalClaims, FractionalProof, Leaves, TreeShape,
        SHIFTED_VALUE_BITS,
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
            TableColumn::Range { start } => *start + F::from_u64(row as u64),
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
    /// For each table, its multiplicities' MLE at the table's point.
    pub multiplicity_evals: Vec<F>,
}

/// The claims a lookup leaves for the caller to open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookupClaims<F> {
    /// For each segment, one claim per column.
    pub segments: Vec<Vec<Claim<F>>>,
    /// For each table, the claim on its multiplicities.
    pub multiplicities: Vec<Claim<F>>,
}

/// A lookup's public shape: the tables, and per segment its table and log2 of its rows.
#[derive(Clone, Copy, Debug)]
pub struct LookupShape<'a, F> {
    /// The tables.
    pub tables: &'a [Table<F>],
    /// `(table, log2 rows)` of each segment.
    pub segments: &'a [(usize, usize)],
}

impl<F: KaizenField> LookupShape<'_, F> {
    fn check(&self) -> Result<(), GkrError> {
        if self.tables.is_empty() || self.segments.iter().any(|&(t, _)| t >= self.tables.len()) {
            return Err(GkrError::Input(
                "every segment must name one of the tables".into(),
            ));
        }
        Ok(())
    }

    /// The trees: each table's, then one unit tree per segment of its own (a one-row block
    /// becomes a general tree of two leaves), then the bins ([`Packing`]; unit when full).
    fn trees(&self) -> Vec<TreeShape> {
        let packing = self.packing();
        let tables = self.tables.iter().map(|t| TreeShape {
            num_vars: t.log_len.max(1),
            unit: false,
        });
        let own = packing.own.iter().map(|&s| {
            let log = self.segments[s].1;
            TreeShape {
                num_vars: log.max(1),
                unit: log > 0,
            }
        });
        let bins = packing.bins.iter().map(|bin| TreeShape {
            num_vars: packing.bin_log,
            unit: bin.filled == 1 << packing.bin_log,
        });
        tables.chain(own).chain(bins).collect()
    }

    /// Where each segment's leaves go ([`Packing`]): the segments of at most `2^L` rows, with
    /// `2^L` about a thirty-second of all segment rows, fill bins of `2^L` leaves, largest first
    /// (sizes are powers of two, so every member is aligned and a bin fills exactly), the last bin
    /// padded; larger segments keep trees of their own. Nothing is packed for fewer than two
    /// small segments.
    fn packing(&self) -> Packing {
        let total: usize = self.segments.iter().map(|&(_, log)| 1usize << log).sum();
        let bin_log = (total.next_power_of_two().trailing_zeros() as usize)
            .saturating_sub(5)
            .max(1);
        let mut small: Vec<usize> = (0..self.segments.len())
            .filter(|&s| self.segments[s].1 <= bin_log)
            .collect();
        if small.len() < 2 {
            small.clear();
        }
        let own = (0..self.segments.len())
            .filter(|&s| small.is_empty() || self.segments[s].1 > bin_log)
            .collect();
        // Stable: equal sizes keep their order.
        small.sort_by_key(|&s| std::cmp::Reverse(self.segments[s].1));
        let mut bins: Vec<Bin> = Vec::new();
        for s in small {
            let len = 1usize << self.segments[s].1;
            match bins.last_mut() {
                Some(bin) if bin.filled + len <= 1 << bin_log => {
                    bin.members.push((s, bin.filled));
                    bin.filled += len;
                }
                _ => bins.push(Bin {
                    members: vec![(s, 0)],
                    filled: len,
                }),
            }
        }
        Packing { bin_log, own, bins }
    }

    /// Absorbs the shape and draws `(α, X, γ)`.
    fn challenges<T: Transcript<F>>(&self, transcript: &mut T) -> Challenges<F> {
        let tables = self.tables.iter().flat_map(|t| [t.log_len, t.width()]);
        let segments = self.segments.iter().flat_map(|&(t, log)| [t, log]);
        let shape: Vec<u8> = [self.tables.len(), self.segments.len()]
            .into_iter()
            .chain(tables)
            .chain(segments)
            .flat_map(|x| (x as u64).to_le_bytes())
            .collect();
        transcript.absorb_bytes(b"lookup/shape", &shape);
        Challenges {
            alpha: transcript.challenge(b"lookup/alpha"),
            x: transcript.challenge(b"lookup/x"),
            gamma: transcript.challenge(b"lookup/tag"),
        }
    }
}

/// The lookup's challenges: row compression `α`, the pole `X`, the table tag `γ`.
#[derive(Clone, Copy)]
struct Challenges<F> {
    alpha: F,
    x: F,
    gamma: F,
}

impl<F: KaizenField> Challenges<F> {
    /// `X − k·γ`: a row of table `k` has the leaf denominator `X − k·γ − Σ_c α^c·col_c`.
    fn pole(&self, table: usize) -> F {
        self.x - F::from(table as u64) * self.gamma
    }

    /// `Σ_c α^c·v_c`.
    fn compress(&self, values: &[F]) -> F {
        values
            .iter()
            .rev()
            .fold(F::ZERO, |acc, &v| acc * self.alpha + v)
    }
}

/// The segments' trees: `own` (segment indices, in order) keep one tree each; the others are
/// members of `bins` of `2^bin_log` leaves.
struct Packing {
    bin_log: usize,
    own: Vec<usize>,
    bins: Vec<Bin>,
}

/// One tree of packed segments: `(segment, offset)` of each member, and the leaves they fill (the
/// rest pads with the leaf `0/1`).
struct Bin {
    members: Vec<(usize, usize)>,
    filled: usize,
}

impl Bin {
    /// Each member's weight `eq(point[m..], offset / 2^m)` at the bin's `point` (a member of
    /// `2^m` rows sits at `point[..m]`): the bin's leaf MLE at `point` is
    /// `Σ_s w_s·leaf_s(point[..m_s]) + (1 − Σ_s w_s)·pad`.
    fn weights<F: KaizenField>(&self, logs: &[(usize, usize)], point: &[F]) -> Vec<F> {
        self.members
            .iter()
            .map(|&(s, offset)| {
                let m = logs[s].1;
                point[m..]
                    .iter()
                    .enumerate()
                    .map(|(j, &r)| {
                        if (offset >> (m + j)) & 1 == 1 {
                            r
                        } else {
                            F::ONE - r
                        }
                    })
                    .product()
            })
            .collect()
    }
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
    Ok(counts.into_iter().map(F::from_u64).collect())
}

/// `(table, log2 rows)` of each segment, checking that its columns match its table.
fn segment_logs<F: KaizenField, C: AsRef<[F]>>(
    tables: &[Table<F>],
    segments: &[(usize, Vec<C>)],
) -> Result<Vec<(usize, usize)>, GkrError> {
    segments
        .iter()
        .map(|(t, seg)| {
            let len = seg.first().map_or(0, |c| c.as_ref().len());
            let width = tables.get(*t).map(Table::width);
            if width != Some(seg.len())
                || !len.is_power_of_two()
                || seg.iter().any(|c| c.as_ref().len() != len)
            {
                return Err(GkrError::Input(
                    "segments need one power-of-two column per column of their table".into(),
                ));
            }
            Ok((*t, len.trailing_zeros() as usize))
        })
        .collect()
}

/// Proves that every row of segment `(k, columns)` is a row of table `tables[k]`, given each
/// table's multiplicities. A segment's columns are anything that reads as a slice (owned
/// [`Segment`]s, or borrowed `Vec<&[F]>`).
pub fn prove_lookups<F: KaizenField, T: Transcript<F>, C: AsRef<[F]> + Sync>(
    tables: &[Table<F>],
    segments: &[(usize, Vec<C>)],
    multiplicities: &[&[F]],
    transcript: &mut T,
) -> Result<(LookupProof<F>, LookupClaims<F>), GkrError> {
    let _span = debug_span!("lookups", tables = tables.len(), segments = segments.len()).entered();
    let logs = segment_logs(tables, segments)?;
    let shape = LookupShape {
        tables,
        segments: &logs,
    };
    shape.check()?;
    if multiplicities.len() != tables.len()
        || tables
            .iter()
            .zip(multiplicities)
            .any(|(t, m)| m.len() != 1 << t.log_len)
    {
        return Err(GkrError::Input("one multiplicity per table row".into()));
    }
    let ch = shape.challenges(transcript);
    // `X − k·γ − Σ_c α^c·v_c`; a one-column row is `X − k·γ − v`.
    let leaf = |pole: F, width: usize, row: &mut dyn Iterator<Item = F>| {
        if width == 1 {
            return pole - row.next().unwrap_or(F::ZERO);
        }
        pole - row
            .fold((F::ZERO, F::ONE), |(acc, pow), v| {
                (acc + pow * v, pow * ch.alpha)
            })
            .0
    };
    let table_trees = tables
        .par_iter()
        .zip(multiplicities)
        .enumerate()
        .map(|(k, (table, m))| {
            let (pole, width) = (ch.pole(k), table.width());
            let q = (0..1usize << table.log_len)
                .into_par_iter()
                .with_min_len(PAR_MIN_LEN)
                .map(|i| leaf(pole, width, &mut (0..width).map(|c| table.entry(c, i))))
                .collect();
            let p = m.par_iter().map(|&m| -m).collect();
            leaves(Some(p), q)
        });
    let packing = shape.packing();
    // Segment `s`'s leaves, written into `out`.
    let fill = |s: usize, out: &mut [F]| {
        let (k, seg) = &segments[s];
        let (pole, width) = (ch.pole(*k), seg.len());
        out.par_iter_mut()
            .with_min_len(PAR_MIN_LEN)
            .enumerate()
            .for_each(|(i, q)| *q = leaf(pole, width, &mut seg.iter().map(|c| c.as_ref()[i])));
    };
    // Segment `s` as integers, if it is one column of values below 2^SHIFTED_VALUE_BITS (a
    // range check's limbs): its leaves `X − k·γ − v` are then kept shifted
    // ([`Leaves::shifted`]).
    let small = |s: usize| -> Option<Vec<u64>> {
        let [column] = segments[s].1.as_slice() else {
            return None;
        };
        column
            .as_ref()
            .par_iter()
            .with_min_len(PAR_MIN_LEN)
            .map(|x| {
                x.to_signed()
                    .and_then(|v| u64::try_from(v).ok())
                    .filter(|v| v >> SHIFTED_VALUE_BITS == 0)
            })
            .collect()
    };
    // The shifted leaves of segments filling `[0, 2^log)` at the given offsets, if all are small.
    let shifted = |members: &[(usize, usize)], log: usize| -> Option<Leaves<F>> {
        if log < 3 {
            return None;
        }
        let mut members = members.to_vec();
        members.sort_by_key(|m| m.1);
        let mut blocks = Vec::with_capacity(members.len());
        let mut values = Vec::with_capacity(1 << log);
        for (s, offset) in members {
            let v = small(s).filter(|v| offset == values.len() && v.len() >= 2)?;
            blocks.push((v.len(), ch.pole(segments[s].0)));
            values.extend(v);
        }
        (values.len() == 1 << log).then(|| Leaves::shifted(blocks, values))
    };
    let own_trees = packing.own.par_iter().map(|&s| {
        let log = logs[s].1;
        if let Some(leaves) = shifted(&[(s, 0)], log) {
            return leaves;
        }
        let mut q = vec![F::ZERO; 1 << log];
        fill(s, &mut q);
        leaves(None, q)
    });
    let bin_trees = packing.bins.par_iter().map(|bin| {
        let size = 1usize << packing.bin_log;
        if bin.filled == size {
            if let Some(leaves) = shifted(&bin.members, packing.bin_log) {
                return leaves;
            }
        }
        let mut q = vec![F::ONE; size];
        for &(s, offset) in &bin.members {
            fill(s, &mut q[offset..offset + (1 << logs[s].1)]);
        }
        if bin.filled == size {
            return Leaves::unit(q);
        }
        let mut p = vec![F::ZERO; size];
        p[..bin.filled].iter_mut().for_each(|x| *x = F::ONE);
        Leaves::new(p, q)
    });
    let trees = table_trees.chain(own_trees).chain(bin_trees).collect();
    let (fraction, claims) = prove_fractional(trees, transcript)?;
    // Each block's values at its tree's point (without a one-row block's padding bit). An
    // unpadded one-column block with a tree of its own has the value `X − k·γ − q(point)` (its
    // leaves are `X − k·γ − v`, and the `eq` weights sum to one), a table's multiplicities'
    // `−p(point)`: no pass over the data. Bin members are evaluated at the bins' point.
    let at = |t: usize, log: usize| {
        let point = &claims[t].q.point;
        eq_table(&point[point.len() - log..])
    };
    let columns = |s: usize, eq: &[F]| -> Vec<F> {
        segments[s]
            .1
            .iter()
            .map(|c| inner_product(eq, c.as_ref()))
            .collect()
    };
    let mut segment_evals: Vec<Vec<F>> = vec![Vec::new(); segments.len()];
    let own_evals: Vec<Vec<F>> = packing
        .own
        .par_iter()
        .enumerate()
        .map(|(i, &s)| {
            let (tree, (k, log)) = (tables.len() + i, logs[s]);
            if segments[s].1.len() == 1 && log >= 1 {
                return vec![ch.pole(k) - claims[tree].q.value];
            }
            columns(s, &at(tree, log))
        })
        .collect();
    for (&s, e) in packing.own.iter().zip(own_evals) {
        segment_evals[s] = e;
    }
    if !packing.bins.is_empty() {
        let point = &claims[tables.len() + packing.own.len()].q.point;
        let members: Vec<usize> = packing
            .bins
            .iter()
            .flat_map(|b| b.members.iter().map(|&(s, _)| s))
            .collect();
        let mut member_logs: Vec<usize> = members.iter().map(|&s| logs[s].1).collect();
        member_logs.sort_unstable();
        member_logs.dedup();
        let eqs: HashMap<usize, Vec<F>> = member_logs
            .into_par_iter()
            .map(|m| (m, eq_table(&point[..m])))
            .collect();
        let evals: Vec<Vec<F>> = members
            .par_iter()
            .map(|&s| columns(s, &eqs[&logs[s].1]))
            .collect();
        for (s, e) in members.into_iter().zip(evals) {
            segment_evals[s] = e;
        }
    }
    let multiplicity_evals = tables
        .iter()
        .zip(multiplicities)
        .enumerate()
        .map(|(k, (table, m))| match (&claims[k].p, table.log_len) {
            (Some(p), 1..) => -p.value,
            _ => inner_product(&at(k, table.log_len), m),
        })
        .collect();
    let proof = LookupProof {
        fraction,
        segment_evals,
        multiplicity_evals,
    };
    let claims = finish(&shape, &proof, transcript, ch, claims)?;
    Ok((proof, claims))
}

/// Verifies a lookup of the given shape.
pub fn verify_lookups<F: KaizenField, T: Transcript<F>>(
    shape: &LookupShape<'_, F>,
    proof: &LookupProof<F>,
    transcript: &mut T,
) -> Result<LookupClaims<F>, GkrError> {
    shape.check()?;
    let ch = shape.challenges(transcript);
    let claims = verify_fractional(&shape.trees(), &proof.fraction, transcript)?;
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
    finish(shape, proof, transcript, ch, claims)
}

/// [`prove_lookups`] with one table.
pub fn prove_lookup<F: KaizenField, T: Transcript<F>, C: AsRef<[F]> + Sync>(
    table: &Table<F>,
    segments: &[Vec<C>],
    multiplicities: &[F],
    transcript: &mut T,
) -> Result<(LookupProof<F>, LookupClaims<F>), GkrError> {
    let segments: Vec<(usize, Vec<&[F]>)> = segments
        .iter()
        .map(|s| (0, s.iter().map(AsRef::as_ref).collect()))
        .collect();
    prove_lookups(
        std::slice::from_ref(table),
        &segments,
        &[multiplicities],
        transcript,
    )
}

/// [`verify_lookups`] with one table and segments of `2^segment_logs[i]` rows.
pub fn verify_lookup<F: KaizenField, T: Transcript<F>>(
    table: &Table<F>,
    segment_logs: &[usize],
    proof: &LookupProof<F>,
    transcript: &mut T,
) -> Result<LookupClaims<F>, GkrError> {
    let segments: Vec<(usize, usize)> = segment_logs.iter().map(|&log| (0, log)).collect();
    let shape = LookupShape {
        tables: std::slice::from_ref(table),
        segments: &segments,
    };
    verify_lookups(&shape, proof, transcript)
}

/// Rebuilds each tree's leaves at its point from the stated evaluations and compares them with the
/// fractional sum's leaf claims (shared by prover and verifier, so both absorb the same values).
/// The root check is the verifier's alone, so that a prover can be run on a false statement.
fn finish<F: KaizenField, T: Transcript<F>>(
    shape: &LookupShape<'_, F>,
    proof: &LookupProof<F>,
    transcript: &mut T,
    ch: Challenges<F>,
    claims: Vec<FractionalClaims<F>>,
) -> Result<LookupClaims<F>, GkrError> {
    let (tables, logs) = (shape.tables, shape.segments);
    let packing = shape.packing();
    if proof.segment_evals.len() != logs.len()
        || proof
            .segment_evals
            .iter()
            .zip(logs)
            .any(|(e, &(k, _))| e.len() != tables[k].width())
        || proof.multiplicity_evals.len() != tables.len()
        || claims.len() != tables.len() + packing.own.len() + packing.bins.len()
    {
        return Err(GkrError::ProofShape("one value per segment column".into()));
    }
    for e in &proof.segment_evals {
        transcript.absorb_fields(b"lookup/segment", e);
    }
    transcript.absorb_fields(b"lookup/multiplicity", &proof.multiplicity_evals);
    // The block's own point: a one-row block's padding bit is the point's first coordinate.
    let own = |c: &FractionalClaims<F>, log: usize| c.q.point[c.q.point.len() - log..].to_vec();
    let check = |c: &FractionalClaims<F>, log: usize, p: F, q: F| {
        let point = c.q.point.as_slice();
        let p_ok = match &c.p {
            Some(claim) => padded_leaf(log, point, p, F::ZERO) == claim.value,
            None => p.is_one(),
        };
        let q_ok = padded_leaf(log, point, q, F::ONE) == c.q.value;
        (p_ok && q_ok).then_some(()).ok_or(GkrError::LeafMismatch)
    };
    let mut multiplicities = Vec::with_capacity(tables.len());
    for (k, ((table, &m), c)) in tables
        .iter()
        .zip(&proof.multiplicity_evals)
        .zip(&claims)
        .enumerate()
    {
        let point = own(c, table.log_len);
        let cols: Vec<F> = (0..table.width())
            .map(|col| table.evaluate(col, &point))
            .collect::<Result<_, _>>()?;
        check(c, table.log_len, -m, ch.pole(k) - ch.compress(&cols))?;
        multiplicities.push(Claim { point, value: m });
    }
    let mut segments: Vec<Vec<Claim<F>>> = vec![Vec::new(); logs.len()];
    let at = |point: &[F], evals: &[F]| -> Vec<Claim<F>> {
        evals
            .iter()
            .map(|&value| Claim {
                point: point.to_vec(),
                value,
            })
            .collect()
    };
    let trees = &claims[tables.len()..];
    for (&s, c) in packing.own.iter().zip(trees) {
        let (k, log) = logs[s];
        let evals = &proof.segment_evals[s];
        check(c, log, F::ONE, ch.pole(k) - ch.compress(evals))?;
        segments[s] = at(&own(c, log), evals);
    }
    for (bin, c) in packing.bins.iter().zip(&trees[packing.own.len()..]) {
        // The bin's leaves at its point: members' weighted leaves, the padding's `0/1`.
        let point = c.q.point.as_slice();
        let weights = bin.weights(logs, point);
        let filled: F = weights.iter().sum();
        let mut q = F::ONE - filled;
        for (&(s, _), &w) in bin.members.iter().zip(&weights) {
            let evals = &proof.segment_evals[s];
            q += w * (ch.pole(logs[s].0) - ch.compress(evals));
            segments[s] = at(&point[..logs[s].1], evals);
        }
        let p_ok = c.p.as_ref().is_none_or(|p| p.value == filled);
        if !p_ok || q != c.q.value {
            return Err(GkrError::LeafMismatch);
        }
    }
    Ok(LookupClaims {
        segments,
        multiplicities,
    })
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] LookupProof<F> {
    fraction: one,
    segment_evals: vec2,
    multiplicity_evals: vec,
});
