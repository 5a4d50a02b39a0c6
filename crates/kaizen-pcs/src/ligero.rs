//! Ligero-style multilinear commitment (Ames–Hazay–Ishai–Venkitasubramaniam; the multilinear form as in
//! Brakedown/Orion and DESIGN §5) over a field with large power-of-two subgroups (M61²).
//!
//! **Commit.** The `2^n` evaluations form a `2^a × 2^b` matrix `M` (row-major: the low `b` variables
//! index columns, the high `a` variables rows). Each row is Reed–Solomon-encoded — read as the
//! coefficients of a polynomial of degree `< 2^b` and evaluated on a subgroup of size
//! `L = 2^b/ρ` — and each column of the encoded matrix `E` is a leaf of a blake3 Merkle tree
//! ([`crate::merkle`]: BLAKE3's own tree over the zero-padded columns end to end). The
//! commitment is the root, `n`, and the number `R ≤ 2^a` of rows stored: the rows after the last
//! non-zero one (a zero-padded tail, as a segmented layout leaves) are zero by definition, so they
//! are neither encoded, stored nor hashed, and no opened column carries them.
//!
//! **Open** `k` polynomials at `z = (z_lo, z_hi)`: `P(z) = eq(z_hi)ᵀ·M·eq(z_lo)`. After absorbing the
//! commitments, `z` and the values, the transcript gives `β` and `γ ∈ F^{k·2^a}`. The prover sends
//! the proximity row `u = Σ_{i,r} γ_{i,r}·M_i[r]` and the evaluation row `v = Σ_i β^i·eq(z_hi)ᵀ·M_i`;
//! after absorbing both, the transcript picks `t` columns and the prover opens them in every tree.
//! The verifier checks `⟨v, eq(z_lo)⟩ = Σ_i β^i·value_i` and, at each opened column `j`,
//! `Enc(u)_j = Σ γ_{i,r}·E_i[r][j]` (proximity) and `Enc(v)_j = Σ_i β^i Σ_r eq(z_hi)_r·E_i[r][j]`
//! (consistency), plus the Merkle paths.
//!
//! **Security** (unique-decoding regime). The code has relative distance `1 − ρ`; a committed word
//! farther than `δ = (1 − ρ)/2` from the code passes one column query with probability at most
//! `1 − δ = (1 + ρ)/2`, so `t = ⌈λ / −log2((1+ρ)/2)⌉` queries give `2^-λ`: 148 at `ρ = 1/4`,
//! `λ = 100`. The random combinations add a field-size term of about `(k·2^a + L)/|F|`, below
//! `2^-90` for every size we commit to over M61² (`|F| ≈ 2^122`); blake3 gives 128-bit collision
//! resistance. Choose larger `λ` with [`LigeroParams::with_security`].
//!
//! **Shape.** [`MatrixShape::Square`] (`a = ⌊n/2⌋`), [`MatrixShape::Balanced`] (the `a` minimising
//! the proof: `t·2^a ≈ 2·2^b`, so `a ≈ (n + 1 − log2 t)/2`, 3–4 rows fewer bits than square at
//! `t = 148`), [`MatrixShape::Rows`] (few long rows, for the recursion to come: every query hashes
//! one column of `2^a` entries) or [`MatrixShape::Columns`] (rows of one length for every
//! polynomial, so a batch opens them with one proof; [`LigeroParams::with_batched_shape`] picks the
//! length for a batch's sizes). Proof size is about `2·2^b + t·k·2^a` field elements plus `t·k`
//! Merkle paths.
//!
//! **Claims on a few rows** ([`MultilinearPcs::open_points`]). Claims `P(c_k, r_k) = v_k` whose
//! row coordinates `r_k` are all boolean (claims on a sub-cube that whole rows hold: a dataset's
//! batch) are claims `M̃_{r_k}(c_k) = v_k` on single rows. With `ρ` drawn after the claims, one
//! batched sumcheck over the `b` column variables, an instance `Σ_x (Σ_{k: r_k = r} ρ^k·eq(c_k, x))·M̃_r(x)`
//! per distinct row `r`, reduces them to the rows' values at one column point `x*`; with `β`
//! drawn after those, the opening above with row weights `β^g` on the `g`-th row (in place of
//! `eq(z_hi)`) checks `Σ_g β^g·M̃_{r_g}(x*)`. The prover reads the claimed rows (and every stored
//! row once, for the proximity row), not the whole table as the generic multi-point reduction
//! does; used when at most a quarter of the rows are claimed.
//!
//! **Several commitments** ([`MultilinearPcs::open_points_batch`]). Each polynomial's claims are
//! reduced as above (over its claimed rows) or by the multi-point reduction over at least its `b`
//! column variables, all in one batched sumcheck. A batch binds an instance's variables in its
//! last rounds, so every polynomial whose rows have `2^b` entries ends at one column point `x*`,
//! with its own row weights (`β^g` on claimed rows, or `eq(z_hi)`). Those polynomials are opened
//! together as above — the row weights per polynomial, one proximity row
//! `u = Σ_{i,r} γ_{i,r}·M_i[r]` over all their rows, one evaluation row, one set of `t` columns
//! (a path per tree) — one opening per row length, the lengths' openings side by side, each on
//! its own fork of the transcript (whose end challenges the transcript then absorbs, in order).
//! The proximity test is Ligero's on the stacked rows of all those matrices, which is far from
//! the interleaved code if any one of them is, so the security argument above is unchanged; the
//! random combinations' field term grows to `(Σ_i 2^{a_i} + L)/|F|`.
use std::marker::PhantomData;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use kaizen_field::{
    eq_table, inner_product, mle::weighted_sum_into, serialize::write_elements, KaizenField,
    Transcript, PAR_MIN_LEN,
};
use rayon::prelude::*;

use kaizen_sumcheck::{
    multipoint::MultipointStatement, protocol::RoundProver, Claim, ProductSum, SumcheckProof,
    SumcheckShape, Weight,
};

use crate::{
    check_batch,
    fft::Radix2Domain,
    merkle::{slot_len, ColumnTree, Digest, MerklePath},
    multipoint::{check_claim_sets, reduced_claim, BatchOpeningProof, MultiPointProof},
    MultilinearPcs, PcsError,
};

/// How the evaluation vector is laid out as a matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatrixShape {
    /// `2^⌊n/2⌋` rows.
    Square,
    /// `2^log_rows` rows (fewer if the polynomial is smaller).
    Rows(u32),
    /// The row count that minimises the opening proof of one polynomial, `t·2^a + 2·2^b` field
    /// elements (with `t` queries: about `2^a ≈ √(2·2^n/t)`, a few times smaller than square).
    Balanced,
    /// Rows of `2^log_cols` entries (one row if the polynomial is smaller): polynomials whose
    /// rows have one length share their opening in a batch
    /// ([`LigeroParams::with_batched_shape`]).
    Columns(u32),
}

