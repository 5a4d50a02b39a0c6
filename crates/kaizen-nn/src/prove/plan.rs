//! The public layout of a step proof: which tensors are committed where (padded to power-of-two
//! dimensions), the value bounds that make every field identity an integer identity, and the range
//! checks that enforce them. A pure function of the model's architecture and the hyper-parameters,
//! so prover and verifier derive the same plan.
use std::collections::BTreeMap;

use kaizen_field::mle::SubCube;
use kaizen_gkr::range::{self, RangeShape};

use super::packing::packed_dims;
use crate::{
    model::{exp_table_len, layer_output, layout, Hyper, LayerKind, Loss, Model, EXP_FRAC_BITS},
    prove::ProveError,
    NnError,
};

/// The public architecture of a model: per-sample input shape and named layers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelShape {
    /// Per-sample input shape.
    pub input: Vec<usize>,
    /// `(name, kind)` of every layer.
    pub layers: Vec<(String, LayerKind)>,
}

impl ModelShape {
    /// The shape of a model over `input` with layers `kinds` ([`layout`]: names
    /// and checks, no weights drawn).
    pub fn new(input: &[usize], kinds: &[LayerKind]) -> Result<Self, NnError> {
        Ok(Self {
            input: input.to_vec(),
            layers: layout(input, kinds)?,
        })
    }

    /// The architecture of `model`.
    pub fn of(model: &Model) -> Self {
        Self {
            input: model.input.clone(),
            layers: model
                .layers
                .iter()
                .map(|l| (l.name.clone(), l.kind))
                .collect(),
        }
    }
}

/// Which commitment holds a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// The dataset commitment `C_D` (the batch is a sub-cube of it).
    Data,
    /// The model commitment `C_W_i`.
    Weights,
    /// The new model commitment `C_W_{i+1}`.
    NewWeights,
    /// The step commitment.
    Step,
    /// Not committed: every claim on it is reduced by its defining relation to claims on
    /// committed tensors (the weight gradients `dW = dyᵀ·x`, `Σ dy ⋆ x`; the padded view of a
    /// packed parameter, by its relayout to the packed tensor: [`super::packing`]).
    Virtual,
}

/// A committed tensor: row-major, each dimension zero-padded to a power of two (padding value
/// `pad`, chosen so that every relation also holds on the padding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    /// Witness name.
    pub name: String,
    /// Unpadded dimensions (as in the witness; `labels` is the one-hot `[B, classes]`).
    pub dims: Vec<usize>,
    /// Value of padding entries.
    pub pad: i64,
    /// Where it is committed.
    pub place: Place,
    /// For a packed parameter ([`super::packing`]): the padded view (and witness tensor) whose
    /// entries it holds, its trailing dimensions merged into one.
    pub packs: Option<String>,
}

impl TensorSpec {
    /// Padded dimensions.
    pub fn padded(&self) -> Vec<usize> {
        self.dims.iter().map(|d| d.next_power_of_two()).collect()
    }

    /// Variables of the padded tensor's MLE.
    pub fn vars(&self) -> usize {
        self.padded()
            .iter()
            .map(|d| d.trailing_zeros() as usize)
            .sum()
    }
}

/// One term `coeff · T` of a range-checked combination; `T` may be broadcast along its `low`
/// lowest variables (e.g. a per-row value repeated along the classes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeTerm {
    /// Tensor name.
    pub name: String,
    /// Coefficient.
    pub coeff: i64,
    /// Number of low variables the tensor is broadcast along.
    pub low: usize,
}

/// A range check `0 ≤ constant + Σ coeff·T < 2^bits`, entrywise over the entries of a
/// sub-cube of the combination's index space (all of it, or one block of a parameter tensor's
/// real entries: its padding is proven zero, so it needs no bound).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeSpec {
    /// What is checked (for error messages and the mutation report).
    pub label: String,
    /// The terms.
    pub terms: Vec<RangeTerm>,
    /// The constant.
    pub constant: i64,
    /// Bit width.
    pub bits: u32,
    /// The checked entries: entry `y` of the checked vector (`2^{free_vars}` entries) is entry
    /// `cube.index(y)` of the combination, and a claim on the vector at `ρ` one on the
    /// combination at `cube.lift(ρ)`.
    pub cube: SubCube,
}

