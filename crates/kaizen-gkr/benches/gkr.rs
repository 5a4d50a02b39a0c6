//! Range checks and the fractional-sum GKR: prover time (witness decomposition included),
//! verifier time and proof size. Prints a table of medians.
#![allow(missing_docs, clippy::unwrap_used)]
use std::time::{Duration, Instant};

use kaizen_field::{serialize::to_bytes, Blake3Transcript, KaizenField, M61Ext2};
use kaizen_gkr::range::{prove_range, verify_range, RangeWitness};

type F = M61Ext2;

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

fn main() {
    println!("range checks over {} on {} threads (medians of 3)", F::NAME, rayon::current_num_threads());
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
            (w.shape().clone(), proof)
        });
        let (t_verify, _) =
            median(3, || verify_range(&shape, &proof, &mut Blake3Transcript::new(b"bench")).unwrap());
        println!(
            "| 2^{log:<4} | [0, 2^{bits:<2}) | {:>8.1} | {:>9.2} | {:>9.1} |",
            t_prove.as_secs_f64() * 1e3,
            t_verify.as_secs_f64() * 1e3,
            to_bytes(&proof).len() as f64 / 1024.0
        );
    }
}
