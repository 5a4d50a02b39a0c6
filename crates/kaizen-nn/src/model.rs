//! Sequential models (dense, conv2d, ReLU, max/avg pooling, flatten) trained by exact fixed-point
//! SGD; one [`Model::step`] returns the new model and the step witness the proof will check, as
//! named tensors `"{layer}.{tensor}"` (layers named like PyTorch modules: `conv1`, `fc2`, `relu3`,
//! `pool1`, …).
//!
//! Semantics (scale `s` fractional bits; every division is floor division with a remainder in
//! `[0, d)`, as the proofs check it; every tensor is range-checked to `|x| < 2^VALUE_BITS`):
//!
//! * dense / conv layer: `acc = x·Wᵀ + b·2^s` / `conv2d(x, W) + b·2^s` (scale 2s);
//!   `z = ⌊acc / 2^s⌋`, `z_rem`; ReLU: `bit = [x ≥ 0]`, `out = bit·x`; max pool: `out`, one-hot
//!   `select` per window, `gap = out − x ≥ 0` on every window element (0 outside windows); avg pool: `out = ⌊Σ window / k²⌋`, `rem`;
//! * softmax cross-entropy on the logits `z` of each row: `max`, `argmax` (one-hot, first maximum),
//!   `diff = max − z ≥ 0`; `exp_in = ⌊diff / 2^{s−8}⌋`, `exp_in_rem`; `exp_idx = min(exp_in, L − 1)`
//!   with `exp_sat = [exp_in ≥ L − 1]`; `exp = EXP[exp_idx]`, `EXP[k] = round(e^{−k/256}·2^s)`
//!   for `k < L` (`L = 2^12` at `s = 16`: the first power of two whose last entry is 0);
//!   `sum = Σ exp`; `prob = ⌊exp·2^s / sum⌋`, `prob_rem`; `grad = prob − onehot·2^s`;
//!   MSE: `grad = z − onehot·2^s` (the gradient of ½‖z − y‖²);
//! * backward: `dy_L = grad`; dense/conv: `dW` (scale 2s), `db` (scale s), `dx = ⌊(dy·W) / 2^s⌋`
//!   (or the conv input gradient), `dx_rem` — not computed for the first layer; ReLU:
//!   `dx = bit·dy`; max pool: `dx = select·dy`; avg pool: `dx = ⌊dy / k²⌋` per window input,
//!   `dx_rem` per window; flatten reshapes;
//! * update: `weight_new = W − ⌊η·dW / (B·2^{2s})⌋` (η·dW at scale 3s); bias likewise with
//!   `B·2^s` (the step and its remainder are not recorded: the proof reads them off `W`, `W'`, `dW`).
use std::collections::BTreeMap;

use kaizen_field::fixed_point::{div_rem_floor, FixedPoint};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use crate::{
    conv::{
        avg_pool, avg_pool_grad, conv2d, conv2d_input_grad, conv2d_weight_grad, max_pool,
        max_pool_gap, max_pool_grad, ConvShape,
    },
    data::Dataset,
    tensor::{Tensor, VALUE_BITS},
    NnError,
};

/// Fractional bits of the exp table's input (resolution 1/256).
pub const EXP_FRAC_BITS: u32 = 8;

/// The most entries one tensor of a model may have — a layer's weights, one sample's input or
/// activations — and its parameters in all: 2^32. A larger model is a configuration error, found
/// before anything is allocated (a model read from an untrusted file must not abort the process).
pub const MAX_TENSOR: usize = 1 << 32;

/// `Π dims`, if it is at most [`MAX_TENSOR`].
pub fn tensor_len(dims: &[usize]) -> Option<usize> {
    dims.iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR)
}

/// The loss whose gradient starts the backward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Loss {
    /// Mean squared error against the one-hot label.
    Mse,
    /// Softmax cross-entropy.
    SoftmaxCrossEntropy,
}

/// Hyper-parameters of a training step.
#[derive(Clone, Debug, PartialEq)]
pub struct Hyper {
    /// Fixed-point format.
    pub fixed: FixedPoint,
    /// Learning rate, quantized at the same scale.
    pub lr: i64,
    /// Batch size.
    pub batch: usize,
    /// Loss.
    pub loss: Loss,
}

impl Hyper {
    /// Hyper-parameters with a real learning rate (`scale ≥ 8` for the exp table).
    pub fn new(scale: u32, lr: f64, batch: usize, loss: Loss) -> Result<Self, NnError> {
        let fixed = FixedPoint::new(scale)?;
        if scale < EXP_FRAC_BITS {
            return Err(NnError::Config(format!(
                "scale {scale} below {EXP_FRAC_BITS}"
            )));
        }
        if batch == 0 {
            return Err(NnError::Config("batch size 0".into()));
        }
        let lr = fixed.quantize(lr)?;
        if lr <= 0 {
            return Err(NnError::Config(
                "learning rate must be positive at this scale".into(),
            ));
        }
        Ok(Self {
            fixed,
            lr,
            batch,
            loss,
        })
    }

    /// Hyper-parameters with an already quantized learning rate (as stored in a statement).
    pub fn from_quantized(scale: u32, lr: i64, batch: usize, loss: Loss) -> Result<Self, NnError> {
        let fixed = FixedPoint::new(scale)?;
        if scale < EXP_FRAC_BITS || batch == 0 || lr <= 0 {
            return Err(NnError::Config(format!(
                "scale {scale} (≥ {EXP_FRAC_BITS}), batch {batch} (≥ 1) or learning rate {lr} (> 0) out of range"
            )));
        }
        Ok(Self {
            fixed,
            lr,
            batch,
            loss,
        })
    }

    fn one(&self) -> i128 {
        1i128 << self.fixed.scale()
    }
}

/// `round(e^{−k/256}·2^scale)`.
fn exp_entry(k: usize, scale: u32) -> i64 {
    ((-(k as f64) / f64::from(1u32 << EXP_FRAC_BITS)).exp() * 2f64.powi(scale as i32)).round()
        as i64
}

/// Entries of the exp table at `scale`: the smallest power of two `L ≥ 2` with `EXP[L − 1] = 0`
/// (`2^12` at scale 16, `2^13` from scale 23). Every larger index would read zero too, so an
/// index clamped to `L − 1` reads the same value as in an unbounded table.
pub fn exp_table_len(scale: u32) -> usize {
    let mut len = 2;
    while exp_entry(len - 1, scale) != 0 {
        len *= 2;
    }
    len
}

/// `EXP[k] = round(e^{−k/256}·2^scale)` for `k < exp_table_len(scale)`.
pub fn exp_table(scale: u32) -> Vec<i64> {
    (0..exp_table_len(scale))
        .map(|k| exp_entry(k, scale))
        .collect()
}

/// `out[n][o] = Σ_i a[n][i]·b[o][i]` (both row-major; `a: [rows, k]`, `b: [cols, k]`).
fn matmul_t(a: &[i64], b: &[i64], k: usize) -> Vec<i128> {
    a.par_chunks(k)
        .flat_map_iter(|row| {
            b.chunks(k).map(move |w| {
                row.iter()
                    .zip(w)
                    .map(|(&x, &y)| i128::from(x) * i128::from(y))
                    .sum()
            })
        })
        .collect()
}

/// `out = aᵀ·b` for `a: [n, p]`, `b: [n, q]`: `[p, q]`.
fn matmul_tn(a: &[i64], p: usize, b: &[i64], q: usize) -> Vec<i128> {
    (0..p)
        .into_par_iter()
        .flat_map_iter(|i| {
            (0..q).map(move |j| {
                a.chunks(p)
                    .zip(b.chunks(q))
                    .map(|(ra, rb)| i128::from(ra[i]) * i128::from(rb[j]))
                    .sum()
            })
        })
        .collect()
}

