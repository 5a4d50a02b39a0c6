//! Convolution and pooling kernels in exact integer arithmetic (NCHW layout), the building blocks of
//! the convolutional models. Products accumulate in `i128` at scale `2s`; callers rescale with
//! floor division exactly as for dense layers (`z = ⌊acc/2^s⌋`, remainder recorded).
//!
//! * [`conv2d`]: `y[b,o,i,j] = Σ_{c,u,v} x[b,c,i·S+u−P, j·S+v−P]·w[o,c,u,v]` (zero padding `P`,
//!   stride `S`);
//! * [`conv2d_input_grad`] and [`conv2d_weight_grad`]: its adjoints with respect to `x` and `w`
//!   (the "rotated kernel, padding" and correlation forms of the backward pass);
//! * [`max_pool`]: window maxima with a one-hot argmax selector per window (first maximum), and
//!   its backward `dx = selector·dy`; [`avg_pool`]: window sums, divided by `k²` with remainder.
use rayon::prelude::*;

use crate::NnError;

/// Geometry of a 2-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Batch size.
    pub batch: usize,
    /// Input channels.
    pub in_ch: usize,
    /// Output channels.
    pub out_ch: usize,
    /// Input height and width.
    pub height: usize,
    /// Input width.
    pub width: usize,
    /// Kernel size (square).
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on each side.
    pub padding: usize,
}

impl ConvShape {
    /// Output height and width, or an error if the kernel does not fit.
    pub fn output(&self) -> Result<(usize, usize), NnError> {
        let (h, w) = (
            self.height + 2 * self.padding,
            self.width + 2 * self.padding,
        );
        if self.kernel == 0 || self.stride == 0 || self.kernel > h || self.kernel > w {
            return Err(NnError::Shape(format!(
                "kernel {} does not fit {h}×{w} (stride {})",
                self.kernel, self.stride
            )));
        }
        Ok((
            (h - self.kernel) / self.stride + 1,
            (w - self.kernel) / self.stride + 1,
        ))
    }

    fn check(&self, x: usize, w: usize) -> Result<(usize, usize), NnError> {
        let out = self.output()?;
        let want_x = self.batch * self.in_ch * self.height * self.width;
        let want_w = self.out_ch * self.in_ch * self.kernel * self.kernel;
        if x != want_x || w != want_w {
            return Err(NnError::Shape(format!(
                "conv: {x} inputs / {w} weights, expected {want_x} / {want_w}"
            )));
        }
        Ok(out)
    }

    /// Input index of output position `(i, j)` with kernel offset `(u, v)`, if inside the image.
    #[inline]
    fn source(&self, i: usize, j: usize, u: usize, v: usize) -> Option<(usize, usize)> {
        let r = (i * self.stride + u).checked_sub(self.padding)?;
        let c = (j * self.stride + v).checked_sub(self.padding)?;
        (r < self.height && c < self.width).then_some((r, c))
    }
}

/// Forward convolution; `[B, O, H', W']` accumulators at scale `2s` (no bias).
pub fn conv2d(x: &[i64], w: &[i64], s: &ConvShape) -> Result<Vec<i128>, NnError> {
    let (oh, ow) = s.check(x.len(), w.len())?;
    let plane = s.height * s.width;
    let k2 = s.kernel * s.kernel;
    let mut out = vec![0i128; s.batch * s.out_ch * oh * ow];
    out.par_chunks_mut(oh * ow).enumerate().for_each(|(bo, y)| {
        let (b, o) = (bo / s.out_ch, bo % s.out_ch);
        for (idx, acc) in y.iter_mut().enumerate() {
            let (i, j) = (idx / ow, idx % ow);
            for c in 0..s.in_ch {
                let xs = &x[(b * s.in_ch + c) * plane..][..plane];
                let ws = &w[(o * s.in_ch + c) * k2..][..k2];
                for u in 0..s.kernel {
                    for v in 0..s.kernel {
                        if let Some((r, q)) = s.source(i, j, u, v) {
                            *acc +=
                                i128::from(xs[r * s.width + q]) * i128::from(ws[u * s.kernel + v]);
                        }
                    }
                }
            }
        }
    });
    Ok(out)
}

