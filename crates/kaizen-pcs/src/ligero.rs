//! Ligero-style multilinear commitment (Ames–Hazay–Ishai–Venkitasubramaniam; the multilinear form as in
//! Brakedown/Orion and DESIGN §5) over a field with large power-of-two subgroups (M61²).
//!
//! **Commit.** The `2^n` evaluations form a `2^a × 2^b` matrix `M` (row-major: the low `b` variables
//! index columns, the high `a` variables rows). Each row is Reed–Solomon-encoded — read as the
//! coefficients of a polynomial of degree `< 2^b` and evaluated on a subgroup of size
//! `L = 2^b/ρ` — and each column of the encoded matrix `E` is a leaf of a Merkle tree whose hash
//! is the scheme's parameter `H` ([`crate::merkle`]: BLAKE3's own tree over the zero-padded
//! columns end to end by default, or Poseidon2 over `F_p` for trees a circuit checks). The
//! commitment is the root, `n`, and the number `R ≤ 2^a` of rows stored: the rows after the last
//! non-zero one (a zero-padded tail, as a segmented layout leaves) are zero by definition, so they
//! are neither encoded, stored nor hashed, and no opened column carries them.
//!
//! **Open** `k` polynomials at `z = (z_lo, z_hi)`: `P(z) = eq(z_hi)ᵀ·M·eq(z_lo)`, or, generally,
//! the row combinations `wᵢᵀ·M_i·eq(z_lo)` under row weights `wᵢ`. An opening **reads** the stored
//! rows of nonzero weight alone (the values depend on no other; a dataset's batch reads a few
//! rows, an opening at a point with random row coordinates every row). After the transcript has
//! absorbed the commitments and the point, the prover sends the **row values**
//! `h_{i,r} = ⟨M_i[r], eq(z_lo)⟩` of every row read (the values are `Σ_r w_{i,r}·h_{i,r}`, which
//! the verifier checks against the claims); after absorbing them, the transcript gives one
//! `γ_{i,r}` per row read (zero on the other rows) and the prover forms the **proximity row**
//! `u = Σ_{i,r} γ_{i,r}·M_i[r]`. It sends `u` (short rows) or commits to it
//! (long rows, below); then the transcript picks `t` columns `j`, opened in every tree — each
//! distinct position once, with one Merkle multi-path per tree ([`crate::merkle::MultiPath`]:
//! the upper nodes the queries share are sent once). Every check on `u` is linear:
//! `⟨u, eq(z_lo)⟩ = Σ γ_{i,r}·h_{i,r}` (binding the row values) and, at each query,
//! `Enc(u)_j = ⟨u, (ω^{j·c})_c⟩ = Σ γ_{i,r}·E_i[r][j]` (proximity and consistency at once). A sent
//! `u` is checked directly.
//!
//! **Committed proximity rows.** A row of `2^b` entries costs `16·2^b` bytes sent (1 MiB at
//! `b = 16`); [`LigeroParams::commits_row`] commits it instead where that is smaller. The prover
//! commits `u` as a polynomial of `b` variables (balanced shape, same rate and queries) before the
//! queries; after the queries (and the columns' combinations `Σ γ·E[·][j]`, absorbed) the
//! transcript gives `α`, and one sumcheck of degree 2 over `b` variables proves
//! `Σ_x ũ(x)·W̃(x) = Σ γ·h + Σ_q α^q·Σ γ·E[·][j_q]` with `W = eq(z_lo) + Σ_q α^q·(ω^{j_q·c})_c`
//! (the prover builds `W` with one FFT of the queries' coefficients). It ends at `ζ` with `ũ(ζ)`
//! and `W̃(ζ)`; the verifier computes `W̃(ζ) = eq(z_lo, ζ) + Σ_q α^q·Π_i (1 − ζ_i + ζ_i·ω^{j_q·2^i})`
//! itself, and the next **level** opens the committed `u` at `ζ` the same way (its own row values,
//! proximity row, columns). The last level's row is sent. At 2^24 entries: 447 KiB (two levels:
//! 64 rows of 2^18, then the committed row as 64 rows of 2^12) against 1.6 MiB with the row sent
//! (`crates/kaizen-pcs/README.md`). A row is committed where that at least halves its cost
//! ([`LigeroParams::commits_row`]), as it costs the prover a commitment, an FFT, a sumcheck and
//! an opening of `b` variables.
//!
//! **Security** (unique-decoding regime). The code has relative distance `d = 1 − ρ`. The argument
//! below is about the stacked rows read (the matrix of those rows): rows not read are
//! authenticated with their columns but constrain nothing, and the claimed values do not depend
//! on them. Since every row decodes uniquely within `δ` if at all, the rows two openings both
//! read (the labels' row in every step) decode the same way in each. If the
//! stacked matrix is farther than `δ = d/2` from the interleaved code, then (correlated agreement,
//! Ben-Sasson–Carmon–Ishai–Kopparty–Saraf 2020, unique decoding) so is `Σ γ·E` from every codeword
//! except with probability about `L/|F|` over `γ`, and `Enc(u)` differs from it on more than a
//! `δ` fraction. Otherwise the matrix decodes uniquely; row values differing from the decoded
//! rows' make `Σ γ·h` differ from the decoded combination's except with probability `1/|F|`
//! (`γ` is drawn after `h`), so `u` is not that combination and `Enc(u)` differs from `Σ γ·E` on at
//! least `d − δ = δ` of the positions. Either way one query passes with probability at most
//! `1 − δ = (1 + ρ)/2`, and `t = ⌈λ / −log2((1+ρ)/2)⌉` queries give `2^-λ`: 148 at `ρ = 1/4`,
//! `λ = 100`. A committed row binds `u` before the queries; its checks are batched by `α` (error
//! `t/|F|`) and reduced by a sumcheck (`2b/|F|`) to one evaluation, opened by the next level with
//! the same guarantee. The field-size terms total about `(Σ_i R_i + L + t + 2b)/|F|` per level,
//! below `2^-90` for every size we commit to over M61² (`|F| ≈ 2^122`); blake3 gives 128-bit
//! collision resistance, Poseidon2's 4-element digests 122-bit. Choose larger `λ` with
//! [`LigeroParams::with_security`].
//!
//! **Shape.** [`MatrixShape::Square`] (`a = ⌊n/2⌋`), [`MatrixShape::Balanced`] (the `a` minimising
//! the estimated opening, `(t + 1)·2^a` elements of columns and row values, `t` paths and the
//! proximity row — sent or committed, whichever is smaller — with at least 64 rows from 2^16
//! entries on, where shorter columns would cost the prover more hashing), [`MatrixShape::Rows`]
//! (few long rows: every query hashes one column of `2^a` entries) or [`MatrixShape::Columns`]
//! (rows of one length for every polynomial, so a batch opens them with one proof;
//! [`LigeroParams::with_batched_shape`] picks the length for a batch's sizes).
//!
//! **Claims on a few rows** ([`MultilinearPcs::open_points`]). Claims `P(c_k, r_k) = v_k` whose
//! row coordinates `r_k` are all boolean (claims on a sub-cube that whole rows hold: a dataset's
//! batch) are claims `M̃_{r_k}(c_k) = v_k` on single rows. With `ρ` drawn after the claims, one
//! batched sumcheck over the `b` column variables, an instance `Σ_x (Σ_{k: r_k = r} ρ^k·eq(c_k, x))·M̃_r(x)`
//! per distinct row `r`, reduces them to the rows' values at one column point `x*`; with `β`
//! drawn after those, the opening above with row weights `β^g` on the `g`-th row (in place of
//! `eq(z_hi)`) checks `Σ_g β^g·M̃_{r_g}(x*)`, reading the claimed rows alone (their row values
//! and proximity row; the opened columns still carry every stored row, which the Merkle leaves
//! hash). The prover reads only the claimed rows, not the whole table as the generic multi-point
//! reduction does; used when at most a quarter of the rows are claimed.
//!
//! **Several commitments** ([`MultilinearPcs::open_points_batch`]). Each polynomial's claims are
//! reduced as above (over its claimed rows) or by the multi-point reduction over at least its `b`
//! column variables, all in one batched sumcheck. A batch binds an instance's variables in its
//! last rounds, so every polynomial whose rows have `2^b` entries ends at one column point `x*`,
//! with its own row weights (`β^g` on claimed rows, or `eq(z_hi)`). Those polynomials are opened
//! together as above — the row weights per polynomial, one proximity row
//! `u = Σ_{i,r} γ_{i,r}·M_i[r]` over all their rows, one set of `t` columns (a multi-path per
//! tree) — one opening per row length, the lengths' openings side by side, each on its own fork
//! of the transcript (whose end challenges the transcript then absorbs, in order).
//! The proximity test is Ligero's on the stacked rows of all those matrices, which is far from
//! the interleaved code if any one of them is, so the security argument above is unchanged.
use std::marker::PhantomData;

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use kaizen_field::{
    eq_eval, eq_table, inner_product, mle::weighted_sum_into, KaizenField, Transcript, PAR_MIN_LEN,
};
use kaizen_sumcheck::{
    multipoint::MultipointStatement, protocol::RoundProver, Claim, ProductSum, SumcheckProof,
    SumcheckShape, Weight,
};
use rayon::prelude::*;
use tracing::{debug_span, Span};