/// A [`LigeroParams::with_kept_encoding`] bound for 24 GiB machines: re-encoding commitments of
/// more than `2^22` entries at opening lets a step of VGG-11 at B = 16 fit, for 1–14 % more
/// proving time on the large models (docs/BENCHMARKS.md); smaller commitments are unaffected.
/// The `kaizen` CLI uses it, and the prove bench for that row.
pub const KEEP_ENCODING_VARS_24_GIB: usize = 22;

/// Rows one parallel task encodes for codewords of `len` entries: a batch of the field's
/// vectorised kernel ([`KaizenField::batched_encoding_rows`]; sixteen in M61² for codewords of up
/// to 2^16), else a pair.
fn rows_per_task<F: KaizenField>(len: usize) -> usize {
    F::batched_encoding_rows(len).max(2)
}

/// Parameters of the Ligero scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LigeroParams {
    /// Largest number of variables.
    pub max_num_vars: usize,
    /// `log2(1/ρ)`.
    pub log_inv_rate: u32,
    /// Column queries `t`.
    pub queries: usize,
    /// Matrix layout.
    pub shape: MatrixShape,
    /// The prover keeps the encoded matrix of a commitment of at most this many variables and
    /// re-encodes the rows of a larger one when it is opened, holding `2^n` evaluations instead
    /// of `2^n·(1 + 1/ρ)` field elements (one more encoding's time). A prover-side choice:
    /// commitments and proofs are the same either way. Default: keep every encoding.
    pub keep_encoding_max_vars: usize,
}

impl LigeroParams {
    /// Rate 1/4, 100-bit security (148 queries).
    pub fn new(max_num_vars: usize, shape: MatrixShape) -> Self {
        Self {
            max_num_vars,
            log_inv_rate: 2,
            queries: 0,
            shape,
            keep_encoding_max_vars: usize::MAX,
        }
        .with_security(100)
    }

    /// Keeps the encoded matrix only for commitments of at most `max_vars` variables (see
    /// [`LigeroParams::keep_encoding_max_vars`]).
    pub fn with_kept_encoding(mut self, max_vars: usize) -> Self {
        self.keep_encoding_max_vars = max_vars;
        self
    }

    /// Rows of one length for polynomials of `num_vars` variables each, chosen to minimise their
    /// batched opening ([`MultilinearPcs::open_points_batch`]: polynomials whose rows have one
    /// length share the proximity row, the evaluation row and the column queries): about
    /// `2·2^b + t·Σ_i 2^{n_i − b}` field elements plus a Merkle path per polynomial and query
    /// (`≈ 2·(b + log2(1/ρ))` field elements; a polynomial smaller than a row is a row of its own
    /// length). No sizes leave the shape as it is.
    pub fn with_batched_shape(mut self, num_vars: &[usize]) -> Self {
        let Some(&max) = num_vars.iter().max() else {
            return self;
        };
        let (t, rate) = (self.queries, self.log_inv_rate as usize);
        let size = |b: usize| {
            let mut lens: Vec<usize> = num_vars.iter().map(|&n| n.min(b)).collect();
            lens.sort_unstable();
            lens.dedup();
            let rows: usize = lens.iter().map(|&l| 2usize << l).sum();
            let columns: usize = num_vars
                .iter()
                .map(|&n| t.saturating_mul(1 << (n - n.min(b))))
                .sum();
            let paths: usize = num_vars.iter().map(|&n| 2 * t * (n.min(b) + rate)).sum();
            rows.saturating_add(columns).saturating_add(paths)
        };
        let b = (0..=max).min_by_key(|&b| size(b)).unwrap_or(0);
        self.shape = MatrixShape::Columns(b as u32);
        self
    }

    /// Sets the number of queries for `lambda` bits in the unique-decoding regime:
    /// `t = ⌈λ / −log2((1+ρ)/2)⌉`.
    pub fn with_security(mut self, lambda: u32) -> Self {
        self.queries = queries_for(lambda, self.log_inv_rate);
        self
    }

    /// `(log rows, log cols)` for a polynomial in `num_vars` variables.
    pub fn split(&self, num_vars: usize) -> (usize, usize) {
        let a = match self.shape {
            MatrixShape::Square => num_vars / 2,
            MatrixShape::Rows(r) => (r as usize).min(num_vars),
            MatrixShape::Columns(log_cols) => num_vars - (log_cols as usize).min(num_vars),
            MatrixShape::Balanced => (0..=num_vars)
                .min_by_key(|&a| self.queries.saturating_mul(1 << a) + (2 << (num_vars - a)))
                .unwrap_or(0),
        };
        (a, num_vars - a)
    }
}

/// `⌈λ / −log2((1+ρ)/2)⌉` with `ρ = 2^-log_inv_rate`.
pub fn queries_for(lambda: u32, log_inv_rate: u32) -> usize {
    let rho = 0.5f64.powi(log_inv_rate as i32);
    (f64::from(lambda) / -((1.0 + rho) / 2.0).log2()).ceil() as usize
}

/// The Ligero scheme over `F`.
#[derive(Clone, Debug)]
pub struct Ligero<F> {
    params: LigeroParams,
    _field: PhantomData<F>,
}

/// A Ligero commitment: the Merkle root of the encoded columns, the number of variables and the
/// number of stored rows.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LigeroCommitment {
    /// Merkle root over the encoded matrix's columns.
    pub root: Digest,
    /// Number of variables of the committed polynomial.
    pub num_vars: u32,
    /// Rows stored and hashed (at least one); the rows after them are zero.
    pub rows: u32,
}

/// What the prover keeps: the evaluations, the encoded stored rows (unless they are recomputed
/// at opening, [`LigeroParams::keep_encoding_max_vars`]) and the tree.
#[derive(Clone, Debug)]
pub struct LigeroData<F> {
    evals: Vec<F>,
    encoded: Option<Vec<F>>,
    tree: ColumnTree,
    num_vars: usize,
    rows: usize,
}

impl<F> LigeroData<F> {
    /// The stored rows of the evaluation matrix (rows of `cols` entries).
    fn stored(&self, cols: usize) -> &[F] {
        &self.evals[..self.rows * cols]
    }
}

/// One opened column per polynomial of the batch, with their Merkle paths.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct ColumnOpening<F: KaizenField> {
    /// `E_i[r][j]` for each polynomial `i`, then each row `r`.
    pub values: Vec<F>,
    /// One path per polynomial.
    pub paths: Vec<MerklePath>,
}

/// A Ligero opening proof.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct LigeroProof<F: KaizenField> {
    /// The proximity row `u`.
    pub proximity: Vec<F>,
    /// The evaluation row `v`.
    pub evaluation: Vec<F>,
    /// The opened columns, in query order.
    pub openings: Vec<ColumnOpening<F>>,
}

