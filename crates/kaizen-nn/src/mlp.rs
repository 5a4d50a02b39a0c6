//! A multilayer perceptron trained by exact fixed-point SGD; one [`Mlp::step`] returns the new model
//! and the step witness the proof will check, as named tensors.
//!
//! Semantics (scale `s` fractional bits; every division is floor division with a remainder in
//! `[0, d)`, as the proofs check it; every tensor is range-checked to `|x| < 2^VALUE_BITS`):
//!
//! * layer `l` (`fc{l}`, 1-based): `acc = a_{l−1}·Wᵀ + b·2^s` (scale 2s);
//!   `z = ⌊acc / 2^s⌋`, `z_rem`; hidden layers: `relu_bit = [z ≥ 0]`, `a = relu_bit·z`;
//! * softmax cross-entropy on the logits `z` of each row: `max`, `argmax` (one-hot, first maximum),
//!   `diff = max − z ≥ 0`; `exp_in = ⌊diff / 2^{s−8}⌋`, `exp_in_rem`; `exp_idx = min(exp_in, 2^16 − 1)`
//!   with `exp_sat = [exp_in ≥ 2^16 − 1]`; `exp = EXP[exp_idx]`, `EXP[k] = round(e^{−k/256}·2^s)`;
//!   `sum = Σ exp`; `prob = ⌊exp·2^s / sum⌋`, `prob_rem`; `grad = prob − onehot·2^s`;
//!   MSE: `grad = z − onehot·2^s` (the gradient of ½‖z − y‖²);
//! * backward: `dz_L = grad`; `dW = dzᵀ·a_{l−1}` (scale 2s); `db = Σ_n dz` (scale s);
//!   `dx = dz·W` (scale 2s), `dx_q = ⌊dx / 2^s⌋`, `dx_rem`; `dz_{l−1} = relu_bit_{l−1}·dx_q`;
//! * update: `lr_dW = η·dW` (scale 3s), `weight_step = ⌊lr_dW / (B·2^{2s})⌋`, `weight_step_rem`,
//!   `weight_new = W − weight_step`; bias likewise with `B·2^s`.
use std::collections::BTreeMap;

use kaizen_field::fixed_point::{div_rem_floor, FixedPoint};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use crate::{data::Dataset, tensor::Tensor, NnError};

/// Fractional bits of the exp table's input (resolution 1/256).
pub const EXP_FRAC_BITS: u32 = 8;

/// Number of exp-table entries.
pub const EXP_TABLE_LEN: usize = 1 << 16;

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

    fn one(&self) -> i128 {
        1i128 << self.fixed.scale()
    }
}

/// `EXP[k] = round(e^{−k/256}·2^scale)` for `k < 2^16`.
pub fn exp_table(scale: u32) -> Vec<i64> {
    (0..EXP_TABLE_LEN)
        .map(|k| {
            ((-(k as f64) / (1u64 << EXP_FRAC_BITS) as f64).exp() * (1u64 << scale) as f64).round()
                as i64
        })
        .collect()
}

/// One dense layer: `weight` is `[out, in]`, `bias` is `[out]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dense {
    /// Weights.
    pub weight: Tensor,
    /// Biases.
    pub bias: Tensor,
}

/// A multilayer perceptron: dense layers with ReLU between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mlp {
    /// The layers, input side first.
    pub layers: Vec<Dense>,
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

fn widen(t: &Tensor) -> Vec<i128> {
    t.data.iter().map(|&x| i128::from(x)).collect()
}