use crate::{
    check_batch,
    fft::{root_of_unity, Radix2Domain},
    merkle::{Blake3Columns, ColumnHash, ColumnTree, Digest, MultiPath, NodeDigest},
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

/// The fewest rows (log2) of a balanced matrix of at least `2^MIN_ROWS_FROM_VARS` entries: a
/// column of fewer than 64 entries is zero-padded to a whole BLAKE3 chunk (1 KiB, 64 M61²
/// elements) when hashed, so shorter columns of a large matrix cost the prover up to several
/// times the hashing (and fewer rows fewer parallel encoding tasks) for a proof a tenth or so
/// smaller (at 2^24, with rows sent or committed). Smaller matrices hash quickly in any shape.
const MIN_LOG_ROWS: usize = 6;

/// See [`MIN_LOG_ROWS`].
const MIN_ROWS_FROM_VARS: usize = 16;

/// Rows one parallel task encodes for codewords of `len` entries: a batch of the field's
/// vectorised kernel ([`KaizenField::batched_encoding_rows`]; sixteen in M61² for codewords of up
/// to 2^16, in builds with AVX2 or wider), else a pair.
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
    /// Whether an opening may commit its proximity row and open it in turn instead of sending it,
    /// where that makes the proof smaller ([`LigeroParams::commits_row`]). Default: on.
    pub commit_rows: bool,
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
            commit_rows: true,
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
    /// length share the proximity row and the column queries): about
    /// `(t + 1)·Σ_i 2^{n_i − b}` field elements (columns and row values) and the proximity row
    /// (`2^b`, or less committed), plus a multi-path per polynomial, per query
    /// (`≈ 2·(b + log2(1/ρ) + 1 − log2 t)` field elements, the leaves sharing their upper nodes;
    /// a polynomial smaller than a row is a row of its own length). No sizes leave the shape as it
    /// is.
    pub fn with_batched_shape(mut self, num_vars: &[usize]) -> Self {
        let Some(&max) = num_vars.iter().max() else {
            return self;
        };
        let t = self.queries;
        let inner = self.balanced(max);
        let size = |b: usize| {
            let mut lens: Vec<usize> = num_vars.iter().map(|&n| n.min(b)).collect();
            lens.sort_unstable();
            lens.dedup();
            let rows: usize = lens.iter().map(|&l| self.row_size(l, &inner)).sum();
            let columns: usize = num_vars
                .iter()
                .map(|&n| (t + 1).saturating_mul(1 << (n - n.min(b))))
                .sum();
            let paths: usize = num_vars.iter().map(|&n| self.paths_size(n.min(b))).sum();
            rows.saturating_add(columns).saturating_add(paths)
        };
        let b = (0..=max).min_by_key(|&b| size(b)).unwrap_or(0);
        self.shape = MatrixShape::Columns(b as u32);
        self
    }

    /// Sends every proximity row (see [`LigeroParams::commit_rows`]).
    pub fn with_sent_rows(mut self) -> Self {
        self.commit_rows = false;
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
            MatrixShape::Balanced => self.balanced(num_vars)[num_vars].0,
        };
        (a, num_vars - a)
    }

    /// Whether an opening whose rows have `2^b` entries commits its proximity row (and opens it
    /// with the balanced shape) rather than sending it: when [`LigeroParams::commit_rows`] allows
    /// it and the estimate is at most half the row.
    pub fn commits_row(&self, b: usize) -> bool {
        self.row_size(b, &self.balanced(b)) < 1 << b
    }

    /// The parameters an opening's committed proximity rows are committed and opened with: these,
    /// balanced.
    fn inner(&self) -> Self {
        Self {
            shape: MatrixShape::Balanced,
            keep_encoding_max_vars: usize::MAX,
            ..*self
        }
    }

    /// Estimated size in field elements of one level of an opening with `2^a` rows of `2^b`
    /// entries — the row values, `t` columns, the multi-path ([`LigeroParams::paths_size`]) — and
    /// of its proximity row; `inner[k]` is the balanced `(log rows, size)` for `k` variables.
    fn level_size(&self, (a, b): (usize, usize), inner: &[(usize, usize)]) -> usize {
        (self.queries + 1)
            .saturating_mul(1 << a)
            .saturating_add(self.paths_size(b))
            .saturating_add(self.row_size(b, inner))
    }

    /// log2 of the codeword length `2^b/ρ` for rows of `2^b` entries.
    fn log_len(&self, b: usize) -> u32 {
        b as u32 + self.log_inv_rate
    }

    /// Estimated size in field elements of one tree's multi-path for `t` queries into codewords
    /// of `2^b/ρ` entries: about `t·(depth + 1 − log2 t)` digests (the queries share the nodes
    /// above `log2 t`), a digest counted as two elements.
    fn paths_size(&self, b: usize) -> usize {
        let (t, depth) = (self.queries, self.log_len(b) as usize);
        2 * t * (depth + 1).saturating_sub(t.max(1).ilog2() as usize)
    }

    /// The proximity row of `2^b` entries: sent, or committed — the commitment, a sumcheck of `b`
    /// rounds of degree 2, and the row's opening at one point (`inner[b]`) — where that is at
    /// most half as large (a committed row costs the prover a commitment, a sumcheck and an
    /// opening of `b` variables: several milliseconds, worth it for the rows of `2^15` entries
    /// and more where it saves hundreds of KiB, not for the few KiB it saves on short rows).
    fn row_size(&self, b: usize, inner: &[(usize, usize)]) -> usize {
        let sent = 1usize << b;
        match inner.get(b) {
            Some(&(_, opening)) if self.commit_rows && 2 * (3 * b + 4 + opening) <= sent => {
                3 * b + 4 + opening
            }
            _ => sent,
        }
    }

    /// For `k = 0..=n` variables, the balanced shape's `(log rows, estimated opening size)`
    /// ([`LigeroParams::level_size`] minimised over the row count), bottom-up: a committed row
    /// of `2^b` entries is opened with `b < k` variables.
    fn balanced(&self, n: usize) -> Vec<(usize, usize)> {
        let mut best: Vec<(usize, usize)> = Vec::with_capacity(n + 1);
        for k in 0..=n {
            let fewest = if k >= MIN_ROWS_FROM_VARS {
                MIN_LOG_ROWS
            } else {
                0
            };
            let pick = (fewest..=k)
                .map(|a| (a, self.level_size((a, k - a), &best)))
                .min_by_key(|&(_, size)| size)
                .unwrap_or((0, 1));
            best.push(pick);
        }
        best
    }
}

