//! The proof of one training step (PoGD, DESIGN §3) for sequential models of dense, conv, ReLU,
//! max/avg-pool and flatten layers: every relation of [`crate::model::Model::step`] — batch and
//! labels from the committed dataset, dense and conv forward with range-checked rescaling, ReLU with
//! constrained sign bits, pooling (window maxima with one-hot selectors; window sums divided with
//! remainder), the loss gradient (MSE, or softmax
//! cross-entropy through the exp table), backward `dx`/`dW`/`db`, and the update to exactly the
//! committed next model — reduced to claims on the statement's three commitments and the step
//! commitment's parts, with one opening each.
//!
//! # Commitments (one opening each per step)
//!
//! | commitment | segments ([`kaizen_pcs::segmented::SegmentLayout`]) |
//! |---|---|
//! | `C_D` (statement) | `images` `[N, …input]` (e.g. `[N, 1, 28, 28]`) quantized at scale `s`, `labels` one-hot `[N, C]` |
//! | `C_W_i`, `C_W_{i+1}` (statement) | `{layer}.weight` (`[out, in]`, `[out, c, h, w]` after a flatten, `[O, C, K, K]`) — or, where its trailing dimensions padded as one hold fewer entries (`5 × 5` kernels, a flatten of `5 × 5` maps), `{layer}.weight_packed` `[out, c·h·w]`, `[O, C·K·K]` (`packing`) — and `{layer}.bias` `[out]` |
//! | `C_step` (proof; one or more parts) | every other tensor of the [`plan::Plan`] but the weight gradients `dW` and the dense and conv rescaling remainders `z_rem`, `dx_rem` ([`plan::Place::Virtual`]), each range check's limbs but the lowest (`range{g}.{v}.limb{j}`, `j ≥ 1`: limb 0 is the checked combination minus the others, bound by the claims on its terms) and the multiplicities of the tables the range checks share (`range.mult{t}`: one per limb width and top-limb width in use, whichever groups look limbs up in it — all groups are one lookup), the exp lookup's multiplicities |
//!
//! Every dimension is zero-padded to a power of two (`28 → 32` per image side, `C = 16` for 10
//! classes; a flatten keeps the padded `(c, h, w)` layout, so it is the identity on committed
//! tensors; the padding of every bias and unpacked weight is proven zero, a packed weight's padded
//! view is zero there by construction; ReLU bits pad with 1 and `loss.exp` with `EXP[0]`, so every relation also holds on the
//! padding). `C_step` is split where its segments (largest first) fill a power of two and the
//! rest is at most half as much again (`2^k` and at most `2^{k−1}`, recursively, up to
//! [`MAX_STEP_PARTS`] parts): one commitment per part, so no part is mostly padding for the
//! multi-point reduction to run over. Batch `i` is the sub-cube of `C_D` with the sample bits' high part fixed to
//! `i mod (N/B)`: a claim on `input` at `(r_f, r_n)` is a claim on `images` at
//! `(r_f, r_n, bits(i mod N/B))` — `B` and `N` powers of two. With the Ligero backend the batch's
//! images and labels lie on a few whole rows of `C_D`'s matrix (while `r_n` stays within the column
//! variables), so its claims are proven over those rows alone
//! ([`kaizen_pcs::MultilinearPcs::open_points`]): a step reads those rows (for their values and
//! the proximity row) and the opened columns, not the whole dataset.
//!
//! # Relations (`relations`)
//!
//! `C_D` is chosen by the prover, so the batch is checked like any witness: its pixels are
//! range-checked into `[0, 2^{s+1})` (they are `[0, 1]` quantized) and its label rows are one-hot
//! (boolean, zero on the padded classes, one 1 per row), as the argmax rows are.
//!
//! Each relation is checked at its own transcript point, independently of the others (every
//! activation and gradient is committed, so no claim has to flow through the network), except
//! the rescalings of dense and conv layers: their remainders are not committed, so
//! `z·2^s + z_rem = a·Wᵀ + b·2^s` (and `dx·2^s + dx_rem = dy·W`) is checked at the point where the
//! remainder's range check leaves its claim — the range check proves that
//! `a·Wᵀ + b·2^s − z·2^s` lies in `[0, 2^s)`. These claims and those the range checks leave on a
//! `dW` are reduced last, each by its matmul or conv reduction to the committed operands: linear identities by the
//! claimed values at one point; element-wise and row-wise identities (`out = bit·z`,
//! `bit(1−bit) = 0`, `dx = bit·dy`, argmax one-hot, `max = Σ sel·z`, the exp clamp,
//! `sum = Σ exp`, `exp·2^s = prob·sum + prob_rem`) in one batched sumcheck; products
//! (`a·Wᵀ`, `dyᵀ·a`, `dy·W`) by Thaler's matmul sumcheck; convolutions and pooling window sums by
//! the sparse-selector sumchecks of [`kaizen_sumcheck::conv`]; `exp = EXP[exp_idx]` by a logUp lookup;
//! every bound of [`plan::Bounds`] by batched limb range checks — the update
//! `W' = W − ⌊η·dW / D⌋` too: `W − W'` is range-checked small and `η·dW − D·(W − W')` into
//! `[0, D)` (combinations of committed tensors, so neither the step nor its remainder is
//! committed); a dense or conv layer's checks on weight-shaped tensors cover its real entries
//! alone, as aligned blocks ([`plan::real_blocks`]: the padding of `W` and `W'` is proven zero),
//! and the claims they leave on a conv `dW` (one per block) are reduced to one point by a
//! multi-point sumcheck before its kernel-gradient reduction, unless one reduction per claim reads
//! less (paper-lenet's `conv3`, whose input and output gradient are far smaller than its kernel);
//! a `dW` whose operands' bounds already keep `η·dW` below `2^58` (one product per sample and
//! output position) has no range check of its own. The claims on a packed weight's padded view
//! are moved to the packed tensor by one batched sumcheck against a verifier-evaluated relayout
//! weight (`packing`). The claims
//! then go to their commitment and are opened together with one batched proof.
//!
//! The weight-step checks use the bound the proof states per dense or conv layer
//! ([`Plan::with_step_bits`]): `|W − W'| < 2^10` where every step of the layer fits (one 11-bit
//! limb; steps at the start of training move weights by a few units in the last place), else the
//! plan's default; the verifier accepts any bound up to the default, which every identity's
//! no-overflow argument allows.
//!
//! The transcript absorbs the statement (architecture, hyper-parameters, `N`, `i`, the three
//! statement commitments), the stated step bounds and `C_step` before the first challenge. Once
//! every claim is fixed, the claims on all commitments are opened with one batched proof
//! ([`kaizen_pcs::segmented::open_segments_batch`]): every commitment's multi-point reduction in
//! one sumcheck, then the openings — with Ligero, one per row length of the commitments' matrices
//! (the rows' values, one proximity row — committed and opened in turn when long — and one set
//! of column queries for all commitments whose rows have that length).
pub mod chain;
mod packing;
pub mod plan;
mod relations;
mod session;
mod statement;