impl<F: KaizenField> Ligero<F> {
    /// The scheme with these parameters.
    pub fn new(params: LigeroParams) -> Self {
        Self {
            params,
            _field: PhantomData,
        }
    }

    /// The parameters.
    pub fn params(&self) -> &LigeroParams {
        &self.params
    }

    fn domain(&self, log_cols: usize) -> Result<Radix2Domain<F>, PcsError> {
        Ok(Radix2Domain::new(
            log_cols as u32 + self.params.log_inv_rate,
        )?)
    }

    /// Absorbs the public inputs of an opening and draws `β` and `γ` (`rows[i]` entries of `γ`
    /// for the `i`-th polynomial).
    fn challenges<T: Transcript<F>>(
        commitments: &[LigeroCommitment],
        point: &[F],
        values: &[F],
        rows: &[usize],
        transcript: &mut T,
    ) -> (Vec<F>, Vec<F>) {
        for c in commitments {
            transcript.absorb_bytes(b"ligero/root", &c.root);
            transcript.absorb_bytes(b"ligero/num_vars", &c.num_vars.to_le_bytes());
            transcript.absorb_bytes(b"ligero/rows", &c.rows.to_le_bytes());
        }
        transcript.absorb_fields(b"ligero/point", point);
        transcript.absorb_fields(b"ligero/values", values);
        let beta = transcript.challenge(b"ligero/beta");
        let betas = std::iter::successors(Some(F::ONE), |b| Some(*b * beta))
            .take(commitments.len())
            .collect();
        let gammas = transcript.challenges(b"ligero/gamma", rows.iter().sum());
        (betas, gammas)
    }

    /// Opens the committed polynomials at the column point `z_lo`, the `i`-th under the row
    /// weights `row_weights[i]` (`eq(z_hi, ·)` for an opening at `(z_lo, z_hi)`): their values
    /// `Σ_r w_r·M̃_r(z_lo)` and one proof. `absorbed` stands for the opening's public inputs in the
    /// transcript (the point, or what determines the weights).
    fn open_rows<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F>],
        z_lo: &[F],
        row_weights: &[&[F]],
        absorbed: &[F],
        transcript: &mut T,
    ) -> Result<(Vec<F>, LigeroProof<F>), PcsError> {
        let cols = 1usize << z_lo.len();
        let eq_lo = eq_table(z_lo);
        let rows_v: Vec<Vec<F>> = data
            .par_iter()
            .zip(row_weights)
            .map(|(d, w)| combine_rows(d.stored(cols), cols, w))
            .collect();
        let values: Vec<F> = rows_v.iter().map(|v| inner_product(v, &eq_lo)).collect();

        let commitments: Vec<_> = data.iter().map(|d| Self::commitment(d)).collect();
        let rows: Vec<usize> = row_weights.iter().map(|w| w.len()).collect();
        let (betas, gammas) = Self::challenges(&commitments, absorbed, &values, &rows, transcript);
        let mut proximity = vec![F::ZERO; cols];
        let mut evaluation = vec![F::ZERO; cols];
        for ((d, v), (&beta, gamma)) in data
            .iter()
            .zip(&rows_v)
            .zip(betas.iter().zip(split_by(&gammas, &rows)))
        {
            add_scaled(
                &mut proximity,
                &combine_rows(d.stored(cols), cols, gamma),
                F::ONE,
            );
            add_scaled(&mut evaluation, v, beta);
        }
        transcript.absorb_fields(b"ligero/proximity", &proximity);
        transcript.absorb_fields(b"ligero/evaluation", &evaluation);
        let len = cols << self.params.log_inv_rate;
        let queries = transcript.squeeze_indices(b"ligero/queries", self.params.queries, len);
        // Per polynomial, the columns of every queried column's tree group (its path is rebuilt
        // from them): read from the kept encoding or re-encoded.
        let columns = data
            .iter()
            .map(|d| {
                let mut needed: Vec<usize> =
                    queries.iter().flat_map(|&j| d.tree.group_of(j)).collect();
                needed.sort_unstable();
                needed.dedup();
                let values = match &d.encoded {
                    Some(e) => (0..d.rows)
                        .flat_map(|r| needed.iter().map(move |&j| e[r * len + j]))
                        .collect(),
                    None => self.encoded_columns(d, &needed)?,
                };
                Ok(OpenedColumns {
                    needed,
                    values,
                    rows: d.rows,
                })
            })
            .collect::<Result<Vec<_>, PcsError>>()?;
        let openings = queries
            .par_iter()
            .map(|&j| ColumnOpening {
                values: columns.iter().flat_map(|c| c.column(j)).collect(),
                paths: data
                    .iter()
                    .zip(&columns)
                    .map(|(d, c)| {
                        d.tree.open(j, |k| {
                            let mut bytes = Vec::new();
                            write_elements(&c.column(k), &mut bytes);
                            bytes
                        })
                    })
                    .collect(),
            })
            .collect();
        Ok((
            values,
            LigeroProof {
                proximity,
                evaluation,
                openings,
            },
        ))
    }

    /// Checks an [`Ligero::open_rows`] proof: the committed polynomials' row combinations under
    /// `row_weights` (one vector per polynomial) take `values` at the column point `z_lo`.
    #[allow(clippy::too_many_arguments)]
    fn verify_rows<T: Transcript<F>>(
        &self,
        commitments: &[&LigeroCommitment],
        z_lo: &[F],
        row_weights: &[&[F]],
        absorbed: &[F],
        values: &[F],
        proof: &LigeroProof<F>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        let cols = 1usize << z_lo.len();
        let rows: Vec<usize> = row_weights.iter().map(|w| w.len()).collect();
        if row_weights.len() != commitments.len() {
            return Err(PcsError::ProofShape(format!(
                "{} row weightings for {} commitments",
                row_weights.len(),
                commitments.len()
            )));
        }
        for (c, &r) in commitments.iter().zip(&rows) {
            let n = c.num_vars as usize;
            if n > self.params.max_num_vars || self.params.split(n).1 != z_lo.len() {
                return Err(PcsError::CommitmentShape(
                    "rows of another length than the opening's",
                ));
            }
            if c.rows == 0 || c.rows as usize > r {
                return Err(PcsError::ProofShape(format!(
                    "a commitment stores {} of {r} rows",
                    c.rows
                )));
            }
        }
        let stored: Vec<usize> = commitments.iter().map(|c| c.rows as usize).collect();
        let column_len: usize = stored.iter().sum();
        if proof.proximity.len() != cols || proof.evaluation.len() != cols {
            return Err(PcsError::ProofShape(format!(
                "rows u, v must have {cols} entries"
            )));
        }
        if proof.openings.len() != self.params.queries {
            return Err(PcsError::ProofShape(format!(
                "{} column openings, expected {}",
                proof.openings.len(),
                self.params.queries
            )));
        }
        let owned: Vec<LigeroCommitment> = commitments.iter().map(|&c| c.clone()).collect();
        let (betas, gammas) = Self::challenges(&owned, absorbed, values, &rows, transcript);
        let gammas: Vec<&[F]> = split_by(&gammas, &rows).collect();
        let eq_lo = eq_table(z_lo);
        let expected: F = betas.iter().zip(values).map(|(&b, &v)| b * v).sum();
        if inner_product(&proof.evaluation, &eq_lo) != expected {
            return Err(PcsError::Evaluation);
        }
        transcript.absorb_fields(b"ligero/proximity", &proof.proximity);
        transcript.absorb_fields(b"ligero/evaluation", &proof.evaluation);
        let len = cols << self.params.log_inv_rate;
        let depth = len.trailing_zeros() as usize;
        let queries = transcript.squeeze_indices(b"ligero/queries", self.params.queries, len);
        let domain = self.domain(z_lo.len())?;
        let (enc_u, enc_v) = rayon::join(
            || domain.encode(&proof.proximity),
            || domain.encode(&proof.evaluation),
        );
        // Queries are checked in parallel; the first failure in query order is reported.
        let check = |buf: &mut Vec<u8>,
                     (q, (&j, opening)): (usize, (&usize, &ColumnOpening<F>))| {
            if opening.values.len() != column_len || opening.paths.len() != stored.len() {
                return Err(PcsError::ProofShape(format!(
                    "query {q}: column of wrong size"
                )));
            }
            let mut prox = F::ZERO;
            let mut cons = F::ZERO;
            let mut rest = opening.values.as_slice();
            for (i, (path, c)) in opening.paths.iter().zip(commitments).enumerate() {
                let (column, tail) = rest.split_at(stored[i]);
                rest = tail;
                write_elements(column, buf);
                if !path.verify(&c.root, j, buf, depth) {
                    return Err(PcsError::MerklePath { query: q, poly: i });
                }
                prox += inner_product(&gammas[i][..stored[i]], column);
                cons += betas[i] * inner_product(&row_weights[i][..stored[i]], column);
            }
            if prox != enc_u[j] {
                return Err(PcsError::Proximity { query: q });
            }
            if cons != enc_v[j] {
                return Err(PcsError::Consistency { query: q });
            }
            Ok(())
        };
        let checks: Vec<Result<(), PcsError>> = queries
            .par_iter()
            .zip(&proof.openings)
            .enumerate()
            .map_init(Vec::new, check)
            .collect();
        checks.into_iter().collect()
    }

    /// The encodings of the rows of `evals` (rows of `2^log_cols` entries).
    fn encode_matrix(&self, evals: &[F], log_cols: usize) -> Result<Vec<F>, PcsError> {
        let domain = self.domain(log_cols)?;
        let (len, cols) = (domain.size(), 1 << log_cols);
        let mut encoded = vec![F::ZERO; len * evals.len().div_ceil(cols)];
        let task = rows_per_task::<F>(len);
        encoded
            .par_chunks_mut(task * len)
            .zip(evals.par_chunks(task * cols))
            .for_each(|(out, rows)| domain.encode_rows(rows, cols, out));
        Ok(encoded)
    }

    /// `E[r][j]` for every stored row `r` and each queried column `j` (row-major, `rows × |js|`),
    /// re-encoding a task's rows at a time ([`rows_per_task`]): the encoded matrix is never held
    /// whole.
    fn encoded_columns(&self, data: &LigeroData<F>, js: &[usize]) -> Result<Vec<F>, PcsError> {
        let log_cols = self.params.split(data.num_vars).1;
        let domain = self.domain(log_cols)?;
        let (len, cols) = (domain.size(), 1 << log_cols);
        let mut out = vec![F::ZERO; data.rows * js.len()];
        let task = rows_per_task::<F>(len);
        out.par_chunks_mut(task * js.len())
            .zip(data.stored(cols).par_chunks(task * cols))
            .for_each_init(
                || vec![F::ZERO; task * len],
                |scratch, (out, rows)| {
                    let scratch = &mut scratch[..rows.len() / cols * len];
                    scratch.iter_mut().for_each(|x| *x = F::ZERO);
                    domain.encode_rows(rows, cols, scratch);
                    for (out, row) in out.chunks_mut(js.len()).zip(scratch.chunks(len)) {
                        out.iter_mut().zip(js).for_each(|(o, &j)| *o = row[j]);
                    }
                },
            );
        Ok(out)
    }

    /// The column tree of a `rows × len` encoded matrix.
    fn tree(encoded: &[F], rows: usize, len: usize) -> ColumnTree {
        let elem = F::ZERO.compressed_size();
        let slot = slot_len(rows * elem);
        ColumnTree::new(len, rows * elem, |first, slots| {
            let count = slots.len() / slot;
            for r in 0..rows {
                let segment = &encoded[r * len + first..r * len + first + count];
                for (c, x) in segment.iter().enumerate() {
                    let at = c * slot + r * elem;
                    x.write_compressed(&mut slots[at..at + elem]);
                }
            }
        })
    }
}