/// `⌈λ / −log2((1+ρ)/2)⌉` with `ρ = 2^-log_inv_rate`.
pub fn queries_for(lambda: u32, log_inv_rate: u32) -> usize {
    let rho = 0.5f64.powi(log_inv_rate as i32);
    (f64::from(lambda) / -((1.0 + rho) / 2.0).log2()).ceil() as usize
}

/// The Ligero scheme over `F`, its column trees hashed with `H` ([`Blake3Columns`] by default,
/// [`crate::merkle::Poseidon2Columns`] for openings a circuit over M61 checks).
#[derive(Clone, Debug)]
pub struct Ligero<F, H = Blake3Columns> {
    params: LigeroParams,
    _field: PhantomData<(F, H)>,
}

/// A Ligero commitment: the Merkle root of the encoded columns, the number of variables and the
/// number of stored rows.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LigeroCommitment<D: NodeDigest = Digest> {
    /// Merkle root over the encoded matrix's columns.
    pub root: D,
    /// Number of variables of the committed polynomial.
    pub num_vars: u32,
    /// Rows stored and hashed (at least one); the rows after them are zero.
    pub rows: u32,
}

/// What the prover keeps: the evaluations, the encoded stored rows (unless they are recomputed
/// at opening, [`LigeroParams::keep_encoding_max_vars`]) and the tree.
#[derive(Clone, Debug)]
pub struct LigeroData<F: KaizenField, H: ColumnHash<F> = Blake3Columns> {
    evals: Vec<F>,
    encoded: Option<Vec<F>>,
    tree: ColumnTree<F, H>,
    num_vars: usize,
    rows: usize,
}

impl<F: KaizenField, H: ColumnHash<F>> LigeroData<F, H> {
    /// The stored rows of the evaluation matrix (rows of `cols` entries).
    fn stored(&self, cols: usize) -> &[F] {
        &self.evals[..self.rows * cols]
    }
}

/// One level of an opening: the opened matrices' row values at the level's column point, and
/// their columns at the level's queries with one multi-path per matrix.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct LevelOpening<F: KaizenField, D: NodeDigest = Digest> {
    /// `⟨M_i[r], eq(z_lo)⟩` for each matrix `i`, then each stored row `r`.
    pub row_values: Vec<F>,
    /// The queried columns, each position once in increasing order: `E_i[r][j]` for each matrix
    /// `i`, then each stored row `r`.
    pub columns: Vec<Vec<F>>,
    /// One multi-path per matrix, for those positions.
    pub paths: Vec<MultiPath<D>>,
}

/// A level's proximity row, committed: its commitment (balanced shape) and the sumcheck that
/// reduces the level's checks on the row to its value at one point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct CommittedRow<F: KaizenField, D: NodeDigest = Digest> {
    /// The row's commitment.
    pub commitment: LigeroCommitment<D>,
    /// `Σ_x ũ(x)·W̃(x)` over the row's variables (module docs).
    pub reduction: SumcheckProof<F>,
}

/// A Ligero opening proof: level 0 opens the committed polynomials, level `k + 1` the proximity
/// row committed at level `k`; the last level's proximity row is sent.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct LigeroProof<F: KaizenField, D: NodeDigest = Digest> {
    /// The levels, in order.
    pub levels: Vec<LevelOpening<F, D>>,
    /// The proximity row of every level but the last, committed.
    pub committed_rows: Vec<CommittedRow<F, D>>,
    /// The last level's proximity row `u`.
    pub proximity: Vec<F>,
}

/// The commitment of `Ligero<F, H>`.
type CommitmentOf<F, H> = LigeroCommitment<<H as ColumnHash<F>>::Digest>;
/// A multi-path of `Ligero<F, H>`'s trees.
type PathOf<F, H> = MultiPath<<H as ColumnHash<F>>::Digest>;
/// The opening proof of `Ligero<F, H>`.
type ProofOf<F, H> = LigeroProof<F, <H as ColumnHash<F>>::Digest>;
/// Opened columns and one multi-path per tree.
type OpenedWithPaths<F, H> = (Vec<Vec<F>>, Vec<PathOf<F, H>>);
/// A batch's reduction sumcheck and its openings.
type ReducedOpenings<F, H> = (SumcheckProof<F>, Vec<ProofOf<F, H>>);

