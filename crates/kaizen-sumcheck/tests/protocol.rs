//! The generic sumcheck suite, run on every field: completeness for each summand form and for
#![allow(clippy::unwrap_used, clippy::panic)]
//! batches of different sizes, and rejection of every kind of tampering.
use ark_std::UniformRand;
use kaizen_field::{
    serialize::{from_bytes, to_bytes},
    Blake3Transcript, Fr, KaizenField, M61Ext2, MultilinearPoly, Transcript,
};
use kaizen_sumcheck::{
    prove, verify, Claim, ProductSum, SumcheckError, SumcheckProof, SumcheckShape, Term, Weight,
};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn rand_vec<F: KaizenField + UniformRand>(rng: &mut ChaCha20Rng, n: usize) -> Vec<F> {
    (0..n).map(|_| F::rand(rng)).collect()
}

fn term<F: KaizenField>(coeff: F, factors: &[usize]) -> Term<F> {
    Term {
        coeff,
        factors: factors.to_vec(),
    }
}

/// The forms the issue names, over `n` variables: (shape, tables).
fn forms<F: KaizenField + UniformRand>(
    n: usize,
    seed: u64,
) -> Vec<(SumcheckShape<F>, Vec<Vec<F>>)> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let len = 1 << n;
    let a = rand_vec::<F>(&mut rng, len);
    let b = rand_vec::<F>(&mut rng, len);
    let c = rand_vec::<F>(&mut rng, len);
    let r = rand_vec::<F>(&mut rng, n);
    let bits: Vec<F> = (0..len).map(|i| F::from((i * 7 % 3 == 0) as u64)).collect();
    let coeff = F::rand(&mut rng);
    // A point with boolean coordinates (first 0, last 1): the factored eq's scale or current
    // coordinate vanishes, so the prover cannot derive s(1)'s factor from the claim.
    let mut boolean = r.clone();
    boolean[0] = F::ZERO;
    if n > 1 {
        boolean[n - 1] = F::ONE;
    }
    let mut forms = vec![
        (SumcheckShape::product(n, 2), vec![a.clone(), b.clone()]),
        (
            SumcheckShape::product(n, 3),
            vec![a.clone(), b.clone(), c.clone()],
        ),
        (
            SumcheckShape::product(n, 2).with_weight(Weight::Eq(r.clone())),
            vec![a.clone(), b.clone()],
        ),
        // eq·b·(1 − b) = eq·b − eq·b·b, zero on a boolean b.
        (
            SumcheckShape {
                num_vars: n,
                num_polys: 1,
                terms: vec![
                    Term {
                        coeff: F::ONE,
                        factors: vec![0],
                    },
                    Term {
                        coeff: -F::ONE,
                        factors: vec![0, 0],
                    },
                ],
                weight: Some(Weight::Eq(r.clone())),
            },
            vec![bits],
        ),
        // A sum of terms with coefficients: c·a·b + a·c·c + 5·b.
        (
            SumcheckShape {
                num_vars: n,
                num_polys: 3,
                terms: vec![
                    Term {
                        coeff,
                        factors: vec![0, 1],
                    },
                    Term {
                        coeff: F::ONE,
                        factors: vec![0, 2, 2],
                    },
                    Term {
                        coeff: F::from(5u64),
                        factors: vec![1],
                    },
                ],
                weight: None,
            },
            vec![a.clone(), b.clone(), c.clone()],
        ),
        // Weighted pair with a coefficient (fast kernel with coeff ≠ 1) and a multi-point weight.
        (
            SumcheckShape {
                num_vars: n,
                num_polys: 2,
                terms: vec![Term {
                    coeff,
                    factors: vec![0, 1],
                }],
                weight: Some(Weight::EqSum {
                    points: vec![r.clone(), rand_vec(&mut rng, n)],
                    coeffs: vec![F::ONE, coeff],
                }),
            },
            vec![a.clone(), b.clone()],
        ),
        // Σ eq·c·a (one table besides the weight).
        (
            SumcheckShape {
                num_vars: n,
                num_polys: 1,
                terms: vec![Term {
                    coeff,
                    factors: vec![0],
                }],
                weight: Some(Weight::Eq(r.clone())),
            },
            vec![a.clone()],
        ),
        // eq at a boolean point, general summand a·b + 3·a.
        (
            SumcheckShape {
                num_vars: n,
                num_polys: 2,
                terms: vec![
                    Term {
                        coeff: F::ONE,
                        factors: vec![0, 1],
                    },
                    Term {
                        coeff: F::from(3u64),
                        factors: vec![0],
                    },
                ],
                weight: Some(Weight::Eq(boolean.clone())),
            },
            vec![a.clone(), b.clone()],
        ),
        // eq·a·b at a boolean point.
        (
            SumcheckShape::product(n, 2).with_weight(Weight::Eq(boolean.clone())),
            vec![a.clone(), b.clone()],
        ),
    ];
    // A fractional-sum layer, eq·(p0·q1 + p1·q0 + λ·q0·q1), and its unit-leaf form
    // eq·(q1 + q0 + λ·q0·q1) (the GKR kernels), at a point and at a boolean point (rounds where
    // the running claim does not give s(1)).
    for point in [r, boolean] {
        let fraction = |num_polys, terms| SumcheckShape {
            num_vars: n,
            num_polys,
            terms,
            weight: Some(Weight::Eq(point.clone())),
        };
        forms.push((
            fraction(
                4,
                vec![
                    term(F::ONE, &[0, 3]),
                    term(F::ONE, &[1, 2]),
                    term(coeff, &[2, 3]),
                ],
            ),
            vec![a.clone(), b.clone(), c.clone(), a.clone()],
        ));
        forms.push((
            fraction(
                2,
                vec![term(F::ONE, &[1]), term(F::ONE, &[0]), term(coeff, &[0, 1])],
            ),
            vec![a.clone(), b.clone()],
        ));
    }
    forms
}