/// The encoded columns an opening reads: `values[r][i]` is `E[r][needed[i]]` (row-major).
struct OpenedColumns<F> {
    needed: Vec<usize>,
    values: Vec<F>,
    rows: usize,
}

impl<F: Copy> OpenedColumns<F> {
    /// Column `j`, every stored row (empty if `j` was not gathered).
    fn column(&self, j: usize) -> Vec<F> {
        let m = self.needed.len();
        match self.needed.binary_search(&j) {
            Ok(i) => (0..self.rows).map(|r| self.values[r * m + i]).collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// The claims' rows, if every claim's row coordinates (those from `log_cols` on) are boolean and
/// the claims fall on at most a quarter of the `2^log_rows` rows: the row of each claim, and the
/// distinct rows in order of first claim; else `None`.
fn claimed_rows<F: KaizenField>(
    claims: &[Claim<F>],
    (log_rows, log_cols): (usize, usize),
) -> Option<(Vec<usize>, Vec<usize>)> {
    let n = log_rows + log_cols;
    let rows_of = claims
        .iter()
        .map(|c| {
            let high = c.point.get(log_cols..n).filter(|_| c.point.len() == n)?;
            high.iter().enumerate().try_fold(0usize, |row, (j, x)| {
                (x.is_zero() || x.is_one()).then(|| row | usize::from(x.is_one()) << j)
            })
        })
        .collect::<Option<Vec<usize>>>()?;
    let mut distinct: Vec<usize> = Vec::new();
    for &r in &rows_of {
        if !distinct.contains(&r) {
            distinct.push(r);
        }
    }
    (log_cols > 0 && !claims.is_empty() && 4 * distinct.len() <= 1 << log_rows)
        .then_some((rows_of, distinct))
}

/// The row reduction's statement (see the module docs): absorbs the claims, draws `ρ`; returns
/// per distinct row the sumcheck instance's shape and sum.
fn row_instances<F: KaizenField, T: Transcript<F>>(
    claims: &[Claim<F>],
    (rows_of, distinct): (&[usize], &[usize]),
    log_cols: usize,
    transcript: &mut T,
) -> (Vec<SumcheckShape<F>>, Vec<F>) {
    for c in claims {
        transcript.absorb_fields(b"ligero-rows/point", &c.point);
        transcript.absorb_field(b"ligero-rows/value", &c.value);
    }
    let rho = transcript.challenge(b"ligero-rows/rho");
    let mut shapes = Vec::with_capacity(distinct.len());
    let mut sums = Vec::with_capacity(distinct.len());
    for &row in distinct {
        let (mut points, mut coeffs, mut sum) = (Vec::new(), Vec::new(), F::ZERO);
        let mut power = F::ONE;
        for (c, &r) in claims.iter().zip(rows_of) {
            if r == row {
                points.push(c.point[..log_cols].to_vec());
                coeffs.push(power);
                sum += power * c.value;
            }
            power *= rho;
        }
        shapes.push(
            SumcheckShape::product(log_cols, 1).with_weight(Weight::EqSum { points, coeffs }),
        );
        sums.push(sum);
    }
    (shapes, sums)
}

/// Draws `β`: the row weights (`β^g` on the `g`-th distinct row) and the combined value of the
/// rows' claims.
fn row_weights<F: KaizenField, T: Transcript<F>>(
    distinct: &[usize],
    rows: usize,
    values: &[F],
    transcript: &mut T,
) -> (Vec<F>, F) {
    let beta = transcript.challenge(b"ligero-rows/beta");
    let mut weights = vec![F::ZERO; rows];
    let (mut power, mut value) = (F::ONE, F::ZERO);
    for (&r, &v) in distinct.iter().zip(values) {
        weights[r] += power;
        value += power * v;
        power *= beta;
    }
    (weights, value)
}

/// `Σ_r w_r·M[r]` for a row-major matrix with rows of length `cols`; rows of weight zero are
/// skipped (an opening point with boolean row coordinates reads its rows alone).
fn combine_rows<F: KaizenField>(matrix: &[F], cols: usize, weights: &[F]) -> Vec<F> {
    let mut out = vec![F::ZERO; cols];
    let width = PAR_MIN_LEN.min(cols);
    out.par_chunks_mut(width)
        .enumerate()
        .for_each(|(c, chunk)| {
            let rows = matrix.chunks_exact(cols).map(|row| &row[c * width..]);
            let terms = weights
                .iter()
                .copied()
                .zip(rows)
                .filter(|(w, _)| !w.is_zero());
            weighted_sum_into(chunk, terms);
        });
    out
}

fn add_scaled<F: KaizenField>(acc: &mut [F], x: &[F], s: F) {
    acc.iter_mut().zip(x).for_each(|(a, &b)| *a += s * b);
}

/// `xs` cut into consecutive pieces of `lens[i]` entries.
fn split_by<'a, F>(mut xs: &'a [F], lens: &'a [usize]) -> impl Iterator<Item = &'a [F]> + 'a {
    lens.iter().map(move |&l| {
        let (head, tail) = xs.split_at(l.min(xs.len()));
        xs = tail;
        head
    })
}

impl<F: KaizenField> MultilinearPcs<F> for Ligero<F> {
    type Commitment = LigeroCommitment;
    type ProverData = LigeroData<F>;
    type Proof = LigeroProof<F>;

    fn max_num_vars(&self) -> usize {
        self.params.max_num_vars
    }

    fn commit(&self, evals: &[F]) -> Result<(LigeroCommitment, LigeroData<F>), PcsError> {
        self.commit_owned(evals.to_vec())
    }

    fn commit_owned(&self, evals: Vec<F>) -> Result<(LigeroCommitment, LigeroData<F>), PcsError> {
        if !evals.len().is_power_of_two() {
            return Err(PcsError::NotPowerOfTwo(evals.len()));
        }
        let num_vars = evals.len().trailing_zeros() as usize;
        if num_vars > self.params.max_num_vars {
            return Err(PcsError::TooManyVariables {
                max: self.params.max_num_vars,
                got: num_vars,
            });
        }
        let cols = 1 << self.params.split(num_vars).1;
        let rows = evals
            .chunks(cols)
            .rposition(|row| row.iter().any(|x| !x.is_zero()))
            .map_or(1, |r| r + 1);
        let encoded = self.encode_matrix(&evals[..rows * cols], cols.trailing_zeros() as usize)?;
        let tree = Self::tree(&encoded, rows, cols << self.params.log_inv_rate);
        let data = LigeroData {
            evals,
            encoded: (num_vars <= self.params.keep_encoding_max_vars).then_some(encoded),
            tree,
            num_vars,
            rows,
        };
        Ok((Self::commitment(&data), data))
    }

    fn commitment(data: &LigeroData<F>) -> LigeroCommitment {
        LigeroCommitment {
            root: data.tree.root(),
            num_vars: data.num_vars as u32,
            rows: data.rows as u32,
        }
    }

    fn evals(data: &LigeroData<F>) -> &[F] {
        &data.evals
    }

    fn num_vars(commitment: &LigeroCommitment) -> usize {
        commitment.num_vars as usize
    }

    fn open<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F>],
        point: &[F],
        transcript: &mut T,
    ) -> Result<(Vec<F>, LigeroProof<F>), PcsError> {
        let sizes: Vec<usize> = data.iter().map(|d| d.num_vars).collect();
        let n = check_batch(&sizes, self.params.max_num_vars, point.len(), None)?;
        let (z_lo, z_hi) = point.split_at(self.params.split(n).1);
        let weights = eq_table(z_hi);
        self.open_rows(
            data,
            z_lo,
            &vec![&weights[..]; data.len()],
            point,
            transcript,
        )
    }

