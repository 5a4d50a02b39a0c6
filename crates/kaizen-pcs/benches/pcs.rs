//! Commit / open / verify times and proof sizes for each backend and matrix shape, then claims on
//! several commitments: one batched proof against one multi-point proof per commitment.
//!
//! `cargo bench -p kaizen-pcs --bench pcs` prints the tables (medians of 3 runs, 1 run at 2^24).
//! `-- --quick` stops at 2^20; `-- --size N` runs the single-opening rows at 2^N alone.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use ark_std::UniformRand;
use kaizen_field::{serialize::to_bytes, Blake3Transcript, Fr, KaizenField, M61Ext2};
use kaizen_pcs::{
    merkle::Poseidon2Columns, Bls12Kzg, Ligero, LigeroParams, MatrixShape, MultilinearPcs,
};
use kaizen_sumcheck::Claim;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

fn median<R>(runs: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut out = None;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            out = Some(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[runs / 2], out.unwrap())
}

/// One row: random values, or (`small`) integers below 2^32 as the step witnesses are — in M61²
/// those lie in the base field, and Ligero encodes two such rows with one FFT.
fn bench<F: KaizenField + UniformRand, S: MultilinearPcs<F>>(
    name: &str,
    pcs: &S,
    n: usize,
    small: bool,
) {
    let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
    let evals: Vec<F> = (0..1usize << n)
        .map(|_| match small {
            true => F::from(rng.gen::<u32>()),
            false => F::rand(&mut rng),
        })
        .collect();
    let point: Vec<F> = (0..n).map(|_| F::rand(&mut rng)).collect();
    let runs = if n >= 24 { 1 } else { 3 };
    let (t_commit, (commitment, data)) = median(runs, || pcs.commit(&evals).unwrap());
    let tr = || Blake3Transcript::new(b"bench");
    let (t_open, (values, proof)) = median(runs, || pcs.open(&[&data], &point, &mut tr()).unwrap());
    let (t_verify, ()) = median(3, || {
        pcs.verify(&[&commitment], &point, &values, &proof, &mut tr())
            .unwrap()
    });
    let size = to_bytes(&proof).len();
    println!(
        "| {name:<22} | 2^{n:<2} | {:>10.1} | {:>9.1} | {:>9.2} | {:>10.1} |",
        t_commit.as_secs_f64() * 1e3,
        t_open.as_secs_f64() * 1e3,
        t_verify.as_secs_f64() * 1e3,
        size as f64 / 1024.0
    );
}

