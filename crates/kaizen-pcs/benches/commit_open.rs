//! Criterion groups for commit / open / verify of each backend: Ligero (balanced and square
//! shapes) at 2^16 and 2^20 over M61², multilinear KZG over BLS12-381 at 2^12. (`benches/pcs.rs`
//! prints the full table with proof sizes, up to 2^24.)
#![allow(missing_docs, clippy::unwrap_used)]
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kaizen_field::{Blake3Transcript, Fr, KaizenField, M61Ext2};
use kaizen_pcs::{Bls12Kzg, Ligero, LigeroParams, MatrixShape, MultilinearPcs};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn tr() -> Blake3Transcript {
    Blake3Transcript::new(b"kaizen-pcs/criterion")
}

/// Commit, open and verify one random polynomial of `n` variables under `pcs`.
fn backend<F: KaizenField + UniformRand, S: MultilinearPcs<F>>(
    c: &mut Criterion,
    name: &str,
    pcs: &S,
    n: usize,
) {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    let evals: Vec<F> = (0..1usize << n).map(|_| F::rand(&mut rng)).collect();
    let point: Vec<F> = (0..n).map(|_| F::rand(&mut rng)).collect();
    let (commitment, data) = pcs.commit(&evals).unwrap();
    let (values, proof) = pcs.open(&[&data], &point, &mut tr()).unwrap();
    let id = format!("2^{n}");
    let mut g = c.benchmark_group(format!("pcs/{name}"));
    g.sample_size(10).throughput(Throughput::Elements(1 << n));
    g.bench_function(BenchmarkId::new("commit", &id), |b| {
        b.iter(|| pcs.commit(&evals).unwrap())
    });
    g.bench_function(BenchmarkId::new("open", &id), |b| {
        b.iter(|| pcs.open(&[&data], &point, &mut tr()).unwrap())
    });
    g.bench_function(BenchmarkId::new("verify", &id), |b| {
        b.iter(|| {
            pcs.verify(&[&commitment], &point, &values, &proof, &mut tr())
                .unwrap()
        })
    });
    g.finish();
}

fn ligero(c: &mut Criterion) {
    for n in [16, 20] {
        for (name, shape) in [
            ("ligero balanced", MatrixShape::Balanced),
            ("ligero square", MatrixShape::Square),
        ] {
            let pcs = Ligero::<M61Ext2>::new(LigeroParams::new(n, shape));
            backend(c, name, &pcs, n);
        }
    }
}

fn kzg(c: &mut Criterion) {
    let n = 12;
    let pcs = Bls12Kzg::insecure_setup(n, 1);
    backend::<Fr, _>(c, "kzg bls12-381", &pcs, n);
}

criterion_group!(benches, ligero, kzg);
criterion_main!(benches);
