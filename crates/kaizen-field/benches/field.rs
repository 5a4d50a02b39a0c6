//! Field arithmetic, MLE kernels, transcript throughput and the Poseidon2 permutations.
#![allow(missing_docs, clippy::unwrap_used)]
use std::hint::black_box;

use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kaizen_field::{
    eq_table, inner_product, poseidon2, Accumulator, Blake3Transcript, Fr, KaizenField, M61Ext2,
    MultilinearPoly, Poseidon2Transcript, Transcript, M61,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

const OPS: usize = 1 << 12;

fn arith<F: KaizenField + UniformRand>(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let xs: Vec<F> = (0..OPS).map(|_| F::rand(&mut rng)).collect();
    let mut g = c.benchmark_group(format!("field/{}", F::NAME));
    g.throughput(Throughput::Elements(OPS as u64));
    g.bench_function("mul (chain)", |b| {
        b.iter(|| xs.iter().fold(F::ONE, |acc, x| acc * x))
    });
    g.bench_function("mul (independent)", |b| {
        b.iter(|| {
            xs.iter()
                .zip(xs.iter().rev())
                .map(|(x, y)| *x * y)
                .fold(F::ZERO, |acc, p| acc + p)
        })
    });
    g.bench_function("sum of products (Accumulator)", |b| {
        b.iter(|| {
            let mut acc = F::Acc::default();
            for (x, y) in xs.iter().zip(xs.iter().rev()) {
                acc.add_product(*x, *y);
            }
            acc.reduce()
        })
    });
    g.bench_function("lerp (independent)", |b| {
        b.iter(|| {
            xs.iter()
                .zip(xs.iter().rev())
                .map(|(x, y)| F::lerp(*x, *y, xs[7]))
                .fold(F::ZERO, |acc, p| acc + p)
        })
    });
    g.throughput(Throughput::Elements(OPS as u64 / 2));
    g.bench_function("lerp_in_place (a table's halves)", |b| {
        let (lo, hi) = xs.split_at(OPS / 2);
        let mut out = lo.to_vec();
        b.iter(|| {
            out.copy_from_slice(lo);
            F::lerp_in_place(&mut out, hi, xs[7]);
            black_box(out[0])
        })
    });
    g.throughput(Throughput::Elements(OPS as u64));
    g.bench_function("add (chain)", |b| {
        b.iter(|| xs.iter().fold(F::ZERO, |acc, x| acc + x))
    });
    g.throughput(Throughput::Elements(64));
    g.bench_function("inverse", |b| {
        b.iter(|| {
            xs[..64]
                .iter()
                .map(|x| x.inverse().unwrap())
                .fold(F::ZERO, |a, x| a + x)
        })
    });
    g.finish();
}

fn mle<F: KaizenField + UniformRand>(c: &mut Criterion) {
    let n = 20;
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
    let point: Vec<F> = (0..n).map(|_| F::rand(&mut rng)).collect();
    let poly = MultilinearPoly::new(evals).unwrap();
    let mut g = c.benchmark_group(format!("mle/{}", F::NAME));
    g.sample_size(10);
    g.throughput(Throughput::Elements(1 << n));
    g.bench_with_input(BenchmarkId::new("evaluate", "2^20"), &poly, |b, p| {
        b.iter(|| p.evaluate(&point).unwrap())
    });
    g.bench_with_input(BenchmarkId::new("fix_variable", "2^20"), &poly, |b, p| {
        b.iter_batched(
            || p.clone(),
            |mut q| {
                q.fix_variable(point[0]);
                q
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function(BenchmarkId::new("eq_table", "2^20"), |b| {
        b.iter(|| eq_table(&point))
    });
    let other: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
    g.bench_function(BenchmarkId::new("inner_product", "2^20"), |b| {
        b.iter(|| inner_product(poly.evals(), &other))
    });
    g.finish();
}

fn transcripts(c: &mut Criterion) {
    let mut g = c.benchmark_group("transcript");
    g.throughput(Throughput::Elements(1));
    let x = M61Ext2::from(5u64);
    g.bench_function("blake3 absorb+challenge (M61^2)", |b| {
        let mut t = Blake3Transcript::new(b"bench");
        b.iter(|| {
            t.absorb_field(b"x", &x);
            black_box(<Blake3Transcript as Transcript<M61Ext2>>::challenge(
                &mut t, b"c",
            ))
        })
    });
    g.bench_function("poseidon2 absorb+challenge (M61^2)", |b| {
        let mut t = Poseidon2Transcript::new(b"bench");
        b.iter(|| {
            t.absorb_field(b"x", &x);
            black_box(<Poseidon2Transcript as Transcript<M61Ext2>>::challenge(
                &mut t, b"c",
            ))
        })
    });
    g.finish();
}

/// The Poseidon2 permutations and the leaf hash of a 128-coordinate column (64 M61² entries),
/// one at a time and eight in vector lanes.
fn poseidon2(c: &mut Criterion) {
    let mut g = c.benchmark_group("poseidon2");
    let mut s16: [M61; 16] = std::array::from_fn(|i| M61::from(i as u64));
    g.bench_function("permute width 16", |b| {
        b.iter(|| poseidon2::poseidon2_16().permute(black_box(&mut s16)))
    });
    let mut s8: [M61; 8] = std::array::from_fn(|i| M61::from(i as u64));
    g.bench_function("permute width 8", |b| {
        b.iter(|| poseidon2::poseidon2_8().permute(black_box(&mut s8)))
    });
    let column: Vec<M61> = (0..128u64).map(M61::from).collect();
    g.throughput(Throughput::Elements(128));
    g.bench_function("hash 128 elements", |b| {
        b.iter(|| poseidon2::hash(black_box(&column)))
    });
    let columns = [&column[..]; poseidon2::LANES];
    g.throughput(Throughput::Elements(128 * poseidon2::LANES as u64));
    g.bench_function("hash_lanes 8 x 128 elements", |b| {
        b.iter(|| poseidon2::hash_lanes(black_box(&columns)))
    });
    g.finish();
}

fn all(c: &mut Criterion) {
    arith::<M61>(c);
    arith::<M61Ext2>(c);
    arith::<Fr>(c);
    mle::<M61Ext2>(c);
    mle::<Fr>(c);
    transcripts(c);
    poseidon2(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