    fn verify<T: Transcript<F>>(
        &self,
        commitments: &[&LigeroCommitment],
        point: &[F],
        values: &[F],
        proof: &LigeroProof<F>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        let sizes: Vec<usize> = commitments.iter().map(|c| c.num_vars as usize).collect();
        let n = check_batch(
            &sizes,
            self.params.max_num_vars,
            point.len(),
            Some(values.len()),
        )?;
        let (z_lo, z_hi) = point.split_at(self.params.split(n).1);
        let weights = eq_table(z_hi);
        self.verify_rows(
            commitments,
            z_lo,
            &vec![&weights[..]; commitments.len()],
            point,
            values,
            proof,
            transcript,
        )
    }

    fn open_points<T: Transcript<F>>(
        &self,
        data: &LigeroData<F>,
        claims: &[Claim<F>],
        transcript: &mut T,
    ) -> Result<MultiPointProof<F, LigeroProof<F>>, PcsError> {
        let (reduction, mut openings) = self.open_batch(&[data], &[claims], transcript)?;
        let opening = openings.pop().ok_or(PcsError::EmptyBatch)?;
        Ok(MultiPointProof { reduction, opening })
    }

    fn verify_points<T: Transcript<F>>(
        &self,
        commitment: &LigeroCommitment,
        claims: &[Claim<F>],
        proof: &MultiPointProof<F, LigeroProof<F>>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        self.verify_batch(
            &[commitment],
            &[claims],
            &proof.reduction,
            std::slice::from_ref(&proof.opening),
            transcript,
        )
    }