/// `out = a·b` for `a: [n, p]`, `b: [p, q]`: `[n, q]`.
fn matmul_nn(a: &[i64], p: usize, b: &[i64], q: usize) -> Vec<i128> {
    a.par_chunks(p)
        .flat_map_iter(|ra| {
            (0..q).map(move |j| {
                ra.iter()
                    .enumerate()
                    .map(|(k, &x)| i128::from(x) * i128::from(b[k * q + j]))
                    .sum()
            })
        })
        .collect()
}

/// Floor-divides each value; returns quotients and remainders.
fn divide(values: &[i128], d: i128) -> Result<(Vec<i128>, Vec<i128>), NnError> {
    let mut q = Vec::with_capacity(values.len());
    let mut r = Vec::with_capacity(values.len());
    for &v in values {
        let (a, b) = div_rem_floor(v, d)?;
        q.push(a);
        r.push(b);
    }
    Ok((q, r))
}

/// What a layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// `y = x·Wᵀ + b`, `W: [outputs, inputs]`.
    Dense {
        /// Input width.
        inputs: usize,
        /// Output width.
        outputs: usize,
    },
    /// 2-D convolution, `W: [out_ch, in_ch, kernel, kernel]`.
    Conv {
        /// Input channels.
        in_ch: usize,
        /// Output channels.
        out_ch: usize,
        /// Kernel size.
        kernel: usize,
        /// Stride.
        stride: usize,
        /// Zero padding.
        padding: usize,
    },
    /// `max(x, 0)`.
    Relu,
    /// `k×k` max pooling, stride `k`.
    MaxPool(usize),
    /// `k×k` average pooling, stride `k`.
    AvgPool(usize),
    /// `[C, H, W] → [C·H·W]`.
    Flatten,
}

/// A layer: its name, kind and (for dense and conv) parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Module name (`conv1`, `fc2`, `relu1`, …).
    pub name: String,
    /// What it computes.
    pub kind: LayerKind,
    /// Weights and biases of dense and conv layers.
    pub params: Option<(Tensor, Tensor)>,
}

/// A sequential model over per-sample inputs of shape `input`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Model {
    /// Per-sample input shape (`[features]` or `[C, H, W]`).
    pub input: Vec<usize>,
    /// The layers.
    pub layers: Vec<Layer>,
}

/// The step witness: every tensor of one step, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepWitness {
    /// Named tensors (`input`, `labels`, `fc1.weight`, `fc1.z`, …).
    pub tensors: BTreeMap<String, Tensor>,
}

impl StepWitness {
    fn put(&mut self, name: String, t: Tensor) {
        self.tensors.insert(name, t);
    }

    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.tensors.get(name)
    }
}

fn conv_shape(kind: LayerKind, x: &[usize]) -> Option<ConvShape> {
    match (kind, x) {
        (
            LayerKind::Conv {
                in_ch,
                out_ch,
                kernel,
                stride,
                padding,
            },
            &[batch, c, height, width],
        ) if c == in_ch => Some(ConvShape {
            batch,
            in_ch,
            out_ch,
            height,
            width,
            kernel,
            stride,
            padding,
        }),
        _ => None,
    }
}

/// Per-sample output shape of a layer, or an error naming it.
pub(crate) fn output_shape(layer: &Layer, x: &[usize]) -> Result<Vec<usize>, NnError> {
    layer_output(&layer.name, layer.kind, x)
}

/// Per-sample output shape of layer `name` of kind `kind` on inputs of shape `x`.
pub(crate) fn layer_output(
    name: &str,
    kind: LayerKind,
    x: &[usize],
) -> Result<Vec<usize>, NnError> {
    let bad = || {
        NnError::Shape(format!(
            "{name}: input of shape {x:?} does not fit {kind:?}"
        ))
    };
    Ok(match (kind, x) {
        (LayerKind::Dense { inputs, outputs }, &[w]) if w == inputs => vec![outputs],
        (LayerKind::Conv { .. }, &[c, h, w]) => {
            let s = conv_shape(kind, &[1, c, h, w]).ok_or_else(bad)?;
            let (oh, ow) = s.output()?;
            vec![s.out_ch, oh, ow]
        }
        (LayerKind::Relu, _) => x.to_vec(),
        (LayerKind::MaxPool(k) | LayerKind::AvgPool(k), &[c, h, w])
            if k > 0 && h >= k && w >= k =>
        {
            vec![c, h / k, w / k]
        }
        (LayerKind::Flatten, _) => vec![x.iter().product()],
        _ => return Err(bad()),
    })
}

/// A layer's parameter shapes: the weight's (`[out, in]` dense, `[O, C, K, K]` conv) and the
/// bias length; `None` for a layer without parameters.
fn param_dims(kind: LayerKind) -> Option<(Vec<usize>, usize)> {
    match kind {
        LayerKind::Dense { inputs, outputs } => Some((vec![outputs, inputs], outputs)),
        LayerKind::Conv {
            in_ch,
            out_ch,
            kernel,
            ..
        } => Some((vec![out_ch, in_ch, kernel, kernel], out_ch)),
        _ => None,
    }
}

/// The layers of a model over `input`: named like PyTorch modules, counting each kind (`conv1`,
/// `relu1`, `pool1`, `fc1`, …), every layer's output shape checked, every tensor within
/// [`MAX_TENSOR`], class scores at the end — all of [`Model::new`] but the weights (what a
/// proof's public shape needs).
pub fn layout(input: &[usize], kinds: &[LayerKind]) -> Result<Vec<(String, LayerKind)>, NnError> {
    if kinds.is_empty() {
        return Err(NnError::Config("a model needs at least one layer".into()));
    }
    let too_large = |what: String| {
        NnError::Config(format!(
            "{what}: more than 2^32 entries (the most a model may have)"
        ))
    };
    if tensor_len(input).is_none() {
        return Err(too_large(format!("the input {input:?}")));
    }
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut shape = input.to_vec();
    let mut total = 0usize;
    let mut named = Vec::with_capacity(kinds.len());
    for &kind in kinds {
        let prefix = match kind {
            LayerKind::Dense { .. } => "fc",
            LayerKind::Conv { .. } => "conv",
            LayerKind::Relu => "relu",
            LayerKind::MaxPool(_) | LayerKind::AvgPool(_) => "pool",
            LayerKind::Flatten => "flatten",
        };
        let n = counts.entry(prefix).or_default();
        *n += 1;
        let name = format!("{prefix}{n}");
        if let Some((wshape, outs)) = param_dims(kind) {
            total = tensor_len(&wshape)
                .and_then(|n| total.checked_add(n)?.checked_add(outs))
                .filter(|&n| n <= MAX_TENSOR)
                .ok_or_else(|| too_large(format!("{name}.weight {wshape:?} or the parameters")))?;
        }
        shape = layer_output(&name, kind, &shape)?;
        if tensor_len(&shape).is_none() {
            return Err(too_large(format!("{name}'s output {shape:?}")));
        }
        named.push((name, kind));
    }
    if shape.len() != 1 {
        return Err(NnError::Shape(format!(
            "the last layer must output class scores, not {shape:?}"
        )));
    }
    Ok(named)
}

