//! Plain quantized training-step time per model and batch size (the denominator of the
//! prover/plain ratios later), witness size, and peak memory. `-- --quick` skips the big models.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_nn::{
    arch::Architecture,
    model::{exp_table, Hyper, Loss},
    tensor::Tensor,
};

mod common;
use common::peak_rss_mib;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let exp = exp_table(16);
    println!(
        "plain fixed-point SGD step (scale 2^16, softmax CE), {} threads",
        rayon::current_num_threads()
    );
    println!("| model              | params    | B  | runs | step ms  | witness values |");
    println!("|--------------------|-----------|----|------|----------|----------------|");
    let mut cases: Vec<(&str, Architecture, Vec<usize>)> = vec![
        (
            "mlp 784-128-10",
            Architecture::Mlp(vec![784, 128, 10]),
            vec![16, 64],
        ),
        (
            "mlp 784-512-256-10",
            Architecture::Mlp(vec![784, 512, 256, 10]),
            vec![16, 64],
        ),
        (
            "lenet-5 (28x28)",
            Architecture::LeNet5 { size: 28 },
            vec![16],
        ),
        (
            "paper-lenet",
            Architecture::PaperLeNet { channels: 1 },
            vec![1, 4, 16],
        ),
    ];
    if !quick {
        cases.push((
            "paper-malexnet",
            Architecture::PaperMAlexNet { channels: 1 },
            vec![4, 16],
        ));
        cases.push((
            "paper-vgg",
            Architecture::PaperVgg { channels: 1 },
            vec![4, 16],
        ));
        cases.push(("vgg-11 (cifar)", Architecture::Vgg11, vec![16]));
    }
    for (name, arch, batches) in cases {
        let model = arch.build(16, 1).unwrap();
        let per_sample: usize = arch.input().iter().product();
        let classes = if matches!(
            arch,
            Architecture::Mlp(_) | Architecture::LeNet5 { .. } | Architecture::Vgg11
        ) {
            10
        } else {
            16
        };
        for batch in batches {
            let hyper = Hyper::new(16, 0.05, batch, Loss::SoftmaxCrossEntropy).unwrap();
            let pixels: Vec<i128> = (0..batch * per_sample)
                .map(|i| ((i * 2_654_435_761) % 65_537) as i128)
                .collect();
            let x = Tensor::new("input", &[batch, per_sample], pixels).unwrap();
            let labels: Vec<u8> = (0..batch).map(|i| (i % classes) as u8).collect();
            let big = model.parameters() > 1_000_000 || batch * per_sample > 20_000;
            let runs = if big { 1 } else { 5 };
            let mut times: Vec<Duration> = Vec::new();
            let mut values = 0;
            for _ in 0..runs {
                let t = Instant::now();
                let (_, w) = model.step(&x, &labels, &hyper, &exp).unwrap();
                times.push(t.elapsed());
                values = w.tensors.values().map(|t| t.len()).sum();
            }
            times.sort();
            println!(
                "| {name:<18} | {:>9} | {batch:<2} | {runs:>4} | {:>8.1} | {values:>14} |",
                model.parameters(),
                times[runs / 2].as_secs_f64() * 1e3
            );
        }
    }
    println!("peak RSS of this process: {:.0} MiB", peak_rss_mib());
}
