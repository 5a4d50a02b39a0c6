//! The convolution reduction, measured against the zkCNN FFT route (issue 8's choice).
//!
//! For one conv layer's forward claim `Ỹ(r) = v`, the *direct* route (what `prove_step` uses) binds
//! `W` at the claim's output channel point and `X` at its batch point, then runs
//! [`prove_conv`]: two degree-2 sumchecks over sparse shifted-index selectors. The *FFT route*
//! (zkCNN) embeds each image and kernel as 1-D vectors of length `N` (a power of two above the
//! linear convolution's length), and proves `Y = IFFT(Σ_c FFT(X_c) ⊙ FFT(W_{o,c}))` layer by layer;
//! whatever its sumchecks cost, its prover must first hold the transforms of every input channel
//! (`B·C`), every kernel (`O·C`) and every output (`B·O`) — `(B·C + O·C + B·O)` FFTs of size `N`
//! over M61². This binary times the direct route's whole prover for the claim against that lower
//! bound of the FFT route (transforms only, no sumcheck), medians of 5, and prints the ratio.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_field::{fix_block, Blake3Transcript, M61Ext2, MultilinearPoly};
use kaizen_nn::{
    conv::{conv2d, ConvShape},
    prove::pad,
};
use kaizen_pcs::fft::Radix2Domain;
use kaizen_sumcheck::conv::{prove_conv, verify_conv, ConvAxis, ConvDims};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

type F = M61Ext2;

/// A conv layer: batch, in/out channels, square input side, kernel, padding (stride 1).
struct Layer {
    name: &'static str,
    b: usize,
    c: usize,
    o: usize,
    side: usize,
    k: usize,
    pad: usize,
}

fn vars(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Random values in `[−2^15, 2^15)` of shape `dims`, and the same padded as committed.
fn tensor(rng: &mut ChaCha20Rng, dims: &[usize]) -> (Vec<i64>, Vec<F>) {
    let len: usize = dims.iter().product();
    let ints: Vec<i64> = (0..len)
        .map(|_| rng.gen_range(-(1 << 15)..1 << 15))
        .collect();
    let padded = pad(dims, 0, &ints).unwrap();
    (ints, padded)
}

fn run(l: &Layer) {
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let shape = ConvShape {
        batch: l.b,
        in_ch: l.c,
        out_ch: l.o,
        height: l.side,
        width: l.side,
        kernel: l.k,
        stride: 1,
        padding: l.pad,
    };
    let (out_side, _) = shape.output().unwrap();
    let (xi, x) = tensor(&mut rng, &[l.b, l.c, l.side, l.side]);
    let (wi, w) = tensor(&mut rng, &[l.o, l.c, l.k, l.k]);
    let y: Vec<i64> = conv2d(&xi, &wi, &shape)
        .unwrap()
        .into_iter()
        .map(|v| i64::try_from(v).unwrap())
        .collect();
    let y: Vec<F> = pad(&[l.b, l.o, out_side, out_side], 0, &y).unwrap();
    let axis = ConvAxis {
        input: l.side,
        output: out_side,
        kernel: l.k,
        stride: 1,
        padding: l.pad,
    };
    let (vo_sp, vk, vin) = axis.vars();
    let (vb, vc, vo) = (vars(l.b), vars(l.c), vars(l.o));
    let point: Vec<F> = (0..2 * vo_sp + vo + vb)
        .map(|_| F::from(rng.gen::<u64>()))
        .collect();
    let claim = MultilinearPoly::new(y).unwrap().evaluate(&point).unwrap();
    let (r_j, r_i) = (&point[..vo_sp], &point[vo_sp..2 * vo_sp]);
    let (r_o, r_b) = (&point[2 * vo_sp..2 * vo_sp + vo], &point[2 * vo_sp + vo..]);
    let dims = ConvDims {
        g: vc,
        a: [vk, vk],
        b: [vin, vin],
    };
    let sel = [axis.at_output(r_i).unwrap(), axis.at_output(r_j).unwrap()];
    let sel = [&sel[0], &sel[1]];

    let mut direct = Vec::new();
    let mut fft = Vec::new();
    // zkCNN's 1-D embedding: rows of width side + 2·pad; the linear convolution of an image with
    // a kernel (same row stride) needs N above both lengths' sum.
    let width = l.side + 2 * l.pad;
    let n = (width * width + (l.k - 1) * width + l.k).next_power_of_two();
    let domain = Radix2Domain::<F>::new(n.trailing_zeros()).unwrap();
    let transforms = l.b * l.c + l.o * l.c + l.b * l.o;
    let mut rows: Vec<Vec<F>> = (0..transforms)
        .map(|_| (0..n).map(|_| F::from(rng.gen::<u32>())).collect())
        .collect();
    for _ in 0..5 {
        let start = Instant::now();
        let p = fix_block(&w, 1 << (vc + 2 * vk), r_o).unwrap();
        let q = fix_block(&x, 1 << (vc + 2 * vin), r_b).unwrap();
        let mut tr = Blake3Transcript::new(b"conv-route");
        let (proof, _) = prove_conv(dims, &p, &q, sel, claim, &mut tr).unwrap();
        direct.push(start.elapsed());
        let mut tv = Blake3Transcript::new(b"conv-route");
        verify_conv(dims, sel, claim, &proof, &mut tv).unwrap();

        let start = Instant::now();
        rows.par_iter_mut().for_each(|r| domain.fft(r));
        fft.push(start.elapsed());
    }
    let (d, f) = (median(direct), median(fft));
    println!(
        "| {:24} | {:>2} | {:>3} | {:>3} | {:>2}×{:<2} | {} | {:>4} | {:>5} | {:9.2} | {:9.2} | {:6.1}× |",
        l.name,
        l.b,
        l.c,
        l.o,
        l.side,
        l.side,
        l.k,
        n,
        transforms,
        d.as_secs_f64() * 1e3,
        f.as_secs_f64() * 1e3,
        f.as_secs_f64() / d.as_secs_f64()
    );
}

fn main() {
    let layers = [
        Layer {
            name: "paper-lenet conv2",
            b: 16,
            c: 6,
            o: 16,
            side: 14,
            k: 5,
            pad: 0,
        },
        Layer {
            name: "paper-vgg conv (16→32)",
            b: 16,
            c: 16,
            o: 32,
            side: 16,
            k: 3,
            pad: 0,
        },
        Layer {
            name: "VGG-11 conv2 (64→128)",
            b: 4,
            c: 64,
            o: 128,
            side: 16,
            k: 3,
            pad: 1,
        },
        Layer {
            name: "VGG-11 conv5 (256→512)",
            b: 4,
            c: 256,
            o: 512,
            side: 4,
            k: 3,
            pad: 1,
        },
    ];
    println!(
        "Forward-claim prover of one conv layer, M61², {} threads, medians of 5:",
        rayon::current_num_threads()
    );
    println!("| layer | B | C | O | H×W | K | N | FFTs | direct (ms) | FFT route, transforms only (ms) | FFT / direct |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for l in &layers {
        run(l);
    }
}