impl Model {
    /// A model with the given layers ([`layout`]), parameters drawn uniformly in `±1/√fan_in`
    /// from ChaCha20 seeded with `seed` (biases zero), quantized at `scale`.
    pub fn new(
        input: &[usize],
        kinds: &[LayerKind],
        scale: u32,
        seed: u64,
    ) -> Result<Self, NnError> {
        let fixed = FixedPoint::new(scale)?;
        let named = layout(input, kinds)?;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let layers = named
            .into_iter()
            .map(|(name, kind)| {
                let params = param_dims(kind)
                    .map(|(wshape, outs)| {
                        let fan_in: usize = wshape[1..].iter().product();
                        let bound = 1.0 / (fan_in as f64).sqrt();
                        let count: usize = wshape.iter().product();
                        let values = (0..count)
                            .map(|_| fixed.quantize(rng.gen_range(-bound..bound)).map(i128::from))
                            .collect::<Result<Vec<_>, _>>()?;
                        Ok::<_, NnError>((
                            Tensor::new(&format!("{name}.weight"), &wshape, values)?,
                            Tensor::zeros(&[outs]),
                        ))
                    })
                    .transpose()?;
                Ok(Layer { name, kind, params })
            })
            .collect::<Result<Vec<_>, NnError>>()?;
        Ok(Self {
            input: input.to_vec(),
            layers,
        })
    }

    /// The model of [`layout`] with every parameter zero: a template to load weights into
    /// ([`Model::load_safetensors`]) without drawing random ones.
    pub fn zeros(input: &[usize], kinds: &[LayerKind]) -> Result<Self, NnError> {
        let layers = layout(input, kinds)?
            .into_iter()
            .map(|(name, kind)| Layer {
                params: param_dims(kind).map(|(w, b)| (Tensor::zeros(&w), Tensor::zeros(&[b]))),
                name,
                kind,
            })
            .collect();
        Ok(Self {
            input: input.to_vec(),
            layers,
        })
    }

    /// Number of parameters.
    pub fn parameters(&self) -> usize {
        self.layers
            .iter()
            .filter_map(|l| l.params.as_ref())
            .map(|(w, b)| w.len() + b.len())
            .sum()
    }

    /// Forward pass; returns every layer's output (input first), recording the witness if asked.
    fn forward(
        &self,
        x: &Tensor,
        hyper: &Hyper,
        mut w: Option<&mut StepWitness>,
    ) -> Result<Vec<Tensor>, NnError> {
        let batch = batch_of(x)?;
        let mut shape = vec![batch];
        shape.extend(&self.input);
        if x.len() != shape.iter().product::<usize>() {
            return Err(NnError::Shape(format!(
                "input of {} values for per-sample shape {:?}",
                x.len(),
                self.input
            )));
        }
        let mut acts = vec![Tensor {
            shape,
            data: x.data.clone(),
        }];
        for layer in &self.layers {
            let a = &acts[acts.len() - 1];
            let name = &layer.name;
            let mut out_shape = vec![batch];
            out_shape.extend(output_shape(layer, &a.shape[1..])?);
            let mut record = |suffix: &str, t: Tensor| {
                if let Some(w) = w.as_deref_mut() {
                    w.put(format!("{name}.{suffix}"), t);
                }
            };
            let out = match (layer.kind, &layer.params) {
                (LayerKind::Dense { inputs, outputs }, Some((wt, b))) => {
                    let mut acc = matmul_t(&a.data, &wt.data, inputs);
                    acc.iter_mut()
                        .enumerate()
                        .for_each(|(i, v)| *v += i128::from(b.data[i % outputs]) * hyper.one());
                    rescale(&acc, &out_shape, name, hyper, &mut record)?
                }
                (LayerKind::Conv { out_ch, .. }, Some((wt, b))) => {
                    let s = conv_shape(layer.kind, &a.shape)
                        .ok_or_else(|| NnError::Shape(format!("{name}: bad input")))?;
                    let plane = out_shape[2] * out_shape[3];
                    let mut acc = conv2d(&a.data, &wt.data, &s)?;
                    acc.iter_mut().enumerate().for_each(|(i, v)| {
                        *v += i128::from(b.data[(i / plane) % out_ch]) * hyper.one()
                    });
                    rescale(&acc, &out_shape, name, hyper, &mut record)?
                }
                (LayerKind::Relu, _) => {
                    let bits = a.data.iter().map(|&v| i128::from(v >= 0)).collect();
                    let out = Tensor::new(
                        &format!("{name}.out"),
                        &out_shape,
                        a.data.iter().map(|&v| i128::from(v.max(0))).collect(),
                    )?;
                    record("bit", Tensor::new(&format!("{name}.bit"), &a.shape, bits)?);
                    record("out", out.clone());
                    out
                }
                (LayerKind::MaxPool(k), _) => {
                    let (planes, h, wd) = (a.shape[0] * a.shape[1], a.shape[2], a.shape[3]);
                    let (y, sel) = max_pool(&a.data, planes, h, wd, k)?;
                    let gap = max_pool_gap(&a.data, &y, planes, h, wd, k)?;
                    record(
                        "gap",
                        Tensor {
                            shape: a.shape.clone(),
                            data: gap,
                        },
                    );
                    let out = Tensor {
                        shape: out_shape,
                        data: y,
                    };
                    record(
                        "select",
                        Tensor {
                            shape: a.shape.clone(),
                            data: sel,
                        },
                    );
                    record("out", out.clone());
                    out
                }
                (LayerKind::AvgPool(k), _) => {
                    let (planes, h, wd) = (a.shape[0] * a.shape[1], a.shape[2], a.shape[3]);
                    let (y, rem) = avg_pool(&a.data, planes, h, wd, k)?;
                    record("rem", Tensor::new(&format!("{name}.rem"), &out_shape, rem)?);
                    let out = Tensor::new(&format!("{name}.out"), &out_shape, y)?;
                    record("out", out.clone());
                    out
                }
                (LayerKind::Flatten, _) => Tensor {
                    shape: out_shape,
                    data: a.data.clone(),
                },
                _ => return Err(NnError::Shape(format!("{name}: missing parameters"))),
            };
            acts.push(out);
        }
        Ok(acts)
    }

    /// Logits for a batch (the same integer semantics as a training step).
    pub fn logits(&self, x: &Tensor, hyper: &Hyper) -> Result<Tensor, NnError> {
        self.forward(x, hyper, None)?
            .pop()
            .ok_or_else(|| NnError::Shape("no layers".into()))
    }

    /// Fraction of `data` classified correctly (argmax of the logits), evaluated in chunks.
    pub fn accuracy(&self, data: &Dataset, hyper: &Hyper) -> Result<f64, NnError> {
        let mut correct = 0;
        for start in (0..data.len()).step_by(256) {
            let idx: Vec<usize> = (start..(start + 256).min(data.len())).collect();
            let logits = self.logits(&images(data, &idx, hyper)?, hyper)?;
            let classes = logits.shape[1];
            correct += logits
                .data
                .chunks(classes)
                .zip(&data.labels[start..])
                .filter(|(row, &y)| {
                    let best = row
                        .iter()
                        .enumerate()
                        .max_by_key(|&(j, &v)| (v, std::cmp::Reverse(j)));
                    best.map(|(j, _)| j) == Some(y as usize)
                })
                .count();
        }
        Ok(correct as f64 / data.len().max(1) as f64)
    }