/// The true sum, computed directly.
fn true_sum<F: KaizenField>(shape: &SumcheckShape<F>, tables: &[Vec<F>]) -> F {
    let w = shape.weight.as_ref().map(Weight::table);
    (0..1usize << shape.num_vars)
        .map(|i| {
            let vals: Vec<F> = tables.iter().map(|t| t[i]).collect();
            shape.combine(&vals) * w.as_ref().map_or(F::ONE, |w| w[i])
        })
        .sum()
}

fn run<F: KaizenField>(
    batch: &[(SumcheckShape<F>, Vec<Vec<F>>)],
    sums: &[F],
) -> (SumcheckProof<F>, Vec<Vec<Claim<F>>>) {
    let mut instances: Vec<_> = batch
        .iter()
        .map(|(s, t)| ProductSum::new(s.clone(), t.clone()).unwrap())
        .collect();
    let mut tr = Blake3Transcript::new(b"test");
    prove(&mut instances, sums, &mut tr).unwrap()
}

fn check<F: KaizenField>(
    batch: &[(SumcheckShape<F>, Vec<Vec<F>>)],
    sums: &[F],
    proof: &SumcheckProof<F>,
) -> Result<Vec<Vec<Claim<F>>>, SumcheckError> {
    let shapes: Vec<_> = batch.iter().map(|(s, _)| s.clone()).collect();
    verify(&shapes, sums, proof, &mut Blake3Transcript::new(b"test"))
}

fn completeness<F: KaizenField + UniformRand>() {
    for n in [1usize, 2, 5, 14] {
        for (i, form) in forms::<F>(n, n as u64).into_iter().enumerate() {
            let batch = [form];
            let sums = [true_sum(&batch[0].0, &batch[0].1)];
            let (proof, prover_claims) = run(&batch, &sums);
            let claims =
                check(&batch, &sums, &proof).unwrap_or_else(|e| panic!("form {i}, n={n}: {e}"));
            assert_eq!(claims, prover_claims);
            // The returned claims are true evaluations of the tables.
            for (claim, table) in claims[0].iter().zip(&batch[0].1) {
                let poly = MultilinearPoly::new(table.clone()).unwrap();
                assert_eq!(
                    poly.evaluate(&claim.point).unwrap(),
                    claim.value,
                    "form {i}, n={n}"
                );
            }
        }
    }
}