    fn open_points_batch<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F>],
        claims: &[&[Claim<F>]],
        transcript: &mut T,
    ) -> Result<BatchOpeningProof<F, LigeroProof<F>>, PcsError> {
        let (reduction, openings) = self.open_batch(data, claims, transcript)?;
        Ok(BatchOpeningProof {
            reduction,
            openings,
        })
    }

    fn verify_points_batch<T: Transcript<F>>(
        &self,
        commitments: &[&LigeroCommitment],
        claims: &[&[Claim<F>]],
        proof: &BatchOpeningProof<F, LigeroProof<F>>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        self.verify_batch(
            commitments,
            claims,
            &proof.reduction,
            &proof.openings,
            transcript,
        )
    }
}

/// How one polynomial of a batched opening reduces its claims to its rows' values at the column
/// point.
enum Reduction<F> {
    /// Claims on a few whole rows: per distinct row (in order of first claim) a sumcheck over
    /// the row (see the module docs).
    Rows {
        distinct: Vec<usize>,
        shapes: Vec<SumcheckShape<F>>,
        sums: Vec<F>,
    },
    /// The multi-point reduction, over at least the column variables.
    Points(MultipointStatement<F>),
}

impl<F: KaizenField> Reduction<F> {
    /// The reduction's sumcheck instances (shapes and claimed sums), in batch order.
    fn instances(&self) -> (Vec<SumcheckShape<F>>, Vec<F>) {
        match self {
            Reduction::Rows { shapes, sums, .. } => (shapes.clone(), sums.clone()),
            Reduction::Points(s) => (vec![s.shape().clone()], vec![s.sum()]),
        }
    }
}

/// What one polynomial of a batched opening leaves for the row opening: the column point, the
/// row weights and the weighted rows' value there.
struct RowClaim<F> {
    z_lo: Vec<F>,
    weights: Vec<F>,
    value: F,
}

impl<F: KaizenField> Ligero<F> {
    /// Absorbs each commitment and states its reduction, in order: over a few claimed rows when
    /// the claims lie on at most a quarter of them, else the multi-point reduction over at least
    /// the column variables (so the batch leaves every polynomial with rows of `2^b` entries at
    /// one column point).
    fn reductions<T: Transcript<F>>(
        &self,
        commitments: &[LigeroCommitment],
        claims: &[&[Claim<F>]],
        transcript: &mut T,
    ) -> Result<Vec<Reduction<F>>, PcsError> {
        check_claim_sets(commitments.len(), claims)?;
        commitments
            .iter()
            .zip(claims)
            .map(|(c, &claims)| {
                let n = c.num_vars as usize;
                if n > self.params.max_num_vars {
                    return Err(PcsError::TooManyVariables {
                        max: self.params.max_num_vars,
                        got: n,
                    });
                }
                <Self as MultilinearPcs<F>>::absorb_commitment(c, transcript);
                let (log_rows, log_cols) = self.params.split(n);
                Ok(match claimed_rows(claims, (log_rows, log_cols)) {
                    Some((rows_of, distinct)) => {
                        let (shapes, sums) =
                            row_instances(claims, (&rows_of, &distinct), log_cols, transcript);
                        Reduction::Rows {
                            distinct,
                            shapes,
                            sums,
                        }
                    }
                    None => Reduction::Points(MultipointStatement::new(
                        n, claims, log_cols, transcript,
                    )?),
                })
            })
            .collect()
    }

    /// Per polynomial, its [`RowClaim`] from the batched sumcheck's claims (in instance order);
    /// a row reduction draws its rows' weights `β^g`.
    fn row_claims<T: Transcript<F>>(
        &self,
        commitments: &[LigeroCommitment],
        reductions: &[Reduction<F>],
        batch: &[Vec<Claim<F>>],
        transcript: &mut T,
    ) -> Result<Vec<RowClaim<F>>, PcsError> {
        let missing = || PcsError::ProofShape("a reduction without its value".into());
        let mut out = batch.iter();
        commitments
            .iter()
            .zip(reductions)
            .map(|(c, reduction)| {
                let (log_rows, log_cols) = self.params.split(c.num_vars as usize);
                match reduction {
                    Reduction::Rows { distinct, .. } => {
                        let claims = out
                            .by_ref()
                            .take(distinct.len())
                            .map(|c| c.first())
                            .collect::<Option<Vec<&Claim<F>>>>()
                            .filter(|c| c.len() == distinct.len())
                            .ok_or_else(missing)?;
                        let z_lo = claims.first().map_or(Vec::new(), |c| c.point.clone());
                        let values: Vec<F> = claims.iter().map(|c| c.value).collect();
                        let (weights, value) =
                            row_weights(distinct, 1 << log_rows, &values, transcript);
                        Ok(RowClaim {
                            z_lo,
                            weights,
                            value,
                        })
                    }
                    Reduction::Points(s) => {
                        let claim = reduced_claim(s, out.next().ok_or_else(missing)?)?;
                        let (z_lo, z_hi) = claim.point.split_at(log_cols);
                        Ok(RowClaim {
                            z_lo: z_lo.to_vec(),
                            weights: eq_table(z_hi),
                            value: claim.value,
                        })
                    }
                }
            })
            .collect()
    }

