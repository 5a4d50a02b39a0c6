//! Commit / open / verify times and proof sizes for each backend and matrix shape.
//!
//! `cargo bench -p kaizen-pcs --bench pcs` prints a table (medians of 3 runs, 1 run at 2^24).
//! `-- --quick` stops at 2^20.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use ark_std::UniformRand;
use kaizen_field::{serialize::to_bytes, Blake3Transcript, Fr, KaizenField, M61Ext2};
use kaizen_pcs::{Bls12Kzg, Ligero, LigeroParams, MatrixShape, MultilinearPcs};
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

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let sizes: &[usize] = if quick { &[16, 20] } else { &[16, 20, 24] };
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
    for &n in sizes {
        let square = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Square));
        bench("ligero square", &square, n, false);
        let balanced = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Balanced));
        bench("ligero balanced", &balanced, n, false);
        bench("ligero balanced, ints", &balanced, n, true);
        let rows = Ligero::<M61Ext2>::new(LigeroParams::new(n, MatrixShape::Rows(4)));
        bench("ligero 16 rows", &rows, n, false);
    }
    // Multilinear KZG over BLS12-381 (ark-poly-commit); its setup (G2 powers) dominates, so it
    // runs at smaller sizes.
    for n in if quick { vec![10] } else { vec![12, 16] } {
        let t = Instant::now();
        let kzg = Bls12Kzg::insecure_setup(n, 1);
        println!("(kzg setup for 2^{n}: {:.1} s)", t.elapsed().as_secs_f64());
        bench::<Fr, _>("kzg bls12-381", &kzg, n, false);
    }
}