/// `dx = ∂⟨conv2d(x, w), dy⟩/∂x`: `[B, C, H, W]` at scale `2s` (dy at scale s, w at scale s).
pub fn conv2d_input_grad(dy: &[i64], w: &[i64], s: &ConvShape) -> Result<Vec<i128>, NnError> {
    let (oh, ow) = s.output()?;
    if dy.len() != s.batch * s.out_ch * oh * ow
        || w.len() != s.out_ch * s.in_ch * s.kernel * s.kernel
    {
        return Err(NnError::Shape(
            "conv input grad: dy or w of the wrong size".into(),
        ));
    }
    let k2 = s.kernel * s.kernel;
    let plane = s.height * s.width;
    let mut dx = vec![0i128; s.batch * s.in_ch * plane];
    dx.par_chunks_mut(s.in_ch * plane)
        .enumerate()
        .for_each(|(b, dxb)| {
            for o in 0..s.out_ch {
                let dys = &dy[(b * s.out_ch + o) * oh * ow..][..oh * ow];
                for c in 0..s.in_ch {
                    let ws = &w[(o * s.in_ch + c) * k2..][..k2];
                    for (idx, &g) in dys.iter().enumerate() {
                        let (i, j) = (idx / ow, idx % ow);
                        for u in 0..s.kernel {
                            for v in 0..s.kernel {
                                if let Some((r, q)) = s.source(i, j, u, v) {
                                    dxb[c * plane + r * s.width + q] +=
                                        i128::from(g) * i128::from(ws[u * s.kernel + v]);
                                }
                            }
                        }
                    }
                }
            }
        });
    Ok(dx)
}

/// `dW = ∂⟨conv2d(x, w), dy⟩/∂w`: `[O, C, K, K]` at scale `2s`.
pub fn conv2d_weight_grad(dy: &[i64], x: &[i64], s: &ConvShape) -> Result<Vec<i128>, NnError> {
    let (oh, ow) = s.output()?;
    if dy.len() != s.batch * s.out_ch * oh * ow || x.len() != s.batch * s.in_ch * s.height * s.width
    {
        return Err(NnError::Shape(
            "conv weight grad: dy or x of the wrong size".into(),
        ));
    }
    let k2 = s.kernel * s.kernel;
    let plane = s.height * s.width;
    let mut dw = vec![0i128; s.out_ch * s.in_ch * k2];
    dw.par_chunks_mut(k2).enumerate().for_each(|(oc, g)| {
        let (o, c) = (oc / s.in_ch, oc % s.in_ch);
        for b in 0..s.batch {
            let dys = &dy[(b * s.out_ch + o) * oh * ow..][..oh * ow];
            let xs = &x[(b * s.in_ch + c) * plane..][..plane];
            for (idx, &d) in dys.iter().enumerate() {
                let (i, j) = (idx / ow, idx % ow);
                for u in 0..s.kernel {
                    for v in 0..s.kernel {
                        if let Some((r, q)) = s.source(i, j, u, v) {
                            g[u * s.kernel + v] += i128::from(d) * i128::from(xs[r * s.width + q]);
                        }
                    }
                }
            }
        }
    });
    Ok(dw)
}