use std::collections::HashMap;

use ark_serialize::{CanonicalSerialize, Compress, SerializationError, Write};
use kaizen_field::{FieldError, KaizenField, Transcript};
use kaizen_gkr::{
    lookup::{LookupProof, Table, TableColumn},
    range::RangeWitness,
    GkrError,
};
use kaizen_pcs::{
    multipoint::BatchOpeningProof,
    segmented::{open_segments_batch, verify_segments_batch, SegmentLayout},
    MultilinearPcs, PcsError,
};
use kaizen_sumcheck::{conv::ConvProof, Claim, SumcheckError, SumcheckProof};
use rayon::prelude::*;
use thiserror::Error;
use tracing::debug_span;

use crate::{
    data::Dataset,
    model::{exp_table, images, one_hot, Hyper, Loss, Model, StepWitness},
    tensor::Tensor,
    NnError,
};
pub use plan::{ModelShape, Place, Plan};
use session::{limb_name, mult_name, NamedClaims, ProverTables, RangePart, Session};
pub use statement::StepStatement;

/// Why a step could not be proven, or why a step proof was rejected.
#[derive(Debug, Error)]
pub enum ProveError {
    /// A configuration the step proof does not support.
    #[error("configuration: {0}")]
    Config(String),
    /// The witness is missing a tensor or has one of the wrong shape.
    #[error("witness: {0}")]
    Witness(String),
    /// A witness value outside the bound its range check proves.
    #[error("{label}: value {value} at index {index} is outside [0, 2^{bits}) after offset")]
    OutOfRange {
        /// The range check.
        label: String,
        /// Flat (padded) index.
        index: usize,
        /// The offending value (after the check's offset).
        value: i128,
        /// The bound's exponent.
        bits: u32,
    },
    /// A relation of the step does not hold at the checked point.
    #[error("relation fails: {0}")]
    Relation(String),
    /// The proof has the wrong number of parts.
    #[error("malformed proof: {0}")]
    ProofShape(String),
    /// Statements that do not chain.
    #[error("statement: {0}")]
    Statement(String),
    /// A sumcheck was rejected.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    /// A lookup or range check was rejected.
    #[error(transparent)]
    Gkr(#[from] GkrError),
    /// An opening was rejected.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// A value outside the field's signed range.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The training engine failed.
    #[error(transparent)]
    Nn(#[from] NnError),
}

/// The sub-proofs of a step, in protocol order.
#[derive(Clone, Debug, Default, PartialEq, Eq, CanonicalSerialize)]
pub struct ProofParts<F: KaizenField> {
    /// Claimed tensor values.
    pub evals: Vec<F>,
    /// Batched and matmul sumchecks.
    pub sumchecks: Vec<SumcheckProof<F>>,
    /// Range checks and the exp lookup.
    pub lookups: Vec<LookupProof<F>>,
    /// Convolution reductions (forward, input and kernel gradients).
    pub convs: Vec<ConvProof<F>>,
}
kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] ProofParts<F> {
    evals: vec,
    sumchecks: vec,
    lookups: vec,
    convs: vec,
});