fn batching<F: KaizenField + UniformRand>() {
    // Instances of 3, 9 and 6 variables and of degrees 2, 3, 3.
    let batch = vec![
        forms::<F>(3, 1).swap_remove(0),
        forms::<F>(9, 2).swap_remove(2),
        forms::<F>(6, 3).swap_remove(4),
    ];
    let sums: Vec<F> = batch.iter().map(|(s, t)| true_sum(s, t)).collect();
    let (proof, _) = run(&batch, &sums);
    let claims = check(&batch, &sums, &proof).unwrap();
    for ((shape, tables), cs) in batch.iter().zip(&claims) {
        assert_eq!(cs[0].point.len(), shape.num_vars);
        for (claim, table) in cs.iter().zip(tables) {
            let poly = MultilinearPoly::new(table.clone()).unwrap();
            assert_eq!(poly.evaluate(&claim.point).unwrap(), claim.value);
        }
    }
    // One wrong sum in the batch is caught.
    let mut bad = sums.clone();
    bad[1] += F::ONE;
    assert!(check(&batch, &bad, &proof).is_err());
}

fn soundness<F: KaizenField + UniformRand>() {
    let n = 6;
    for form in forms::<F>(n, 42) {
        let batch = [form];
        let sums = [true_sum(&batch[0].0, &batch[0].1)];
        let (proof, _) = run(&batch, &sums);

        // A wrong claimed sum: rejected in round 0.
        let wrong = [sums[0] + F::ONE];
        assert!(matches!(
            check(&batch, &wrong, &proof),
            Err(SumcheckError::RoundSum { round: 0 })
        ));

        // An honest-looking proof of a wrong sum (the prover runs on a false claim) is rejected.
        let (lying, _) = run(&batch, &wrong);
        assert!(check(&batch, &wrong, &lying).is_err());

        // Any altered round evaluation.
        for round in 0..n {
            for j in 0..proof.rounds[round].evals.len() {
                let mut bad = proof.clone();
                bad.rounds[round].evals[j] += F::ONE;
                assert!(
                    check(&batch, &sums, &bad).is_err(),
                    "round {round} eval {j}"
                );
            }
        }
        // A consistent alteration (s(0) up, s(1) down) passes the round check but not the end.
        let mut bad = proof.clone();
        bad.rounds[2].evals[0] += F::ONE;
        bad.rounds[2].evals[1] -= F::ONE;
        assert!(check(&batch, &sums, &bad).is_err());

        // A wrong final evaluation.
        let mut bad = proof.clone();
        bad.final_evals[0][0] += F::ONE;
        assert!(matches!(
            check(&batch, &sums, &bad),
            Err(SumcheckError::FinalEvaluation)
        ));

        // Wrong shape of the proof: missing round, extra evaluation, missing final values.
        let mut bad = proof.clone();
        bad.rounds.pop();
        assert!(matches!(
            check(&batch, &sums, &bad),
            Err(SumcheckError::RoundCount { .. })
        ));
        let mut bad = proof.clone();
        bad.rounds[1].evals.push(F::ONE);
        assert!(matches!(
            check(&batch, &sums, &bad),
            Err(SumcheckError::RoundDegree { round: 1, .. })
        ));
        let mut bad = proof.clone();
        bad.final_evals[0].pop();
        assert!(matches!(
            check(&batch, &sums, &bad),
            Err(SumcheckError::FinalEvalCount { .. })
        ));
        let mut bad = proof.clone();
        bad.final_evals.clear();
        assert!(matches!(
            check(&batch, &sums, &bad),
            Err(SumcheckError::FinalEvalCount { .. })
        ));

        // Serialization: round trip, and every truncation is an error.
        let bytes = to_bytes(&proof);
        assert_eq!(from_bytes::<SumcheckProof<F>>(&bytes).unwrap(), proof);
        for cut in [0, 1, 8, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                from_bytes::<SumcheckProof<F>>(&bytes[..cut]).is_err(),
                "cut {cut}"
            );
        }
        // A different transcript domain gives different challenges: rejected.
        let shapes = [batch[0].0.clone()];
        assert!(verify(&shapes, &sums, &proof, &mut Blake3Transcript::new(b"other")).is_err());
    }
}

