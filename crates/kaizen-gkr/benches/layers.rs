//! Criterion groups for the GKR layers and lookups: a layered circuit (3 layers of 2^16 gates),
//! the fractional-sum GKR over 2^18 leaves, a logUp lookup into a two-column table, and 16-bit
//! and 32-bit range checks — prover and verifier. (`benches/gkr.rs` prints the table with
//! proof sizes and larger sizes.)
#![allow(missing_docs, clippy::unwrap_used)]
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use kaizen_field::{AdditiveGroup, Blake3Transcript, M61Ext2};
use kaizen_gkr::{
    circuit::{prove_circuit, verify_circuit},
    fractional::{prove_fractional, verify_fractional, Leaves},
    lookup::{multiplicities, prove_lookup, verify_lookup, Table, TableColumn},
    range::{prove_range, verify_range, RangeWitness},
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

type F = M61Ext2;

mod common;
use common::wide_circuit;

fn tr() -> Blake3Transcript {
    Blake3Transcript::new(b"kaizen-gkr/criterion")
}

fn circuit(c: &mut Criterion) {
    let (log, depth) = (16usize, 3usize);
    let n = 1usize << log;
    let circuit = wide_circuit(log, depth);
    let input: Vec<F> = (0..n as u64).map(F::from).collect();
    let values = circuit.evaluate(&input).unwrap();
    let outputs = values.last().unwrap().clone();
    let (proof, _) = prove_circuit(&circuit, &values, &mut tr()).unwrap();
    let mut g = c.benchmark_group("gkr/circuit");
    g.sample_size(10)
        .throughput(Throughput::Elements((depth * n) as u64));
    g.bench_function(BenchmarkId::new("prove", "3 x 2^16 gates"), |b| {
        b.iter(|| prove_circuit(&circuit, &values, &mut tr()).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify", "3 x 2^16 gates"), |b| {
        b.iter(|| verify_circuit(&circuit, &outputs, &proof, &mut tr()).unwrap())
    });
    g.finish();
}

fn fractional(c: &mut Criterion) {
    let n = 18;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let p: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
    let q: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
    let leaves = || vec![Leaves::new(p.clone(), q.clone())];
    let shapes = [leaves()[0].shape().unwrap()];
    let (proof, _) = prove_fractional(leaves(), &mut tr()).unwrap();
    let mut g = c.benchmark_group("gkr/fractional");
    g.sample_size(10).throughput(Throughput::Elements(1 << n));
    g.bench_function(BenchmarkId::new("prove", "2^18 leaves"), |b| {
        b.iter_batched(
            leaves,
            |l| prove_fractional(l, &mut tr()).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function(BenchmarkId::new("verify", "2^18 leaves"), |b| {
        b.iter(|| verify_fractional(&shapes, &proof, &mut tr()).unwrap())
    });
    g.finish();
}

fn lookup(c: &mut Criterion) {
    // A two-column table (x, x² mod 2^8) of 2^8 rows, 2^18 looked-up rows.
    let (t, s) = (8usize, 18usize);
    let square: Vec<F> = (0..1u64 << t).map(|x| F::from(x * x % 256)).collect();
    let table = Table::new(
        t,
        vec![
            TableColumn::Range { start: F::ZERO },
            TableColumn::Values(square.clone()),
        ],
    )
    .unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let rows: Vec<usize> = (0..1 << s).map(|_| rng.gen_range(0..1 << t)).collect();
    let segment = vec![
        rows.iter().map(|&r| F::from(r as u64)).collect::<Vec<F>>(),
        rows.iter().map(|&r| square[r]).collect(),
    ];
    let segments = vec![segment];
    let m = multiplicities(&table, &segments).unwrap();
    let (proof, _) = prove_lookup(&table, &segments, &m, &mut tr()).unwrap();
    let mut g = c.benchmark_group("gkr/lookup");
    g.sample_size(10).throughput(Throughput::Elements(1 << s));
    g.bench_function(BenchmarkId::new("prove", "2^18 rows into 2^8"), |b| {
        b.iter(|| prove_lookup(&table, &segments, &m, &mut tr()).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify", "2^18 rows into 2^8"), |b| {
        b.iter(|| verify_lookup(&table, &[s], &proof, &mut tr()).unwrap())
    });
    g.finish();
}

fn range(c: &mut Criterion) {
    let n = 18;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let mut g = c.benchmark_group("gkr/range");
    g.sample_size(10).throughput(Throughput::Elements(1 << n));
    for bits in [16u32, 32] {
        let values: Vec<F> = (0..1 << n)
            .map(|_| F::from(rng.gen_range(0..1u64 << bits)))
            .collect();
        let witness = RangeWitness::new(&[&values], bits).unwrap();
        let (proof, _) = prove_range(&witness, &mut tr()).unwrap();
        let id = format!("2^{n} values < 2^{bits}");
        g.bench_function(BenchmarkId::new("prove", &id), |b| {
            b.iter(|| {
                let w = RangeWitness::new(&[&values], bits).unwrap();
                prove_range(&w, &mut tr()).unwrap()
            })
        });
        g.bench_function(BenchmarkId::new("verify", &id), |b| {
            b.iter(|| verify_range(witness.shapes(), &proof, &mut tr()).unwrap())
        });
    }
    g.finish();
}

criterion_group!(benches, circuit, fractional, lookup, range);
criterion_main!(benches);
