//! Criterion groups for one training step per model (MLP 784-128-10 at B = 16, LeNet-5 and the
//! authors' LeNet shape at B = 4): the plain quantized step, the whole prover (plain step and
//! model commitments included) and the verifier. `benches/prove.rs` prints the full table with
//! proof sizes, peak memory and the large models.
#![allow(missing_docs, clippy::unwrap_used)]
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kaizen_nn::arch::Architecture;

mod common;
use common::StepCase;

fn step(c: &mut Criterion) {
    let cases = [
        (Architecture::Mlp(vec![784, 128, 10]), 16),
        (Architecture::LeNet5 { size: 28 }, 4),
        (Architecture::PaperLeNet { channels: 1 }, 4),
    ];
    for (arch, batch) in cases {
        let case = StepCase::new(&arch, batch, usize::MAX, (false, false));
        let (_, _, statement, proof) = case.prove();
        let id = format!("{arch} B={batch}");
        let mut g = c.benchmark_group("pogd");
        g.sample_size(10);
        g.bench_function(BenchmarkId::new("plain step", &id), |b| {
            b.iter(|| case.plain())
        });
        g.bench_function(BenchmarkId::new("prove", &id), |b| b.iter(|| case.prove()));
        g.bench_function(BenchmarkId::new("verify", &id), |b| {
            b.iter(|| case.verify(&statement, &proof))
        });
        g.finish();
    }
}

criterion_group!(benches, step);
criterion_main!(benches);