    /// `steps` SGD steps on `data`, step `i` on the batch `[i·B, (i+1)·B) mod N` (DESIGN §1),
    /// starting at step `first` (witnesses are not kept).
    pub fn train(
        &self,
        data: &Dataset,
        hyper: &Hyper,
        exp: &[i64],
        first: usize,
        steps: usize,
    ) -> Result<Model, NnError> {
        let mut model = self.clone();
        for step in first..first + steps {
            let idx = batch_indices(step, hyper.batch, data.len());
            let x = images(data, &idx, hyper)?;
            let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
            model = model.step(&x, &labels, hyper, exp)?.0;
        }
        Ok(model)
    }

    /// One SGD step on the batch `x` with labels; returns the new model and the witness.
    pub fn step(
        &self,
        x: &Tensor,
        labels: &[u8],
        hyper: &Hyper,
        exp: &[i64],
    ) -> Result<(Model, StepWitness), NnError> {
        let classes = match self.layers.last().map(|l| l.kind) {
            Some(LayerKind::Dense { outputs, .. }) => outputs,
            _ => return Err(NnError::Shape("the last layer must be dense".into())),
        };
        self.step_with_targets(x, &one_hot(labels, classes)?, hyper, exp)
    }

    /// [`Model::step`] against a target matrix `[B, classes]` (one-hot rows for a labelled batch;
    /// anything else for soundness tests of the step proof), recorded as the witness's `labels`.
    pub(crate) fn step_with_targets(
        &self,
        x: &Tensor,
        targets: &Tensor,
        hyper: &Hyper,
        exp: &[i64],
    ) -> Result<(Model, StepWitness), NnError> {
        let rows = batch_of(x)?;
        if rows != hyper.batch || targets.shape.first() != Some(&rows) {
            return Err(NnError::Shape(format!(
                "batch of {rows} rows and targets of shape {:?}, B = {}",
                targets.shape, hyper.batch
            )));
        }
        let len = exp_table_len(hyper.fixed.scale());
        if exp.len() != len {
            return Err(NnError::Config(format!(
                "exp table of {} entries, {len} at scale {}",
                exp.len(),
                hyper.fixed.scale()
            )));
        }
        let mut w = StepWitness::default();
        w.put("input".into(), x.clone());
        w.put("labels".into(), targets.clone());
        for layer in &self.layers {
            if let Some((wt, b)) = &layer.params {
                w.put(format!("{}.weight", layer.name), wt.clone());
                w.put(format!("{}.bias", layer.name), b.clone());
            }
        }
        let acts = self.forward(x, hyper, Some(&mut w))?;
        let logits = acts
            .last()
            .ok_or_else(|| NnError::Shape("no layers".into()))?;
        if targets.shape != logits.shape {
            return Err(NnError::Shape(format!(
                "targets of shape {:?} for logits of shape {:?}",
                targets.shape, logits.shape
            )));
        }
        let mut dy = loss_gradient(logits, targets, hyper, exp, &mut w)?;
        let mut new = self.clone();
        for (l, layer) in self.layers.iter().enumerate().rev() {
            let name = &layer.name;
            let a = &acts[l];
            let first = l == 0;
            let dx: Option<Tensor> = match (layer.kind, &layer.params) {
                (LayerKind::Dense { .. } | LayerKind::Conv { .. }, Some((wt, b))) => {
                    let (dw, db, dx) = param_grads(layer, wt, &dy, a, !first)?;
                    let dw = Tensor::new(&format!("{name}.dW"), &wt.shape, dw)?;
                    let db = Tensor::new(&format!("{name}.db"), &b.shape, db)?;
                    new.layers[l].params =
                        Some(update_layer(&mut w, name, (wt, b), (&dw, &db), hyper)?);
                    w.put(format!("{name}.dW"), dw);
                    w.put(format!("{name}.db"), db);
                    dx.map(|g| rescale_grad(&g, &a.shape, name, hyper, &mut w))
                        .transpose()?
                }
                (LayerKind::Relu, _) => {
                    let bits = w
                        .get(&format!("{name}.bit"))
                        .map(|t| t.data.clone())
                        .unwrap_or_default();
                    let dx = Tensor::new(
                        &format!("{name}.dx"),
                        &a.shape,
                        dy.data
                            .iter()
                            .zip(&bits)
                            .map(|(&g, &b)| i128::from(g * b))
                            .collect(),
                    )?;
                    w.put(format!("{name}.dx"), dx.clone());
                    Some(dx)
                }
                (LayerKind::MaxPool(k), _) => {
                    let sel = w
                        .get(&format!("{name}.select"))
                        .map(|t| t.data.clone())
                        .unwrap_or_default();
                    let (planes, h, wd) = (a.shape[0] * a.shape[1], a.shape[2], a.shape[3]);
                    let dx = Tensor {
                        shape: a.shape.clone(),
                        data: max_pool_grad(&dy.data, &sel, planes, h, wd, k)?,
                    };
                    w.put(format!("{name}.dx"), dx.clone());
                    Some(dx)
                }
                (LayerKind::AvgPool(k), _) => {
                    let (planes, h, wd) = (a.shape[0] * a.shape[1], a.shape[2], a.shape[3]);
                    let (dx, rem) = avg_pool_grad(&dy.data, planes, h, wd, k)?;
                    w.put(
                        format!("{name}.dx_rem"),
                        Tensor::new(&format!("{name}.dx_rem"), &dy.shape, rem)?,
                    );
                    let dx = Tensor::new(&format!("{name}.dx"), &a.shape, dx)?;
                    w.put(format!("{name}.dx"), dx.clone());
                    Some(dx)
                }
                (LayerKind::Flatten, _) => Some(Tensor {
                    shape: a.shape.clone(),
                    data: dy.data.clone(),
                }),
                _ => return Err(NnError::Shape(format!("{name}: missing parameters"))),
            };
            match dx {
                Some(dx) => dy = dx,
                None => break,
            }
        }
        Ok((new, w))
    }