/// Value bounds (all `|x| < 2^bits` or `0 ≤ x < 2^bits`), derived so that both sides of every
/// relation stay below `2^59 < p/2` in absolute value: a relation that holds modulo `p` then holds
/// over the integers.
///
/// * `value`: activations, pre-activations, weights, gradients `dx`, probabilities — signed ones
///   `|x| < 2^value`, non-negative ones `x < 2^{value+1}`; with `M = value + 1` and `K` the largest
///   padded inner dimension, `K·2^{2M+1} + 2^{M+s+1} < 2^59`;
/// * `grad_acc`: `dW` (scale 2s) and `db` — `η·2^{grad_acc} < 2^59` and `B·2^{2M+1} < 2^59`; a
///   dense or conv layer's `dW` is not range-checked when the bounds of its operands already give
///   `η·|dW| < 2^58` (`Plan::grad_is_small`);
/// * `step_w` / `step_b`: the update `⌊η·dW / (B·2^{2s})⌋` — `2^{step}·D + D < 2^59`, and at most
///   `2^{s−1}` (one step moves a parameter by less than 0.5: one limb per range check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Bits of ordinary values.
    pub value: u32,
    /// Bits of `dW` and `db`.
    pub grad_acc: u32,
    /// Bits of a weight step.
    pub step_w: u32,
    /// Bits of a bias step.
    pub step_b: u32,
    /// log2 of the weight-update divisor `B·2^{2s}`.
    pub div_w: u32,
    /// log2 of the bias-update divisor `B·2^s`.
    pub div_b: u32,
}

const FIELD_BITS: u32 = 59;

/// A range vector costs about as much as this many checked entries on its own (its tree, claims
/// and opening; [`RangeShape::limb_bits`] counts `2^10` per limb vector against 2 per entry and
/// limb).
const VECTOR_COST: usize = 1 << 9;

/// The real entries of a row-major tensor of shape `dims` (each dimension padded to a power of
/// two; the last dimension's variables lowest), as sub-cubes of the padded one: each dimension's
/// `[0, d)` is cut into aligned blocks at the set bits of `d` down to an eighth of its padded
/// size (the rest one block rounded up to a power of two), and the blocks are the products of
/// one block per dimension. The whole cube when that saves less than the vectors cost.
pub fn real_blocks(dims: &[usize]) -> Vec<SubCube> {
    // Per dimension, innermost first: `(first variable, variables, [(offset, log2 size)])`.
    let mut low = 0;
    let mut per_dim = Vec::with_capacity(dims.len());
    for &d in dims.iter().rev() {
        let vars = log2(d) as usize;
        let mut blocks = Vec::new();
        let mut offset = 0;
        for j in (0..vars).rev().filter(|&j| (d >> j) & 1 == 1) {
            if j + 3 >= vars {
                blocks.push((offset, j));
                offset += 1 << j;
            } else {
                blocks.push((offset, log2(d - offset) as usize));
                break;
            }
        }
        if blocks.is_empty() {
            blocks.push((0, vars));
        }
        per_dim.push((low, vars, blocks));
        low += vars;
    }
    let mut cubes: Vec<Vec<(usize, bool)>> = vec![Vec::new()];
    for (first, vars, blocks) in &per_dim {
        cubes = cubes
            .iter()
            .flat_map(|fixed| {
                blocks.iter().map(move |&(offset, j)| {
                    let bits = (j..*vars).map(|t| (first + t, (offset >> t) & 1 == 1));
                    fixed.iter().copied().chain(bits).collect()
                })
            })
            .collect();
    }
    let size: usize = cubes.iter().map(|f| 1usize << (low - f.len())).sum();
    if size + VECTOR_COST * (cubes.len() - 1) >= 1 << low {
        return vec![SubCube::whole(low)];
    }
    cubes
        .iter()
        .filter_map(|fixed| SubCube::new(low, fixed).ok())
        .collect()
}

/// Width of the range group that small bounds join (that of the scale-2^16 remainders).
const SMALL_BITS: u32 = 16;

/// `⌈log2 x⌉`: variables of a dimension padded to a power of two.
pub(crate) fn log2(x: usize) -> u32 {
    x.next_power_of_two().trailing_zeros()
}

impl Bounds {
    fn new(hyper: &Hyper, max_inner: usize) -> Result<Self, ProveError> {
        let s = hyper.fixed.scale();
        let log_b = log2(hyper.batch);
        let (div_w, div_b) = (log_b + 2 * s, log_b + s);
        let value = (s + 8).min((FIELD_BITS - 2 - log2(max_inner)) / 2 - 1);
        let lr_bits = 64 - (hyper.lr as u64).leading_zeros();
        let grad_acc = FIELD_BITS - 1 - lr_bits;
        let bounds = Self {
            value,
            grad_acc: grad_acc.min(2 * value + log_b + 1),
            step_w: value.min(FIELD_BITS - 2 - div_w).min(s - 1),
            step_b: value.min(FIELD_BITS - 2 - div_b).min(s - 1),
            div_w,
            div_b,
        };
        if value <= s || bounds.step_w < 4 || grad_acc <= s {
            return Err(ProveError::Config(format!(
                "scale {s}, batch {} and inner dimension {max_inner} leave no room in the field \
                 (value bound 2^{value})",
                hyper.batch
            )));
        }
        Ok(bounds)
    }
}

