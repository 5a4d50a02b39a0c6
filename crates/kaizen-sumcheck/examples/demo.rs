//! Prove and verify a fixed-point matrix product with Thaler's matmul sumcheck.
//!
//! A (64×256) and B (256×32) hold deterministic pseudo-random reals quantized with 16 fractional
//! bits; C = A·B is computed exactly in i128 and embedded in M61². Commitments come with the next
//! layer (kaizen-pcs), so here A, B and C are public: the verifier evaluates C̃ at a transcript
//! point itself, checks the sumcheck, and checks the two claims it is left with against A and B.
//! Then it shows that a wrong product and a tampered proof are rejected.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::time::Instant;

use kaizen_field::{
    serialize::to_bytes, Blake3Transcript, FixedPoint, KaizenField, M61Ext2, MultilinearPoly,
    Transcript,
};
use kaizen_sumcheck::matmul::{prove_matmul, verify_matmul, MatmulDims};

type F = M61Ext2;

fn matrix(rows: usize, cols: usize, seed: u64, fp: FixedPoint) -> Vec<i64> {
    // A small deterministic generator (xorshift) keeps the demo dependency-free.
    let mut s = seed;
    (0..rows * cols)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let x = (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
            fp.quantize(x).unwrap()
        })
        .collect()
}

fn embed(xs: &[i128]) -> Vec<F> {
    xs.iter().map(|&x| F::from_signed(x).unwrap()).collect()
}

/// The public statement both sides derive: absorb C, draw the point, evaluate C̃ there.
fn statement(d: MatmulDims, c: &[F]) -> (Blake3Transcript, Vec<F>, F) {
    let mut t = Blake3Transcript::new(b"kaizen-demo/matmul");
    t.absorb_fields(b"C", c);
    let point = t.challenges(b"point", (d.rows * d.cols).trailing_zeros() as usize);
    let value = MultilinearPoly::new(c.to_vec())
        .unwrap()
        .evaluate(&point)
        .unwrap();
    (t, point, value)
}

/// Verifier: C̃ at a transcript point, the sumcheck, then the claims against A and B.
fn verify(
    d: MatmulDims,
    a: &[F],
    b: &[F],
    c: &[F],
    proof: &kaizen_sumcheck::SumcheckProof<F>,
) -> Result<(), String> {
    let (mut t, point, value) = statement(d, c);
    let claims = verify_matmul(d, &point, value, proof, &mut t).map_err(|e| e.to_string())?;
    let ea = MultilinearPoly::new(a.to_vec())
        .unwrap()
        .evaluate(&claims.a.point)
        .unwrap();
    let eb = MultilinearPoly::new(b.to_vec())
        .unwrap()
        .evaluate(&claims.b.point)
        .unwrap();
    if ea != claims.a.value || eb != claims.b.value {
        return Err("claim on A or B does not hold".into());
    }
    Ok(())
}

fn prove(d: MatmulDims, a: &[F], b: &[F], c: &[F]) -> kaizen_sumcheck::SumcheckProof<F> {
    let (mut t, point, value) = statement(d, c);
    prove_matmul(d, a, b, &point, value, &mut t).unwrap().0
}

fn main() {
    let fp = FixedPoint::new(16).unwrap();
    let d = MatmulDims {
        rows: 64,
        inner: 256,
        cols: 32,
    };
    let a_q = matrix(d.rows, d.inner, 1, fp);
    let b_q = matrix(d.inner, d.cols, 2, fp);
    let mut c_q = vec![0i128; d.rows * d.cols];
    for i in 0..d.rows {
        for k in 0..d.inner {
            for j in 0..d.cols {
                c_q[i * d.cols + j] +=
                    i128::from(a_q[i * d.inner + k]) * i128::from(b_q[k * d.cols + j]);
            }
        }
    }
    let widen = |v: &[i64]| v.iter().map(|&x| i128::from(x)).collect::<Vec<_>>();
    let (a, b, c) = (embed(&widen(&a_q)), embed(&widen(&b_q)), embed(&c_q));
    println!(
        "C = A·B with A {}×{}, B {}×{} (fixed point, scale 2^16, field {})",
        d.rows,
        d.inner,
        d.inner,
        d.cols,
        F::NAME
    );
    println!(
        "C[0][0] = {:.6} (scale 2^32 after the product)",
        c_q[0] as f64 / (1u64 << 32) as f64
    );

    let t = Instant::now();
    let proof = prove(d, &a, &b, &c);
    let prove_time = t.elapsed();
    let t = Instant::now();
    let verdict = verify(d, &a, &b, &c, &proof);
    println!(
        "proof: {} bytes, proved in {:.2?}, verified in {:.2?}: {}",
        to_bytes(&proof).len(),
        prove_time,
        t.elapsed(),
        if verdict.is_ok() {
            "ACCEPTED"
        } else {
            "REJECTED"
        }
    );
    assert!(verdict.is_ok(), "honest proof must verify");

    let mut wrong_c = c.clone();
    wrong_c[17] += F::from(1u64);
    let cheat = prove(d, &a, &b, &wrong_c);
    let v = verify(d, &a, &b, &wrong_c, &cheat);
    println!(
        "wrong product (one entry of C off by 2^-32): {}",
        v.as_ref()
            .map_or_else(|e| format!("rejected ({e})"), |_| "ACCEPTED".into())
    );
    assert!(v.is_err());

    let mut tampered = proof.clone();
    tampered.rounds[3].evals[2] += F::from(1u64);
    let v = verify(d, &a, &b, &c, &tampered);
    println!(
        "tampered round polynomial: {}",
        v.as_ref()
            .map_or_else(|e| format!("rejected ({e})"), |_| "ACCEPTED".into())
    );
    assert!(v.is_err());
}
