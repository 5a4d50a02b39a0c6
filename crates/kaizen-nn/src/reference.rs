//! An f64 reference forward pass, independent of the integer kernels: the yardstick for the
//! fixed-point engine (gradient checks in the tests, and the float-vs-fixed-point gap of a
//! trained model in run reports).
use crate::{
    data::Dataset,
    model::{images, output_shape, Hyper, LayerKind, Model},
    NnError,
};

/// Per-layer `(weight, bias)` in f64, in the order of the parameter layers.
pub type FloatParams = Vec<(Vec<f64>, Vec<f64>)>;

/// The model's parameters dequantized at `hyper`'s scale.
pub fn float_params(model: &Model, hyper: &Hyper) -> FloatParams {
    let deq = |t: &crate::tensor::Tensor| -> Vec<f64> {
        t.data
            .iter()
            .map(|&v| hyper.fixed.dequantize(v.into()))
            .collect()
    };
    model
        .layers
        .iter()
        .filter_map(|l| l.params.as_ref())
        .map(|(w, b)| (deq(w), deq(b)))
        .collect()
}

fn conv(
    a: &[f64],
    (w, b): (&[f64], &[f64]),
    kind: LayerKind,
    shape: &[usize],
    next: &[usize],
) -> Vec<f64> {
    let LayerKind::Conv {
        in_ch,
        out_ch,
        kernel,
        stride,
        padding,
    } = kind
    else {
        return Vec::new();
    };
    let (h, wd, oh, ow) = (shape[1], shape[2], next[1], next[2]);
    let mut y = vec![0.0; out_ch * oh * ow];
    for o in 0..out_ch {
        for i in 0..oh {
            for j in 0..ow {
                let mut acc = b[o];
                for c in 0..in_ch {
                    for u in 0..kernel {
                        for v in 0..kernel {
                            let r = (i * stride + u).checked_sub(padding).filter(|&r| r < h);
                            let q = (j * stride + v).checked_sub(padding).filter(|&q| q < wd);
                            if let (Some(r), Some(q)) = (r, q) {
                                acc += a[c * h * wd + r * wd + q]
                                    * w[((o * in_ch + c) * kernel + u) * kernel + v];
                            }
                        }
                    }
                }
                y[(o * oh + i) * ow + j] = acc;
            }
        }
    }
    y
}

fn pool(a: &[f64], k: usize, max: bool, shape: &[usize]) -> Vec<f64> {
    let (c, h, wd) = (shape[0], shape[1], shape[2]);
    let (oh, ow) = (h / k, wd / k);
    let mut y = Vec::with_capacity(c * oh * ow);
    for ch in 0..c {
        for i in 0..oh {
            for j in 0..ow {
                let win = (0..k * k).map(|t| a[ch * h * wd + (i * k + t / k) * wd + j * k + t % k]);
                y.push(if max {
                    win.fold(f64::MIN, f64::max)
                } else {
                    win.sum::<f64>() / (k * k) as f64
                });
            }
        }
    }
    y
}