/// Everything public about one step's proof.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The architecture.
    pub model: ModelShape,
    /// Hyper-parameters.
    pub hyper: Hyper,
    /// Number of classes.
    pub classes: usize,
    /// Bounds.
    pub bounds: Bounds,
    /// Per-sample shape of each layer's input, then of the logits (`layers + 1` shapes); a
    /// flatten keeps its input's shape (the next dense layer reads it in that layout).
    pub shapes: Vec<Vec<usize>>,
    /// Every committed tensor, by name.
    pub tensors: BTreeMap<String, TensorSpec>,
    /// Every range check.
    pub ranges: Vec<RangeSpec>,
    /// Per dense or conv layer whose weight steps are checked against a tighter bound than
    /// `2^{bounds.step_w}`, that bound's exponent ([`Plan::with_step_bits`]).
    pub step_bits: BTreeMap<String, u32>,
}

/// The tighter weight-step bound a prover states where every step of a layer fits: `|W − W'| <
/// 2^10` (a 64th of a unit at scale 2^16), one 11-bit limb instead of two. Steps of a layer at
/// the start of training move its weights by a few units in the last place (paper-lenet and
/// LeNet-5 at B = 1 to 16: at most 2^8).
pub const SMALL_STEP_BITS: u32 = 10;

/// Name of the multiplicities of the exp-table lookup.
pub const EXP_MULT: &str = "loss.exp_mult";

impl Plan {
    /// The plan for one step of `model` under `hyper`.
    pub fn new(model: &ModelShape, hyper: &Hyper) -> Result<Self, ProveError> {
        let b = hyper.batch;
        if !b.is_power_of_two() {
            return Err(ProveError::Config(format!(
                "batch size {b} is not a power of two"
            )));
        }
        let mut plan = Self {
            model: model.clone(),
            hyper: hyper.clone(),
            classes: 0,
            bounds: Bounds::new(hyper, 1)?,
            shapes: vec![model.input.clone()],
            tensors: BTreeMap::new(),
            ranges: Vec::new(),
            step_bits: BTreeMap::new(),
        };
        let with_batch = |shape: &[usize]| -> Vec<usize> { [&[b], shape].concat() };
        let mut max_inner = b;
        plan.add("input", &with_batch(&model.input), 0, Place::Data);
        for (l, (name, kind)) in model.layers.iter().enumerate() {
            let shape = plan.shapes[l].clone();
            // A flatten keeps the cube: the dense layer after it reads the padded (c, h, w) layout.
            let out = match kind {
                LayerKind::Flatten => shape.clone(),
                LayerKind::Dense { .. } => layer_output(name, *kind, &[shape.iter().product()])?,
                _ => layer_output(name, *kind, &shape)?,
            };
            let (x, y) = (with_batch(&shape), with_batch(&out));
            let n = |t: &str| format!("{name}.{t}");
            let padded = |d: &[usize]| d.iter().map(|v| v.next_power_of_two()).product::<usize>();
            let params = match *kind {
                LayerKind::Dense { outputs, .. } => {
                    max_inner = max_inner
                        .max(padded(&shape))
                        .max(outputs.next_power_of_two());
                    Some([&[outputs], shape.as_slice()].concat())
                }
                LayerKind::Conv {
                    out_ch,
                    in_ch,
                    kernel,
                    ..
                } => {
                    let k2 = padded(&[kernel, kernel]);
                    max_inner = max_inner
                        .max(in_ch.next_power_of_two() * k2)
                        .max(out_ch.next_power_of_two() * k2)
                        .max(padded(&y) / out_ch.next_power_of_two());
                    Some(vec![out_ch, in_ch, kernel, kernel])
                }
                _ => None,
            };
            if let Some(w) = params {
                let bias = [w[0]];
                match packed_dims(&w) {
                    Some(packed) => {
                        plan.add(&n("weight"), &w, 0, Place::Virtual);
                        plan.add(&n("weight_new"), &w, 0, Place::Virtual);
                        plan.add_packed(&n("weight_packed"), &packed, &n("weight"), Place::Weights);
                        plan.add_packed(
                            &n("weight_packed_new"),
                            &packed,
                            &n("weight_new"),
                            Place::NewWeights,
                        );
                    }
                    None => {
                        plan.add(&n("weight"), &w, 0, Place::Weights);
                        plan.add(&n("weight_new"), &w, 0, Place::NewWeights);
                    }
                }
                plan.add(&n("bias"), &bias, 0, Place::Weights);
                plan.add(&n("bias_new"), &bias, 0, Place::NewWeights);
                plan.add(&n("z"), &y, 0, Place::Step);
                plan.add(&n("z_rem"), &y, 0, Place::Virtual);
                if l > 0 {
                    plan.add(&n("dx"), &x, 0, Place::Step);
                    plan.add(&n("dx_rem"), &x, 0, Place::Virtual);
                }
                plan.add(&n("dW"), &w, 0, Place::Virtual);
                plan.add(&n("db"), &bias, 0, Place::Step);
            }
            match kind {
                LayerKind::Relu => {
                    plan.add(&n("bit"), &x, 1, Place::Step);
                    plan.add(&n("out"), &x, 0, Place::Step);
                    plan.add(&n("dx"), &x, 0, Place::Step);
                }
                LayerKind::MaxPool(_) => {
                    for t in ["select", "gap", "dx"] {
                        plan.add(&n(t), &x, 0, Place::Step);
                    }
                    plan.add(&n("out"), &y, 0, Place::Step);
                }
                LayerKind::AvgPool(_) => {
                    for t in ["out", "rem", "dx_rem"] {
                        plan.add(&n(t), &y, 0, Place::Step);
                    }
                    plan.add(&n("dx"), &x, 0, Place::Step);
                }
                _ => {}
            }
            plan.shapes.push(out);
        }
        if !matches!(model.layers.last(), Some((_, LayerKind::Dense { .. }))) {
            return Err(ProveError::Config(
                "the last layer must be dense (its z are the logits)".into(),
            ));
        }
        let width = plan.shapes.last().map_or(0, |s| s.iter().product());
        plan.classes = width;
        plan.add("labels", &[b, width], 0, Place::Data);
        if hyper.loss == Loss::SoftmaxCrossEntropy {
            for t in [
                "argmax",
                "diff",
                "exp_in",
                "exp_in_rem",
                "exp_sat",
                "exp_idx",
            ] {
                plan.add(&format!("loss.{t}"), &[b, width], 0, Place::Step);
            }
            plan.add("loss.exp", &[b, width], hyper.fixed.one(), Place::Step);
            for t in ["prob", "prob_rem"] {
                plan.add(&format!("loss.{t}"), &[b, width], 0, Place::Step);
            }
            plan.add("loss.max", &[b], 0, Place::Step);
            plan.add("loss.sum", &[b], 0, Place::Step);
            let len = exp_table_len(hyper.fixed.scale());
            plan.add(EXP_MULT, &[len], 0, Place::Step);
        }
        plan.add("loss.grad", &[b, width], 0, Place::Step);
        plan.bounds = Bounds::new(hyper, max_inner)?;
        plan.add_ranges()?;
        Ok(plan)
    }