/// A proof of one training step.
pub struct StepProof<F: KaizenField, S: MultilinearPcs<F>> {
    /// Per weighted layer, the exponent of the bound its weight steps are checked against
    /// ([`Plan::with_step_bits`]): the prover states the tightest that holds.
    pub step_bits: Vec<u32>,
    /// `C_step`, one commitment per part of its layout.
    pub step_commitments: Vec<S::Commitment>,
    /// Sumchecks, lookups and claimed values.
    pub parts: ProofParts<F>,
    /// The claims on `C_D`, `C_W_i`, `C_W_{i+1}` and each part of `C_step`, opened with one
    /// batched proof.
    pub opening: BatchOpeningProof<F, S::Proof>,
}

impl<F: KaizenField, S: MultilinearPcs<F>> Clone for StepProof<F, S> {
    fn clone(&self) -> Self {
        Self {
            step_bits: self.step_bits.clone(),
            step_commitments: self.step_commitments.clone(),
            parts: self.parts.clone(),
            opening: self.opening.clone(),
        }
    }
}

impl<F: KaizenField, S: MultilinearPcs<F>> std::fmt::Debug for StepProof<F, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepProof")
            .field("bytes", &self.compressed_size())
            .finish()
    }
}

impl<F: KaizenField, S: MultilinearPcs<F>> CanonicalSerialize for StepProof<F, S> {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.step_bits.serialize_with_mode(&mut writer, compress)?;
        self.step_commitments
            .serialize_with_mode(&mut writer, compress)?;
        self.parts.serialize_with_mode(&mut writer, compress)?;
        self.opening.serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.step_bits.serialized_size(compress)
            + self.step_commitments.serialized_size(compress)
            + self.parts.serialized_size(compress)
            + self.opening.serialized_size(compress)
    }
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField, S: MultilinearPcs<F>] StepProof<F, S> {
    step_bits: vec,
    step_commitments: vec,
    parts: one,
    opening: one,
});

/// A committed dataset (prover side): `images` quantized at the step's scale and one-hot
/// `labels`, as segments of one commitment.
pub struct CommittedDataset<F: KaizenField, S: MultilinearPcs<F>> {
    /// Number of samples `N`.
    pub len: usize,
    layout: SegmentLayout,
    data: S::ProverData,
}

impl<F: KaizenField, S: MultilinearPcs<F>> CommittedDataset<F, S> {
    /// `C_D`.
    pub fn commitment(&self) -> S::Commitment {
        S::commitment(&self.data)
    }
}

/// The dataset commitment's layout for `plan`: each image padded as the model's input shape
/// (`[C, H, W]` dimension by dimension), then the one-hot labels.
fn dataset_layout(len: usize, plan: &Plan) -> Result<SegmentLayout, PcsError> {
    let features: usize = plan
        .model
        .input
        .iter()
        .map(|d| d.next_power_of_two())
        .product();
    SegmentLayout::new(&[
        ("images", len * features),
        ("labels", len * plan.classes.next_power_of_two()),
    ])
}

/// Commits to `data` for the steps of `plan` (`N` must be a power of two, a multiple of the batch
/// size, and the images must have the model's input size).
pub fn commit_dataset<F: KaizenField, S: MultilinearPcs<F>>(
    pcs: &S,
    data: &Dataset,
    plan: &Plan,
) -> Result<CommittedDataset<F, S>, ProveError> {
    let n = data.len();
    let hyper = &plan.hyper;
    if !n.is_power_of_two() || n < hyper.batch {
        return Err(ProveError::Config(format!(
            "dataset of {n} samples: need a power of two ≥ B = {}",
            hyper.batch
        )));
    }
    let input = &plan.model.input;
    if data.pixels() != input.iter().product::<usize>() {
        return Err(ProveError::Config(format!(
            "{}×{}×{} images for a model input of shape {input:?}",
            data.channels, data.rows, data.cols
        )));
    }
    let all: Vec<usize> = (0..n).collect();
    let x = images(data, &all, hyper)?;
    let images = pad(&[&[n], input.as_slice()].concat(), 0, &x.data)?;
    let labels = one_hot(&data.labels, plan.classes)?;
    let onehot = pad(&[n, plan.classes], 0, &labels.data)?;
    commit_dataset_tables(pcs, n, plan, &images, &onehot)
}

/// Commits to `len` samples given as the padded `images` and `labels` segments.
pub(crate) fn commit_dataset_tables<F: KaizenField, S: MultilinearPcs<F>>(
    pcs: &S,
    len: usize,
    plan: &Plan,
    images: &[F],
    labels: &[F],
) -> Result<CommittedDataset<F, S>, ProveError> {
    let layout = dataset_layout(len, plan)?;
    let (_, data) = pcs.commit_owned(layout.assemble(&[images, labels])?)?;
    Ok(CommittedDataset { len, layout, data })
}

