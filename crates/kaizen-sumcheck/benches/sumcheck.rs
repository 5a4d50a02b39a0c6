//! Sumcheck benchmarks: each kernel against the plain computation it proves.
//!
//! Prints a table of medians measured in this run:
//! * `Σ a·b` at 2^20 and 2^22 over M61²: prover vs the plain inner product (both on all cores);
//! * `Σ eq·a·b` and a generic product of three at 2^20;
//! * Thaler's matmul at 256³ and 1024³: prover (eq folds + sumcheck) vs computing `C = A·B`;
//! * the verifier for each.
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

/// Median over `runs` of the time of `f(setup())`; `setup` is not timed.
fn median_with<S>(mut runs: usize, mut setup: impl FnMut() -> S, mut f: impl FnMut(S)) -> Duration {
    if std::env::args().any(|a| a == "--quick") {
        runs = runs.min(3);
    }
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let input = setup();
            let t = Instant::now();
            f(input);
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    median_with(runs, || (), |()| f())
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
    let plain = median(7, || {
        std::hint::black_box(inner_product(&tables[0], &tables[1]));
    });
    let mut proof = None;
    // The instance takes the witness tables by value; copying them is the caller's, not timed.
    // Building the weight's eq table is part of the prover and is timed.
    let prover = median_with(
        7,
        || tables.clone(),
        |t| {
            let inst = ProductSum::new(shape.clone(), t).unwrap();
            proof = Some(
                prove_single(inst, sum, &mut Blake3Transcript::new(b"bench"))
                    .unwrap()
                    .0,
            );
        },
    );
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
    for m in [256usize, 1024] {
        matmul_bench(&mut rng, m);
    }
}
