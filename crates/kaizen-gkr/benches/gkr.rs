//! Range checks and the fractional-sum GKR: prover time (witness decomposition included),
//! verifier time and proof size. Prints a table of medians.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_field::{serialize::to_bytes, Blake3Transcript, KaizenField, M61Ext2};
use kaizen_gkr::{
    circuit::{prove_circuit, verify_circuit},
    range::{prove_range, verify_range, RangeWitness},
};

type F = M61Ext2;

mod common;
use common::wide_circuit;

fn median<R>(runs: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut out = None;
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            out = Some(f());
            s.elapsed()
        })
        .collect();
    t.sort();
    (t[runs / 2], out.unwrap())
}

fn circuits() {
    println!();
    println!("| circuit                | gates    | evaluate ms | prove ms | Mgates/s | prove/eval | verify ms |");
    println!("|------------------------|----------|-------------|----------|----------|------------|-----------|");
    let (log, depth) = (20usize, 3usize);
    let circuit = wide_circuit(log, depth);
    let input: Vec<F> = (0..1u64 << log).map(F::from).collect();
    let (t_eval, values) = median(3, || circuit.evaluate(&input).unwrap());
    let outputs = values.last().unwrap().clone();
    let (t_prove, proof) = median(3, || {
        prove_circuit(&circuit, &values, &mut Blake3Transcript::new(b"c"))
            .unwrap()
            .0
    });
    let (t_verify, _) = median(3, || {
        verify_circuit(&circuit, &outputs, &proof, &mut Blake3Transcript::new(b"c")).unwrap()
    });
    let gates = (depth << log) as f64;
    println!(
        "| {depth} layers x 2^{log} gates  | {gates:>8} | {:>11.1} | {:>8.1} | {:>8.2} | {:>9.1}x | {:>9.1} |",
        t_eval.as_secs_f64() * 1e3,
        t_prove.as_secs_f64() * 1e3,
        gates / t_prove.as_secs_f64() / 1e6,
        t_prove.as_secs_f64() / t_eval.as_secs_f64(),
        t_verify.as_secs_f64() * 1e3
    );
}

fn main() {
    println!(
        "range checks over {} on {} threads (medians of 3)",
        F::NAME,
        rayon::current_num_threads()
    );
    println!("| values | range      | prove ms | verify ms | proof KiB |");
    println!("|--------|------------|----------|-----------|-----------|");
    for (log, bits) in [(16usize, 16u32), (20, 16), (20, 32)] {
        let mut s = 0x9e3779b97f4a7c15u64;
        let values: Vec<F> = (0..1usize << log)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                F::from(s >> (64 - bits))
            })
            .collect();
        let (t_prove, (shape, proof)) = median(3, || {
            let w = RangeWitness::new(&[&values], bits).unwrap();
            let (proof, _) = prove_range(&w, &mut Blake3Transcript::new(b"bench")).unwrap();
            (w.shapes().to_vec(), proof)
        });
        let (t_verify, _) = median(3, || {
            verify_range(&shape, &proof, &mut Blake3Transcript::new(b"bench")).unwrap()
        });
        println!(
            "| 2^{log:<4} | [0, 2^{bits:<2}) | {:>8.1} | {:>9.2} | {:>9.1} |",
            t_prove.as_secs_f64() * 1e3,
            t_verify.as_secs_f64() * 1e3,
            to_bytes(&proof).len() as f64 / 1024.0
        );
    }
    circuits();
}