/// A committed model (prover side).
pub struct CommittedModel<F: KaizenField, S: MultilinearPcs<F>> {
    /// The model.
    pub model: Model,
    data: S::ProverData,
}

impl<F: KaizenField, S: MultilinearPcs<F>> CommittedModel<F, S> {
    /// `C_W`.
    pub fn commitment(&self) -> S::Commitment {
        S::commitment(&self.data)
    }
}

fn model_layout(plan: &Plan) -> Result<SegmentLayout, ProveError> {
    let segments: Vec<(&str, usize)> = plan
        .tensors
        .values()
        .filter(|t| t.place == Place::Weights)
        .map(|t| (t.name.as_str(), 1usize << t.vars()))
        .collect();
    Ok(SegmentLayout::new(&segments)?)
}

/// Commits to a model's weights and biases (laid out as the plan of `hyper` says).
pub fn commit_model<F: KaizenField, S: MultilinearPcs<F>>(
    pcs: &S,
    model: &Model,
    hyper: &Hyper,
) -> Result<CommittedModel<F, S>, ProveError> {
    let _span = debug_span!("commit_model").entered();
    let plan = Plan::new(&ModelShape::of(model), hyper)?;
    let params: HashMap<String, &Tensor> = model
        .layers
        .iter()
        .filter_map(|layer| layer.params.as_ref().map(|p| (&layer.name, p)))
        .flat_map(|(name, (w, b))| [(format!("{name}.weight"), w), (format!("{name}.bias"), b)])
        .collect();
    // Each committed segment from its parameter (a packed one from the weight it packs).
    let values = plan
        .names(Place::Weights)
        .into_par_iter()
        .map(|name| {
            let spec = plan.spec(name)?;
            let source = spec.packs.as_deref().unwrap_or(name);
            let t = params.get(source).ok_or_else(|| {
                ProveError::Witness(format!("the model lacks parameter {source}"))
            })?;
            check_dims(source, &t.shape, &spec.dims)?;
            pad::<F>(&spec.dims, spec.pad, &t.data)
        })
        .collect::<Result<Vec<_>, ProveError>>()?;
    let layout = model_layout(&plan)?;
    let refs: Vec<&[F]> = values.iter().map(Vec::as_slice).collect();
    let (_, data) = pcs.commit_owned(layout.assemble(&refs)?)?;
    Ok(CommittedModel {
        model: model.clone(),
        data,
    })
}

/// A witness tensor fits its plan entry if it has the same leading dimension and number of
/// entries (a flattened tensor is laid out as the plan's shape: `[B, 784]` as `[B, 1, 28, 28]`).
fn check_dims(name: &str, got: &[usize], want: &[usize]) -> Result<(), ProveError> {
    let fits = got.first() == want.first()
        && got.iter().product::<usize>() == want.iter().product::<usize>();
    fits.then_some(()).ok_or_else(|| {
        ProveError::Witness(format!("{name} has shape {got:?}, the plan says {want:?}"))
    })
}

/// A row-major integer tensor of shape `dims` as field elements, each dimension padded to a power
/// of two with `pad` — the layout of every committed tensor.
pub fn pad<F: KaizenField>(dims: &[usize], pad: i64, values: &[i64]) -> Result<Vec<F>, ProveError> {
    let padded: Vec<usize> = dims.iter().map(|d| d.next_power_of_two()).collect();
    if values.len() != dims.iter().product::<usize>() {
        return Err(ProveError::Witness(format!(
            "{} values for shape {dims:?}",
            values.len()
        )));
    }
    let last = *dims.last().unwrap_or(&1);
    let last_p = *padded.last().unwrap_or(&1);
    let fill = F::from_signed(i128::from(pad))?;
    let mut out = vec![fill; padded.iter().product()];
    let outer: Vec<usize> = dims[..dims.len().saturating_sub(1)].to_vec();
    let outer_p = &padded[..padded.len().saturating_sub(1)];
    for (row, chunk) in values.chunks(last.max(1)).enumerate() {
        let (mut rem, mut dst, mut stride) = (row, 0, last_p);
        for k in (0..outer.len()).rev() {
            dst += (rem % outer[k]) * stride;
            rem /= outer[k];
            stride *= outer_p[k];
        }
        for (o, &v) in out[dst..dst + chunk.len()].iter_mut().zip(chunk) {
            *o = F::from_signed(i128::from(v))?;
        }
    }
    Ok(out)
}

/// How the prover treats a witness that breaks a bound: refuse (the default), or prove anyway
/// (for soundness tests: the proof of a bad witness must be rejected by the verifier).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Checks {
    Strict,
    Lenient,
}

