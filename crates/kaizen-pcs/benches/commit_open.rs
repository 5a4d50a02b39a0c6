//! Criterion groups for commit / open / verify of each backend: Ligero (balanced and square
//! shapes) at 2^16 and 2^20 over M61², with Poseidon2 column trees at 2^16, multilinear KZG over
//! BLS12-381 at 2^12; the
//! Reed–Solomon encoder alone (one row of 2^13 at rate 1/4, and two base-field rows through one
//! FFT); and the KZG prover's curve arithmetic in G1 against ark-ec's (fixed-base multiplication
//! of 2^12 scalars, MSMs of 2^14 terms with 24-bit signed and with random scalars).
//! (`benches/pcs.rs` prints the full table with proof sizes, up to 2^24.)
#![allow(missing_docs, clippy::unwrap_used)]
use ark_bls12_381::G1Projective;
use ark_ec::{scalar_mul::BatchMulPreprocessing, VariableBaseMSM};
use ark_std::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kaizen_field::{Blake3Transcript, Fr, KaizenField, M61Ext2, M61};
use kaizen_pcs::{
    fft::Radix2Domain, fixed_base::FixedBaseMul, merkle::Poseidon2Columns, msm::Msm, Bls12Kzg,
    Ligero, LigeroParams, MatrixShape, MultilinearPcs,
};
use rand::{Rng, SeedableRng};
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
    let params = LigeroParams::new(16, MatrixShape::Balanced);
    let pcs = Ligero::<M61Ext2, Poseidon2Columns>::new(params);
    backend(c, "ligero balanced poseidon2", &pcs, 16);
}

fn kzg(c: &mut Criterion) {
    let n = 12;
    let pcs = Bls12Kzg::insecure_setup(n, 1);
    pcs.prepare(n).unwrap();
    backend::<Fr, _>(c, "kzg bls12-381", &pcs, n);
}

fn curve(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let g = G1Projective::rand(&mut rng);
    let random: Vec<Fr> = (0..1 << 14).map(|_| Fr::rand(&mut rng)).collect();
    let small: Vec<Fr> = (0..1 << 14)
        .map(|_| Fr::from(rng.gen_range(0..1u64 << 24)) - Fr::from(1u64 << 23))
        .collect();
    let bases = G1Projective::fixed_base_mul(g, &random);
    let mut group = c.benchmark_group("ec/bls12-381 G1");
    group.sample_size(10);
    let scalars = &random[..1 << 12];
    group.bench_function("fixed-base 2^12/ours", |b| {
        b.iter(|| G1Projective::fixed_base_mul(g, scalars))
    });
    group.bench_function("fixed-base 2^12/ark-ec", |b| {
        b.iter(|| BatchMulPreprocessing::new(g, scalars.len()).batch_mul(scalars))
    });
    for (name, s) in [("small", &small), ("random", &random)] {
        group.bench_function(format!("msm 2^14 {name}/ours"), |b| {
            b.iter(|| G1Projective::multi_scalar_mul(&bases, s))
        });
        group.bench_function(format!("msm 2^14 {name}/ark-ec"), |b| {
            b.iter(|| G1Projective::msm_unchecked(&bases, s))
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let (log_msg, log_rate) = (13u32, 2u32);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let domain = Radix2Domain::<M61Ext2>::new(log_msg + log_rate).unwrap();
    let row = |rng: &mut ChaCha20Rng| -> Vec<M61Ext2> {
        (0..1 << log_msg)
            .map(|_| M61Ext2::new(M61::rand(rng), M61::from(0u64)))
            .collect()
    };
    let (x, y) = (row(&mut rng), row(&mut rng));
    let (mut out_x, mut out_y) = (
        vec![M61Ext2::from(0u64); domain.size()],
        vec![M61Ext2::from(0u64); domain.size()],
    );
    let mut g = c.benchmark_group("reed-solomon/M61^2");
    g.throughput(Throughput::Elements(1 << log_msg));
    g.bench_function(BenchmarkId::new("encode", "2^13 -> 2^15"), |b| {
        b.iter(|| domain.encode_into(&x, &mut out_x))
    });
    g.throughput(Throughput::Elements(2 << log_msg));
    g.bench_function(BenchmarkId::new("encode pair", "2 x 2^13 -> 2^15"), |b| {
        b.iter(|| domain.encode_pair_into(&x, &y, &mut out_x, &mut out_y))
    });
    // Sixteen rows: one FFT in vector lanes (`KaizenField::encode_rows_batched`).
    let rows: Vec<M61Ext2> = (0..16).flat_map(|_| row(&mut rng)).collect();
    let mut out = vec![M61Ext2::from(0u64); 16 * domain.size()];
    g.throughput(Throughput::Elements(16 << log_msg));
    g.bench_function(BenchmarkId::new("encode rows", "16 x 2^13 -> 2^15"), |b| {
        b.iter(|| domain.encode_rows(&rows, 1 << log_msg, &mut out))
    });
    g.finish();
}

criterion_group!(benches, encode, ligero, kzg, curve);
criterion_main!(benches);
