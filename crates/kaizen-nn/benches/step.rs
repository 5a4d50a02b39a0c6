//! Plain quantized training-step time (the denominator of prover/plain ratios) and peak memory.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_nn::{
    data::Dataset,
    mlp::{batch_indices, exp_table, images, Hyper, Loss, Mlp},
};

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(str::to_owned)
        })
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|k| k.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn main() {
    let data = Dataset::embedded().unwrap();
    let exp = exp_table(16);
    println!(
        "plain fixed-point SGD step (scale 2^16, softmax CE), {} threads, medians of 9",
        rayon::current_num_threads()
    );
    println!("| model              | B  | step ms | witness tensors | witness values |");
    println!("|--------------------|----|---------|-----------------|----------------|");
    for sizes in [vec![784usize, 128, 10], vec![784, 512, 256, 10]] {
        for batch in [16usize, 64] {
            let hyper = Hyper::new(16, 0.1, batch, Loss::SoftmaxCrossEntropy).unwrap();
            let model = Mlp::init(&sizes, 16, 1).unwrap();
            let idx = batch_indices(0, batch, data.len());
            let x = images(&data, &idx, &hyper).unwrap();
            let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
            let mut times: Vec<Duration> = Vec::new();
            let mut witness = None;
            for _ in 0..9 {
                let t = Instant::now();
                witness = Some(model.step(&x, &labels, &hyper, &exp).unwrap().1);
                times.push(t.elapsed());
            }
            times.sort();
            let w = witness.unwrap();
            let values: usize = w.tensors.values().map(|t| t.len()).sum();
            let name = sizes
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join("→");
            println!(
                "| {name:<18} | {batch:<2} | {:>7.2} | {:>15} | {:>14} |",
                times[4].as_secs_f64() * 1e3,
                w.tensors.len(),
                values
            );
        }
    }
    println!("peak RSS of this process: {:.0} MiB", peak_rss_mib());
}
