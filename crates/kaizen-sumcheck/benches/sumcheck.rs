//! Sumcheck benchmarks: each kernel against the plain computation it proves.
//!
//! Prints a table of medians measured in this run:
//! * `Σ a·b` at 2^20 and 2^22 over M61²: prover vs the plain inner product (both on all cores,
//!   alternating run by run so that both see the same machine noise);
//! * `Σ eq·a·b` and a generic product of three at 2^20;
//! * Thaler's matmul at 256³ and 1024³: prover (eq folds + sumcheck) vs computing `C = A·B`;
//! * the verifier for each.
//!
//! `--products` stops before matmul; `--quick` takes three runs per median.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use ark_std::UniformRand;
use kaizen_field::{
    eq_table, inner_product, AdditiveGroup, Blake3Transcript, Field, KaizenField, M61Ext2,
};
use kaizen_sumcheck::{
    matmul::{prove_matmul, verify_matmul, MatmulDims},
    prove_single, verify_single, ProductSum, SumcheckShape, Weight,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

type F = M61Ext2;

/// `runs`, or 3 with `--quick`.
fn runs(runs: usize) -> usize {
    if std::env::args().any(|a| a == "--quick") {
        runs.min(3)
    } else {
        runs
    }
}

fn median_of(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Median over `runs` of the time of `f()`.
fn median(runs_wanted: usize, mut f: impl FnMut()) -> Duration {
    median_of(
        (0..runs(runs_wanted))
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn rand_vec(rng: &mut ChaCha20Rng, n: usize) -> Vec<F> {
    (0..n).map(|_| F::rand(rng)).collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn row(name: &str, prover: Duration, plain: Duration, plain_name: &str, verify: Duration) {
    println!(
        "| {name:<28} | {:>10.2} | {:>10.2} ({plain_name}) | {:>6.2}x | {:>8.3} |",
        ms(prover),
        ms(plain),
        prover.as_secs_f64() / plain.as_secs_f64(),
        ms(verify)
    );
}

fn product_bench(
    rng: &mut ChaCha20Rng,
    name: &str,
    n: usize,
    shape: SumcheckShape<F>,
    tables: Vec<Vec<F>>,
) {
    let len = 1 << n;
    let weight = shape.weight.as_ref().map(Weight::table);
    let sum: F = (0..len)
        .into_par_iter()
        .map(|i| {
            let v: Vec<F> = tables.iter().map(|t| t[i]).collect();
            shape.combine(&v) * weight.as_ref().map_or(F::ONE, |w| w[i])
        })
        .sum();
    // The plain inner product and the prover alternate, so that both see the same machine noise.
    let (mut plain, mut prover) = (Vec::new(), Vec::new());
    let mut proof = None;
    for _ in 0..runs(11) {
        let t = Instant::now();
        std::hint::black_box(inner_product(&tables[0], &tables[1]));
        plain.push(t.elapsed());
        // The instance takes the witness tables by value; copying them is the caller's, not
        // timed. Building the weight's eq table is part of the prover and is timed.
        let copy = tables.clone();
        let t = Instant::now();
        let inst = ProductSum::new(shape.clone(), copy).unwrap();
        proof = Some(
            prove_single(inst, sum, &mut Blake3Transcript::new(b"bench"))
                .unwrap()
                .0,
        );
        prover.push(t.elapsed());
    }
    let (plain, prover) = (median_of(plain), median_of(prover));
    let proof = proof.unwrap();
    let verify = median(7, || {
        verify_single(&shape, sum, &proof, &mut Blake3Transcript::new(b"bench")).unwrap();
    });
    let _ = rng;
    row(name, prover, plain, "Σa·b", verify);
}

fn matmul_bench(rng: &mut ChaCha20Rng, n: usize) {
    let d = MatmulDims {
        rows: n,
        inner: n,
        cols: n,
    };
    let a = rand_vec(rng, n * n);
    let b = rand_vec(rng, n * n);
    let mut c = vec![F::ZERO; n * n];
    let plain = median(if n > 512 { 3 } else { 7 }, || {
        c.par_chunks_mut(n).enumerate().for_each(|(i, crow)| {
            crow.iter_mut().for_each(|x| *x = F::ZERO);
            for k in 0..n {
                let aik = a[i * n + k];
                for (x, &bkj) in crow.iter_mut().zip(&b[k * n..(k + 1) * n]) {
                    *x += aik * bkj;
                }
            }
        });
    });
    let log = (2 * n.trailing_zeros()) as usize;
    let point = rand_vec(rng, log);
    // C̃(point) via eq table (not timed: the claim comes from the layer above).
    let value: F = eq_table(&point)
        .par_iter()
        .zip(&c)
        .map(|(&e, &x)| e * x)
        .sum();
    let mut out = None;
    let prover = median(7, || {
        out = Some(
            prove_matmul(d, &a, &b, &point, value, &mut Blake3Transcript::new(b"mm")).unwrap(),
        );
    });
    let (proof, _) = out.unwrap();
    let verify = median(7, || {
        verify_matmul(d, &point, value, &proof, &mut Blake3Transcript::new(b"mm")).unwrap();
    });
    row(
        &format!("matmul {n}x{n}x{n}"),
        prover,
        plain,
        "C=A·B",
        verify,
    );
}

fn main() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    println!(
        "sumcheck over {} on {} threads (medians)",
        F::NAME,
        rayon::current_num_threads()
    );
    println!("| instance                     | prover ms  | plain ms                | ratio   | verify ms |");
    println!("|------------------------------|------------|-------------------------|---------|-----------|");
    for n in [20usize, 22] {
        let a = rand_vec(&mut rng, 1 << n);
        let b = rand_vec(&mut rng, 1 << n);
        product_bench(
            &mut rng,
            &format!("Σ a·b, 2^{n}"),
            n,
            SumcheckShape::product(n, 2),
            vec![a, b],
        );
    }
    let n = 20;
    let (a, b, c) = (
        rand_vec(&mut rng, 1 << n),
        rand_vec(&mut rng, 1 << n),
        rand_vec(&mut rng, 1 << n),
    );
    let r = rand_vec(&mut rng, n);
    product_bench(
        &mut rng,
        "Σ eq·a·b, 2^20",
        n,
        SumcheckShape::product(n, 2).with_weight(Weight::Eq(r)),
        vec![a.clone(), b.clone()],
    );
    product_bench(
        &mut rng,
        "Σ a·b·c (generic), 2^20",
        n,
        SumcheckShape::product(n, 3),
        vec![a, b, c],
    );
    if std::env::args().any(|a| a == "--products") {
        return;
    }
    for m in [256usize, 1024] {
        matmul_bench(&mut rng, m);
    }
}
