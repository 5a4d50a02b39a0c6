//! Step proofs of MLPs, LeNet-5, the authors' LeNet / mAlexNet / VGG shapes and the standard
//! AlexNet / VGG-11 on the embedded Fashion-MNIST data (padded to the model's input side, repeated
//! in every channel of a colour input; Ligero over M61², blake3): prover and
//! verifier time, proof size, peak memory, and the prover / plain quantized step ratio, medians
//! over 3 runs, each row in a fresh process. `-- --quick` runs the first three rows once,
//! `-- --list` lists the rows, `-- --case K` runs row `K` alone (`scripts/bench-models` wraps it),
//! `-- --runs N` takes medians over `N` runs (after `--warmup N` untimed ones, default 1),
//! `-- --keep-encoding K` re-encodes every commitment of more than `2^K` entries at its opening
//! instead of holding its Reed–Solomon encoding (less memory, more time; by default only the
//! VGG-11 B = 16 row does, with `K = 22`, as the `kaizen` CLI), `-- --sent-rows` sends every
//! Ligero proximity row instead of committing the long ones, `-- --phases` prints each proof's
//! and verification's phases (the `tracing` spans of kaizen-nn, kaizen-pcs and kaizen-gkr) with
//! their wall times to stderr, `-- --poseidon2` hashes the column trees and the transcript with
//! Poseidon2 over `F_p` (the step proof as the recursion will check it).
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_field::{serialize::to_bytes, M61Ext2, Poseidon2Transcript, Transcript};
use kaizen_nn::arch::Architecture;
use kaizen_pcs::merkle::{ColumnHash, Poseidon2Columns};

mod common;
use common::{peak_rss_mib, StepCase};

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
    // The standard CIFAR-style shapes (3 × 32 × 32; the grey images in every channel).
    cases.push((Architecture::AlexNet, 16));
    cases.push((Architecture::Vgg11, 4));
    cases.push((Architecture::Vgg11, 16));
    // The wider MLP at the larger batch (appended, so the rows above keep their indices).
    cases.push((Architecture::Mlp(vec![784, 512, 10]), 64));
    cases
}

/// The default `--keep-encoding` of a row: VGG-11 at B = 16 fits in 24 GiB only when its large
/// commitments are re-encoded at opening; every other row keeps its encodings.
fn default_keep_encoding(arch: &Architecture, batch: usize) -> usize {
    if matches!(arch, Architecture::Vgg11) && batch >= 16 {
        kaizen_pcs::KEEP_ENCODING_VARS_24_GIB
    } else {
        usize::MAX
    }
}

/// Runs one case in this process and prints its table row; with `poseidon2`, Poseidon2 trees and
/// transcript.
fn run_case(
    arch: &Architecture,
    batch: usize,
    counts: (usize, usize),
    keep_encoding: usize,
    ligero: (bool, bool),
    poseidon2: bool,
) {
    if poseidon2 {
        let transcript = Poseidon2Transcript::new(b"kaizen-nn/bench");
        let case = StepCase::<Poseidon2Columns, _>::with_hash(
            arch,
            batch,
            keep_encoding,
            ligero,
            transcript,
        );
        run(arch, &case, counts);
    } else {
        run(
            arch,
            &StepCase::new(arch, batch, keep_encoding, ligero),
            counts,
        );
    }
}

fn run<H: ColumnHash<M61Ext2>, T: Transcript<M61Ext2> + Clone>(
    arch: &Architecture,
    case: &StepCase<H, T>,
    (warmup, runs): (usize, usize),
) {
    let batch = case.hyper.batch;
    for _ in 0..warmup {
        let (_, _, statement, proof) = case.prove();
        case.verify(&statement, &proof);
    }
    let (mut plain, mut prove, mut verify) = (Vec::new(), Vec::new(), Vec::new());
    let mut size = 0;
    for _ in 0..runs {
        let (p, q, statement, proof) = case.prove();
        plain.push(p);
        prove.push(q);
        size = to_bytes(&proof).len();
        let start = Instant::now();
        case.verify(&statement, &proof);
        verify.push(start.elapsed());
    }
    let (p, q) = (median(plain), median(prove));
    println!(
        "| {:18} | {batch:2} | {:>9} | {:8.1} | {:8.0} | {:5.0} | {:9.1} | {:9} | {:8.0} |",
        arch.to_string(),
        case.model.parameters(),
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
    // `--runs N`: N proofs per row instead of 3 (a profiler's run, where one-off setup would
    // otherwise dominate).
    let runs = match args.iter().position(|a| a == "--runs") {
        Some(i) => args[i + 1].parse().unwrap(),
        None if quick => 1,
        None => 3,
    };
    // `--warmup N`: N untimed steps first (default 1; none with `--quick`). A process's first
    // steps grow its heap and fault its pages in, as the first step of a chain does; the timed
    // runs then measure the steps that follow (paper-lenet B = 1: 245, 185, then 135–158 ms).
    let warmup = match args.iter().position(|a| a == "--warmup") {
        Some(i) => args[i + 1].parse().unwrap(),
        None if quick => 0,
        None => 1,
    };
    // `--keep-encoding K`: re-encode (at opening) every commitment of more than 2^K entries
    // instead of holding its encoding (less memory, one more encoding's time).
    let keep_encoding: Option<usize> = args
        .iter()
        .position(|a| a == "--keep-encoding")
        .map(|i| args[i + 1].parse().unwrap());
    // `--batched-shape`: Ligero rows of one length for all of a step's commitments, chosen for
    // its batched opening (smaller proofs, more hashing: docs/BENCHMARKS.md), not balanced per
    // commitment.
    let batched_shape = args.iter().any(|a| a == "--batched-shape");
    // `--sent-rows`: every Ligero proximity row sent, none committed (larger proofs).
    let sent_rows = args.iter().any(|a| a == "--sent-rows");
    let poseidon2 = args.iter().any(|a| a == "--poseidon2");
    let phases = args.iter().any(|a| a == "--phases");
    if phases {
        common::phases::print_phases();
    }
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
        let keep = keep_encoding.unwrap_or_else(|| default_keep_encoding(arch, *batch));
        return run_case(
            arch,
            *batch,
            (warmup, runs),
            keep,
            (batched_shape, sent_rows),
            poseidon2,
        );
    }
    println!(
        "step proof, softmax CE, scale 2^16, Ligero/M61² ({} shape, {}) sized per model, N = 1024 \
         embedded Fashion-MNIST images, {} threads, one process per row (peak RSS is the row's own), \
         medians of {runs} runs after {warmup} untimed",
        if batched_shape { "batched" } else { "balanced" },
        if poseidon2 { "Poseidon2 trees and transcript" } else { "blake3" },
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
        for flag in ["--runs", "--warmup"] {
            if let Some(i) = args.iter().position(|a| a == flag) {
                cmd.args([flag, &args[i + 1]]);
            }
        }
        if let Some(k) = keep_encoding {
            cmd.args(["--keep-encoding", &k.to_string()]);
        }
        if batched_shape {
            cmd.arg("--batched-shape");
        }
        if sent_rows {
            cmd.arg("--sent-rows");
        }
        if poseidon2 {
            cmd.arg("--poseidon2");
        }
        if phases {
            cmd.arg("--phases");
        }
        let status = cmd.status().unwrap();
        if !status.success() {
            println!("| {:18} | {batch:2} | failed: {status} |", arch.to_string());
        }
    }
    println!(
        "prove = plain step + committing W_(i+1) + the proof, one step of a chain (C_D and W_i committed \
         before, outside)"
    );
}