impl<F: KaizenField, H: ColumnHash<F>> Ligero<F, H> {
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
        Ok(Radix2Domain::new(self.params.log_len(log_cols))?)
    }

    /// Opens the committed polynomials at the column point `z_lo`, the `i`-th under the row
    /// weights `row_weights[i]` (`eq(z_hi, ·)` for an opening at `(z_lo, z_hi)`): their values
    /// `Σ_r w_r·M̃_r(z_lo)` and one proof. `absorbed` stands for the opening's public inputs in the
    /// transcript (the point, or what determines the weights).
    fn open_rows<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F, H>],
        z_lo: &[F],
        row_weights: &[&[F]],
        absorbed: &[F],
        transcript: &mut T,
    ) -> Result<(Vec<F>, ProofOf<F, H>), PcsError> {
        for d in data {
            Self::absorb_commitment(&Self::commitment(d), transcript);
        }
        transcript.absorb_fields(b"ligero/point", absorbed);
        let mut proof = LigeroProof {
            levels: Vec::new(),
            committed_rows: Vec::new(),
            proximity: Vec::new(),
        };
        let values = self.open_level(data, z_lo, row_weights, &mut proof, transcript)?;
        Ok((values, proof))
    }

    /// One level of an opening (module docs), appended to `proof`: the matrices' row values at
    /// `z_lo`, the proximity row (sent, or committed), the queried columns; for a committed row,
    /// the sumcheck to its value at `ζ` and the next level, which opens it there. Returns the
    /// matrices' values under `row_weights`.
    fn open_level<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F, H>],
        z_lo: &[F],
        row_weights: &[&[F]],
        proof: &mut ProofOf<F, H>,
        transcript: &mut T,
    ) -> Result<Vec<F>, PcsError> {
        let (b, cols) = (z_lo.len(), 1usize << z_lo.len());
        let stored: Vec<usize> = data.iter().map(|d| d.rows).collect();
        let commits_row = self.params.commits_row(b);
        let _span =
            debug_span!("level", b, rows = stored.iter().sum::<usize>(), commits_row).entered();
        let eq_lo = eq_table(z_lo);
        let read = read_rows(&stored, row_weights);
        let row_values: Vec<F> = debug_span!("row_values").in_scope(|| {
            data.iter()
                .zip(&read)
                .flat_map(|(d, rows)| {
                    let matrix = d.stored(cols);
                    rows.par_iter()
                        .map(|&r| inner_product(&matrix[r * cols..(r + 1) * cols], &eq_lo))
                        .collect::<Vec<F>>()
                })
                .collect()
        });
        let values = read_values(&row_values, &read, row_weights);
        transcript.absorb_fields(b"ligero/row-values", &row_values);
        let gammas = transcript.challenges(b"ligero/gamma", row_values.len());
        let own = inner_product(&gammas, &row_values);
        let gammas = spread(&gammas, &read, &stored);
        let u = debug_span!("proximity_row").in_scope(|| {
            let mut u = vec![F::ZERO; cols];
            for (d, gamma) in data.iter().zip(split_by(&gammas, &stored)) {
                add_scaled(&mut u, &combine_rows(d.stored(cols), cols, gamma), F::ONE);
            }
            u
        });
        let inner = Ligero::<F, H>::new(self.params.inner());
        let committed = match commits_row {
            true => {
                let (commitment, data) = debug_span!("commit_row").in_scope(|| inner.commit(&u))?;
                Self::absorb_commitment(&commitment, transcript);
                Some((commitment, data))
            }
            false => {
                transcript.absorb_fields(b"ligero/proximity", &u);
                None
            }
        };
        let len = cols << self.params.log_inv_rate;
        let queries = transcript.squeeze_indices(b"ligero/queries", self.params.queries, len);
        let positions = positions(&queries);
        let (columns, paths) =
            debug_span!("columns").in_scope(|| self.open_columns(data, &positions, len))?;
        let combined = combined(&queries, &positions, &columns, &gammas);
        proof.levels.push(LevelOpening {
            row_values,
            columns,
            paths,
        });
        let Some((commitment, row_data)) = committed else {
            proof.proximity = u;
            return Ok(values);
        };
        transcript.absorb_fields(b"ligero/combined", &combined);
        let coeffs = query_coeffs(self.params.queries, transcript);
        let sum = own + inner_product(&coeffs, &combined);
        let reduce_span = debug_span!("row_reduction").entered();
        let mut weight = self.query_weights(b, &queries, &coeffs)?;
        add_scaled(&mut weight, &eq_lo, F::ONE);
        let instance = ProductSum::new(SumcheckShape::product(b, 2), vec![u, weight])?;
        let (reduction, claims) = kaizen_sumcheck::prove_single(instance, sum, transcript)?;
        drop(reduce_span);
        let row_claim = claims
            .first()
            .ok_or_else(|| PcsError::ProofShape("a row reduction without its claim".into()))?;
        proof.committed_rows.push(CommittedRow {
            commitment,
            reduction,
        });
        let (lo, hi) = row_claim.point.split_at(inner.params.split(b).1);
        inner.open_level(&[&row_data], lo, &[&eq_table(hi)], proof, transcript)?;
        Ok(values)
    }

    /// `(Σ_q c_q·ω^{j_q·k})_{k < 2^b}` for the queries `j_q` into codewords of `L = 2^b/ρ`
    /// entries: with `j = m + (L/2^b)·a`, the sum over the queries of each residue `m` is an FFT
    /// of size `2^b` (the queries' coefficients at `a`), times `ω^{m·k}` — `1/ρ` FFTs, in
    /// parallel, instead of one of size `L`; each of about `t·ρ` non-zero inputs, so sparse
    /// ([`Radix2Domain::fft_sparse`]).
    fn query_weights(&self, b: usize, queries: &[usize], coeffs: &[F]) -> Result<Vec<F>, PcsError> {
        let (cols, stride) = (1usize << b, 1usize << self.params.log_inv_rate);
        let (small, large) = (Radix2Domain::<F>::new(b as u32)?, self.domain(b)?);
        let parts: Vec<Vec<F>> = (0..stride)
            .into_par_iter()
            .map(|m| {
                let entries: Vec<(usize, F)> = queries
                    .iter()
                    .zip(coeffs)
                    .filter(|(&j, _)| j % stride == m)
                    .map(|(&j, &c)| (j / stride, c))
                    .collect();
                let mut part = small.fft_sparse(&entries);
                if m > 0 {
                    part.iter_mut()
                        .enumerate()
                        .for_each(|(k, x)| *x *= large.element(m * k));
                }
                part
            })
            .collect();
        let mut parts = parts.into_iter();
        let mut weight = parts.next().unwrap_or_else(|| vec![F::ZERO; cols]);
        for part in parts {
            add_scaled(&mut weight, &part, F::ONE);
        }
        Ok(weight)
    }

    /// The columns at `positions` (increasing; codewords of `len` entries), every polynomial's
    /// in turn, and each polynomial's multi-path for them: read from the kept encoding or
    /// re-encoded (with the columns of every queried column's tree group, which the path is
    /// rebuilt from).
    fn open_columns(
        &self,
        data: &[&LigeroData<F, H>],
        positions: &[usize],
        len: usize,
    ) -> Result<OpenedWithPaths<F, H>, PcsError> {
        let opened = data
            .iter()
            .map(|d| {
                let mut needed: Vec<usize> =
                    positions.iter().flat_map(|&j| d.tree.group_of(j)).collect();
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
        let columns = positions
            .par_iter()
            .map(|&j| opened.iter().flat_map(|c| c.column(j)).collect())
            .collect();
        let paths = data
            .par_iter()
            .zip(&opened)
            .map(|(d, c)| d.tree.open_many(positions, |k| c.column(k)))
            .collect();
        Ok((columns, paths))
    }

    /// Checks an [`Ligero::open_rows`] proof: the committed polynomials' row combinations under
    /// `row_weights` (one vector per polynomial) take `values` at the column point `z_lo`.
    #[allow(clippy::too_many_arguments)]
    fn verify_rows<T: Transcript<F>>(
        &self,
        commitments: &[&CommitmentOf<F, H>],
        z_lo: &[F],
        row_weights: &[&[F]],
        absorbed: &[F],
        values: &[F],
        proof: &ProofOf<F, H>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        for c in commitments {
            Self::absorb_commitment(c, transcript);
        }
        transcript.absorb_fields(b"ligero/point", absorbed);
        self.verify_level(0, commitments, z_lo, row_weights, values, proof, transcript)
    }

    /// Checks level `level` of `proof` ([`Ligero::open_level`]) and the levels after it.
    #[allow(clippy::too_many_arguments)]
    fn verify_level<T: Transcript<F>>(
        &self,
        level: usize,
        commitments: &[&CommitmentOf<F, H>],
        z_lo: &[F],
        row_weights: &[&[F]],
        values: &[F],
        proof: &ProofOf<F, H>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        let (b, cols) = (z_lo.len(), 1usize << z_lo.len());
        if row_weights.len() != commitments.len() || values.len() != commitments.len() {
            return Err(PcsError::ProofShape(format!(
                "{} row weightings and {} values for {} commitments",
                row_weights.len(),
                values.len(),
                commitments.len()
            )));
        }
        for (c, w) in commitments.iter().zip(row_weights) {
            let n = c.num_vars as usize;
            if n > self.params.max_num_vars || self.params.split(n).1 != b {
                return Err(PcsError::CommitmentShape(
                    "rows of another length than the opening's",
                ));
            }
            if c.rows == 0 || c.rows as usize > w.len() {
                return Err(PcsError::ProofShape(format!(
                    "a commitment stores {} of {} rows",
                    c.rows,
                    w.len()
                )));
            }
        }
        let opened = proof
            .levels
            .get(level)
            .ok_or_else(|| PcsError::ProofShape(format!("level {level} missing")))?;
        let stored: Vec<usize> = commitments.iter().map(|c| c.rows as usize).collect();
        let column_len: usize = stored.iter().sum();
        let read = read_rows(&stored, row_weights);
        let read_len: usize = read.iter().map(Vec::len).sum();
        if opened.row_values.len() != read_len {
            return Err(PcsError::ProofShape(format!(
                "level {level}: {} row values for {read_len} rows read",
                opened.row_values.len()
            )));
        }
        if read_values(&opened.row_values, &read, row_weights) != values {
            return Err(PcsError::Evaluation);
        }
        transcript.absorb_fields(b"ligero/row-values", &opened.row_values);
        let gammas = transcript.challenges(b"ligero/gamma", read_len);
        let own = inner_product(&gammas, &opened.row_values);
        let gammas = spread(&gammas, &read, &stored);
        let committed = match self.params.commits_row(b) {
            true => {
                let row = proof.committed_rows.get(level).ok_or_else(|| {
                    PcsError::ProofShape(format!("level {level}: committed row missing"))
                })?;
                if row.commitment.num_vars as usize != b {
                    return Err(PcsError::CommitmentShape(
                        "a committed row of another length",
                    ));
                }
                Self::absorb_commitment(&row.commitment, transcript);
                Some(row)
            }
            false => {
                if proof.levels.len() != level + 1 || proof.committed_rows.len() != level {
                    return Err(PcsError::ProofShape(format!(
                        "{} levels and {} committed rows, expected {} and {level}",
                        proof.levels.len(),
                        proof.committed_rows.len(),
                        level + 1
                    )));
                }
                if proof.proximity.len() != cols {
                    return Err(PcsError::ProofShape(format!(
                        "proximity row u must have {cols} entries"
                    )));
                }
                if inner_product(&proof.proximity, &eq_table(z_lo)) != own {
                    return Err(PcsError::Consistency);
                }
                transcript.absorb_fields(b"ligero/proximity", &proof.proximity);
                None
            }
        };
        let len = cols << self.params.log_inv_rate;
        let depth = len.trailing_zeros() as usize;
        let queries = transcript.squeeze_indices(b"ligero/queries", self.params.queries, len);
        let positions = positions(&queries);
        if opened.columns.len() != positions.len()
            || opened.columns.iter().any(|c| c.len() != column_len)
            || opened.paths.len() != commitments.len()
        {
            return Err(PcsError::ProofShape(format!(
                "level {level}: {} columns and {} paths, expected {} columns of {column_len} and {}",
                opened.columns.len(),
                opened.paths.len(),
                positions.len(),
                commitments.len()
            )));
        }
        // The codeword's points: all of them to encode a sent row, or the queried ones alone.
        let domain = committed.is_none().then(|| self.domain(b)).transpose()?;
        // Each matrix's multi-path (in parallel; the first failure in matrix order is reported),
        // then every query's combination `Σ γ_{i,r}·E_i[r][j]`.
        let check = |i: usize, c: &CommitmentOf<F, H>, path: &PathOf<F, H>| {
            let offset: usize = stored[..i].iter().sum();
            let columns: Vec<&[F]> = opened
                .columns
                .iter()
                .map(|column| &column[offset..offset + stored[i]])
                .collect();
            match path.verify::<F, H>(&c.root, &positions, &columns, depth) {
                true => Ok(()),
                false => Err(PcsError::MerklePath { poly: i }),
            }
        };
        let (paths, encoded) = rayon::join(
            || {
                commitments
                    .par_iter()
                    .zip(&opened.paths)
                    .enumerate()
                    .map(|(i, (c, path))| check(i, c, path))
                    .collect::<Vec<Result<(), PcsError>>>()
                    .into_iter()
                    .collect::<Result<(), PcsError>>()
            },
            || domain.as_ref().map(|d| d.encode(&proof.proximity)),
        );
        paths?;
        let combined = combined(&queries, &positions, &opened.columns, &gammas);
        let Some(row) = committed else {
            let encoded = encoded.unwrap_or_default();
            return match queries
                .iter()
                .zip(&combined)
                .position(|(&j, &c)| encoded.get(j) != Some(&c))
            {
                Some(query) => Err(PcsError::Proximity { query }),
                None => Ok(()),
            };
        };
        transcript.absorb_fields(b"ligero/combined", &combined);
        let coeffs = query_coeffs(self.params.queries, transcript);
        let sum = own + inner_product(&coeffs, &combined);
        let shape = SumcheckShape::product(b, 2);
        let claims = kaizen_sumcheck::verify_single(&shape, sum, &row.reduction, transcript)?;
        let [row_claim, weight_claim] = &claims[..] else {
            return Err(PcsError::ProofShape("a row reduction's claims".into()));
        };
        let zeta = &row_claim.point;
        let omega = root_of_unity::<F>(self.params.log_len(b))?;
        let weight = eq_eval(z_lo, zeta).unwrap_or(F::ZERO)
            + queries
                .iter()
                .zip(&coeffs)
                .map(|(&j, &c)| c * powers_at(zeta, omega.pow([j as u64])))
                .sum::<F>();
        if weight_claim.value != weight {
            return Err(PcsError::Consistency);
        }
        let inner = Ligero::<F, H>::new(self.params.inner());
        let (lo, hi) = zeta.split_at(inner.params.split(b).1);
        if lo.len() >= b {
            return Err(PcsError::CommitmentShape(
                "a committed row that is not shorter",
            ));
        }
        inner.verify_level(
            level + 1,
            &[&row.commitment],
            lo,
            &[&eq_table(hi)],
            &[row_claim.value],
            proof,
            transcript,
        )
    }

    /// The encodings of the rows of `evals` (rows of `2^log_cols` entries).
    fn encode_matrix(&self, evals: &[F], log_cols: usize) -> Result<Vec<F>, PcsError> {
        let domain = self.domain(log_cols)?;
        let (len, cols) = (domain.size(), 1 << log_cols);
        let rows = evals.len().div_ceil(cols);
        let mut encoded = vec![F::ZERO; len * rows];
        // A batch per task, but every thread a task when there are few rows.
        let task = rows_per_task::<F>(len)
            .min(rows.div_ceil(rayon::current_num_threads()))
            .max(1);
        encoded
            .par_chunks_mut(task * len)
            .zip(evals.par_chunks(task * cols))
            .for_each(|(out, rows)| domain.encode_rows(rows, cols, out));
        Ok(encoded)
    }

    /// `E[r][j]` for every stored row `r` and each queried column `j` (row-major, `rows × |js|`),
    /// re-encoding a task's rows at a time ([`rows_per_task`]): the encoded matrix is never held
    /// whole.
    fn encoded_columns(&self, data: &LigeroData<F, H>, js: &[usize]) -> Result<Vec<F>, PcsError> {
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
    fn tree(encoded: &[F], rows: usize, len: usize) -> ColumnTree<F, H> {
        ColumnTree::new(encoded, rows, len)
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

/// The rows an opening reads of each matrix (`stored` rows, weighted by `row_weights`): those of
/// nonzero weight. The opened values `Σ_r w_r·h_r` depend on no other row, so the row values,
/// the proximity row and the column checks cover these alone (a dataset's batch reads a few of
/// its rows).
fn read_rows<F: KaizenField>(stored: &[usize], row_weights: &[&[F]]) -> Vec<Vec<usize>> {
    stored
        .iter()
        .zip(row_weights)
        .map(|(&n, w)| {
            (0..n)
                .filter(|&r| w.get(r).is_some_and(|x| !x.is_zero()))
                .collect()
        })
        .collect()
}

/// Each matrix's value `Σ_r w_r·h_r` from the row values `h` of the rows read ([`read_rows`],
/// matrix after matrix).
fn read_values<F: KaizenField>(
    row_values: &[F],
    read: &[Vec<usize>],
    row_weights: &[&[F]],
) -> Vec<F> {
    let lens: Vec<usize> = read.iter().map(Vec::len).collect();
    split_by(row_values, &lens)
        .zip(read)
        .zip(row_weights)
        .map(|((h, rows), w)| rows.iter().zip(h).map(|(&r, &h)| w[r] * h).sum())
        .collect()
}

/// The challenges `γ` of the rows read ([`read_rows`]), matrix after matrix, spread over every
/// stored row (zero on the others): the coefficients of each column's combination.
fn spread<F: KaizenField>(gammas: &[F], read: &[Vec<usize>], stored: &[usize]) -> Vec<F> {
    let mut out = vec![F::ZERO; stored.iter().sum()];
    let mut gammas = gammas.iter();
    let mut offset = 0;
    for (rows, &n) in read.iter().zip(stored) {
        for (&r, &g) in rows.iter().zip(gammas.by_ref()) {
            out[offset + r] = g;
        }
        offset += n;
    }
    out
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

/// The distinct query positions, increasing: the columns a level opens.
fn positions(queries: &[usize]) -> Vec<usize> {
    let mut positions = queries.to_vec();
    positions.sort_unstable();
    positions.dedup();
    positions
}

/// Each query's column combination `Σ γ_{i,r}·E_i[r][j]`, from the columns at `positions`.
fn combined<F: KaizenField>(
    queries: &[usize],
    positions: &[usize],
    columns: &[Vec<F>],
    gammas: &[F],
) -> Vec<F> {
    let at_positions: Vec<F> = columns.iter().map(|c| inner_product(gammas, c)).collect();
    queries
        .iter()
        .map(|j| {
            positions
                .binary_search(j)
                .map_or(F::ZERO, |k| at_positions[k])
        })
        .collect()
}

/// The weights `α, α^2, …, α^t` of a level's query checks on its committed row, `α` drawn here.
fn query_coeffs<F: KaizenField, T: Transcript<F>>(t: usize, transcript: &mut T) -> Vec<F> {
    let alpha = transcript.challenge(b"ligero/alpha");
    std::iter::successors(Some(alpha), |p| Some(*p * alpha))
        .take(t)
        .collect()
}

/// The multilinear extension of `k ↦ x^k` at `ζ`: `Π_i (1 − ζ_i + ζ_i·x^{2^i})` (bit `i` of `k`
/// is variable `i`).
fn powers_at<F: KaizenField>(zeta: &[F], x: F) -> F {
    let mut power = x;
    zeta.iter().fold(F::ONE, |acc, &z| {
        let term = F::ONE - z + z * power;
        power = power.square();
        acc * term
    })
}

/// `xs` cut into consecutive pieces of `lens[i]` entries.
fn split_by<'a, F>(mut xs: &'a [F], lens: &'a [usize]) -> impl Iterator<Item = &'a [F]> + 'a {
    lens.iter().map(move |&l| {
        let (head, tail) = xs.split_at(l.min(xs.len()));
        xs = tail;
        head
    })
}

impl<F: KaizenField, H: ColumnHash<F>> MultilinearPcs<F> for Ligero<F, H> {
    type Commitment = CommitmentOf<F, H>;
    type ProverData = LigeroData<F, H>;
    type Proof = ProofOf<F, H>;

    fn max_num_vars(&self) -> usize {
        self.params.max_num_vars
    }

    fn commit(&self, evals: &[F]) -> Result<(CommitmentOf<F, H>, LigeroData<F, H>), PcsError> {
        self.commit_owned(evals.to_vec())
    }

    fn commit_owned(
        &self,
        evals: Vec<F>,
    ) -> Result<(CommitmentOf<F, H>, LigeroData<F, H>), PcsError> {
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

    fn commitment(data: &LigeroData<F, H>) -> CommitmentOf<F, H> {
        LigeroCommitment {
            root: data.tree.root(),
            num_vars: data.num_vars as u32,
            rows: data.rows as u32,
        }
    }

    fn evals(data: &LigeroData<F, H>) -> &[F] {
        &data.evals
    }

    fn num_vars(commitment: &CommitmentOf<F, H>) -> usize {
        commitment.num_vars as usize
    }

    fn open<T: Transcript<F>>(
        &self,
        data: &[&LigeroData<F, H>],
        point: &[F],
        transcript: &mut T,
    ) -> Result<(Vec<F>, ProofOf<F, H>), PcsError> {
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
        commitments: &[&CommitmentOf<F, H>],
        point: &[F],
        values: &[F],
        proof: &ProofOf<F, H>,
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
        data: &LigeroData<F, H>,
        claims: &[Claim<F>],
        transcript: &mut T,
    ) -> Result<MultiPointProof<F, ProofOf<F, H>>, PcsError> {
        let (reduction, mut openings) = self.open_batch(&[data], &[claims], transcript)?;
        let opening = openings.pop().ok_or(PcsError::EmptyBatch)?;
        Ok(MultiPointProof { reduction, opening })
    }

    fn verify_points<T: Transcript<F>>(
        &self,
        commitment: &CommitmentOf<F, H>,
        claims: &[Claim<F>],
        proof: &MultiPointProof<F, ProofOf<F, H>>,
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
        data: &[&LigeroData<F, H>],
        claims: &[&[Claim<F>]],
        transcript: &mut T,
    ) -> Result<BatchOpeningProof<F, ProofOf<F, H>>, PcsError> {
        let (reduction, openings) = self.open_batch(data, claims, transcript)?;
        Ok(BatchOpeningProof {
            reduction,
            openings,
        })
    }

    fn verify_points_batch<T: Transcript<F>>(
        &self,
        commitments: &[&CommitmentOf<F, H>],
        claims: &[&[Claim<F>]],
        proof: &BatchOpeningProof<F, ProofOf<F, H>>,
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

impl<F: KaizenField, H: ColumnHash<F>> Ligero<F, H> {
    /// Absorbs each commitment and states its reduction, in order: over a few claimed rows when
    /// the claims lie on at most a quarter of them, else the multi-point reduction over at least
    /// the column variables (so the batch leaves every polynomial with rows of `2^b` entries at
    /// one column point).
    fn reductions<T: Transcript<F>>(
        &self,
        commitments: &[CommitmentOf<F, H>],
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
        commitments: &[CommitmentOf<F, H>],
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
        data: &[&LigeroData<F, H>],
        claims: &[&[Claim<F>]],
        transcript: &mut T,
    ) -> Result<ReducedOpenings<F, H>, PcsError> {
        let commitments: Vec<_> = data.iter().map(|d| Self::commitment(d)).collect();
        let reductions = self.reductions(&commitments, claims, transcript)?;
        let provers_span = debug_span!("reduction_provers").entered();
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
                    let _span = debug_span!("weights", vars = d.num_vars).entered();
                    instances.push(Box::new(s.prover(&d.evals)?));
                    sums.push(s.sum());
                }
            }
        }
        drop(provers_span);
        let (reduction, batch) = debug_span!("reduction_sumcheck")
            .in_scope(|| kaizen_sumcheck::prove(&mut instances, &sums, transcript))?;
        drop(instances);
        let row_claims = self.row_claims(&commitments, &reductions, &batch, transcript)?;
        let groups = Self::groups(&row_claims)?;
        let openings = side_by_side(&groups, transcript, |group, t| {
            let (absorbed, _) = Self::group_input(&row_claims, group);
            let members: Vec<&LigeroData<F, H>> = group.iter().map(|&i| data[i]).collect();
            let weights: Vec<&[F]> = group.iter().map(|&i| &row_claims[i].weights[..]).collect();
            let z_lo = &row_claims[group[0]].z_lo;
            Ok(self.open_rows(&members, z_lo, &weights, &absorbed, t)?.1)
        })?;
        Ok((reduction, openings))
    }

    /// [`MultilinearPcs::verify_points_batch`].
    fn verify_batch<T: Transcript<F>>(
        &self,
        commitments: &[&CommitmentOf<F, H>],
        claims: &[&[Claim<F>]],
        reduction: &SumcheckProof<F>,
        openings: &[ProofOf<F, H>],
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        let owned: Vec<CommitmentOf<F, H>> = commitments.iter().map(|&c| c.clone()).collect();
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
            let members: Vec<&CommitmentOf<F, H>> = group.iter().map(|&i| commitments[i]).collect();
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
    let parent = Span::current();
    let done = items
        .par_iter()
        .zip(forks)
        .enumerate()
        .map(|(group, (item, mut t))| {
            let _span = debug_span!(parent: &parent, "group", group).entered();
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

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField, D: NodeDigest] LevelOpening<F, D> {
    row_values: vec,
    columns: vec2,
    paths: vec,
});
kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField, D: NodeDigest] CommittedRow<F, D> {
    commitment: one,
    reduction: one,
});
kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField, D: NodeDigest] LigeroProof<F, D> {
    levels: vec,
    committed_rows: vec,
    proximity: vec,
});

#[cfg(test)]
mod tests {
    use super::*;
    use kaizen_field::{serialize::to_bytes, AdditiveGroup, Blake3Transcript, Field, M61Ext2};

    type F = M61Ext2;

    #[test]
    fn query_count_matches_design() {
        assert_eq!(queries_for(100, 2), 148);
        assert_eq!(LigeroParams::new(20, MatrixShape::Square).queries, 148);
        assert!(queries_for(128, 2) > 148);
        assert!(queries_for(100, 1) > 148);
    }

    /// The balanced shape minimises the estimated opening (with committed rows where they are
    /// smaller; at least 64 rows from 2^16 entries on), is smaller than square at large sizes, and
    /// commits every row from some 2^11–2^14 entries on; with rows sent, it minimises `(t + 1)·2^a + 2^b` plus
    /// the paths.
    #[test]
    fn balanced_shape_minimises_the_proof() {
        for p in [
            LigeroParams::new(30, MatrixShape::Balanced),
            LigeroParams::new(30, MatrixShape::Balanced).with_sent_rows(),
        ] {
            let best = p.balanced(27);
            for n in [0, 1, 8, 16, 20, 24, 27] {
                let (a, b) = p.split(n);
                assert_eq!(a + b, n);
                let size = |a: usize| p.level_size((a, n - a), &best[..n]);
                assert_eq!(size(a), best[n].1);
                let fewest = if n >= MIN_ROWS_FROM_VARS {
                    MIN_LOG_ROWS
                } else {
                    0
                };
                assert!(a >= fewest);
                assert!((fewest..=n).all(|other| size(a) <= size(other)));
            }
            let square = LigeroParams::new(30, MatrixShape::Square).split(24);
            assert!(4 * best[24].1 < p.level_size(square, &best[..24]));
        }
        let p = LigeroParams::new(30, MatrixShape::Balanced);
        let from = (0..28).find(|&b| p.commits_row(b)).unwrap();
        assert!(
            (11..=14).contains(&from),
            "rows committed from 2^{from} entries"
        );
        assert!((from..28).all(|b| p.commits_row(b)));
        assert!(!p.with_sent_rows().commits_row(20));
        assert_eq!(p.with_sent_rows().split(24), (8, 16));
        assert!(p.balanced(24)[24].1 * 16 < 1 << 20);
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
        assert!((12..=16).contains(&b), "b = {b}");
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
        assert!(proof.levels[0].columns.iter().all(|c| c.len() == 21));
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
    /// hashing) is caught by the column checks: against the sent proximity row (2^12, square),
    /// or, the row committed (2^20, balanced), by the sumcheck over the row's query checks.
    #[test]
    fn non_codeword_is_rejected() {
        for (n, shape) in [(12, MatrixShape::Square), (20, MatrixShape::Balanced)] {
            let pcs = Ligero::<F>::new(LigeroParams::new(n, shape));
            assert_eq!(pcs.params().commits_row(pcs.params().split(n).1), n == 20);
            let (commitment, data, _) = commit_with_bad_row_3(&pcs, n);
            let point: Vec<F> = (0..n as u64).map(|i| F::from(i + 3)).collect();
            let t = || Blake3Transcript::new(b"t");
            let (values, proof) = pcs.open(&[&data], &point, &mut t()).unwrap();
            let r = pcs.verify(&[&commitment], &point, &values, &proof, &mut t());
            assert!(
                matches!(r, Err(PcsError::Proximity { .. } | PcsError::Sumcheck(_))),
                "2^{n}: {r:?}"
            );
        }
    }

    /// A commitment to `(i² + 1)_i` (`n` variables) whose row 3 is not a codeword (every tenth
    /// encoded entry changed before hashing), and the evaluations.
    fn commit_with_bad_row_3(
        pcs: &Ligero<F>,
        n: usize,
    ) -> (LigeroCommitment, LigeroData<F>, Vec<F>) {
        let evals: Vec<F> = (0..1u64 << n).map(|i| F::from(i * i + 1)).collect();
        let (_, mut data) = pcs.commit(&evals).unwrap();
        let (log_rows, log_cols) = pcs.params().split(n);
        let len = 1usize << (log_cols + 2);
        let encoded = data.encoded.as_mut().unwrap();
        for j in (0..len).step_by(10) {
            encoded[3 * len + j] += F::from(7u64);
        }
        data.tree = Ligero::<F>::tree(encoded, 1 << log_rows, len);
        (Ligero::<F>::commitment(&data), data, evals)
    }

    /// Claims on a few rows read those rows alone (their values, the proximity row and the
    /// column checks): a row that is not a codeword goes unnoticed unless it is read, and is
    /// caught when it is.
    #[test]
    fn claims_on_a_few_rows_read_those_rows_alone() {
        let n = 12;
        let pcs = Ligero::<F>::new(LigeroParams::new(n, MatrixShape::Square));
        let (commitment, data, evals) = commit_with_bad_row_3(&pcs, n);
        let (log_rows, log_cols) = pcs.params().split(n);
        let mle = kaizen_field::MultilinearPoly::new(evals).unwrap();
        let claims_on = |rows: &[usize]| -> Vec<Claim<F>> {
            rows.iter()
                .enumerate()
                .map(|(k, &row)| {
                    let mut point: Vec<F> = (0..log_cols as u64)
                        .map(|i| F::from(5 * i + k as u64 + 2))
                        .collect();
                    point.extend(kaizen_field::mle::index_bits::<F>(row, log_rows));
                    let value = mle.evaluate(&point).unwrap();
                    Claim { point, value }
                })
                .collect()
        };
        let t = || Blake3Transcript::new(b"rows");
        let claims = claims_on(&[5, 9]);
        let proof = pcs.open_points(&data, &claims, &mut t()).unwrap();
        assert_eq!(proof.opening.levels[0].row_values.len(), 2);
        pcs.verify_points(&commitment, &claims, &proof, &mut t())
            .unwrap();
        // A row value changed, or one more row value: rejected.
        let mut bad = proof.clone();
        bad.opening.levels[0].row_values[1] += F::ONE;
        assert!(pcs
            .verify_points(&commitment, &claims, &bad, &mut t())
            .is_err());
        let mut bad = proof.clone();
        bad.opening.levels[0].row_values.push(F::ONE);
        assert!(matches!(
            pcs.verify_points(&commitment, &claims, &bad, &mut t()),
            Err(PcsError::ProofShape(_))
        ));
        // An unread row's column entry is still authenticated.
        let mut bad = proof.clone();
        bad.opening.levels[0].columns[0][0] += F::ONE;
        assert!(matches!(
            pcs.verify_points(&commitment, &claims, &bad, &mut t()),
            Err(PcsError::MerklePath { .. })
        ));
        // Reading the corrupted row.
        let claims = claims_on(&[3, 9]);
        let proof = pcs.open_points(&data, &claims, &mut t()).unwrap();
        assert!(matches!(
            pcs.verify_points(&commitment, &claims, &proof, &mut t()),
            Err(PcsError::Proximity { .. })
        ));
    }

    /// An opening whose proximity row is committed and opened in turn: verifies, is near its
    /// estimate and smaller than the sent-row opening, round-trips through bytes; every part
    /// of the deeper levels is checked.
    #[test]
    fn committed_rows_are_opened_in_turn() {
        let n = 20;
        let params = LigeroParams::new(n, MatrixShape::Balanced);
        let pcs = Ligero::<F>::new(params);
        let evals: Vec<F> = (0..1u64 << n)
            .map(|i| F::new((i * i + 7).into(), (i % 5).into()))
            .collect();
        let point: Vec<F> = (0..n as u64).map(|i| F::from(9 * i + 4)).collect();
        let t = || Blake3Transcript::new(b"levels");
        let (c, d) = pcs.commit(&evals).unwrap();
        let (values, proof) = pcs.open(&[&d], &point, &mut t()).unwrap();
        let mle = kaizen_field::MultilinearPoly::new(evals.clone()).unwrap();
        assert_eq!(values[0], mle.evaluate(&point).unwrap());
        assert!(proof.levels.len() >= 2);
        assert_eq!(proof.committed_rows.len(), proof.levels.len() - 1);
        let check = |p: &LigeroProof<F>| pcs.verify(&[&c], &point, &values, p, &mut t());
        check(&proof).unwrap();

        let bytes = to_bytes(&proof);
        let estimate = params.balanced(n)[n].1 * 16;
        assert!(4 * bytes.len() < 5 * estimate && 4 * estimate < 5 * bytes.len());
        let sent = Ligero::<F>::new(params.with_sent_rows());
        let (sent_c, sent_d) = sent.commit(&evals).unwrap();
        let (_, sent_proof) = sent.open(&[&sent_d], &point, &mut t()).unwrap();
        assert!(bytes.len() < to_bytes(&sent_proof).len());
        assert!(pcs
            .verify(&[&sent_c], &point, &values, &sent_proof, &mut t())
            .is_err());
        let read = LigeroProof::<F>::deserialize_compressed(&bytes[..]).unwrap();
        assert_eq!(read, proof);
        assert!(LigeroProof::<F>::deserialize_compressed(&bytes[..bytes.len() - 9]).is_err());

        let mut bad = proof.clone();
        bad.committed_rows[0].commitment.root[0] ^= 1;
        assert!(check(&bad).is_err());
        let mut bad = proof.clone();
        bad.committed_rows[0].commitment.num_vars -= 1;
        assert!(matches!(check(&bad), Err(PcsError::CommitmentShape(_))));
        let mut bad = proof.clone();
        bad.committed_rows[0].reduction.rounds[3].evals[1] += F::ONE;
        assert!(matches!(check(&bad), Err(PcsError::Sumcheck(_))));
        // The row's and the weight's final values rescaled: the sumcheck holds, the weight does not.
        let mut bad = proof.clone();
        let finals = &mut bad.committed_rows[0].reduction.final_evals[0];
        let two = F::from(2u64);
        finals[0] *= two;
        finals[1] *= two.inverse().unwrap();
        assert!(matches!(check(&bad), Err(PcsError::Consistency)));
        let mut bad = proof.clone();
        bad.levels[1].row_values[0] += F::ONE;
        assert!(matches!(check(&bad), Err(PcsError::Evaluation)));
        let mut bad = proof.clone();
        bad.levels[1].columns[7][0] += F::ONE;
        assert!(matches!(check(&bad), Err(PcsError::MerklePath { poly: 0 })));
        let mut bad = proof.clone();
        bad.proximity[0] += F::ONE;
        assert!(check(&bad).is_err());
        let mut bad = proof.clone();
        bad.levels.pop();
        assert!(matches!(check(&bad), Err(PcsError::ProofShape(_))));
        let mut bad = proof.clone();
        bad.committed_rows.pop();
        assert!(matches!(check(&bad), Err(PcsError::ProofShape(_))));
    }
}