    /// The polynomials' indices grouped by row length (groups in order of first member): each
    /// group is opened with one proof. Its members' column points agree (the batch binds the
    /// column variables of every instance in its last rounds); a verifier rejects otherwise.
    fn groups(claims: &[RowClaim<F>]) -> Result<Vec<Vec<usize>>, PcsError> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, c) in claims.iter().enumerate() {
            match groups
                .iter_mut()
                .find(|g| claims[g[0]].z_lo.len() == c.z_lo.len())
            {
                Some(g) if claims[g[0]].z_lo != c.z_lo => {
                    return Err(PcsError::ProofShape(
                        "column points of one row length differ".into(),
                    ))
                }
                Some(g) => g.push(i),
                None => groups.push(vec![i]),
            }
        }
        Ok(groups)
    }

    /// What a group's opening absorbs: the column point, then every member's row weights.
    fn group_input(claims: &[RowClaim<F>], group: &[usize]) -> (Vec<F>, Vec<F>) {
        let absorbed = claims[group[0]]
            .z_lo
            .iter()
            .chain(group.iter().flat_map(|&i| &claims[i].weights))
            .copied()
            .collect();
        let values = group.iter().map(|&i| claims[i].value).collect();
        (absorbed, values)
    }

    /// [`MultilinearPcs::open_points_batch`]: every polynomial's reduction in one batched
    /// sumcheck, then one [`Ligero::open_rows`] per row length.
    fn open_batch<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F>],
        claims: &[&[Claim<F>]],
        transcript: &mut T,
    ) -> Result<(SumcheckProof<F>, Vec<LigeroProof<F>>), PcsError> {
        let commitments: Vec<_> = data.iter().map(|d| Self::commitment(d)).collect();
        let reductions = self.reductions(&commitments, claims, transcript)?;
        let mut instances: Vec<Box<dyn RoundProver<F> + '_>> = Vec::new();
        let mut sums = Vec::new();
        for (reduction, d) in reductions.iter().zip(data) {
            match reduction {
                Reduction::Rows {
                    distinct,
                    shapes,
                    sums: s,
                } => {
                    let cols = 1 << self.params.split(d.num_vars).1;
                    for (&row, shape) in distinct.iter().zip(shapes) {
                        let table = d.evals[row * cols..][..cols].to_vec();
                        instances.push(Box::new(ProductSum::new(shape.clone(), vec![table])?));
                    }
                    sums.extend_from_slice(s);
                }
                Reduction::Points(s) => {
                    instances.push(Box::new(s.prover(&d.evals)?));
                    sums.push(s.sum());
                }
            }
        }
        let (reduction, batch) = kaizen_sumcheck::prove(&mut instances, &sums, transcript)?;
        drop(instances);
        let row_claims = self.row_claims(&commitments, &reductions, &batch, transcript)?;
        let groups = Self::groups(&row_claims)?;
        let openings = side_by_side(&groups, transcript, |group, t| {
            let (absorbed, _) = Self::group_input(&row_claims, group);
            let members: Vec<&LigeroData<F>> = group.iter().map(|&i| data[i]).collect();
            let weights: Vec<&[F]> = group.iter().map(|&i| &row_claims[i].weights[..]).collect();
            let z_lo = &row_claims[group[0]].z_lo;
            Ok(self.open_rows(&members, z_lo, &weights, &absorbed, t)?.1)
        })?;
        Ok((reduction, openings))
    }

    /// [`MultilinearPcs::verify_points_batch`].
    fn verify_batch<T: Transcript<F>>(
        &self,
        commitments: &[&LigeroCommitment],
        claims: &[&[Claim<F>]],
        reduction: &SumcheckProof<F>,
        openings: &[LigeroProof<F>],
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        let owned: Vec<LigeroCommitment> = commitments.iter().map(|&c| c.clone()).collect();
        let reductions = self.reductions(&owned, claims, transcript)?;
        let (shapes, sums): (Vec<_>, Vec<_>) = reductions.iter().map(Reduction::instances).unzip();
        let (shapes, sums): (Vec<_>, Vec<_>) = (shapes.concat(), sums.concat());
        let batch = kaizen_sumcheck::verify(&shapes, &sums, reduction, transcript)?;
        let row_claims = self.row_claims(&owned, &reductions, &batch, transcript)?;
        let groups = Self::groups(&row_claims)?;
        if openings.len() != groups.len() {
            return Err(PcsError::ProofShape(format!(
                "{} openings for {} row lengths",
                openings.len(),
                groups.len()
            )));
        }
        let checked = groups.iter().zip(openings).collect::<Vec<_>>();
        side_by_side(&checked, transcript, |&(group, opening), t| {
            let (absorbed, values) = Self::group_input(&row_claims, group);
            let members: Vec<&LigeroCommitment> = group.iter().map(|&i| commitments[i]).collect();
            let weights: Vec<&[F]> = group.iter().map(|&i| &row_claims[i].weights[..]).collect();
            self.verify_rows(
                &members,
                &row_claims[group[0]].z_lo,
                &weights,
                &absorbed,
                &values,
                opening,
                t,
            )
        })?;
        Ok(())
    }
}

/// Runs `open` on each item in parallel, the `k`-th on its own fork of the transcript (index
/// `k`; everything the items depend on was absorbed before); the transcript then absorbs a
/// challenge drawn from each fork at its end, in order — so it is bound to every item's messages
/// as if they had run one after the other. A batch's row-length groups are opened (or checked)
/// this way, side by side; the first failure in item order is reported.
fn side_by_side<F, T, I, R>(
    items: &[I],
    transcript: &mut T,
    open: impl Fn(&I, &mut T) -> Result<R, PcsError> + Sync,
) -> Result<Vec<R>, PcsError>
where
    F: KaizenField,
    T: Transcript<F>,
    I: Sync,
    R: Send,
{
    let forks: Vec<T> = (0..items.len() as u64)
        .map(|k| transcript.fork(b"ligero/group", k))
        .collect();
    let done = items
        .par_iter()
        .zip(forks)
        .map(|(item, mut t)| {
            let out = open(item, &mut t)?;
            Ok((out, t.challenge(b"ligero/group-end")))
        })
        .collect::<Vec<Result<_, PcsError>>>()
        .into_iter()
        .collect::<Result<Vec<_>, PcsError>>()?;
    Ok(done
        .into_iter()
        .map(|(out, end)| {
            transcript.absorb_field(b"ligero/group-end", &end);
            out
        })
        .collect())
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] ColumnOpening<F> { values: vec, paths: vec });
kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] LigeroProof<F> {
    proximity: vec,
    evaluation: vec,
    openings: vec,
});

#[cfg(test)]
mod tests {
    use super::*;
    use kaizen_field::{AdditiveGroup, Blake3Transcript, M61Ext2};

    type F = M61Ext2;

    #[test]
    fn query_count_matches_design() {
        assert_eq!(queries_for(100, 2), 148);
        assert_eq!(LigeroParams::new(20, MatrixShape::Square).queries, 148);
        assert!(queries_for(128, 2) > 148);
        assert!(queries_for(100, 1) > 148);
    }

    /// The balanced shape minimises `t·2^a + 2·2^b` and is smaller than square at large sizes.
    #[test]
    fn balanced_shape_minimises_the_proof() {
        let p = LigeroParams::new(30, MatrixShape::Balanced);
        let size = |(a, b): (usize, usize)| 148 * (1usize << a) + (2 << b);
        for n in [0, 1, 8, 16, 20, 24, 27] {
            let best = p.split(n);
            assert_eq!(best.0 + best.1, n);
            assert!((0..=n).all(|a| size(best) <= size((a, n - a))));
        }
        assert_eq!(p.split(24), (9, 15));
        let square = LigeroParams::new(30, MatrixShape::Square);
        assert!(4 * size(p.split(24)) < size(square.split(24)));
    }