    /// The dense and conv layers (those with weights), in order.
    pub fn weighted_layers(&self) -> Vec<&str> {
        self.model
            .layers
            .iter()
            .filter(|(_, kind)| matches!(kind, LayerKind::Dense { .. } | LayerKind::Conv { .. }))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// This plan with the weight steps of the `k`-th weighted layer ([`Plan::weighted_layers`])
    /// checked as `|W − W'| < 2^{bits[k]}` instead of `2^{bounds.step_w}`: a tighter bound only
    /// strengthens the update's checks (every integer identity the default keeps exact stays
    /// exact), so a step proof may state any bits in `1..=step_w`, one per weighted layer.
    pub fn with_step_bits(mut self, bits: &[u32]) -> Result<Self, ProveError> {
        let layers: Vec<String> = self
            .weighted_layers()
            .into_iter()
            .map(String::from)
            .collect();
        if bits.len() != layers.len() {
            return Err(ProveError::ProofShape(format!(
                "{} step bounds for {} weighted layers",
                bits.len(),
                layers.len()
            )));
        }
        self.step_bits.clear();
        for (layer, &b) in layers.into_iter().zip(bits) {
            if b == 0 || b > self.bounds.step_w {
                return Err(ProveError::ProofShape(format!(
                    "{layer}: step bound 2^{b} outside 2^1..=2^{}",
                    self.bounds.step_w
                )));
            }
            if b != self.bounds.step_w {
                self.step_bits.insert(layer, b);
            }
        }
        self.ranges.clear();
        self.add_ranges()?;
        Ok(self)
    }

    /// The exponent of the bound layer `name`'s weight steps are checked against.
    pub fn step_bits_of(&self, name: &str) -> u32 {
        self.step_bits
            .get(name)
            .copied()
            .unwrap_or(self.bounds.step_w)
    }

    fn add(&mut self, name: &str, dims: &[usize], pad: i64, place: Place) {
        self.tensors.insert(
            name.to_string(),
            TensorSpec {
                name: name.to_string(),
                dims: dims.to_vec(),
                pad,
                place,
                packs: None,
            },
        );
    }

    /// A packed parameter `name` (shape `dims`) holding the entries of the view `view`.
    fn add_packed(&mut self, name: &str, dims: &[usize], view: &str, place: Place) {
        self.add(name, dims, 0, place);
        if let Some(spec) = self.tensors.get_mut(name) {
            spec.packs = Some(view.to_string());
        }
    }

    /// The tensor called `name`.
    pub fn spec(&self, name: &str) -> Result<&TensorSpec, ProveError> {
        self.tensors
            .get(name)
            .ok_or_else(|| ProveError::Config(format!("no tensor {name} in the plan")))
    }

    /// log2 of the padded number of classes.
    pub fn class_vars(&self) -> usize {
        log2(self.classes) as usize
    }

    fn range(&mut self, label: &str, terms: &[(&str, i64, usize)], constant: i64, bits: u32) {
        let vars = terms
            .first()
            .and_then(|t| self.tensors.get(t.0))
            .map_or(0, |s| s.vars() + terms[0].2);
        self.range_on(label, terms, constant, bits, vec![SubCube::whole(vars)]);
    }

    /// The range check on each of `cubes` (one spec each, the block named in the label when
    /// there are several).
    fn range_on(
        &mut self,
        label: &str,
        terms: &[(&str, i64, usize)],
        constant: i64,
        bits: u32,
        cubes: Vec<SubCube>,
    ) {
        let several = cubes.len() > 1;
        for (k, cube) in cubes.into_iter().enumerate() {
            self.ranges.push(RangeSpec {
                label: if several {
                    format!("{label} (block {k})")
                } else {
                    label.to_string()
                },
                terms: terms
                    .iter()
                    .map(|&(name, coeff, low)| RangeTerm {
                        name: name.to_string(),
                        coeff,
                        low,
                    })
                    .collect(),
                constant,
                bits,
                cube,
            });
        }
    }

    /// `0 ≤ T < bound` for a small `bound` (below `2^SMALL_BITS`): two checks in the shared
    /// `SMALL_BITS` group, `T` and `bound − 1 − T`.
    fn less_than(&mut self, name: &str, bound: i64) {
        self.range(name, &[(name, 1, 0)], 0, SMALL_BITS);
        let label = format!("{} − {name}", bound - 1);
        self.range(&label, &[(name, -1, 0)], bound - 1, SMALL_BITS);
    }

    /// `0 ≤ T < 2^bits`; below `SMALL_BITS` as two checks, `T` and `2^bits − 1 − T` (so it
    /// joins the shared group instead of adding a group of its own).
    fn below(&mut self, name: &str, bits: u32) {
        if bits < SMALL_BITS {
            self.less_than(name, 1i64 << bits);
        } else {
            self.range(name, &[(name, 1, 0)], 0, bits);
        }
    }

    fn signed(&mut self, name: &str, bits: u32) {
        self.range(name, &[(name, 1, 0)], 1i64 << bits, bits + 1);
    }

    /// `|T| < 2^bits` on each of `cubes`.
    fn signed_on(&mut self, name: &str, bits: u32, cubes: Vec<SubCube>) {
        self.range_on(name, &[(name, 1, 0)], 1i64 << bits, bits + 1, cubes);
    }

    fn add_ranges(&mut self) -> Result<(), ProveError> {
        let s = self.hyper.fixed.scale();
        let bd = self.bounds;
        // The batch comes from `C_D`, which the prover chose: its pixels lie in `[0, 1]`
        // (`[0, 2^s]` quantized), checked as `[0, 2^{s+1})` — larger ones could make the first
        // layer's products wrap, and the tight bound keeps the first layer's `dW` small.
        self.range("input", &[("input", 1, 0)], 0, s + 1);
        let layers = self.model.layers.clone();
        for (l, (name, kind)) in layers.iter().enumerate() {
            let n = |t: &str| format!("{name}.{t}");
            match kind {
                LayerKind::Dense { .. } | LayerKind::Conv { .. } => {
                    // The weight-shaped checks run over the weights' real entries alone: the
                    // padding of `W` and `W'` is proven zero (so it needs no bound and its step
                    // is zero), and `dW` feeds nothing but the update, so its padding is free to
                    // be anything.
                    let blocks = real_blocks(&self.spec(&n("weight"))?.dims);
                    self.signed_on(&n("weight"), bd.value, blocks.clone());
                    self.signed(&n("bias"), bd.value);
                    self.signed(&n("z"), bd.value);
                    self.range(&n("z_rem"), &[(&n("z_rem"), 1, 0)], 0, s);
                    if l > 0 {
                        self.signed(&n("dx"), bd.value);
                        self.range(&n("dx_rem"), &[(&n("dx_rem"), 1, 0)], 0, s);
                    }
                    if !self.grad_is_small(l) {
                        self.signed_on(&n("dW"), bd.grad_acc, blocks.clone());
                    }
                    self.signed(&n("db"), bd.grad_acc);
                    let lr = self.hyper.lr;
                    let bias = vec![SubCube::whole(self.spec(&n("bias"))?.vars())];
                    for (p, grad, step, div, on) in [
                        ("weight", "dW", self.step_bits_of(name), bd.div_w, blocks),
                        ("bias", "db", bd.step_b, bd.div_b, bias),
                    ] {
                        // The update `new = old − ⌊η·grad / 2^div⌋`, as two range checks on
                        // combinations: the step `old − new` is small, and the remainder
                        // `η·grad − 2^div·(old − new)` lies in `[0, 2^div)`.
                        let (old, new, grad) = (n(p), n(&format!("{p}_new")), n(grad));
                        self.range_on(
                            &format!("{old} − {new} (the step)"),
                            &[(&old, 1, 0), (&new, -1, 0)],
                            1i64 << step,
                            step + 1,
                            on.clone(),
                        );
                        self.range_on(
                            &format!("η·{grad} − 2^{div}·({old} − {new}) (the step's remainder)"),
                            &[
                                (&grad, lr, 0),
                                (&old, -(1i64 << div), 0),
                                (&new, 1i64 << div, 0),
                            ],
                            0,
                            div,
                            on,
                        );
                    }
                }
                LayerKind::Relu => {
                    // With `bit` boolean and `out = bit·z` (zero checks), `2·out − z − 1 + bit`
                    // is `z` where `bit = 1` and `−z − 1` where `bit = 0`: one range check
                    // proves both signs (and bounds `out`, as `z` is bounded).
                    let z = self.input_of(l);
                    self.range(
                        &format!("{name}.sign (2·out − z − 1 + bit ≥ 0)"),
                        &[(&n("out"), 2, 0), (&z, -1, 0), (&n("bit"), 1, 0)],
                        -1,
                        bd.value + 1,
                    );
                }
                LayerKind::MaxPool(_) => {
                    self.range(&n("gap"), &[(&n("gap"), 1, 0)], 0, bd.value + 1);
                }
                LayerKind::AvgPool(k) => {
                    let window = i64::try_from(k * k).unwrap_or(i64::MAX);
                    self.signed(&n("out"), bd.value);
                    self.signed(&n("dx"), bd.value);
                    self.less_than(&n("rem"), window);
                    self.less_than(&n("dx_rem"), window);
                }
                _ => {}
            }
        }
        if self.hyper.loss == Loss::SoftmaxCrossEntropy {
            let len = exp_table_len(s);
            let cap = (len - 1) as i64;
            let cv = self.class_vars();
            self.range("loss.diff", &[("loss.diff", 1, 0)], 0, bd.value + 1);
            self.below("loss.exp_in_rem", s - EXP_FRAC_BITS);
            self.range(
                "loss.exp_in − loss.exp_idx ≥ 0",
                &[("loss.exp_in", 1, 0), ("loss.exp_idx", -1, 0)],
                0,
                bd.value + 1,
            );
            self.range(
                "cap − 1 − loss.exp_idx + loss.exp_sat ≥ 0",
                &[("loss.exp_idx", -1, 0), ("loss.exp_sat", 1, 0)],
                cap - 1,
                len.trailing_zeros(),
            );
            // `prob = ⌊exp·2^s / sum⌋ ≤ 2^s` (each `exp` is one term of `sum`).
            self.range("loss.prob", &[("loss.prob", 1, 0)], 0, s + 1);
            self.range("loss.prob_rem", &[("loss.prob_rem", 1, 0)], 0, bd.value + 1);
            self.range(
                "loss.sum − 1 − loss.prob_rem ≥ 0",
                &[("loss.prob_rem", -1, 0), ("loss.sum", 1, cv)],
                -1,
                bd.value + 1,
            );
        }
        Ok(())
    }

    /// The largest `|x|` of any entry (padding included) of the layer input or gradient `name`
    /// that the plan's range checks and relations allow, where this module derives one: the batch
    /// lies in `[0, 2^{s+1})`, ReLU outputs in `[0, 2^{value+1})`, pre-activations and `dx` of
    /// dense, conv and avg-pool layers in `[−2^value, 2^value)`, a ReLU's `dx = bit·dy` is bounded
    /// like its `dy`, a max-pool's output (one input of its window) like its input and its `dx`
    /// (the window's `dy` at the selected input, zero elsewhere; windows do not overlap) like its
    /// `dy`, and the loss gradient `prob − onehot·2^s` with `prob ∈ [0, 2^{s+1})` by `2^{s+1}`
    /// (the MSE gradient `z − onehot·2^s` by `2^value + 2^s`).
    fn magnitude(&self, name: &str) -> Option<u128> {
        let value = 1u128 << self.bounds.value;
        let one = 1u128 << self.hyper.fixed.scale();
        if name == "input" {
            return Some(2 * one - 1);
        }
        if name == "loss.grad" {
            return Some(match self.hyper.loss {
                Loss::SoftmaxCrossEntropy => 2 * one - 1,
                Loss::Mse => value + one,
            });
        }
        let (layer, tensor) = name.rsplit_once('.')?;
        let l = self.model.layers.iter().position(|(n, _)| n == layer)?;
        match (self.model.layers[l].1, tensor) {
            (LayerKind::Relu, "out") => Some(2 * value - 1),
            (LayerKind::Relu, "dx") | (LayerKind::MaxPool(_), "dx") => {
                self.magnitude(&self.grad_of(l))
            }
            (LayerKind::MaxPool(_), "out") => self.magnitude(&self.input_of(l)),
            (LayerKind::Dense { .. } | LayerKind::Conv { .. }, "z" | "dx")
            | (LayerKind::AvgPool(_), "out" | "dx") => Some(value),
            _ => None,
        }
    }

    /// Whether layer `l`'s weight gradient is bounded by [`Plan::magnitude`] alone as tightly as
    /// the update needs (`η·|dW| < 2^58`, the bound `grad_acc` would enforce): then `dW` needs no
    /// range check of its own. Each entry of a dense `dW = dyᵀ·a` is a sum of one product per
    /// sample; each entry of a conv kernel gradient one per sample and (padded) output position
    /// — the position's input under that kernel offset, or none — so `|dW| ≤ terms·|a|·|dy|`
    /// with `terms` the padded entries of `dy` per output channel.
    fn grad_is_small(&self, l: usize) -> bool {
        let (a, dy) = (
            self.magnitude(&self.input_of(l)),
            self.magnitude(&self.grad_of(l)),
        );
        let lr = u128::try_from(self.hyper.lr).ok();
        let terms = self.spec(&self.grad_of(l)).ok().map(|spec| {
            spec.dims
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != 1)
                .map(|(_, &d)| d.next_power_of_two() as u128)
                .product::<u128>()
        });
        let bound = [a, dy, lr, terms]
            .into_iter()
            .try_fold(1u128, |acc, x| acc.checked_mul(x?));
        matches!(
            self.model.layers[l].1,
            LayerKind::Dense { .. } | LayerKind::Conv { .. }
        ) && bound.is_some_and(|b| b < 1u128 << (FIELD_BITS - 1))
    }