/// Geometry of a pooling layer over `[planes, H, W]` (planes = batch × channels), window `k`,
/// stride `k`, floor mode (trailing rows and columns that do not fill a window are dropped, as in
/// PyTorch's default).
pub fn pool_shape(
    len: usize,
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<(usize, usize), NnError> {
    if k == 0 || h < k || w < k || len != planes * h * w {
        return Err(NnError::Shape(format!(
            "pool {k}×{k} over {planes}×{h}×{w} ({len} values)"
        )));
    }
    Ok((h / k, w / k))
}

/// Max pooling: window maxima `[planes, H/k, W/k]` and a one-hot selector of the input's shape
/// marking each window's first maximum.
pub fn max_pool(
    x: &[i64],
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<(Vec<i64>, Vec<i64>), NnError> {
    let (oh, ow) = pool_shape(x.len(), planes, h, w, k)?;
    let mut y = vec![0i64; planes * oh * ow];
    let mut sel = vec![0i64; x.len()];
    for p in 0..planes {
        for i in 0..oh {
            for j in 0..ow {
                let mut best: Option<(i64, usize)> = None;
                for u in 0..k {
                    for v in 0..k {
                        let at = p * h * w + (i * k + u) * w + j * k + v;
                        if best.is_none_or(|(m, _)| x[at] > m) {
                            best = Some((x[at], at));
                        }
                    }
                }
                if let Some((m, at)) = best {
                    y[p * oh * ow + i * ow + j] = m;
                    sel[at] = 1;
                }
            }
        }
    }
    Ok((y, sel))
}

/// For each input of a `k×k` pooling over `planes × h × w` values (checked against `y_len`
/// outputs), the index of its window's output; `None` for inputs outside every window (floor mode).
fn window_outputs(
    x_len: usize,
    y_len: usize,
    (planes, h, w, k): (usize, usize, usize, usize),
    what: &str,
) -> Result<impl Iterator<Item = Option<usize>>, NnError> {
    let (oh, ow) = pool_shape(x_len, planes, h, w, k)?;
    if y_len != planes * oh * ow {
        return Err(NnError::Shape(format!("{what} of the wrong size")));
    }
    Ok((0..x_len).map(move |at| {
        let (p, r, c) = (at / (h * w), (at / w) % h, at % w);
        (r / k < oh && c / k < ow).then(|| p * oh * ow + (r / k) * ow + c / k)
    }))
}

/// `out[window] − x` for every input inside a window (non-negative: the window's maximum minus the
/// element), 0 for inputs outside every window (floor mode).
pub fn max_pool_gap(
    x: &[i64],
    y: &[i64],
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<Vec<i64>, NnError> {
    let windows = window_outputs(x.len(), y.len(), (planes, h, w, k), "max-pool gap: output")?;
    Ok(windows
        .zip(x)
        .map(|(o, &v)| o.map_or(0, |o| y[o] - v))
        .collect())
}

/// Max-pool backward: `dx = selector·dy` (each window's gradient goes to its maximum).
pub fn max_pool_grad(
    dy: &[i64],
    sel: &[i64],
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<Vec<i64>, NnError> {
    let windows = window_outputs(sel.len(), dy.len(), (planes, h, w, k), "max-pool grad: dy")?;
    Ok(windows
        .zip(sel)
        .map(|(o, &s)| o.map_or(0, |o| s * dy[o]))
        .collect())
}

/// Average-pool backward: each input of a window gets `⌊dy/k²⌋` (the remainder is returned per
/// window); inputs outside every window get 0.
pub fn avg_pool_grad(
    dy: &[i64],
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<(Vec<i128>, Vec<i128>), NnError> {
    let windows = window_outputs(
        planes * h * w,
        dy.len(),
        (planes, h, w, k),
        "avg-pool grad: dy",
    )?;
    let d = (k * k) as i128;
    let (q, r): (Vec<i128>, Vec<i128>) = dy
        .iter()
        .map(|&g| (i128::from(g).div_euclid(d), i128::from(g).rem_euclid(d)))
        .unzip();
    let dx = windows.map(|o| o.map_or(0, |o| q[o])).collect();
    Ok((dx, r))
}

/// Average pooling: window sums divided by `k²` with floor; returns `(y, remainders)`.
pub fn avg_pool(
    x: &[i64],
    planes: usize,
    h: usize,
    w: usize,
    k: usize,
) -> Result<(Vec<i128>, Vec<i128>), NnError> {
    let (oh, ow) = pool_shape(x.len(), planes, h, w, k)?;
    let d = (k * k) as i128;
    let mut y = Vec::with_capacity(planes * oh * ow);
    let mut rem = Vec::with_capacity(planes * oh * ow);
    for p in 0..planes {
        for i in 0..oh {
            for j in 0..ow {
                let sum: i128 = (0..k * k)
                    .map(|t| i128::from(x[p * h * w + (i * k + t / k) * w + j * k + t % k]))
                    .sum();
                y.push(sum.div_euclid(d));
                rem.push(sum.rem_euclid(d));
            }
        }
    }
    Ok((y, rem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    fn rand_vec(rng: &mut ChaCha20Rng, n: usize) -> Vec<i64> {
        (0..n).map(|_| rng.gen_range(-1000..1000)).collect()
    }

    fn dot(a: &[i64], b: &[i128]) -> i128 {
        a.iter().zip(b).map(|(&x, &y)| i128::from(x) * y).sum()
    }

    /// The backward kernels are exact adjoints: ⟨conv(x, w), dy⟩ = ⟨x, dx(dy, w)⟩ = ⟨w, dW(dy, x)⟩.
    #[test]
    fn backward_kernels_are_adjoints() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for (kernel, stride, padding) in [(3, 1, 0), (5, 1, 2), (3, 2, 1), (2, 2, 0), (1, 1, 0)] {
            let s = ConvShape {
                batch: 2,
                in_ch: 3,
                out_ch: 4,
                height: 7,
                width: 6,
                kernel,
                stride,
                padding,
            };
            let (oh, ow) = s.output().unwrap();
            let x = rand_vec(&mut rng, 2 * 3 * 7 * 6);
            let w = rand_vec(&mut rng, 4 * 3 * kernel * kernel);
            let dy = rand_vec(&mut rng, 2 * 4 * oh * ow);
            let y = conv2d(&x, &w, &s).unwrap();
            let lhs = dot(&dy, &y);
            assert_eq!(
                lhs,
                dot(&x, &conv2d_input_grad(&dy, &w, &s).unwrap()),
                "{s:?}"
            );
            assert_eq!(
                lhs,
                dot(&w, &conv2d_weight_grad(&dy, &x, &s).unwrap()),
                "{s:?}"
            );
        }
    }

    #[test]
    fn conv_matches_a_hand_computed_case() {
        // 1×1×3×3 input, 2×2 kernel of ones, stride 1, no padding: window sums.
        let s = ConvShape {
            batch: 1,
            in_ch: 1,
            out_ch: 1,
            height: 3,
            width: 3,
            kernel: 2,
            stride: 1,
            padding: 0,
        };
        let y = conv2d(&[1, 2, 3, 4, 5, 6, 7, 8, 9], &[1, 1, 1, 1], &s).unwrap();
        assert_eq!(y, vec![12, 16, 24, 28]);
        let sp = ConvShape {
            padding: 1,
            kernel: 3,
            ..s
        };
        let y = conv2d(
            &[1, 2, 3, 4, 5, 6, 7, 8, 9],
            &[0, 0, 0, 0, 1, 0, 0, 0, 0],
            &sp,
        )
        .unwrap();
        assert_eq!(
            y,
            (1..=9).collect::<Vec<i128>>(),
            "identity kernel with same padding"
        );
        assert!(conv2d(&[1; 8], &[1; 4], &s).is_err());
        assert!(ConvShape { kernel: 4, ..s }.output().is_err());
    }

    #[test]
    fn pooling_forward_and_backward() {
        let x = vec![1, 5, 2, 2, 3, -1, 2, 7, 0, 0, -4, -4, 0, 9, -4, -3];
        let (y, sel) = max_pool(&x, 1, 4, 4, 2).unwrap();
        assert_eq!(y, vec![5, 7, 9, -3]);
        assert_eq!(sel.iter().sum::<i64>(), 4);
        assert_eq!(
            sel.iter()
                .zip(&x)
                .filter(|(&s, _)| s == 1)
                .map(|(_, &v)| v)
                .collect::<Vec<_>>(),
            vec![5, 7, 9, -3]
        );
        // Ties go to the first maximum (2, 2 in the second window: first is at index 2).
        let (_, sel) = max_pool(&[2, 2, 2, 2], 1, 2, 2, 2).unwrap();
        assert_eq!(sel, vec![1, 0, 0, 0]);
        let dx = max_pool_grad(
            &[10, 20, 30, 40],
            &max_pool(&x, 1, 4, 4, 2).unwrap().1,
            1,
            4,
            4,
            2,
        )
        .unwrap();
        assert_eq!(dx.iter().sum::<i64>(), 100);
        assert_eq!(dx[1], 10);
        let gap = max_pool_gap(&x, &[5, 7, 9, -3], 1, 4, 4, 2).unwrap();
        assert_eq!(&gap[..4], &[4, 0, 5, 5]);
        assert!(gap.iter().all(|&g| g >= 0));
        assert_eq!(
            max_pool_gap(&x, &[5], 1, 4, 4, 3).unwrap()[15],
            0,
            "outside every window"
        );
        let (y, r) = avg_pool(&x, 1, 4, 4, 2).unwrap();
        for ((&q, &rem), sum) in y.iter().zip(&r).zip([8i128, 13, 9, -15]) {
            assert_eq!(q * 4 + rem, sum);
            assert!((0..4).contains(&rem));
        }
        // Floor mode: a 3×3 window over 4×4 keeps one window.
        assert_eq!(max_pool(&x, 1, 4, 4, 3).unwrap().0, vec![5]);
        assert!(max_pool(&x, 1, 4, 4, 5).is_err());
        assert!(avg_pool(&x[..15], 1, 4, 4, 2).is_err());
    }
}