fn exp_lookup_table<F: KaizenField>(exp: &[i64]) -> Result<Table<F>, ProveError> {
    let values = exp
        .iter()
        .copied()
        .map(|v| F::from_signed(i128::from(v)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Table::new(
        exp.len().trailing_zeros() as usize,
        vec![
            TableColumn::Range { start: F::ZERO },
            TableColumn::Values(values),
        ],
    )?)
}

/// The padded field tables of every planned tensor, the range witnesses and the exp
/// multiplicities.
fn prover_tables<F: KaizenField>(
    plan: &Plan,
    witness: &StepWitness,
    exp: &[i64],
    checks: Checks,
) -> Result<ProverTables<F>, ProveError> {
    let specs: Vec<_> = plan
        .tensors
        .values()
        .filter(|spec| spec.name != plan::EXP_MULT)
        .collect();
    let mut tables = specs
        .par_iter()
        .map(|spec| {
            let name = spec.packs.as_deref().unwrap_or(&spec.name);
            let t = witness
                .get(name)
                .ok_or_else(|| ProveError::Witness(format!("missing tensor {name}")))?;
            check_dims(name, &t.shape, &spec.dims)?;
            Ok((spec.name.clone(), pad(&spec.dims, spec.pad, &t.data)?))
        })
        .collect::<Result<HashMap<_, _>, ProveError>>()?;
    if plan.hyper.loss == Loss::SoftmaxCrossEntropy {
        let mult = exp_multiplicities(&tables, exp, checks)?;
        tables.insert(plan::EXP_MULT.to_string(), mult);
    }
    let groups = plan.range_groups();
    // The groups' witnesses in parallel (each decomposes and counts its limbs on one thread).
    let ranges = groups
        .par_iter()
        .enumerate()
        .map(|(g, (shape, specs))| {
            let bits = shape.bits;
            let vectors = specs
                .iter()
                .map(|&i| range_vector(&plan.ranges[i], &tables, bits, checks))
                .collect::<Result<Vec<_>, _>>()?;
            let refs: Vec<&[F]> = vectors.iter().map(Vec::as_slice).collect();
            let witness = RangeWitness::new(&refs, bits).map_err(|e| match e {
                GkrError::OutOfRange {
                    vector,
                    index,
                    value,
                    bits,
                } => ProveError::OutOfRange {
                    label: plan.ranges[specs[vector]].label.clone(),
                    index: plan.ranges[specs[vector]].cube.index(index),
                    value,
                    bits,
                },
                e => e.into(),
            })?;
            if witness.shapes() != std::slice::from_ref(shape) {
                return Err(ProveError::Witness(format!(
                    "range group {g}: vector lengths differ from the plan"
                )));
            }
            Ok(witness)
        })
        .collect::<Result<Vec<_>, ProveError>>()?;
    let mut range_tables = HashMap::new();
    for (g, (shape, specs)) in groups.iter().enumerate() {
        for v in 0..specs.len() {
            for j in 1..shape.limbs() {
                range_tables.insert(limb_name(g, v, j), RangePart::Limb(g, v, j - 1));
            }
        }
    }
    for t in 0..plan.range_table_logs().len() {
        range_tables.insert(mult_name(t), RangePart::Multiplicities(t));
    }
    Ok(ProverTables {
        tables,
        ranges: RangeWitness::batch(ranges),
        range_tables,
    })
}

/// The checked combination `constant + Σ coeff·T` of a range check, entrywise. Under
/// [`Checks::Lenient`] entries outside `[0, 2^bits)` are reduced into it (the limbs then do not
/// rebuild the real values, which the verifier detects).
fn range_vector<F: KaizenField>(
    spec: &plan::RangeSpec,
    tables: &HashMap<String, Vec<F>>,
    bits: u32,
    checks: Checks,
) -> Result<Vec<F>, ProveError> {
    let terms = spec
        .terms
        .iter()
        .map(|t| {
            let table = tables
                .get(&t.name)
                .ok_or_else(|| ProveError::Witness(format!("missing tensor {}", t.name)))?;
            Ok((table, F::from_signed(i128::from(t.coeff))?, t.low))
        })
        .collect::<Result<Vec<_>, ProveError>>()?;
    let constant = F::from_signed(i128::from(spec.constant))?;
    let mask = (1i128 << bits) - 1;
    Ok((0..1usize << spec.cube.free_vars())
        .into_par_iter()
        .map(|y| {
            let x = spec.cube.index(y);
            let v = terms
                .iter()
                .fold(constant, |acc, (t, c, low)| acc + *c * t[x >> low]);
            match (checks, v.to_signed()) {
                (Checks::Lenient, Some(i)) => F::from((i & mask) as u64),
                (Checks::Lenient, None) => F::ZERO,
                (Checks::Strict, _) => v,
            }
        })
        .collect())
}

fn exp_multiplicities<F: KaizenField>(
    tables: &HashMap<String, Vec<F>>,
    table: &[i64],
    checks: Checks,
) -> Result<Vec<F>, ProveError> {
    let get = |n: &str| {
        tables
            .get(n)
            .ok_or_else(|| ProveError::Witness(format!("missing tensor {n}")))
    };
    let (idx, exp) = (get("loss.exp_idx")?, get("loss.exp")?);
    let mut counts = vec![0u64; table.len()];
    for (i, (k, e)) in idx.iter().zip(exp).enumerate() {
        let k = k
            .to_signed()
            .filter(|k| (0..table.len() as i128).contains(k));
        let ok = k.is_some_and(|k| e.to_signed() == Some(i128::from(table[k as usize])));
        match (k, ok, checks) {
            (Some(k), true, _) | (Some(k), false, Checks::Lenient) => counts[k as usize] += 1,
            (None, _, Checks::Lenient) => {}
            _ => {
                return Err(ProveError::Witness(format!(
                    "loss.exp[{i}] is not EXP[loss.exp_idx[{i}]]"
                )))
            }
        }
    }
    Ok(counts.into_iter().map(F::from_u64).collect())
}

/// The most parts `C_step` is split into.
pub const MAX_STEP_PARTS: usize = 3;

/// The step commitment's parts: step tensors, range limbs and multiplicities, largest first, cut
/// where the segments so far fill a power of two `2^k` and the rest is at most `2^{k−1}` (a power
/// of two of descending powers of two is filled exactly); each part's layout and segment names.
fn step_layouts(plan: &Plan) -> Result<Vec<(SegmentLayout, Vec<String>)>, ProveError> {
    let mut segments: Vec<(String, usize)> = plan
        .tensors
        .values()
        .filter(|t| t.place == Place::Step)
        .map(|t| (t.name.clone(), 1usize << t.vars()))
        .collect();
    for (g, (shape, specs)) in plan.range_groups().iter().enumerate() {
        for (v, &i) in specs.iter().enumerate() {
            for j in 1..shape.limbs() {
                segments.push((limb_name(g, v, j), 1 << plan.ranges[i].cube.free_vars()));
            }
        }
    }
    for (t, log) in plan.range_table_logs().into_iter().enumerate() {
        segments.push((mult_name(t), 1 << log));
    }
    segments.sort_by_key(|s| std::cmp::Reverse(s.1));
    let mut parts = Vec::new();
    let mut rest = segments.as_slice();
    while !rest.is_empty() {
        let total: usize = rest.iter().map(|s| s.1).sum();
        let full = 1usize << total.ilog2();
        let cut = if total - full <= full / 2 && parts.len() + 1 < MAX_STEP_PARTS && total > full {
            let mut filled = 0;
            rest.iter()
                .take_while(|s| {
                    filled += s.1;
                    filled <= full
                })
                .count()
        } else {
            rest.len()
        };
        let (part, tail) = rest.split_at(cut);
        let refs: Vec<(&str, usize)> = part.iter().map(|(n, l)| (n.as_str(), *l)).collect();
        parts.push((
            SegmentLayout::new(&refs)?,
            part.iter().map(|s| s.0.clone()).collect(),
        ));
        rest = tail;
    }
    Ok(parts)
}

/// Where a claim on tensor `name` is opened: the commitment, the segment, and the coordinates
/// appended to the claim's point (the batch index bits for dataset claims).
fn route<F: KaizenField>(
    plan: &Plan,
    statement_len: usize,
    step: u64,
    name: &str,
) -> (Place, String, Vec<F>) {
    let place = plan.tensors.get(name).map_or(Place::Step, |t| t.place);
    match place {
        Place::Data => {
            let batches = statement_len / plan.hyper.batch.max(1);
            let bits = batches.trailing_zeros() as usize;
            let index = (step % batches.max(1) as u64) as usize;
            let segment = if name == "input" { "images" } else { "labels" };
            (
                place,
                segment.into(),
                kaizen_field::mle::index_bits(index, bits),
            )
        }
        Place::NewWeights => (place, name.trim_end_matches("_new").to_string(), Vec::new()),
        _ => (place, name.to_string(), Vec::new()),
    }
}

/// Claims by commitment, in the order `C_D`, `C_W_i`, `C_W_{i+1}`, then the parts of `C_step`.
type Routed<F> = Vec<NamedClaims<F>>;

/// Groups claims by commitment; a claim left on a [`Place::Virtual`] tensor (one no relation
/// reduced) is an error.
fn route_claims<F: KaizenField>(
    plan: &Plan,
    statement_len: usize,
    step: u64,
    parts: &[(SegmentLayout, Vec<String>)],
    claims: Vec<(String, Claim<F>)>,
) -> Result<Routed<F>, ProveError> {
    let part_of: HashMap<&str, usize> = parts
        .iter()
        .enumerate()
        .flat_map(|(k, (_, names))| names.iter().map(move |n| (n.as_str(), k)))
        .collect();
    let mut out: Routed<F> = vec![Vec::new(); 3 + parts.len()];
    for (name, mut claim) in claims {
        let (place, segment, extra) = route::<F>(plan, statement_len, step, &name);
        let slot = match place {
            Place::Data => 0,
            Place::Weights => 1,
            Place::NewWeights => 2,
            Place::Step => {
                3 + part_of
                    .get(segment.as_str())
                    .copied()
                    .ok_or_else(|| ProveError::Config(format!("no step segment named {segment}")))?
            }
            Place::Virtual => {
                return Err(ProveError::Config(format!(
                    "a claim on {name}, which is not committed, is left"
                )))
            }
        };
        claim.point.extend(extra);
        out[slot].push((segment, claim));
    }
    Ok(out)
}

fn check_statement<C>(plan: &Plan, statement: &StepStatement<C>) -> Result<(), ProveError> {
    let (n, b) = (statement.dataset_len, plan.hyper.batch);
    if !n.is_power_of_two() || n < b {
        return Err(ProveError::Statement(format!(
            "dataset of {n} samples with batch {b}"
        )));
    }
    Ok(())
}

/// What the prover holds besides the witness: the openings' data for the statement's
/// commitments.
pub struct StepInputs<'a, F: KaizenField, S: MultilinearPcs<F>> {
    /// `C_D`'s data.
    pub dataset: &'a CommittedDataset<F, S>,
    /// `C_W_i`'s data.
    pub weights: &'a CommittedModel<F, S>,
    /// `C_W_{i+1}`'s data.
    pub new_weights: &'a CommittedModel<F, S>,
}