    /// The name of the tensor layer `l` reads (`input`, or the previous layer's output).
    pub fn input_of(&self, l: usize) -> String {
        let mut k = l;
        while k > 0 {
            k -= 1;
            let (name, kind) = &self.model.layers[k];
            match kind {
                LayerKind::Dense { .. } | LayerKind::Conv { .. } => return format!("{name}.z"),
                LayerKind::Flatten => {}
                _ => return format!("{name}.out"),
            }
        }
        "input".into()
    }

    /// The gradient flowing into layer `l` from above (`loss.grad`, or the next layer's `dx`).
    pub fn grad_of(&self, l: usize) -> String {
        self.model.layers[l + 1..]
            .iter()
            .find(|(_, kind)| *kind != LayerKind::Flatten)
            .map_or_else(|| "loss.grad".into(), |(name, _)| format!("{name}.dx"))
    }

    /// Names of the tensors in one commitment, in layout order.
    pub fn names(&self, place: Place) -> Vec<&str> {
        self.tensors
            .values()
            .filter(|t| t.place == place)
            .map(|t| t.name.as_str())
            .collect()
    }
}

impl Plan {
    /// Range checks grouped by bit width (ascending): `(shape, indices into ranges)`, one check
    /// each of the step's one batched range check.
    pub fn range_groups(&self) -> Vec<(RangeShape, Vec<usize>)> {
        let mut groups: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        for (i, r) in self.ranges.iter().enumerate() {
            groups.entry(r.bits).or_default().push(i);
        }
        groups
            .into_iter()
            .map(|(bits, specs)| {
                let log_lens = specs
                    .iter()
                    .map(|&i| self.ranges[i].cube.free_vars())
                    .collect();
                (RangeShape { bits, log_lens }, specs)
            })
            .collect()
    }