    /// The batched shape gives every polynomial of at least `b` variables rows of `2^b` entries
    /// and minimises the estimate: for a step's commitments (2^21, 2^17 twice, 2^18, 2^15) the
    /// rows are shorter than the largest polynomial's balanced ones and longer than the smaller
    /// ones'; no sizes keep the shape.
    #[test]
    fn batched_shape_shares_one_row_length() {
        let p =
            LigeroParams::new(24, MatrixShape::Balanced).with_batched_shape(&[21, 17, 17, 18, 15]);
        let MatrixShape::Columns(b) = p.shape else {
            panic!("rows of one length");
        };
        let b = b as usize;
        assert!((11..=14).contains(&b), "b = {b}");
        for n in [21, 17, 18, 15] {
            assert_eq!(p.split(n), (n - b, b));
        }
        assert_eq!(p.split(b - 2), (0, b - 2));
        let kept = LigeroParams::new(24, MatrixShape::Balanced).with_batched_shape(&[]);
        assert_eq!(kept.shape, MatrixShape::Balanced);
    }

    /// A zero-padded tail is neither encoded nor opened: the commitment stores the rows up to
    /// the last non-zero one, openings verify and carry shorter columns, and a commitment that
    /// claims another row count is rejected.
    #[test]
    fn zero_tail_rows_are_implicit() {
        let pcs = Ligero::<F>::new(LigeroParams::new(12, MatrixShape::Square));
        let (rows, cols) = (1usize << 6, 1usize << 6);
        let mut evals: Vec<F> = (0..rows * cols).map(|i| F::from(i as u64 + 1)).collect();
        evals[21 * cols..].iter_mut().for_each(|x| *x = F::ZERO);
        evals[20 * cols + 5] = F::ZERO;
        let (commitment, data) = pcs.commit(&evals).unwrap();
        assert_eq!(commitment.rows, 21);
        let point: Vec<F> = (0..12u64).map(|i| F::from(3 * i + 2)).collect();
        let t = || Blake3Transcript::new(b"tail");
        let (values, proof) = pcs.open(&[&data], &point, &mut t()).unwrap();
        let mle = kaizen_field::MultilinearPoly::new(evals.clone()).unwrap();
        assert_eq!(values[0], mle.evaluate(&point).unwrap());
        assert!(proof.openings.iter().all(|o| o.values.len() == 21));
        pcs.verify(&[&commitment], &point, &values, &proof, &mut t())
            .unwrap();
        for rows in [0, 20, 22, 64, 65] {
            let c = LigeroCommitment {
                rows,
                ..commitment.clone()
            };
            assert!(
                pcs.verify(&[&c], &point, &values, &proof, &mut t())
                    .is_err(),
                "{rows} rows"
            );
        }
        // All zero: one stored row.
        let (zero, data) = pcs.commit(&vec![F::ZERO; rows * cols]).unwrap();
        assert_eq!(zero.rows, 1);
        let (values, proof) = pcs.open(&[&data], &point, &mut t()).unwrap();
        assert_eq!(values[0], F::ZERO);
        pcs.verify(&[&zero], &point, &values, &proof, &mut t())
            .unwrap();
    }

    /// A prover that re-encodes at opening (the encoding not kept) sends the same proof as one
    /// that kept it, for a batch mixing both, with integer and extension-field rows, an odd row
    /// count and a zero tail; the proof verifies, and a wrong value is still rejected.
    #[test]
    fn recomputed_encoding_opens_as_the_kept_one() {
        let n = 12;
        let kept = Ligero::<F>::new(LigeroParams::new(n, MatrixShape::Balanced));
        let lean =
            Ligero::<F>::new(LigeroParams::new(n, MatrixShape::Balanced).with_kept_encoding(n - 1));
        let ints: Vec<F> = (0..1u64 << n).map(|i| F::from(i * 7 % 1000)).collect();
        let mut mixed: Vec<F> = (0..1u64 << n)
            .map(|i| F::new((i + 1).into(), (i % 3).into()))
            .collect();
        let cols = 1 << kept.params().split(n).1;
        mixed[5 * cols..].iter_mut().for_each(|x| *x = F::ZERO);
        let point: Vec<F> = (0..n as u64).map(|i| F::from(5 * i + 1)).collect();
        let t = || Blake3Transcript::new(b"lean");
        let (ca, a) = kept.commit(&ints).unwrap();
        let (cb, b) = kept.commit(&mixed).unwrap();
        let (la, lean_a) = lean.commit(&ints).unwrap();
        let (lb, lean_b) = lean.commit(&mixed).unwrap();
        assert!(lean_a.encoded.is_none() && a.encoded.is_some());
        assert!(ca == la && cb == lb);
        assert_eq!(lb.rows, 5);
        let (values, proof) = kept.open(&[&a, &b], &point, &mut t()).unwrap();
        let (lean_values, lean_proof) = lean.open(&[&lean_a, &lean_b], &point, &mut t()).unwrap();
        assert!(values == lean_values && proof == lean_proof);
        lean.verify(&[&la, &lb], &point, &values, &proof, &mut t())
            .unwrap();
        let wrong = [values[0], values[1] + F::from(1u64)];
        assert!(lean
            .verify(&[&la, &lb], &point, &wrong, &proof, &mut t())
            .is_err());
    }

    /// A committed word that is not a codeword (10% of one row's positions changed before
    /// hashing) is caught by the column checks.
    #[test]
    fn non_codeword_is_rejected() {
        let pcs = Ligero::<F>::new(LigeroParams::new(12, MatrixShape::Square));
        let evals: Vec<F> = (0..1u64 << 12).map(|i| F::from(i * i + 1)).collect();
        let (_, mut data) = pcs.commit(&evals).unwrap();
        let (log_rows, log_cols) = pcs.params().split(12);
        let len = 1usize << (log_cols + 2);
        let encoded = data.encoded.as_mut().unwrap();
        for j in (0..len).step_by(10) {
            encoded[3 * len + j] += F::from(7u64);
        }
        data.tree = Ligero::<F>::tree(encoded, 1 << log_rows, len);
        let commitment = Ligero::<F>::commitment(&data);
        let point: Vec<F> = (0..12u64).map(|i| F::from(i + 3)).collect();
        let (values, proof) = pcs
            .open(&[&data], &point, &mut Blake3Transcript::new(b"t"))
            .unwrap();
        let r = pcs.verify(
            &[&commitment],
            &point,
            &values,
            &proof,
            &mut Blake3Transcript::new(b"t"),
        );
        assert!(
            matches!(
                r,
                Err(PcsError::Proximity { .. } | PcsError::Consistency { .. })
            ),
            "{r:?}"
        );
    }
}