/// Logits of an f64 forward pass of `model`'s architecture with `params` on the samples `x`
/// (row-major, `batch` rows).
pub fn float_logits(
    model: &Model,
    params: &FloatParams,
    x: &[f64],
    batch: usize,
) -> Result<Vec<Vec<f64>>, NnError> {
    let width: usize = model.input.iter().product();
    if batch == 0 || x.len() != batch * width {
        return Err(NnError::Shape(format!(
            "{} inputs for {batch} samples of {width}",
            x.len()
        )));
    }
    let mut shape = model.input.clone();
    let mut acts: Vec<Vec<f64>> = x.chunks(width).map(<[f64]>::to_vec).collect();
    let mut p = params.iter();
    for layer in &model.layers {
        let next = output_shape(layer, &shape)?;
        let wb = match layer.params {
            Some(_) => {
                let (w, b) = p
                    .next()
                    .ok_or_else(|| NnError::Shape(format!("{}: no parameters", layer.name)))?;
                Some((w.as_slice(), b.as_slice()))
            }
            None => None,
        };
        for a in &mut acts {
            *a = match (layer.kind, wb) {
                (LayerKind::Dense { inputs, outputs }, Some((w, b))) => (0..outputs)
                    .map(|o| b[o] + (0..inputs).map(|i| a[i] * w[o * inputs + i]).sum::<f64>())
                    .collect(),
                (LayerKind::Conv { .. }, Some(wb)) => conv(a, wb, layer.kind, &shape, &next),
                (LayerKind::Relu, _) => a.iter().map(|v| v.max(0.0)).collect(),
                (LayerKind::MaxPool(k), _) => pool(a, k, true, &shape),
                (LayerKind::AvgPool(k), _) => pool(a, k, false, &shape),
                (LayerKind::Flatten, _) => std::mem::take(a),
                _ => return Err(NnError::Shape(format!("{}: no parameters", layer.name))),
            };
        }
        shape = next;
    }
    Ok(acts)
}

/// How the fixed-point model compares with the same weights in f64 on `data`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FloatGap {
    /// Accuracy of the fixed-point (integer) forward pass.
    pub fixed_accuracy: f64,
    /// Accuracy of the f64 forward pass with the dequantized weights.
    pub float_accuracy: f64,
    /// Largest `|logit_fixed − logit_float|` over all samples and classes.
    pub max_logit_gap: f64,
}

fn argmax(row: &[f64]) -> usize {
    let mut best = 0;
    for (j, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = j;
        }
    }
    best
}

/// The float-vs-fixed-point gap of `model` on `data` (evaluated in chunks of 256 samples).
pub fn float_gap(model: &Model, data: &Dataset, hyper: &Hyper) -> Result<FloatGap, NnError> {
    let params = float_params(model, hyper);
    let (mut fixed_ok, mut float_ok, mut gap) = (0usize, 0usize, 0f64);
    for start in (0..data.len()).step_by(256) {
        let idx: Vec<usize> = (start..(start + 256).min(data.len())).collect();
        let x = images(data, &idx, hyper)?;
        let xf: Vec<f64> = x
            .data
            .iter()
            .map(|&v| hyper.fixed.dequantize(v.into()))
            .collect();
        let float = float_logits(model, &params, &xf, idx.len())?;
        let fixed = model.logits(&x, hyper)?;
        let classes = fixed.shape[1];
        for ((row, f), &i) in fixed.data.chunks(classes).zip(&float).zip(&idx) {
            let row: Vec<f64> = row
                .iter()
                .map(|&v| hyper.fixed.dequantize(v.into()))
                .collect();
            let y = usize::from(data.labels[i]);
            fixed_ok += usize::from(argmax(&row) == y);
            float_ok += usize::from(argmax(f) == y);
            for (a, b) in row.iter().zip(f) {
                gap = gap.max((a - b).abs());
            }
        }
    }
    let n = data.len().max(1) as f64;
    Ok(FloatGap {
        fixed_accuracy: fixed_ok as f64 / n,
        float_accuracy: float_ok as f64 / n,
        max_logit_gap: gap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{arch::Architecture, model::Loss};

    #[test]
    fn fixed_point_forward_tracks_the_float_one() {
        let data = Dataset::embedded().unwrap().split_at(256).0;
        let hyper = Hyper::new(16, 0.1, 16, Loss::SoftmaxCrossEntropy).unwrap();
        let model = Architecture::Mlp(vec![784, 32, 10]).build(16, 3).unwrap();
        let gap = float_gap(&model, &data, &hyper).unwrap();
        assert!(gap.max_logit_gap < 1e-2, "{gap:?}");
        assert!(
            (gap.fixed_accuracy - gap.float_accuracy).abs() < 0.02,
            "{gap:?}"
        );
        assert!(float_logits(&model, &float_params(&model, &hyper), &[0.0; 3], 1).is_err());
    }
}
