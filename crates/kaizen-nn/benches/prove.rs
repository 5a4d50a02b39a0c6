//! Step proofs of MLPs, LeNet-5 and the authors' LeNet / mAlexNet / VGG shapes on the embedded
//! Fashion-MNIST data (padded to the model's input side; Ligero over M61², blake3): prover and
//! verifier time, proof size, peak memory, and the prover / plain quantized step ratio, medians
//! over 3 runs, each row in a fresh process. `-- --quick` runs the first three rows once,
//! `-- --list` lists the rows, `-- --case K` runs row `K` alone (`scripts/bench-models` wraps it).
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_field::{serialize::to_bytes, Blake3Transcript, M61Ext2};
use kaizen_nn::{
    arch::Architecture,
    data::Dataset,
    model::{batch_indices, exp_table, images, Hyper, Loss},
    prove::{
        commit_dataset, commit_model, max_commitment_vars, prove_step, verify_step, ModelShape,
        Plan, StepInputs, StepStatement,
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

/// `(architecture, batch)` of every row; `--quick` keeps the first three.
fn cases() -> Vec<(Architecture, usize)> {
    let lenet = Architecture::LeNet5 { size: 28 };
    let paper_lenet = Architecture::PaperLeNet { channels: 1 };
    let mut cases = vec![
        (Architecture::Mlp(vec![784, 128, 10]), 16),
        (lenet.clone(), 4),
        (paper_lenet.clone(), 4),
        (Architecture::Mlp(vec![784, 128, 10]), 64),
        (Architecture::Mlp(vec![784, 512, 10]), 16),
    ];
    for b in [1, 16] {
        cases.push((lenet.clone(), b));
        cases.push((paper_lenet.clone(), b));
    }
    for arch in [
        Architecture::PaperMAlexNet { channels: 1 },
        Architecture::PaperVgg { channels: 1 },
    ] {
        cases.push((arch.clone(), 4));
        cases.push((arch, 16));
    }
    cases
}

/// Runs one case in this process and prints its table row.
fn run_case(arch: &Architecture, batch: usize, runs: usize) {
    let data = arch.fit(&Dataset::embedded().unwrap()).unwrap();
    let exp = exp_table(16);
    let t = || Blake3Transcript::new(b"kaizen-nn/bench");
    let hyper = Hyper::new(16, 0.1, batch, Loss::SoftmaxCrossEntropy).unwrap();
    let model = arch.build(16, 1).unwrap();
    let plan = Plan::new(&ModelShape::of(&model), &hyper).unwrap();
    let vars = max_commitment_vars(&plan, data.len()).unwrap();
    let pcs = Ligero::<M61Ext2>::new(LigeroParams::new(vars, MatrixShape::Balanced));
    let dataset = commit_dataset(&pcs, &data, &plan).unwrap();
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
    let (p, q) = (median(plain), median(prove));
    println!(
        "| {:18} | {batch:2} | {:>9} | {:8.1} | {:8.0} | {:5.0} | {:9.1} | {:9} | {:8.0} |",
        arch.to_string(),
        model.parameters(),
        ms(p),
        ms(q),
        q.as_secs_f64() / p.as_secs_f64(),
        ms(median(verify)),
        size / 1024,
        peak_rss_mib()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let runs = if quick { 1 } else { 3 };
    let cases = cases();
    if args.iter().any(|a| a == "--list") {
        for (k, (arch, batch)) in cases.iter().enumerate() {
            println!("{k:2}: {arch} B = {batch}");
        }
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let k: usize = args[i + 1].parse().unwrap();
        let (arch, batch) = &cases[k];
        return run_case(arch, *batch, runs);
    }
    println!(
        "step proof, softmax CE, scale 2^16, Ligero/M61² (balanced shape) sized per model, N = 1024 embedded \
         Fashion-MNIST images, {} threads, one process per row (peak RSS is the row's own)",
        rayon::current_num_threads()
    );
    println!(
        "| model              | B  | params    | plain ms | prove ms | ratio | verify ms | proof KiB | peak MiB |"
    );
    println!(
        "|--------------------|----|-----------|----------|----------|-------|-----------|-----------|----------|"
    );
    let exe = std::env::current_exe().unwrap();
    let count = if quick { 3 } else { cases.len() };
    for (k, (arch, batch)) in cases.iter().enumerate().take(count) {
        let mut cmd = std::process::Command::new(&exe);
        cmd.args(["--case", &k.to_string()]);
        if quick {
            cmd.arg("--quick");
        }
        let status = cmd.status().unwrap();
        if !status.success() {
            println!("| {:18} | {batch:2} | failed: {status} |", arch.to_string());
        }
    }
    println!(
        "prove = plain step + committing W_i and W_(i+1) + the proof (C_D committed once, outside)"
    );
}
