//! Step proofs of MLPs on the embedded Fashion-MNIST data (Ligero over M61², blake3): prover and
//! verifier time, proof size, peak memory, and the prover / plain quantized step ratio, medians
//! over the runs. `-- --quick` runs only the first configuration.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_field::{serialize::to_bytes, Blake3Transcript, M61Ext2};
use kaizen_nn::{
    arch::Architecture,
    data::Dataset,
    model::{batch_indices, exp_table, images, Hyper, Loss},
    prove::{
        commit_dataset, commit_model, prove_step, verify_step, ModelShape, StepInputs,
        StepStatement,
    },
};
use kaizen_pcs::{Ligero, LigeroParams, MatrixShape};

mod common;
use common::peak_rss_mib;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let pcs = Ligero::<M61Ext2>::new(LigeroParams::new(26, MatrixShape::Square));
    let data = Dataset::embedded().unwrap();
    let exp = exp_table(16);
    let t = || Blake3Transcript::new(b"kaizen-nn/bench");
    println!(
        "step proof, MLP, softmax CE, scale 2^16, Ligero/M61², N = {}, {} threads",
        data.len(),
        rayon::current_num_threads()
    );
    println!(
        "| model          | B  | plain ms | prove ms | ratio | verify ms | proof KiB | peak MiB |"
    );
    println!(
        "|----------------|----|----------|----------|-------|-----------|-----------|----------|"
    );
    let mut cases = vec![(vec![784, 128, 10], 16), (vec![784, 128, 10], 64)];
    cases.extend([(vec![784, 512, 10], 16), (vec![784, 512, 10], 64)]);
    if quick {
        cases.truncate(1);
    }
    let runs = if quick { 1 } else { 3 };
    for (widths, batch) in cases {
        let hyper = Hyper::new(16, 0.1, batch, Loss::SoftmaxCrossEntropy).unwrap();
        let model = Architecture::Mlp(widths.clone()).build(16, 1).unwrap();
        let dataset = commit_dataset(&pcs, &data, &hyper, 10).unwrap();
        let idx = batch_indices(0, batch, data.len());
        let x = images(&data, &idx, &hyper).unwrap();
        let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
        let (mut plain, mut prove, mut verify) = (Vec::new(), Vec::new(), Vec::new());
        let mut size = 0;
        for _ in 0..runs {
            let start = Instant::now();
            let (new_model, witness) = model.step(&x, &labels, &hyper, &exp).unwrap();
            plain.push(start.elapsed());
            let start = Instant::now();
            let weights = commit_model(&pcs, &model, &hyper).unwrap();
            let new_weights = commit_model(&pcs, &new_model, &hyper).unwrap();
            let statement = StepStatement {
                model: ModelShape::of(&model),
                hyper: hyper.clone(),
                dataset: dataset.commitment(),
                dataset_len: data.len(),
                weights: weights.commitment(),
                new_weights: new_weights.commitment(),
                step: 0,
            };
            let inputs = StepInputs {
                dataset: &dataset,
                weights: &weights,
                new_weights: &new_weights,
            };
            let proof = prove_step(&pcs, &statement, &inputs, &witness, &mut t()).unwrap();
            prove.push(plain[plain.len() - 1] + start.elapsed());
            size = to_bytes(&proof).len();
            let start = Instant::now();
            verify_step(&pcs, &statement, &proof, &mut t()).unwrap();
            verify.push(start.elapsed());
        }
        let name = format!(
            "mlp {}",
            widths
                .iter()
                .map(|w| w.to_string())
                .collect::<Vec<_>>()
                .join("-")
        );
        let (p, q) = (median(plain), median(prove));
        println!(
            "| {name:14} | {batch:2} | {:8.1} | {:8.0} | {:5.0} | {:9.1} | {:9} | {:8.0} |",
            ms(p),
            ms(q),
            q.as_secs_f64() / p.as_secs_f64(),
            ms(median(verify)),
            size / 1024,
            peak_rss_mib()
        );
    }
    println!(
        "prove = plain step + committing W_i and W_(i+1) + the proof (C_D committed once, outside)"
    );
}
