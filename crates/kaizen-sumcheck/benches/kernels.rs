//! Criterion groups for each sumcheck form: `Σ a·b`, `Σ eq·a·b`, a product of three, a batch of
//! three instances of different sizes, Thaler's matmul and the multi-point reduction — prover and
//! verifier. (`benches/sumcheck.rs` prints the prover / plain ratios of issue 3's targets.)
#![allow(missing_docs, clippy::unwrap_used)]
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use kaizen_field::{eq_table, inner_product, AdditiveGroup, Blake3Transcript, Field, M61Ext2};
use kaizen_sumcheck::{
    matmul::{prove_matmul, verify_matmul, MatmulDims},
    multipoint::{prove_multipoint, verify_multipoint},
    prove, verify, Claim, ProductSum, SumcheckShape, Weight,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

type F = M61Ext2;

fn rand_vec(rng: &mut ChaCha20Rng, n: usize) -> Vec<F> {
    (0..n).map(|_| F::rand(rng)).collect()
}

fn tr() -> Blake3Transcript {
    Blake3Transcript::new(b"kaizen-sumcheck/criterion")
}

/// The claimed sum of one instance, computed from its tables.
fn claimed_sum(shape: &SumcheckShape<F>, tables: &[Vec<F>]) -> F {
    let weight = shape.weight.as_ref().map(Weight::table);
    (0..tables[0].len())
        .map(|i| {
            let v: Vec<F> = tables.iter().map(|t| t[i]).collect();
            shape.combine(&v) * weight.as_ref().map_or(F::ONE, |w| w[i])
        })
        .sum()
}

/// Proves and verifies the batch `instances` (shape, tables) under the group `name`.
fn forms(c: &mut Criterion, name: &str, id: &str, instances: Vec<(SumcheckShape<F>, Vec<Vec<F>>)>) {
    let shapes: Vec<_> = instances.iter().map(|(s, _)| s.clone()).collect();
    let sums: Vec<F> = instances.iter().map(|(s, t)| claimed_sum(s, t)).collect();
    let build = || {
        instances
            .iter()
            .map(|(s, t)| ProductSum::new(s.clone(), t.clone()).unwrap())
            .collect::<Vec<_>>()
    };
    let (proof, _) = prove(&mut build(), &sums, &mut tr()).unwrap();
    let len: usize = instances.iter().map(|(_, t)| t[0].len()).sum();
    let mut g = c.benchmark_group(format!("sumcheck/{name}"));
    g.sample_size(10)
        .throughput(Throughput::Elements(len as u64));
    g.bench_function(BenchmarkId::new("prove", id), |b| {
        b.iter_batched(
            build,
            |mut inst| prove(&mut inst, &sums, &mut tr()).unwrap(),
            BatchSize::LargeInput,
        )
    });
    g.bench_function(BenchmarkId::new("verify", id), |b| {
        b.iter(|| verify(&shapes, &sums, &proof, &mut tr()).unwrap())
    });
    g.finish();
}

fn products(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for n in [16usize, 20] {
        let tables = vec![rand_vec(&mut rng, 1 << n), rand_vec(&mut rng, 1 << n)];
        let shape = SumcheckShape::product(n, 2);
        forms(c, "a·b", &format!("2^{n}"), vec![(shape, tables)]);
    }
    let n = 18;
    let r = rand_vec(&mut rng, n);
    let ab = vec![rand_vec(&mut rng, 1 << n), rand_vec(&mut rng, 1 << n)];
    let eq_ab = SumcheckShape::product(n, 2).with_weight(Weight::Eq(r));
    forms(c, "eq·a·b", "2^18", vec![(eq_ab, ab.clone())]);
    let mut abc = ab;
    abc.push(rand_vec(&mut rng, 1 << n));
    forms(
        c,
        "a·b·c",
        "2^18",
        vec![(SumcheckShape::product(n, 3), abc)],
    );
    let batch = [18usize, 16, 14]
        .into_iter()
        .map(|n| {
            let t = vec![rand_vec(&mut rng, 1 << n), rand_vec(&mut rng, 1 << n)];
            (SumcheckShape::product(n, 2), t)
        })
        .collect();
    forms(c, "batch a·b", "2^18+2^16+2^14", batch);
}

fn matmul(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let n = 256;
    let d = MatmulDims {
        rows: n,
        inner: n,
        cols: n,
    };
    let (a, b) = (rand_vec(&mut rng, n * n), rand_vec(&mut rng, n * n));
    let mut prod = vec![F::ZERO; n * n];
    for i in 0..n {
        for k in 0..n {
            for j in 0..n {
                prod[i * n + j] += a[i * n + k] * b[k * n + j];
            }
        }
    }
    let point = rand_vec(&mut rng, 16);
    let value = inner_product(&eq_table(&point), &prod);
    let (proof, _) = prove_matmul(d, &a, &b, &point, value, &mut tr()).unwrap();
    let mut g = c.benchmark_group("sumcheck/matmul");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("prove", "256³"), |bench| {
        bench.iter(|| prove_matmul(d, &a, &b, &point, value, &mut tr()).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify", "256³"), |bench| {
        bench.iter(|| verify_matmul(d, &point, value, &proof, &mut tr()).unwrap())
    });
    g.finish();
}

fn multipoint(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let n = 18;
    let evals = rand_vec(&mut rng, 1 << n);
    let claims: Vec<Claim<F>> = (0..4)
        .map(|_| {
            let point = rand_vec(&mut rng, n);
            let value = inner_product(&eq_table(&point), &evals);
            Claim { point, value }
        })
        .collect();
    let (proof, _) = prove_multipoint(&evals, &claims, &mut tr()).unwrap();
    let mut g = c.benchmark_group("sumcheck/multipoint");
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("prove", "4 claims, 2^18"), |b| {
        b.iter(|| prove_multipoint(&evals, &claims, &mut tr()).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify", "4 claims, 2^18"), |b| {
        b.iter(|| verify_multipoint(n, &claims, &proof, &mut tr()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, products, matmul, multipoint);
criterion_main!(benches);