    /// log2 of the rows of each table the range groups share ([`range::table_logs`]).
    pub fn range_table_logs(&self) -> Vec<usize> {
        let shapes: Vec<RangeShape> = self.range_groups().into_iter().map(|g| g.0).collect();
        range::table_logs(&shapes)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::arch::Architecture;

    fn plan(arch: Architecture, batch: usize) -> Plan {
        let hyper = Hyper::new(16, 0.1, batch, Loss::SoftmaxCrossEntropy).unwrap();
        Plan::new(&ModelShape::of(&arch.build(16, 1).unwrap()), &hyper).unwrap()
    }

    fn position(plan: &Plan, layer: &str) -> usize {
        plan.model
            .layers
            .iter()
            .position(|(n, _)| n == layer)
            .unwrap()
    }

    fn checked(plan: &Plan, name: &str) -> bool {
        plan.ranges.iter().any(|r| r.label == name)
    }

    /// The blocks of a parameter tensor cover its real entries, once each, and some padding
    /// only where a dimension's tail is small; a tensor with little padding stays whole.
    #[test]
    fn real_blocks_cover_the_real_entries() {
        for (dims, blocks, entries) in [
            (vec![128, 784], 3, 128 * 784),
            (vec![10, 128], 2, 10 * 128),
            (vec![64, 64, 3, 3], 4, 64 * 64 * 9),
            (vec![100, 64], 3, 100 * 64),
            (vec![250, 8], 1, 256 * 8),
            (vec![6, 1, 5, 5], 1, 8 * 8 * 8),
            (vec![120, 400], 12, 120 * 400),
        ] {
            let cubes = real_blocks(&dims);
            assert_eq!(cubes.len(), blocks, "{dims:?}");
            let mut seen = HashSet::new();
            for cube in &cubes {
                for y in 0..1usize << cube.free_vars() {
                    assert!(seen.insert(cube.index(y)), "{dims:?}: entry twice");
                }
            }
            assert_eq!(seen.len(), entries, "{dims:?}");
            let vars: Vec<usize> = dims.iter().map(|&d| log2(d) as usize).collect();
            let real = |mut x: usize| {
                dims.iter().zip(&vars).rev().all(|(&d, &v)| {
                    let c = x % (1 << v);
                    x >>= v;
                    c < d
                })
            };
            let total: usize = vars.iter().sum();
            assert!((0..1usize << total)
                .filter(|&x| real(x))
                .all(|x| seen.contains(&x)));
        }
    }

    /// Every weight-shaped check of a conv layer (its kernel, the update's step and remainder,
    /// `dW` where it is checked) covers the kernel's real-entry blocks: paper-lenet's `conv3` kernel
    /// `[128, 16, 5, 5]` is checked over four blocks, 51 200 of its 131 072 padded entries; its
    /// `conv1` kernel `[4, 1, 5, 5]` (100 of 256) stays whole.
    #[test]
    fn conv_kernels_are_checked_over_their_real_entries() {
        let lenet = plan(Architecture::PaperLeNet { channels: 1 }, 4);
        let cubes = |label: &str| -> Vec<usize> {
            let block = format!("{label} (block ");
            let specs = lenet.ranges.iter();
            specs
                .filter(|r| r.label == label || r.label.starts_with(&block))
                .map(|r| 1usize << r.cube.free_vars())
                .collect()
        };
        for label in [
            "conv3.weight",
            "conv3.weight − conv3.weight_new (the step)",
            "η·conv3.dW − 2^34·(conv3.weight − conv3.weight_new) (the step's remainder)",
        ] {
            let sizes = cubes(label);
            assert_eq!(sizes.len(), 4, "{label}");
            assert_eq!(sizes.iter().sum::<usize>(), 128 * 16 * 25, "{label}");
        }
        assert_eq!(cubes("conv1.weight"), vec![4 * 8 * 8]);
    }

    /// A dense or conv layer's `dW` is range-checked unless its operands' bounds already keep
    /// `η·dW` below `2^58`.
    #[test]
    fn weight_gradients_are_checked_unless_implied() {
        let vgg = plan(Architecture::PaperVgg { channels: 1 }, 16);
        for layer in ["fc1", "fc2", "fc3", "fc4"] {
            assert!(vgg.grad_is_small(position(&vgg, layer)), "{layer}");
            assert!(!checked(&vgg, &format!("{layer}.dW")), "{layer}");
        }
        assert!(checked(&vgg, "conv1.dW"));
        // A conv kernel gradient sums over every sample and output position: paper-lenet's
        // `conv3` has one (5×5 input, 5×5 kernel), so its bound is B·|a|·|dy|·η = 2^4·2^20·2^20·6554
        // < 2^58 at B = 16; `conv1` and `conv2` sum over 32×32 and 16×16 padded positions.
        for batch in [4, 16] {
            let lenet = plan(Architecture::PaperLeNet { channels: 1 }, batch);
            assert!(!checked(&lenet, "conv3.dW"), "B = {batch}");
            assert!(checked(&lenet, "conv1.dW") && checked(&lenet, "conv2.dW (block 0)"));
        }
        // Through a max-pool: LeNet-5's fc1 reads pooled ReLU outputs.
        let lenet = plan(Architecture::LeNet5 { size: 28 }, 16);
        assert!(lenet.grad_is_small(position(&lenet, "fc1")));
        // The MLP's first layer reads pixels (< 2^17): B·|a|·|dy|·η ≈ 2^4·2^17·2^22·6554 < 2^58;
        // its last layer reads ReLU outputs (< 2^23) and the loss gradient (< 2^17).
        let mlp = plan(Architecture::Mlp(vec![784, 128, 10]), 16);
        assert!(!checked(&mlp, "fc1.dW") && !checked(&mlp, "fc2.dW"));
        // A hidden dense layer reads ReLU outputs and dx (2^4·2^23·2^22·6554 ≥ 2^58): checked.
        let deep = plan(Architecture::Mlp(vec![784, 128, 64, 10]), 16);
        assert!(checked(&deep, "fc2.dW"));
        // The batch comes from the prover's C_D: always checked.
        assert!(checked(&mlp, "input"));
    }
}