impl Mlp {
    /// Layers of the given widths (`sizes[0]` inputs), weights uniform in `±1/√fan_in` drawn from
    /// ChaCha20 seeded with `seed`, biases zero, quantized at `scale`.
    pub fn init(sizes: &[usize], scale: u32, seed: u64) -> Result<Self, NnError> {
        if sizes.len() < 2 || sizes.contains(&0) {
            return Err(NnError::Config(format!("MLP sizes {sizes:?}")));
        }
        let fixed = FixedPoint::new(scale)?;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                let bound = 1.0 / (w[0] as f64).sqrt();
                let weights = (0..w[0] * w[1])
                    .map(|_| fixed.quantize(rng.gen_range(-bound..bound)).map(i128::from))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Dense {
                    weight: Tensor::new(&format!("fc{}.weight", l + 1), &[w[1], w[0]], weights)?,
                    bias: Tensor::zeros(&[w[1]]),
                })
            })
            .collect::<Result<_, NnError>>()?;
        Ok(Self { layers })
    }

    /// The weights, dequantized to f32 and keyed like a PyTorch `state_dict` (`fc1.weight` as
    /// `[out, in]`, `fc1.bias` as `[out]`), in safetensors format.
    pub fn to_safetensors(&self, fixed: FixedPoint) -> Result<Vec<u8>, NnError> {
        let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .layers
            .iter()
            .enumerate()
            .flat_map(|(l, layer)| {
                [("weight", &layer.weight), ("bias", &layer.bias)].map(|(kind, t)| {
                    let bytes = t
                        .data
                        .iter()
                        .flat_map(|&v| (fixed.dequantize(v.into()) as f32).to_le_bytes())
                        .collect();
                    (format!("fc{}.{kind}", l + 1), t.shape.clone(), bytes)
                })
            })
            .collect();
        let views = tensors
            .iter()
            .map(|(name, shape, bytes)| {
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .map(|v| (name.clone(), v))
                    .map_err(|e| NnError::Weights(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        safetensors::serialize(views, &None).map_err(|e| NnError::Weights(e.to_string()))
    }

    /// Loads f32/f64 weights keyed `fc1.weight`, `fc1.bias`, `fc2.…` (consecutive layers, each
    /// layer's input width the previous one's output width), quantized at `fixed`.
    pub fn from_safetensors(bytes: &[u8], fixed: FixedPoint) -> Result<Self, NnError> {
        let st = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| NnError::Weights(e.to_string()))?;
        let read = |name: &str, rank: usize| -> Result<Tensor, NnError> {
            let view = st
                .tensor(name)
                .map_err(|_| NnError::Weights(format!("missing {name}")))?;
            if view.shape().len() != rank {
                return Err(NnError::Weights(format!(
                    "{name} has shape {:?}, expected rank {rank}",
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
            Tensor::new(name, view.shape(), q)
        };
        let mut layers: Vec<Dense> = Vec::new();
        while st
            .names()
            .iter()
            .any(|n| n.as_str() == format!("fc{}.weight", layers.len() + 1))
        {
            let l = layers.len() + 1;
            let weight = read(&format!("fc{l}.weight"), 2)?;
            let bias = read(&format!("fc{l}.bias"), 1)?;
            if bias.shape[0] != weight.shape[0] {
                return Err(NnError::Weights(format!(
                    "fc{l}.bias has {} entries for {} outputs",
                    bias.shape[0], weight.shape[0]
                )));
            }
            if let Some(prev) = layers
                .last()
                .filter(|p| p.weight.shape[0] != weight.shape[1])
            {
                return Err(NnError::Weights(format!(
                    "fc{l}.weight takes {} inputs, fc{} gives {}",
                    weight.shape[1],
                    l - 1,
                    prev.weight.shape[0]
                )));
            }
            layers.push(Dense { weight, bias });
        }
        if layers.is_empty() {
            return Err(NnError::Weights("no fc1.weight".into()));
        }
        Ok(Self { layers })
    }

    /// Widths, inputs first.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.layers.first().map_or(0, |l| l.weight.shape[1])];
        s.extend(self.layers.iter().map(|l| l.weight.shape[0]));
        s
    }

    /// Forward pass; records `fc{l}.z`, `fc{l}.z_rem`, `fc{l}.relu_bit`, `fc{l}.a` when `w` is given.
    fn forward(
        &self,
        x: &Tensor,
        hyper: &Hyper,
        mut w: Option<&mut StepWitness>,
    ) -> Result<Vec<Tensor>, NnError> {
        let rows = x.shape[0];
        let mut acts = vec![x.clone()];
        for (l, layer) in self.layers.iter().enumerate() {
            let name = format!("fc{}", l + 1);
            let (out, inp) = (layer.weight.shape[0], layer.weight.shape[1]);
            let a = &acts[l];
            if a.shape[1] != inp {
                return Err(NnError::Shape(format!(
                    "{name}: input width {} != {inp}",
                    a.shape[1]
                )));
            }
            let mut acc = matmul_t(&a.data, &layer.weight.data, inp);
            for (i, v) in acc.iter_mut().enumerate() {
                *v += i128::from(layer.bias.data[i % out]) * hyper.one();
            }
            let (z, z_rem) = divide(&acc, hyper.one())?;
            let z = Tensor::new(&format!("{name}.z"), &[rows, out], z)?;
            let last = l + 1 == self.layers.len();
            if let Some(w) = w.as_deref_mut() {
                w.put(
                    format!("{name}.z_rem"),
                    Tensor::new(&format!("{name}.z_rem"), &[rows, out], z_rem)?,
                );
                w.put(format!("{name}.z"), z.clone());
            }
            if last {
                acts.push(z);
            } else {
                let bits: Vec<i128> = z.data.iter().map(|&v| i128::from(v >= 0)).collect();
                let act: Vec<i128> = z.data.iter().map(|&v| i128::from(v.max(0))).collect();
                let act = Tensor::new(&format!("{name}.a"), &[rows, out], act)?;
                if let Some(w) = w.as_deref_mut() {
                    w.put(
                        format!("{name}.relu_bit"),
                        Tensor::new(&format!("{name}.relu_bit"), &[rows, out], bits)?,
                    );
                    w.put(format!("{name}.a"), act.clone());
                }
                acts.push(act);
            }
        }
        Ok(acts)
    }

    /// Logits for a batch (the same integer semantics as a training step).
    pub fn logits(&self, x: &Tensor, hyper: &Hyper) -> Result<Tensor, NnError> {
        self.forward(x, hyper, None)?
            .pop()
            .ok_or_else(|| NnError::Shape("no layers".into()))
    }

    /// Fraction of `data` classified correctly (argmax of the logits).
    pub fn accuracy(&self, data: &Dataset, hyper: &Hyper) -> Result<f64, NnError> {
        let all: Vec<usize> = (0..data.len()).collect();
        let logits = self.logits(&images(data, &all, hyper)?, hyper)?;
        let classes = logits.shape[1];
        let correct = logits
            .data
            .chunks(classes)
            .zip(&data.labels)
            .filter(|(row, &y)| {
                let best = row
                    .iter()
                    .enumerate()
                    .max_by_key(|&(j, &v)| (v, std::cmp::Reverse(j)));
                best.map(|(j, _)| j) == Some(y as usize)
            })
            .count();
        Ok(correct as f64 / data.len().max(1) as f64)
    }

    /// One SGD step on the batch `x` (`[B, in]`) with labels; returns the new model and the witness.
    pub fn step(
        &self,
        x: &Tensor,
        labels: &[u8],
        hyper: &Hyper,
        exp: &[i64],
    ) -> Result<(Mlp, StepWitness), NnError> {
        let rows = x.shape[0];
        if rows != hyper.batch || labels.len() != rows {
            return Err(NnError::Shape(format!(
                "batch of {rows} rows and {} labels, B = {}",
                labels.len(),
                hyper.batch
            )));
        }
        let classes = self.layers.last().map_or(0, |l| l.weight.shape[0]);
        if let Some(&y) = labels.iter().find(|&&y| y as usize >= classes) {
            return Err(NnError::Shape(format!("label {y} with {classes} outputs")));
        }
        if exp.len() != EXP_TABLE_LEN {
            return Err(NnError::Config("exp table must have 2^16 entries".into()));
        }
        let mut w = StepWitness::default();
        w.put("input".into(), x.clone());
        w.put(
            "labels".into(),
            Tensor::new(
                "labels",
                &[rows],
                labels.iter().map(|&y| i128::from(y)).collect(),
            )?,
        );
        for (l, layer) in self.layers.iter().enumerate() {
            w.put(format!("fc{}.weight", l + 1), layer.weight.clone());
            w.put(format!("fc{}.bias", l + 1), layer.bias.clone());
        }
        let acts = self.forward(x, hyper, Some(&mut w))?;
        let logits = acts
            .last()
            .ok_or_else(|| NnError::Shape("no layers".into()))?;
        let mut dz = self.loss_gradient(logits, labels, hyper, exp, &mut w)?;

        let mut new_layers = self.layers.clone();
        for l in (0..self.layers.len()).rev() {
            let name = format!("fc{}", l + 1);
            let layer = &self.layers[l];
            let (out, inp) = (layer.weight.shape[0], layer.weight.shape[1]);
            let a = &acts[l];
            let dw = Tensor::new(
                &format!("{name}.dW"),
                &[out, inp],
                matmul_tn(&dz.data, out, &a.data, inp),
            )?;
            let db: Vec<i128> = (0..out)
                .map(|o| dz.data.chunks(out).map(|r| i128::from(r[o])).sum())
                .collect();
            let db = Tensor::new(&format!("{name}.db"), &[out], db)?;
            if l > 0 {
                let dx = matmul_nn(&dz.data, out, &layer.weight.data, inp);
                let (dx_q, dx_rem) = divide(&dx, hyper.one())?;
                let bits = w
                    .get(&format!("fc{l}.relu_bit"))
                    .map(|t| t.data.clone())
                    .unwrap_or_default();
                let next: Vec<i128> = dx_q
                    .iter()
                    .zip(&bits)
                    .map(|(&q, &b)| q * i128::from(b))
                    .collect();
                w.put(
                    format!("{name}.dx"),
                    Tensor::new(&format!("{name}.dx"), &[rows, inp], dx_q)?,
                );
                w.put(
                    format!("{name}.dx_rem"),
                    Tensor::new(&format!("{name}.dx_rem"), &[rows, inp], dx_rem)?,
                );
                let prev = format!("fc{l}.dz");
                dz = Tensor::new(&prev, &[rows, inp], next)?;
                w.put(prev, dz.clone());
            }
            let b = hyper.batch as i128;
            new_layers[l].weight = update(
                &mut w,
                &format!("{name}.weight"),
                &layer.weight,
                &dw,
                hyper,
                b * hyper.one() * hyper.one(),
            )?;
            new_layers[l].bias = update(
                &mut w,
                &format!("{name}.bias"),
                &layer.bias,
                &db,
                hyper,
                b * hyper.one(),
            )?;
            w.put(format!("{name}.dW"), dw);
            w.put(format!("{name}.db"), db);
        }
        Ok((Mlp { layers: new_layers }, w))
    }

    /// The loss gradient at the logits (scale s), recording the softmax intermediates.
    fn loss_gradient(
        &self,
        z: &Tensor,
        labels: &[u8],
        hyper: &Hyper,
        exp: &[i64],
        w: &mut StepWitness,
    ) -> Result<Tensor, NnError> {
        let (rows, classes) = (z.shape[0], z.shape[1]);
        let one = hyper.one();
        let onehot = |n: usize, j: usize| i128::from(labels[n] as usize == j) * one;
        if hyper.loss == Loss::Mse {
            let g = (0..rows * classes)
                .map(|i| i128::from(z.data[i]) - onehot(i / classes, i % classes))
                .collect();
            let g = Tensor::new("loss.grad", &[rows, classes], g)?;
            w.put("loss.grad".into(), g.clone());
            return Ok(g);
        }
        let shift = 1i128 << (hyper.fixed.scale() - EXP_FRAC_BITS);
        let cap = (EXP_TABLE_LEN - 1) as i128;
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
}

/// `new = old − ⌊η·grad / divisor⌋`, recording `lr_*`, `*_step`, `*_step_rem`, `*_new`.
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
    let scaled = Tensor::new(&format!("{name}.lr_grad"), &grad.shape, scaled)?;
    let (step, rem) = divide(&widen(&scaled), divisor)?;
    let new: Vec<i128> = old
        .data
        .iter()
        .zip(&step)
        .map(|(&o, &s)| i128::from(o) - s)
        .collect();
    let new = Tensor::new(&format!("{name}_new"), &old.shape, new)?;
    w.put(format!("{name}.lr_grad"), scaled);
    w.put(
        format!("{name}.step"),
        Tensor::new(&format!("{name}.step"), &old.shape, step)?,
    );
    w.put(
        format!("{name}.step_rem"),
        Tensor::new(&format!("{name}.step_rem"), &old.shape, rem)?,
    );
    w.put(format!("{name}_new"), new.clone());
    Ok(new)
}

/// The images at `indices`, flattened and quantized: pixel `p` becomes `round(p·2^s/255)`.
pub fn images(data: &Dataset, indices: &[usize], hyper: &Hyper) -> Result<Tensor, NnError> {
    let size = data.rows * data.cols;
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

/// The batch of step `i` (DESIGN §1): samples `[i·B, (i+1)·B) mod N`.
pub fn batch_indices(step: usize, batch: usize, len: usize) -> Vec<usize> {
    (0..batch)
        .map(|k| (step * batch + k) % len.max(1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut model = Mlp::init(&[784, 64, 10], 16, 1).unwrap();
        let before = model.accuracy(&test, &hyper).unwrap();
        for step in 0..560 {
            let idx = batch_indices(step, hyper.batch, train.len());
            let x = images(&train, &idx, &hyper).unwrap();
            let labels: Vec<u8> = idx.iter().map(|&i| train.labels[i]).collect();
            model = model.step(&x, &labels, &hyper, &exp).unwrap().0;
        }
        let after = model.accuracy(&test, &hyper).unwrap();
        println!("held-out accuracy: {before:.3} -> {after:.3} (10 epochs of 896 images, B = 16)");
        assert!(after >= 0.70, "accuracy {after}");
    }

    /// Forward values and gradients agree with an f64 computation of the same network.
    #[test]
    fn agrees_with_f64_reference() {
        for loss in [Loss::SoftmaxCrossEntropy, Loss::Mse] {
            let (train, _, hyper, exp) = setup(loss);
            let model = Mlp::init(&[784, 32, 10], 16, 3).unwrap();
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
                deq(&model.layers[0].weight, s),
                deq(&model.layers[1].weight, s),
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
        let model = Mlp::init(&[784, 16, 10], 16, 5).unwrap();
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
            "fc1.relu_bit",
            "fc1.a",
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
            "fc1.dz",
            "fc1.dW",
            "fc1.weight.step",
            "fc1.weight.step_rem",
            "fc1.weight_new",
            "fc2.bias_new",
        ] {
            assert!(w.get(name).is_some(), "missing {name}");
        }
        let t = |n: &str| w.get(n).unwrap().data.clone();
        let one = 1i64 << 16;
        assert!(t("fc1.z_rem").iter().all(|&r| (0..one).contains(&r)));
        assert!(t("fc1.relu_bit")
            .iter()
            .zip(t("fc1.z"))
            .zip(t("fc1.a"))
            .all(|((&b, z), a)| a == b * z && (b == 1) == (z >= 0)));
        for (r, row) in t("loss.argmax").chunks(10).enumerate() {
            assert_eq!(row.iter().sum::<i64>(), 1);
            let s: i64 = t("loss.exp")[r * 10..(r + 1) * 10].iter().sum();
            assert_eq!(s, t("loss.sum")[r]);
        }
        assert_eq!(new.layers[0].weight.data, t("fc1.weight_new"));
        let b = hyper.batch as i64;
        assert!(t("fc1.weight.step_rem")
            .iter()
            .all(|&r| r >= 0 && (r as i128) < (b as i128) << 32));
    }

    #[test]
    fn safetensors_round_trip_and_errors() {
        let fixed = FixedPoint::new(16).unwrap();
        let model = Mlp::init(&[784, 16, 10], 16, 9).unwrap();
        let bytes = model.to_safetensors(fixed).unwrap();
        assert_eq!(Mlp::from_safetensors(&bytes, fixed).unwrap(), model);
        assert!(matches!(
            Mlp::from_safetensors(&bytes[..bytes.len() - 5], fixed),
            Err(NnError::Weights(_))
        ));
        assert!(Mlp::from_safetensors(b"garbage", fixed).is_err());
        // Shapes that do not chain, and missing biases.
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
        assert!(Mlp::from_safetensors(&bad_chain, fixed)
            .unwrap_err()
            .to_string()
            .contains("fc2.weight takes 5"));
        let no_bias = build(vec![("fc1.weight", t(vec![4, 3]))]);
        assert!(Mlp::from_safetensors(&no_bias, fixed)
            .unwrap_err()
            .to_string()
            .contains("missing fc1.bias"));
    }

    #[test]
    fn overflow_and_bad_inputs_are_errors() {
        let data = Dataset::embedded().unwrap();
        // A huge learning rate at a large scale pushes η·dW past 2^59.
        let hyper = Hyper::new(28, 1000.0, 4, Loss::Mse).unwrap();
        let model = Mlp::init(&[784, 8, 10], 28, 1).unwrap();
        let idx = batch_indices(0, 4, data.len());
        let x = images(&data, &idx, &hyper).unwrap();
        let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
        let err = model.step(&x, &labels, &hyper, &exp_table(28)).unwrap_err();
        assert!(matches!(err, NnError::Overflow { .. }), "{err}");
        // Wrong batch, bad labels, bad configuration.
        let hyper = Hyper::new(16, 0.1, 4, Loss::Mse).unwrap();
        let model = Mlp::init(&[784, 8, 10], 16, 1).unwrap();
        let x = images(&data, &idx, &hyper).unwrap();
        assert!(model
            .step(&x, &labels[..3], &hyper, &exp_table(16))
            .is_err());
        assert!(model
            .step(&x, &[0, 1, 2, 10], &hyper, &exp_table(16))
            .is_err());
        assert!(Hyper::new(16, 0.0, 4, Loss::Mse).is_err());
        assert!(Hyper::new(4, 0.1, 4, Loss::Mse).is_err());
        assert!(Mlp::init(&[784], 16, 1).is_err());
        assert!(images(&data, &[5000], &hyper).is_err());
    }
}