/// Proves the step `witness` (from [`Model::step`]) against `statement`.
pub fn prove_step<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    statement: &StepStatement<S::Commitment>,
    inputs: &StepInputs<'_, F, S>,
    witness: &StepWitness,
    transcript: &mut T,
) -> Result<StepProof<F, S>, ProveError> {
    on_pool(|| prove_with(pcs, statement, inputs, witness, transcript, Checks::Strict))
}

/// [`prove_step`] that proves a witness breaking its bounds or relations anyway (range-checked
/// values reduced into their range, failed checks ignored) — for soundness tests: the verifier must
/// reject every such proof.
pub fn prove_step_unchecked<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    statement: &StepStatement<S::Commitment>,
    inputs: &StepInputs<'_, F, S>,
    witness: &StepWitness,
    transcript: &mut T,
) -> Result<StepProof<F, S>, ProveError> {
    on_pool(|| prove_with(pcs, statement, inputs, witness, transcript, Checks::Lenient))
}

/// Runs `f` on a thread of rayon's pool (at once if already on one). A step runs many parallel
/// passes too small to split (sumcheck rounds over small tables): from a worker such a pass runs
/// inline, where from an outside thread every one is a round trip into the pool and back.
fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}

fn prove_with<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    statement: &StepStatement<S::Commitment>,
    inputs: &StepInputs<'_, F, S>,
    witness: &StepWitness,
    transcript: &mut T,
    checks: Checks,
) -> Result<StepProof<F, S>, ProveError> {
    let _span = debug_span!("prove_step", step = statement.step).entered();
    let plan = Plan::new(&statement.model, &statement.hyper)?;
    check_statement(&plan, statement)?;
    let step_bits = tight_step_bits(&plan, witness)?;
    let plan = plan.with_step_bits(&step_bits)?;
    let exp = exp_table(statement.hyper.fixed.scale());
    let tables =
        debug_span!("tables").in_scope(|| prover_tables::<F>(&plan, witness, &exp, checks))?;
    let parts = step_layouts(&plan)?;
    let mut step_commitments = Vec::with_capacity(parts.len());
    let mut step_data = Vec::with_capacity(parts.len());
    for (layout, names) in &parts {
        let _span = debug_span!("commit_step_part", vars = layout.num_vars()).entered();
        let values = names
            .iter()
            .map(|n| tables.get(n))
            .collect::<Result<Vec<_>, _>>()?;
        let (commitment, data) = pcs.commit_owned(layout.assemble(&values)?)?;
        step_commitments.push(commitment);
        step_data.push(data);
    }
    statement.absorb::<F, S, T>(transcript);
    absorb_step_bits(&step_bits, transcript);
    for c in &step_commitments {
        S::absorb_commitment(c, transcript);
    }
    let exp = exp_lookup_table(&exp)?;
    let mut session = Session::prover(transcript, &tables, checks);
    debug_span!("relations").in_scope(|| relations::run(&plan, &mut session, &exp))?;
    let (proof_parts, claims) = session.finish()?;
    let model_layout = model_layout(&plan)?;
    let routed = route_claims(&plan, statement.dataset_len, statement.step, &parts, claims)?;
    let committed: Vec<(&S::ProverData, &SegmentLayout)> = [
        (&inputs.dataset.data, &inputs.dataset.layout),
        (&inputs.weights.data, &model_layout),
        (&inputs.new_weights.data, &model_layout),
    ]
    .into_iter()
    .chain(step_data.iter().zip(parts.iter().map(|p| &p.0)))
    .collect();
    let sets = claim_sets(&routed);
    let sets: Vec<&[(&str, Claim<F>)]> = sets.iter().map(|s| &s[..]).collect();
    let opening =
        debug_span!("open").in_scope(|| open_segments_batch(pcs, &committed, &sets, transcript))?;
    Ok(StepProof {
        step_bits,
        step_commitments,
        parts: proof_parts,
        opening,
    })
}