fn bad_instances<F: KaizenField + UniformRand>() {
    let shape = SumcheckShape::<F>::product(3, 2);
    assert!(matches!(
        ProductSum::new(shape.clone(), vec![vec![F::ONE; 8], vec![F::ONE; 4]]),
        Err(SumcheckError::TableLength { table: 1, .. })
    ));
    assert!(ProductSum::new(shape.clone(), vec![vec![F::ONE; 8]]).is_err());
    let bad_term = SumcheckShape {
        terms: vec![Term {
            coeff: F::ONE,
            factors: vec![0, 5],
        }],
        ..shape.clone()
    };
    assert!(matches!(
        ProductSum::new(bad_term, vec![vec![F::ONE; 8]; 2]),
        Err(SumcheckError::Shape(_))
    ));
    let bad_weight = shape.clone().with_weight(Weight::Eq(vec![F::ONE; 2]));
    assert!(ProductSum::new(bad_weight, vec![vec![F::ONE; 8]; 2]).is_err());
    let mut tr = Blake3Transcript::new(b"t");
    assert!(matches!(
        prove::<F, ProductSum<F>, _>(&mut [], &[], &mut tr),
        Err(SumcheckError::EmptyBatch)
    ));
    let inst = ProductSum::new(shape, vec![vec![F::ONE; 8]; 2]).unwrap();
    assert!(matches!(
        prove(&mut [inst], &[], &mut tr),
        Err(SumcheckError::ClaimCount { .. })
    ));
    let _ = <Blake3Transcript as Transcript<F>>::challenge(&mut tr, b"x");
    // Binding more variables than there are is a no-op, not a panic.
    let mut one =
        ProductSum::new(SumcheckShape::<F>::product(1, 2), vec![vec![F::ONE; 2]; 2]).unwrap();
    one.bind(F::ONE);
    one.bind(F::ONE);
    assert_eq!(one.num_vars(), 0);
    assert_eq!(one.final_evals(), vec![F::ONE, F::ONE]);
}

macro_rules! suite {
    ($name:ident, $f:ty) => {
        mod $name {
            use super::*;
            #[test]
            fn completeness_every_form() {
                completeness::<$f>();
            }
            #[test]
            fn batches_of_different_sizes() {
                batching::<$f>();
            }
            #[test]
            fn tampering_is_rejected() {
                soundness::<$f>();
            }
            #[test]
            fn malformed_instances() {
                bad_instances::<$f>();
            }
        }
    };
}

suite!(m61_ext2, M61Ext2);
suite!(bls12_381, Fr);

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random small instances of every form: honest proofs verify with true claims, and
        /// adding any nonzero value to any one round evaluation is rejected.
        #[test]
        fn small_instances(n in 1usize..6, form in 0usize..11, seed in any::<u64>(),
                           round in any::<prop::sample::Index>(), slot in any::<prop::sample::Index>(),
                           delta in 1u64..u64::MAX) {
            let batch = [forms::<M61Ext2>(n, seed).swap_remove(form)];
            let sums = [true_sum(&batch[0].0, &batch[0].1)];
            let (proof, _) = run(&batch, &sums);
            let claims = check(&batch, &sums, &proof).unwrap();
            for (claim, table) in claims[0].iter().zip(&batch[0].1) {
                let poly = MultilinearPoly::new(table.clone()).unwrap();
                prop_assert_eq!(poly.evaluate(&claim.point).unwrap(), claim.value);
            }
            let mut bad = proof.clone();
            let r = round.index(bad.rounds.len());
            let s = slot.index(bad.rounds[r].evals.len());
            bad.rounds[r].evals[s] += M61Ext2::from(delta);
            prop_assert!(check(&batch, &sums, &bad).is_err());
        }
    }
}