    /// The weights, dequantized and keyed like a PyTorch `state_dict` (`conv1.weight` as
    /// `[O, C, K, K]`, `fc1.weight` as `[out, in]`, `….bias` as `[out]`), in safetensors format:
    /// f32, or f64 for a tensor with a value f32 does not hold exactly (`|w| ≥ 2^{24 − scale}`),
    /// so that [`Model::load_safetensors`] gives back exactly this model.
    pub fn to_safetensors(&self, fixed: FixedPoint) -> Result<Vec<u8>, NnError> {
        let tensors: Vec<(String, Vec<usize>, safetensors::Dtype, Vec<u8>)> = self
            .layers
            .iter()
            .filter_map(|l| l.params.as_ref().map(|p| (l, p)))
            .flat_map(|(layer, (wt, b))| {
                [("weight", wt), ("bias", b)].map(|(kind, t)| {
                    let reals: Vec<f64> =
                        t.data.iter().map(|&v| fixed.dequantize(v.into())).collect();
                    let (dtype, bytes) = if reals.iter().all(|&x| f64::from(x as f32) == x) {
                        let bytes = reals.iter().flat_map(|&x| (x as f32).to_le_bytes());
                        (safetensors::Dtype::F32, bytes.collect())
                    } else {
                        let bytes = reals.iter().flat_map(|x| x.to_le_bytes());
                        (safetensors::Dtype::F64, bytes.collect())
                    };
                    (
                        format!("{}.{kind}", layer.name),
                        t.shape.clone(),
                        dtype,
                        bytes,
                    )
                })
            })
            .collect();
        let views = tensors
            .iter()
            .map(|(name, shape, dtype, bytes)| {
                safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| NnError::Weights(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, &None).map_err(|e| NnError::Weights(e.to_string()))
    }

    /// Replaces this architecture's parameters with f32/f64 weights from safetensors bytes keyed
    /// `{layer}.weight` / `{layer}.bias` with the layers' shapes, quantized at `fixed`.
    pub fn load_safetensors(&self, bytes: &[u8], fixed: FixedPoint) -> Result<Self, NnError> {
        let st = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| NnError::Weights(e.to_string()))?;
        let read = |name: &str, shape: &[usize]| -> Result<Tensor, NnError> {
            let view = st
                .tensor(name)
                .map_err(|_| NnError::Weights(format!("missing {name}")))?;
            if view.shape() != shape {
                return Err(NnError::Weights(format!(
                    "{name} has shape {:?}, expected {shape:?}",
                    view.shape()
                )));
            }
            let values: Vec<f64> = match view.dtype() {
                safetensors::Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                    .collect(),
                safetensors::Dtype::F64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                    .collect(),
                other => {
                    return Err(NnError::Weights(format!(
                        "{name} has dtype {other:?}, expected F32 or F64"
                    )))
                }
            };
            let q = values
                .into_iter()
                .map(|v| {
                    fixed
                        .quantize(v)
                        .map(i128::from)
                        .map_err(|e| NnError::Weights(format!("{name}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Tensor::new(name, shape, q)
        };
        let mut model = self.clone();
        for layer in &mut model.layers {
            if let Some((wt, b)) = &layer.params {
                layer.params = Some((
                    read(&format!("{}.weight", layer.name), &wt.shape)?,
                    read(&format!("{}.bias", layer.name), &b.shape)?,
                ));
            }
        }
        Ok(model)
    }
}

/// `(dW, db, dx)` of a dense or conv layer for the output gradient `dy` and input `a` (all at
/// scale 2s but `db`, at scale s); `dx` only if `with_dx` (not for the first layer).
type ParamGrads = (Vec<i128>, Vec<i128>, Option<Vec<i128>>);

fn param_grads(
    layer: &Layer,
    wt: &Tensor,
    dy: &Tensor,
    a: &Tensor,
    with_dx: bool,
) -> Result<ParamGrads, NnError> {
    let bad = || NnError::Shape(format!("{}: bad input", layer.name));
    match layer.kind {
        LayerKind::Dense { inputs, outputs } => {
            let db = (0..outputs)
                .map(|o| dy.data.chunks(outputs).map(|r| i128::from(r[o])).sum())
                .collect();
            let dx = with_dx.then(|| matmul_nn(&dy.data, outputs, &wt.data, inputs));
            Ok((matmul_tn(&dy.data, outputs, &a.data, inputs), db, dx))
        }
        LayerKind::Conv { out_ch, .. } => {
            let s = conv_shape(layer.kind, &a.shape).ok_or_else(bad)?;
            let plane = dy.len() / (s.batch * out_ch).max(1);
            let mut db = vec![0i128; out_ch];
            for (i, p) in dy.data.chunks(plane).enumerate() {
                db[i % out_ch] += p.iter().map(|&v| i128::from(v)).sum::<i128>();
            }
            let dx = with_dx
                .then(|| conv2d_input_grad(&dy.data, &wt.data, &s))
                .transpose()?;
            Ok((conv2d_weight_grad(&dy.data, &a.data, &s)?, db, dx))
        }
        _ => Err(bad()),
    }
}

/// The batch dimension of an input tensor.
fn batch_of(x: &Tensor) -> Result<usize, NnError> {
    x.shape
        .first()
        .copied()
        .ok_or_else(|| NnError::Shape("input tensor has no batch dimension".into()))
}

/// `z = ⌊acc / 2^s⌋` with remainders, recorded as `{name}.z`, `{name}.z_rem`.
fn rescale(
    acc: &[i128],
    shape: &[usize],
    name: &str,
    hyper: &Hyper,
    record: &mut impl FnMut(&str, Tensor),
) -> Result<Tensor, NnError> {
    let (z, rem) = divide(acc, hyper.one())?;
    let z = Tensor::new(&format!("{name}.z"), shape, z)?;
    record("z_rem", Tensor::new(&format!("{name}.z_rem"), shape, rem)?);
    record("z", z.clone());
    Ok(z)
}

/// `dx = ⌊g / 2^s⌋` with remainders, recorded as `{name}.dx`, `{name}.dx_rem`.
fn rescale_grad(
    g: &[i128],
    shape: &[usize],
    name: &str,
    hyper: &Hyper,
    w: &mut StepWitness,
) -> Result<Tensor, NnError> {
    let (q, rem) = divide(g, hyper.one())?;
    w.put(
        format!("{name}.dx_rem"),
        Tensor::new(&format!("{name}.dx_rem"), shape, rem)?,
    );
    let dx = Tensor::new(&format!("{name}.dx"), shape, q)?;
    w.put(format!("{name}.dx"), dx.clone());
    Ok(dx)
}

/// The loss gradient at the logits (scale s) against the targets, recording the softmax
/// intermediates.
fn loss_gradient(
    z: &Tensor,
    targets: &Tensor,
    hyper: &Hyper,
    exp: &[i64],
    w: &mut StepWitness,
) -> Result<Tensor, NnError> {
    let (rows, classes) = (z.shape[0], z.shape[1]);
    let one = hyper.one();
    let onehot = |n: usize, j: usize| i128::from(targets.data[n * classes + j]) * one;
    if hyper.loss == Loss::Mse {
        let g = (0..rows * classes)
            .map(|i| i128::from(z.data[i]) - onehot(i / classes, i % classes))
            .collect();
        let g = Tensor::new("loss.grad", &[rows, classes], g)?;
        w.put("loss.grad".into(), g.clone());
        return Ok(g);
    }
    let shift = 1i128 << (hyper.fixed.scale() - EXP_FRAC_BITS);
    let cap = (exp_table_len(hyper.fixed.scale()) - 1) as i128;
    let mut t: BTreeMap<&str, Vec<i128>> = BTreeMap::new();
    for (n, row) in z.data.chunks(classes).enumerate() {
        let max = row.iter().copied().max().unwrap_or(0);
        let arg = row.iter().position(|&v| v == max).unwrap_or(0);
        t.entry("loss.max").or_default().push(i128::from(max));
        let mut exps = Vec::with_capacity(classes);
        for (j, &v) in row.iter().enumerate() {
            let diff = i128::from(max) - i128::from(v);
            let (q, r) = div_rem_floor(diff, shift)?;
            let idx = q.min(cap);
            let e = i128::from(exp[idx as usize]);
            t.entry("loss.argmax")
                .or_default()
                .push(i128::from(j == arg));
            t.entry("loss.diff").or_default().push(diff);
            t.entry("loss.exp_in").or_default().push(q);
            t.entry("loss.exp_in_rem").or_default().push(r);
            t.entry("loss.exp_sat")
                .or_default()
                .push(i128::from(q >= cap));
            t.entry("loss.exp_idx").or_default().push(idx);
            t.entry("loss.exp").or_default().push(e);
            exps.push(e);
        }
        let sum: i128 = exps.iter().sum();
        t.entry("loss.sum").or_default().push(sum);
        for (j, &e) in exps.iter().enumerate() {
            let (p, r) = div_rem_floor(e * one, sum)?;
            t.entry("loss.prob").or_default().push(p);
            t.entry("loss.prob_rem").or_default().push(r);
            t.entry("loss.grad").or_default().push(p - onehot(n, j));
        }
    }
    for (name, values) in t {
        let shape = if name == "loss.max" || name == "loss.sum" {
            vec![rows]
        } else {
            vec![rows, classes]
        };
        w.put(name.to_string(), Tensor::new(name, &shape, values)?);
    }
    w.get("loss.grad")
        .cloned()
        .ok_or_else(|| NnError::Shape("no loss gradient".into()))
}

/// SGD on one layer: weights with divisor `B·2^{2s}` (dW is at scale 2s), biases with `B·2^s`.
fn update_layer(
    w: &mut StepWitness,
    name: &str,
    (weight, bias): (&Tensor, &Tensor),
    (dw, db): (&Tensor, &Tensor),
    hyper: &Hyper,
) -> Result<(Tensor, Tensor), NnError> {
    let b = hyper.batch as i128;
    Ok((
        update(
            w,
            &format!("{name}.weight"),
            weight,
            dw,
            hyper,
            b * hyper.one() * hyper.one(),
        )?,
        update(w, &format!("{name}.bias"), bias, db, hyper, b * hyper.one())?,
    ))
}

/// `new = old − ⌊η·grad / divisor⌋`, recording `*_new`.
fn update(
    w: &mut StepWitness,
    name: &str,
    old: &Tensor,
    grad: &Tensor,
    hyper: &Hyper,
    divisor: i128,
) -> Result<Tensor, NnError> {
    let scaled: Vec<i128> = grad
        .data
        .iter()
        .map(|&g| i128::from(hyper.lr) * i128::from(g))
        .collect();
    if let Some((index, &value)) = scaled
        .iter()
        .enumerate()
        .find(|(_, v)| v.unsigned_abs() >> VALUE_BITS != 0)
    {
        return Err(NnError::Overflow {
            tensor: format!("{name}: η·grad"),
            index,
            value,
            bits: VALUE_BITS,
        });
    }
    let (step, _) = divide(&scaled, divisor)?;
    let new: Vec<i128> = old
        .data
        .iter()
        .zip(&step)
        .map(|(&o, &s)| i128::from(o) - s)
        .collect();
    let new = Tensor::new(&format!("{name}_new"), &old.shape, new)?;
    w.put(format!("{name}_new"), new.clone());
    Ok(new)
}

/// The images at `indices`, flattened and quantized: pixel `p` becomes `round(p·2^s/255)`.
pub fn images(data: &Dataset, indices: &[usize], hyper: &Hyper) -> Result<Tensor, NnError> {
    let size = data.pixels();
    let one = hyper.one();
    let mut values = Vec::with_capacity(indices.len() * size);
    for &i in indices {
        if i >= data.len() {
            return Err(NnError::Shape(format!("image {i} of {}", data.len())));
        }
        values.extend(
            data.image(i)
                .iter()
                .map(|&p| (i128::from(p) * one * 2 + 255) / 510),
        );
    }
    Tensor::new("input", &[indices.len(), size], values)
}

/// The one-hot rows `[labels, classes]` of class indices (an index ≥ `classes` is an error).
pub fn one_hot(labels: &[u8], classes: usize) -> Result<Tensor, NnError> {
    if let Some(&y) = labels.iter().find(|&&y| usize::from(y) >= classes) {
        return Err(NnError::Shape(format!("label {y} with {classes} classes")));
    }
    let rows = labels
        .iter()
        .flat_map(|&y| (0..classes).map(move |j| i128::from(usize::from(y) == j)))
        .collect();
    Tensor::new("labels", &[labels.len(), classes], rows)
}

/// The batch of step `i` (DESIGN §1): samples `[i·B, (i+1)·B) mod N`.
pub fn batch_indices(step: usize, batch: usize, len: usize) -> Vec<usize> {
    (0..batch)
        .map(|k| (step * batch + k) % len.max(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        arch::Architecture,
        reference::{float_logits, FloatParams},
    };

    fn mlp(sizes: &[usize], seed: u64) -> Model {
        Architecture::Mlp(sizes.to_vec()).build(16, seed).unwrap()
    }

    #[test]
    fn exp_table_ends_where_every_entry_is_zero() {
        assert_eq!(exp_table_len(16), 1 << 12);
        for scale in EXP_FRAC_BITS..=kaizen_field::fixed_point::MAX_SCALE {
            let t = exp_table(scale);
            let len = t.len();
            assert!(len.is_power_of_two(), "scale {scale}");
            assert_eq!(t[0], 1 << scale);
            // Minimal, and the clamp to `len − 1` reads what any later index would.
            assert_ne!(t[len / 2 - 1], 0, "scale {scale}");
            assert_eq!(t[len - 1], 0, "scale {scale}");
            assert!(
                (len..1 << 16).all(|k| exp_entry(k, scale) == 0),
                "scale {scale}"
            );
        }
    }

    fn weight(m: &Model, layer: usize) -> &Tensor {
        &m.layers[layer].params.as_ref().unwrap().0
    }

    fn setup(loss: Loss) -> (Dataset, Dataset, Hyper, Vec<i64>) {
        let data = Dataset::embedded().unwrap();
        let (train, test) = data.split_at(896);
        (
            train,
            test,
            Hyper::new(16, 0.1, 16, loss).unwrap(),
            exp_table(16),
        )
    }

    #[test]
    fn training_learns_fashion_mnist() {
        let (train, test, hyper, exp) = setup(Loss::SoftmaxCrossEntropy);
        let model = mlp(&[784, 64, 10], 1);
        let before = model.accuracy(&test, &hyper).unwrap();
        let model = model.train(&train, &hyper, &exp, 0, 560).unwrap();
        let after = model.accuracy(&test, &hyper).unwrap();
        println!("held-out accuracy: {before:.3} -> {after:.3} (10 epochs of 896 images, B = 16)");
        assert!(after >= 0.70, "accuracy {after}");
    }

    /// Forward values and gradients agree with an f64 computation of the same network.
    #[test]
    fn agrees_with_f64_reference() {
        for loss in [Loss::SoftmaxCrossEntropy, Loss::Mse] {
            let (train, _, hyper, exp) = setup(loss);
            let model = mlp(&[784, 32, 10], 3);
            let idx = batch_indices(0, hyper.batch, train.len());
            let x = images(&train, &idx, &hyper).unwrap();
            let labels: Vec<u8> = idx.iter().map(|&i| train.labels[i]).collect();
            let (_, w) = model.step(&x, &labels, &hyper, &exp).unwrap();
            let s = (1u64 << 16) as f64;
            let deq = |t: &Tensor, scale: f64| {
                t.data.iter().map(|&v| v as f64 / scale).collect::<Vec<_>>()
            };
            let (xf, w1, w2) = (
                deq(&x, s),
                deq(weight(&model, 0), s),
                deq(weight(&model, 2), s),
            );
            let (b, h, c, n) = (16usize, 32usize, 10usize, 784usize);
            let mut z1 = vec![0.0; b * h];
            for r in 0..b {
                for o in 0..h {
                    z1[r * h + o] = (0..n).map(|i| xf[r * n + i] * w1[o * n + i]).sum();
                }
            }
            let a1: Vec<f64> = z1.iter().map(|&v| v.max(0.0)).collect();
            let mut z2 = vec![0.0; b * c];
            for r in 0..b {
                for o in 0..c {
                    z2[r * c + o] = (0..h).map(|i| a1[r * h + i] * w2[o * h + i]).sum();
                }
            }
            let mut g = vec![0.0; b * c];
            for r in 0..b {
                let row = &z2[r * c..(r + 1) * c];
                let m = row.iter().cloned().fold(f64::MIN, f64::max);
                let sum: f64 = row.iter().map(|v| (v - m).exp()).sum();
                for j in 0..c {
                    let y = f64::from(u8::from(labels[r] as usize == j));
                    g[r * c + j] = match loss {
                        Loss::SoftmaxCrossEntropy => (row[j] - m).exp() / sum - y,
                        Loss::Mse => row[j] - y,
                    };
                }
            }
            let mut dw2 = vec![0.0; c * h];
            for o in 0..c {
                for i in 0..h {
                    dw2[o * h + i] = (0..b).map(|r| g[r * c + o] * a1[r * h + i]).sum();
                }
            }
            let close = |name: &str, q: &[f64], f: &[f64], tol: f64| {
                let worst = q
                    .iter()
                    .zip(f)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(worst <= tol, "{loss:?} {name}: max error {worst} > {tol}");
            };
            close("fc1.z", &deq(w.get("fc1.z").unwrap(), s), &z1, 1e-3);
            close("fc2.z", &deq(w.get("fc2.z").unwrap(), s), &z2, 1e-3);
            close("loss.grad", &deq(w.get("loss.grad").unwrap(), s), &g, 5e-3);
            close("fc2.dW", &deq(w.get("fc2.dW").unwrap(), s * s), &dw2, 0.05);
        }
    }

    #[test]
    fn witness_relations_hold() {
        let (train, _, hyper, exp) = setup(Loss::SoftmaxCrossEntropy);
        let model = mlp(&[784, 16, 10], 5);
        let idx = batch_indices(3, hyper.batch, train.len());
        let x = images(&train, &idx, &hyper).unwrap();
        let labels: Vec<u8> = idx.iter().map(|&i| train.labels[i]).collect();
        let (new, w) = model.step(&x, &labels, &hyper, &exp).unwrap();
        for name in [
            "input",
            "labels",
            "fc1.weight",
            "fc1.z",
            "fc1.z_rem",
            "relu1.bit",
            "relu1.out",
            "fc2.z",
            "loss.max",
            "loss.argmax",
            "loss.exp",
            "loss.prob",
            "loss.prob_rem",
            "loss.grad",
            "fc2.dW",
            "fc2.dx",
            "fc2.dx_rem",
            "relu1.dx",
            "fc1.dW",
            "fc1.weight_new",
            "fc2.bias_new",
        ] {
            assert!(w.get(name).is_some(), "missing {name}");
        }
        let t = |n: &str| w.get(n).unwrap().data.clone();
        let one = 1i64 << 16;
        assert!(t("fc1.z_rem").iter().all(|&r| (0..one).contains(&r)));
        assert!(t("relu1.bit")
            .iter()
            .zip(t("fc1.z"))
            .zip(t("relu1.out"))
            .all(|((&b, z), a)| a == b * z && (b == 1) == (z >= 0)));
        for (r, row) in t("loss.argmax").chunks(10).enumerate() {
            assert_eq!(row.iter().sum::<i64>(), 1);
            let s: i64 = t("loss.exp")[r * 10..(r + 1) * 10].iter().sum();
            assert_eq!(s, t("loss.sum")[r]);
        }
        assert_eq!(weight(&new, 0).data, t("fc1.weight_new"));
        let d = (hyper.batch as i128) << 32;
        for ((&g, &old), &new) in t("fc1.dW")
            .iter()
            .zip(&t("fc1.weight"))
            .zip(&t("fc1.weight_new"))
        {
            let rem = i128::from(hyper.lr) * i128::from(g) - d * i128::from(old - new);
            assert!((0..d).contains(&rem));
        }
    }

    #[test]
    fn safetensors_round_trip_and_errors() {
        let fixed = FixedPoint::new(16).unwrap();
        let model = mlp(&[784, 16, 10], 9);
        let bytes = model.to_safetensors(fixed).unwrap();
        let blank = mlp(&[784, 16, 10], 10);
        assert_eq!(blank.load_safetensors(&bytes, fixed).unwrap(), model);
        let arch = Architecture::Mlp(vec![784, 16, 10]);
        let zeros = Model::zeros(&arch.input(), &arch.layers()).unwrap();
        assert_eq!(zeros.parameters(), model.parameters());
        assert_eq!(zeros.load_safetensors(&bytes, fixed).unwrap(), model);
        // A weight f32 cannot hold (2^30 + 1 at scale 16, about 16384) makes its tensor f64, and
        // the model still comes back exactly.
        let mut large = model.clone();
        if let Some((wt, _)) = large.layers[0].params.as_mut() {
            wt.data[3] = (1 << 30) + 1;
        }
        let bytes = large.to_safetensors(fixed).unwrap();
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        assert_eq!(
            st.tensor("fc1.weight").unwrap().dtype(),
            safetensors::Dtype::F64
        );
        assert_eq!(
            st.tensor("fc1.bias").unwrap().dtype(),
            safetensors::Dtype::F32
        );
        assert_eq!(blank.load_safetensors(&bytes, fixed).unwrap(), large);
        assert!(matches!(
            blank.load_safetensors(&bytes[..bytes.len() - 5], fixed),
            Err(NnError::Weights(_))
        ));
        assert!(blank.load_safetensors(b"garbage", fixed).is_err());
        // Shapes that differ from the architecture, and missing biases.
        let small = mlp(&[3, 4, 2], 1);
        let t = |shape: Vec<usize>| {
            let n: usize = shape.iter().product();
            (shape, vec![0u8; 4 * n])
        };
        type Raw = (Vec<usize>, Vec<u8>);
        let build = |items: Vec<(&str, Raw)>| {
            let views: Vec<_> = items
                .iter()
                .map(|(n, (s, d))| {
                    (
                        n.to_string(),
                        safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d)
                            .unwrap(),
                    )
                })
                .collect();
            safetensors::serialize(views, &None).unwrap()
        };
        let bad_chain = build(vec![
            ("fc1.weight", t(vec![4, 3])),
            ("fc1.bias", t(vec![4])),
            ("fc2.weight", t(vec![2, 5])),
            ("fc2.bias", t(vec![2])),
        ]);
        let err = small
            .load_safetensors(&bad_chain, fixed)
            .unwrap_err()
            .to_string();
        assert!(err.contains("fc2.weight has shape [2, 5]"), "{err}");
        let no_bias = build(vec![("fc1.weight", t(vec![4, 3]))]);
        let err = small
            .load_safetensors(&no_bias, fixed)
            .unwrap_err()
            .to_string();
        assert!(err.contains("missing fc1.bias"), "{err}");
    }

    #[test]
    fn overflow_and_bad_inputs_are_errors() {
        let data = Dataset::embedded().unwrap();
        // A huge learning rate at a large scale pushes η·dW past 2^59.
        let hyper = Hyper::new(28, 1000.0, 4, Loss::Mse).unwrap();
        let model = Architecture::Mlp(vec![784, 8, 10]).build(28, 1).unwrap();
        let idx = batch_indices(0, 4, data.len());
        let x = images(&data, &idx, &hyper).unwrap();
        let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
        let err = model.step(&x, &labels, &hyper, &exp_table(28)).unwrap_err();
        assert!(matches!(err, NnError::Overflow { .. }), "{err}");
        // Wrong batch, bad labels, bad configuration.
        let hyper = Hyper::new(16, 0.1, 4, Loss::Mse).unwrap();
        let model = mlp(&[784, 8, 10], 1);
        let x = images(&data, &idx, &hyper).unwrap();
        assert!(model
            .step(&x, &labels[..3], &hyper, &exp_table(16))
            .is_err());
        assert!(model
            .step(&x, &[0, 1, 2, 10], &hyper, &exp_table(16))
            .is_err());
        assert!(Hyper::new(16, 0.0, 4, Loss::Mse).is_err());
        assert!(Hyper::new(4, 0.1, 4, Loss::Mse).is_err());
        assert!(Architecture::Mlp(vec![784]).build(16, 1).is_err());
        assert!(images(&data, &[5000], &hyper).is_err());
        let scalar = Tensor::new("input", &[], vec![1]).unwrap();
        assert!(model.step(&scalar, &[], &hyper, &exp_table(16)).is_err());
        assert!(model.logits(&scalar, &hyper).is_err());
    }

    fn conv_batch(
        arch: &Architecture,
        data: &Dataset,
        hyper: &Hyper,
        step: usize,
    ) -> (Model, Tensor, Vec<u8>) {
        let model = arch.build(16, 2).unwrap();
        let idx = batch_indices(step, hyper.batch, data.len());
        let x = images(data, &idx, hyper).unwrap();
        (model, x, idx.iter().map(|&i| data.labels[i]).collect())
    }

    #[test]
    fn lenet_step_records_every_layer_and_learns() {
        let (train, test, hyper, exp) = setup(Loss::SoftmaxCrossEntropy);
        let arch = Architecture::LeNet5 { size: 28 };
        let (model, x, labels) = conv_batch(&arch, &train, &hyper, 0);
        let (_, w) = model.step(&x, &labels, &hyper, &exp).unwrap();
        for name in [
            "conv1.z",
            "conv1.z_rem",
            "relu1.bit",
            "pool1.select",
            "pool1.out",
            "conv2.dW",
            "conv2.dx",
            "conv2.dx_rem",
            "pool1.dx",
            "relu1.dx",
            "conv1.dW",
            "conv1.weight_new",
            "fc3.dW",
            "loss.prob",
        ] {
            assert!(w.get(name).is_some(), "missing {name}");
        }
        assert!(
            w.get("conv1.dx").is_none(),
            "no gradient is computed for the input"
        );
        let before = model.accuracy(&test, &hyper).unwrap();
        let model = model.train(&train, &hyper, &exp, 0, 120).unwrap();
        let after = model.accuracy(&test, &hyper).unwrap();
        println!("LeNet-5 held-out accuracy: {before:.3} -> {after:.3} (120 steps, B = 16)");
        assert!(after > before + 0.2, "{before} -> {after}");
    }

    #[test]
    fn avg_pool_models_run_and_record_remainders() {
        let data = Dataset::embedded().unwrap();
        let hyper = Hyper::new(16, 0.05, 2, Loss::SoftmaxCrossEntropy).unwrap();
        // paper-lenet needs 32×32 input: pad the 28×28 images with a 2-pixel zero border.
        let model = Architecture::PaperLeNet { channels: 1 }
            .build(16, 3)
            .unwrap();
        let x = images(&data, &[0, 1], &hyper).unwrap();
        let mut padded = vec![0i128; 2 * 32 * 32];
        for (i, v) in x.data.iter().enumerate() {
            let (b, r, c) = (i / 784, (i / 28) % 28, i % 28);
            padded[b * 1024 + (r + 2) * 32 + c + 2] = i128::from(*v);
        }
        let x = Tensor::new("input", &[2, 1024], padded).unwrap();
        let labels: Vec<u8> = data.labels[..2].iter().map(|&y| y % 16).collect();
        let (_, w) = model.step(&x, &labels, &hyper, &exp_table(16)).unwrap();
        for name in ["pool1.rem", "pool1.dx", "pool1.dx_rem", "conv3.z", "fc2.dW"] {
            assert!(w.get(name).is_some(), "missing {name}");
        }
        let d = 4;
        assert!(w
            .get("pool1.rem")
            .unwrap()
            .data
            .iter()
            .all(|&r| (0..d).contains(&r)));
    }

    /// Mean softmax cross-entropy of the f64 reference forward pass.
    fn float_loss(model: &Model, params: &FloatParams, x: &[f64], labels: &[u8]) -> f64 {
        let logits = float_logits(model, params, x, labels.len()).unwrap();
        logits
            .iter()
            .zip(labels)
            .map(|(z, &y)| {
                let m = z.iter().cloned().fold(f64::MIN, f64::max);
                let lse = m + z.iter().map(|v| (v - m).exp()).sum::<f64>().ln();
                lse - z[y as usize]
            })
            .sum::<f64>()
            / labels.len() as f64
    }

    /// Integer gradients of a conv/ReLU/max-pool/avg-pool/flatten/dense model agree with finite
    /// differences of an f64 forward pass: `dW/(B·2^{2s})` vs `∂L/∂W` for sampled weights of every
    /// parameter layer, within 3% + 3e-4 absolute (observed: ≤ 1.7e-4 on gradients of ~0.02).
    #[test]
    fn conv_gradients_agree_with_f64_finite_differences() {
        let layers = [
            LayerKind::Conv {
                in_ch: 1,
                out_ch: 3,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            LayerKind::Relu,
            LayerKind::MaxPool(2),
            LayerKind::Conv {
                in_ch: 3,
                out_ch: 4,
                kernel: 3,
                stride: 1,
                padding: 0,
            },
            LayerKind::Relu,
            LayerKind::AvgPool(2),
            LayerKind::Flatten,
            LayerKind::Dense {
                inputs: 4 * 2 * 2,
                outputs: 10,
            },
        ];
        let model = Model::new(&[1, 12, 12], &layers, 16, 4).unwrap();
        let data = Dataset::embedded().unwrap();
        let hyper = Hyper::new(16, 0.1, 4, Loss::SoftmaxCrossEntropy).unwrap();
        // 12×12 crops of the centre of four images.
        let mut pixels = Vec::new();
        for i in 0..4 {
            let img = data.image(i);
            for r in 8..20 {
                for c in 8..20 {
                    pixels.push(i128::from(img[r * 28 + c]) * 65536 / 255);
                }
            }
        }
        let x = Tensor::new("input", &[4, 144], pixels).unwrap();
        let labels: Vec<u8> = data.labels[..4].to_vec();
        let (_, w) = model.step(&x, &labels, &hyper, &exp_table(16)).unwrap();
        let s = 65536.0;
        let params: Vec<(Vec<f64>, Vec<f64>)> = model
            .layers
            .iter()
            .filter_map(|l| l.params.as_ref())
            .map(|(wt, b)| {
                (
                    wt.data.iter().map(|&v| v as f64 / s).collect(),
                    b.data.iter().map(|&v| v as f64 / s).collect(),
                )
            })
            .collect();
        let xf: Vec<f64> = x.data.iter().map(|&v| v as f64 / s).collect();
        let names = ["conv1", "conv2", "fc1"];
        for (k, name) in names.iter().enumerate() {
            let dw = w.get(&format!("{name}.dW")).unwrap();
            for idx in (0..dw.len()).step_by((dw.len() / 6).max(1)) {
                let eps = 1e-4;
                let mut plus = params.clone();
                plus[k].0[idx] += eps;
                let mut minus = params.clone();
                minus[k].0[idx] -= eps;
                let numeric = (float_loss(&model, &plus, &xf, &labels)
                    - float_loss(&model, &minus, &xf, &labels))
                    / (2.0 * eps);
                let ours = dw.data[idx] as f64 / (4.0 * s * s);
                assert!(
                    (ours - numeric).abs() <= 0.03 * numeric.abs() + 3e-4,
                    "{name}.dW[{idx}]: {ours} vs {numeric}"
                );
            }
        }
    }
}