/// Per weighted layer, [`plan::SMALL_STEP_BITS`] where every weight step `W − W'` of the
/// witness lies in `(−2^10, 2^10)`, else the plan's default bound.
fn tight_step_bits(plan: &Plan, witness: &StepWitness) -> Result<Vec<u32>, ProveError> {
    let tensor = |name: String| {
        witness
            .get(&name)
            .ok_or_else(|| ProveError::Witness(format!("no tensor {name}")))
    };
    plan.weighted_layers()
        .into_iter()
        .map(|layer| {
            let (old, new) = (
                tensor(format!("{layer}.weight"))?,
                tensor(format!("{layer}.weight_new"))?,
            );
            let small = old.data.len() == new.data.len()
                && old
                    .data
                    .iter()
                    .zip(&new.data)
                    .all(|(a, b)| a.abs_diff(*b) < 1 << plan::SMALL_STEP_BITS);
            Ok(if small {
                plan::SMALL_STEP_BITS.min(plan.bounds.step_w)
            } else {
                plan.bounds.step_w
            })
        })
        .collect()
}

/// Absorbs a step proof's weight-step bounds (they shape its range checks and `C_step`).
fn absorb_step_bits<F: KaizenField, T: Transcript<F>>(bits: &[u32], transcript: &mut T) {
    let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
    transcript.absorb_bytes(b"step/step-bits", &bytes);
}