/// `k` commitments of `2^n` integers below 2^32, two claims at random points on each: one batched
/// proof (`open_points_batch`) against `k` multi-point proofs (`open_points`).
fn batch_row(pcs: &Ligero<M61Ext2>, k: usize, n: usize) {
    type F = M61Ext2;
    let mut rng = ChaCha20Rng::seed_from_u64(k as u64 + n as u64);
    let polys: Vec<Vec<F>> = (0..k)
        .map(|_| {
            (0..1usize << n)
                .map(|_| F::from(rng.gen::<u32>()))
                .collect()
        })
        .collect();
    let committed: Vec<_> = polys.iter().map(|p| pcs.commit(p).unwrap()).collect();
    let sets: Vec<Vec<Claim<F>>> = polys
        .iter()
        .map(|p| {
            (0..2)
                .map(|_| {
                    let point: Vec<F> = (0..n).map(|_| F::rand(&mut rng)).collect();
                    let value = kaizen_field::MultilinearPoly::new(p.clone())
                        .unwrap()
                        .evaluate(&point)
                        .unwrap();
                    Claim { point, value }
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[Claim<F>]> = sets.iter().map(|s| &s[..]).collect();
    let data: Vec<_> = committed.iter().map(|(_, d)| d).collect();
    let comms: Vec<_> = committed.iter().map(|(c, _)| c).collect();
    let tr = || Blake3Transcript::new(b"bench");
    let (t_open, proof) = median(3, || {
        pcs.open_points_batch(&data, &refs, &mut tr()).unwrap()
    });
    let (t_verify, ()) = median(3, || {
        pcs.verify_points_batch(&comms, &refs, &proof, &mut tr())
            .unwrap()
    });
    let (t_open_each, proofs) = median(3, || {
        data.iter()
            .zip(&refs)
            .map(|(d, c)| pcs.open_points(d, c, &mut tr()).unwrap())
            .collect::<Vec<_>>()
    });
    let (t_verify_each, ()) = median(3, || {
        for ((c, s), p) in comms.iter().zip(&refs).zip(&proofs) {
            pcs.verify_points(c, s, p, &mut tr()).unwrap();
        }
    });
    let kib = |b: usize| b as f64 / 1024.0;
    println!(
        "| {k} × 2^{n:<2} | {:>8.1} / {:>8.1} | {:>8.2} / {:>8.2} | {:>8.1} / {:>8.1} |",
        t_open.as_secs_f64() * 1e3,
        t_open_each.as_secs_f64() * 1e3,
        t_verify.as_secs_f64() * 1e3,
        t_verify_each.as_secs_f64() * 1e3,
        kib(to_bytes(&proof).len()),
        kib(proofs.iter().map(|p| to_bytes(p).len()).sum()),
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<usize> = args
        .iter()
        .position(|a| a == "--size")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let sizes: Vec<usize> = match (only, quick) {
        (Some(n), _) => vec![n],
        (None, true) => vec![16, 20],
        (None, false) => vec![16, 20, 24],
    };
    println!(
        "PCS over {} on {} threads; Ligero rate 1/4, 148 queries (100-bit)",
        M61Ext2::NAME,
        rayon::current_num_threads()
    );
    println!(
        "| backend                | size  | commit ms  | open ms   | verify ms | proof KiB  |"
    );
    println!(
        "|------------------------|-------|------------|-----------|-----------|------------|"
    );
    for &n in &sizes {
        let square = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Square));
        bench("ligero square", &square, n, false);
        let balanced = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Balanced));
        bench("ligero balanced", &balanced, n, false);
        bench("ligero balanced, ints", &balanced, n, true);
        let sent = LigeroParams::new(n, MatrixShape::Balanced).with_sent_rows();
        bench(
            "ligero balanced, sent",
            &Ligero::<M61Ext2>::new(sent),
            n,
            false,
        );
        let rows = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Rows(8)));
        bench("ligero 256 rows", &rows, n, false);
        let rows = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Rows(4)));
        bench("ligero 16 rows", &rows, n, false);
        // Poseidon2 column trees (for openings a circuit checks), up to 2^20.
        if n <= 20 {
            let params = LigeroParams::new(n, MatrixShape::Balanced);
            let poseidon2 = Ligero::<M61Ext2, Poseidon2Columns>::new(params);
            bench("balanced, poseidon2", &poseidon2, n, false);
            let params = LigeroParams::new(n, MatrixShape::Rows(4));
            let poseidon2 = Ligero::<M61Ext2, Poseidon2Columns>::new(params);
            bench("16 rows, poseidon2", &poseidon2, n, false);
        }
    }
    if only.is_some() {
        return;
    }
    // Multilinear KZG over BLS12-381 (ark-poly-commit's scheme); its parameters (G1 and G2
    // tables, computed here before the timed commit) dominate, so it runs at smaller sizes.
    for n in if quick { vec![10] } else { vec![12, 16] } {
        let t = Instant::now();
        let kzg = Bls12Kzg::insecure_setup(n, 1);
        kzg.prepare(n).unwrap();
        println!("(kzg setup for 2^{n}: {:.1} s)", t.elapsed().as_secs_f64());
        bench::<Fr, _>("kzg bls12-381", &kzg, n, false);
    }
    println!(
        "\nLigero balanced, two claims per commitment: one batched proof / one proof per commitment"
    );
    println!("| commitments | open ms             | verify ms           | proof KiB           |");
    println!("|-------------|---------------------|---------------------|---------------------|");
    for &n in if quick { &[16][..] } else { &[16, 20][..] } {
        let balanced = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Balanced));
        batch_row(&balanced, 4, n);
    }
}