/// Verifies a step proof against its statement.
pub fn verify_step<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    statement: &StepStatement<S::Commitment>,
    proof: &StepProof<F, S>,
    transcript: &mut T,
) -> Result<(), ProveError> {
    on_pool(|| verify_with(pcs, statement, proof, transcript))
}

fn verify_with<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    statement: &StepStatement<S::Commitment>,
    proof: &StepProof<F, S>,
    transcript: &mut T,
) -> Result<(), ProveError> {
    let _span = debug_span!("verify_step", step = statement.step).entered();
    let plan = Plan::new(&statement.model, &statement.hyper)?.with_step_bits(&proof.step_bits)?;
    check_statement(&plan, statement)?;
    let parts = step_layouts(&plan)?;
    if proof.step_commitments.len() != parts.len() {
        return Err(ProveError::ProofShape(format!(
            "{} step commitments, expected {}",
            proof.step_commitments.len(),
            parts.len(),
        )));
    }
    statement.absorb::<F, S, T>(transcript);
    absorb_step_bits(&proof.step_bits, transcript);
    for c in &proof.step_commitments {
        S::absorb_commitment(c, transcript);
    }
    let exp = exp_lookup_table(&exp_table(statement.hyper.fixed.scale()))?;
    let mut session = Session::verifier(transcript, &proof.parts);
    debug_span!("relations").in_scope(|| relations::run(&plan, &mut session, &exp))?;
    let (_, claims) = session.finish()?;
    let model_layout = model_layout(&plan)?;
    let data_layout = dataset_layout(statement.dataset_len, &plan)?;
    let routed = route_claims(&plan, statement.dataset_len, statement.step, &parts, claims)?;
    let committed: Vec<_> = [
        (&statement.dataset, &data_layout),
        (&statement.weights, &model_layout),
        (&statement.new_weights, &model_layout),
    ]
    .into_iter()
    .chain(
        proof
            .step_commitments
            .iter()
            .zip(parts.iter().map(|p| &p.0)),
    )
    .collect();
    let sets = claim_sets(&routed);
    let sets: Vec<&[(&str, Claim<F>)]> = sets.iter().map(|s| &s[..]).collect();
    debug_span!("open")
        .in_scope(|| verify_segments_batch(pcs, &committed, &sets, &proof.opening, transcript))?;
    Ok(())
}

/// The routed claims as one set of `(segment, claim)` pairs per commitment.
fn claim_sets<F: KaizenField>(routed: &[NamedClaims<F>]) -> Vec<Vec<(&str, Claim<F>)>> {
    routed
        .iter()
        .map(|claims| {
            claims
                .iter()
                .map(|(n, c)| (n.as_str(), c.clone()))
                .collect()
        })
        .collect()
}

/// The number of variables of each commitment a step of `plan` opens, on a dataset of
/// `dataset_len` samples, in the step's order: `C_D`, `C_W_i`, `C_W_{i+1}`, each part of `C_step`
/// (for a PCS whose batched openings depend on them:
/// [`kaizen_pcs::LigeroParams::with_batched_shape`]).
pub fn commitment_sizes(plan: &Plan, dataset_len: usize) -> Result<Vec<usize>, ProveError> {
    let model = model_layout(plan)?.num_vars();
    let mut sizes = vec![dataset_layout(dataset_len, plan)?.num_vars(), model, model];
    sizes.extend(step_layouts(plan)?.iter().map(|(l, _)| l.num_vars()));
    Ok(sizes)
}

/// The most variables any commitment of a step of `plan` has, on a dataset of `dataset_len`
/// samples: what a PCS must be set up for.
pub fn max_commitment_vars(plan: &Plan, dataset_len: usize) -> Result<usize, ProveError> {
    Ok(commitment_sizes(plan, dataset_len)?
        .into_iter()
        .max()
        .unwrap_or(0))
}

#[cfg(test)]
mod tests;
