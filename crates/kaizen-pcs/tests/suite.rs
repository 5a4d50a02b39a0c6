//! The generic PCS suite every backend must pass: round trips, batches, multi-point openings, and
//! rejection of wrong values, points, commitments, and tampered or truncated proofs.
#![allow(clippy::unwrap_used, clippy::panic)]
use ark_std::UniformRand;
use kaizen_field::{
    serialize::{from_bytes, to_bytes, with_lengths_replaced},
    Blake3Transcript, Field, Fr, KaizenField, M61Ext2, MultilinearPoly, Poseidon2Transcript,
    Transcript,
};
use kaizen_pcs::{
    ligero::{Ligero, LigeroParams, MatrixShape},
    merkle::Poseidon2Columns,
    multipoint::{BatchOpeningProof, MultiPointProof},
    Bls12Kzg, MultilinearPcs, PcsError,
};
use kaizen_sumcheck::Claim;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn rand_vec<F: KaizenField + UniformRand>(rng: &mut ChaCha20Rng, n: usize) -> Vec<F> {
    (0..n).map(|_| F::rand(rng)).collect()
}

fn tr() -> Blake3Transcript {
    Blake3Transcript::new(b"pcs-suite")
}

fn round_trips<F: KaizenField + UniformRand, S: MultilinearPcs<F>>(pcs: &S, sizes: &[usize]) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    for &n in sizes {
        let polys: Vec<Vec<F>> = (0..3).map(|_| rand_vec(&mut rng, 1 << n)).collect();
        let committed: Vec<_> = polys.iter().map(|p| pcs.commit(p).unwrap()).collect();
        let point: Vec<F> = rand_vec(&mut rng, n);
        let truth: Vec<F> = polys
            .iter()
            .map(|p| {
                MultilinearPoly::new(p.clone())
                    .unwrap()
                    .evaluate(&point)
                    .unwrap()
            })
            .collect();
        for k in [1usize, 3] {
            let data: Vec<_> = committed[..k].iter().map(|(_, d)| d).collect();
            let comms: Vec<_> = committed[..k].iter().map(|(c, _)| c).collect();
            let (values, proof) = pcs.open(&data, &point, &mut tr()).unwrap();
            assert_eq!(values, truth[..k], "n={n} k={k}");
            pcs.verify(&comms, &point, &values, &proof, &mut tr())
                .unwrap();

            // Wrong value (any one of the batch).
            for i in 0..k {
                let mut bad = values.clone();
                bad[i] += F::ONE;
                assert!(
                    pcs.verify(&comms, &point, &bad, &proof, &mut tr()).is_err(),
                    "wrong value"
                );
            }
            // Wrong point.
            if n > 0 {
                let mut p2 = point.clone();
                p2[n - 1] += F::ONE;
                assert!(
                    pcs.verify(&comms, &p2, &values, &proof, &mut tr()).is_err(),
                    "wrong point"
                );
            }
            // Wrong commitment: another polynomial's.
            let other = pcs.commit(&rand_vec::<F>(&mut rng, 1 << n)).unwrap().0;
            let mut swapped = comms.clone();
            swapped[0] = &other;
            assert!(
                pcs.verify(&swapped, &point, &values, &proof, &mut tr())
                    .is_err(),
                "wrong commitment"
            );
            // Another transcript state: a batch's combination challenge changes. (A single KZG
            // opening draws no challenge, and constant polynomials have zero quotients, so this
            // is checked on batches of non-constant polynomials for every backend.)
            if k > 1 && n > 0 {
                let mut t2 = tr();
                S::absorb_commitment(comms[0], &mut t2);
                assert!(
                    pcs.verify(&comms, &point, &values, &proof, &mut t2)
                        .is_err(),
                    "transcript"
                );
            }

            // Serialization: round trip; truncations and byte flips are errors, never panics.
            let bytes = to_bytes(&proof);
            assert_eq!(from_bytes::<S::Proof>(&bytes).unwrap(), proof);
            for cut in [0, 1, bytes.len() / 3, bytes.len() - 1] {
                assert!(
                    from_bytes::<S::Proof>(&bytes[..cut]).is_err(),
                    "truncated at {cut}"
                );
            }
            let step = (bytes.len() / 40).max(1);
            for pos in (0..bytes.len()).step_by(step).chain(0..bytes.len().min(24)) {
                let mut b = bytes.clone();
                b[pos] ^= 0x5a;
                if let Ok(p) = from_bytes::<S::Proof>(&b) {
                    assert!(
                        pcs.verify(&comms, &point, &values, &p, &mut tr()).is_err(),
                        "flip at {pos}"
                    );
                }
            }
        }
        // A point whose upper half is boolean (a claim on a sub-cube: Ligero combines those rows
        // alone): the right value verifies, a wrong one does not.
        let mut corner: Vec<F> = rand_vec(&mut rng, n / 2);
        corner.extend((n / 2..n).map(|j| F::from((j % 2) as u64)));
        let data = [&committed[0].1];
        let (values, proof) = pcs.open(&data, &corner, &mut tr()).unwrap();
        let poly = MultilinearPoly::new(polys[0].clone()).unwrap();
        assert_eq!(values, [poly.evaluate(&corner).unwrap()]);
        let comms = [&committed[0].0];
        pcs.verify(&comms, &corner, &values, &proof, &mut tr())
            .unwrap();
        let bad = [values[0] + F::ONE];
        assert!(pcs
            .verify(&comms, &corner, &bad, &proof, &mut tr())
            .is_err());
        let c = &committed[0].0;
        assert_eq!(&from_bytes::<S::Commitment>(&to_bytes(c)).unwrap(), c);
        assert!(from_bytes::<S::Commitment>(&to_bytes(c)[..4]).is_err());
    }
}

fn shape_errors<F: KaizenField + UniformRand, S: MultilinearPcs<F>>(pcs: &S) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    assert!(matches!(
        pcs.commit(&rand_vec::<F>(&mut rng, 3)),
        Err(PcsError::NotPowerOfTwo(3))
    ));
    let too_big = vec![F::ZERO; 1 << (pcs.max_num_vars() + 1)];
    assert!(matches!(
        pcs.commit(&too_big),
        Err(PcsError::TooManyVariables { .. })
    ));
    let (c4, d4) = pcs.commit(&rand_vec::<F>(&mut rng, 16)).unwrap();
    let (c5, d5) = pcs.commit(&rand_vec::<F>(&mut rng, 32)).unwrap();
    let p4: Vec<F> = rand_vec(&mut rng, 4);
    assert!(matches!(
        pcs.open(&[], &p4, &mut tr()),
        Err(PcsError::EmptyBatch)
    ));
    assert!(matches!(
        pcs.open(&[&d4, &d5], &p4, &mut tr()),
        Err(PcsError::BatchSizes)
    ));
    assert!(matches!(
        pcs.open(&[&d5], &p4, &mut tr()),
        Err(PcsError::PointDimension { .. })
    ));
    let (values, proof) = pcs.open(&[&d4], &p4, &mut tr()).unwrap();
    assert!(matches!(
        pcs.verify(&[&c4], &p4, &[values[0], values[0]], &proof, &mut tr()),
        Err(PcsError::ValueCount { .. })
    ));
    assert!(pcs.verify(&[&c5], &p4, &values, &proof, &mut tr()).is_err());
}

fn multi_point<F: KaizenField + UniformRand, S: MultilinearPcs<F>>(pcs: &S) {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let n = 8;
    let evals: Vec<F> = rand_vec(&mut rng, 1 << n);
    let poly = MultilinearPoly::new(evals.clone()).unwrap();
    let (commitment, data) = pcs.commit(&evals).unwrap();
    let claims: Vec<Claim<F>> = (0..3)
        .map(|_| {
            let point: Vec<F> = rand_vec(&mut rng, n);
            Claim {
                value: poly.evaluate(&point).unwrap(),
                point,
            }
        })
        .collect();
    // The honest proof verifies; any one false value fails it, and so does a proof of the false set.
    let proves_and_rejects_false = |claims: &[Claim<F>]| {
        let proof = pcs.open_points(&data, claims, &mut tr()).unwrap();
        pcs.verify_points(&commitment, claims, &proof, &mut tr())
            .unwrap();
        for i in 0..claims.len() {
            let mut bad = claims.to_vec();
            bad[i].value += F::ONE;
            assert!(pcs
                .verify_points(&commitment, &bad, &proof, &mut tr())
                .is_err());
            let p2 = pcs.open_points(&data, &bad, &mut tr()).unwrap();
            assert!(pcs
                .verify_points(&commitment, &bad, &p2, &mut tr())
                .is_err());
        }
        proof
    };
    let proof = proves_and_rejects_false(&claims);
    let bytes = to_bytes(&proof);
    let back: MultiPointProof<F, S::Proof> = from_bytes(&bytes).unwrap();
    assert_eq!(back, proof);
    // Claims on a few sub-cubes of whole rows (the upper half of each point boolean: Ligero
    // proves these over the claimed rows): the same checks, and a claim moved to another
    // sub-cube is rejected.
    let row_claims: Vec<Claim<F>> = [5usize, 9, 5, 5]
        .iter()
        .map(|&row| {
            let mut point: Vec<F> = rand_vec(&mut rng, n / 2);
            point.extend((0..n / 2).map(|j| F::from(((row >> j) & 1) as u64)));
            Claim {
                value: poly.evaluate(&point).unwrap(),
                point,
            }
        })
        .collect();
    let proof = proves_and_rejects_false(&row_claims);
    let mut moved = row_claims.clone();
    moved[1].point[n - 1] = F::ZERO;
    moved[1].value = poly.evaluate(&moved[1].point).unwrap();
    assert!(pcs
        .verify_points(&commitment, &moved, &proof, &mut tr())
        .is_err());
}

/// Claims on several commitments of different sizes (sets of random points, of points on a few
/// rows, of one point) proven with one batched proof: it verifies and round-trips, and is
/// rejected with any false value, with the sets swapped or one dropped, against another
/// commitment, with an opening dropped, or from another transcript.
fn refs<F>(sets: &[Vec<Claim<F>>]) -> Vec<&[Claim<F>]> {
    sets.iter().map(|s| &s[..]).collect()
}

fn batch_of_commitments<F: KaizenField + UniformRand, S: MultilinearPcs<F>>(pcs: &S) {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let sizes = [8usize, 6, 8, 3];
    let polys: Vec<Vec<F>> = sizes.iter().map(|&n| rand_vec(&mut rng, 1 << n)).collect();
    let committed: Vec<_> = polys.iter().map(|p| pcs.commit(p).unwrap()).collect();
    let claim = |p: &[F], point: Vec<F>| Claim {
        value: MultilinearPoly::new(p.to_vec())
            .unwrap()
            .evaluate(&point)
            .unwrap(),
        point,
    };
    let mut sets: Vec<Vec<Claim<F>>> = Vec::new();
    for (i, (p, &n)) in polys.iter().zip(&sizes).enumerate() {
        let set = match i {
            // Points on two rows of the upper half (Ligero's row reduction).
            1 => [3usize, 1, 3]
                .iter()
                .map(|&row| {
                    let mut point: Vec<F> = rand_vec(&mut rng, n - 2);
                    point.extend((0..2).map(|j| F::from(((row >> j) & 1) as u64)));
                    claim(p, point)
                })
                .collect(),
            3 => vec![claim(p, rand_vec(&mut rng, n))],
            _ => (0..3).map(|_| claim(p, rand_vec(&mut rng, n))).collect(),
        };
        sets.push(set);
    }
    let data: Vec<_> = committed.iter().map(|(_, d)| d).collect();
    let comms: Vec<_> = committed.iter().map(|(c, _)| c).collect();
    let proof = pcs
        .open_points_batch(&data, &refs(&sets), &mut tr())
        .unwrap();
    pcs.verify_points_batch(&comms, &refs(&sets), &proof, &mut tr())
        .unwrap();
    let bytes = to_bytes(&proof);
    let back: BatchOpeningProof<F, S::Proof> = from_bytes(&bytes).unwrap();
    assert_eq!(back, proof);
    // No length is trusted before its data is read (a trusted 2^40 would abort the process).
    for len in [1 << 40, u64::MAX / 3] {
        for (i, b) in with_lengths_replaced(&bytes, len) {
            if let Ok(p) = from_bytes::<BatchOpeningProof<F, S::Proof>>(&b) {
                let verdict = pcs.verify_points_batch(&comms, &refs(&sets), &p, &mut tr());
                assert!(verdict.is_err(), "{len} at byte {i}");
            }
        }
    }
    for i in 0..sets.len() {
        for j in 0..sets[i].len() {
            let mut bad = sets.clone();
            bad[i][j].value += F::ONE;
            assert!(pcs
                .verify_points_batch(&comms, &refs(&bad), &proof, &mut tr())
                .is_err());
            let p2 = pcs
                .open_points_batch(&data, &refs(&bad), &mut tr())
                .unwrap();
            assert!(pcs
                .verify_points_batch(&comms, &refs(&bad), &p2, &mut tr())
                .is_err());
        }
    }
    let mut swapped = sets.clone();
    swapped.swap(0, 2);
    assert!(pcs
        .verify_points_batch(&comms, &refs(&swapped), &proof, &mut tr())
        .is_err());
    assert!(matches!(
        pcs.verify_points_batch(&comms, &refs(&sets[..3]), &proof, &mut tr()),
        Err(PcsError::ClaimSets {
            expected: 4,
            got: 3
        })
    ));
    let other = pcs.commit(&rand_vec::<F>(&mut rng, 1 << 8)).unwrap().0;
    let mut wrong = comms.clone();
    wrong[2] = &other;
    assert!(pcs
        .verify_points_batch(&wrong, &refs(&sets), &proof, &mut tr())
        .is_err());
    let mut short = proof.clone();
    short.openings.pop();
    assert!(pcs
        .verify_points_batch(&comms, &refs(&sets), &short, &mut tr())
        .is_err());
    let mut t2 = tr();
    Transcript::<F>::absorb_bytes(&mut t2, b"other", b"state");
    assert!(pcs
        .verify_points_batch(&comms, &refs(&sets), &proof, &mut t2)
        .is_err());
}

macro_rules! pcs_suite {
    ($name:ident, $f:ty, $pcs:expr, $sizes:expr) => {
        mod $name {
            use super::*;
            #[test]
            fn round_trips_and_tampering() {
                round_trips::<$f, _>(&$pcs, &$sizes);
            }
            #[test]
            fn malformed_inputs() {
                shape_errors::<$f, _>(&$pcs);
            }
            #[test]
            fn several_points() {
                multi_point::<$f, _>(&$pcs);
            }
            #[test]
            fn several_commitments() {
                batch_of_commitments::<$f, _>(&$pcs);
            }
        }
    };
}

pcs_suite!(
    ligero_square,
    M61Ext2,
    Ligero::<M61Ext2>::new(LigeroParams::new(12, MatrixShape::Square)),
    [0, 1, 5, 10]
);
pcs_suite!(
    ligero_rows,
    M61Ext2,
    Ligero::<M61Ext2>::new(LigeroParams::new(12, MatrixShape::Rows(3))),
    [2, 9]
);
pcs_suite!(
    ligero_balanced,
    M61Ext2,
    Ligero::<M61Ext2>::new(LigeroParams::new(16, MatrixShape::Balanced)),
    [0, 3, 16]
);
pcs_suite!(
    ligero_poseidon2,
    M61Ext2,
    Ligero::<M61Ext2, Poseidon2Columns>::new(LigeroParams::new(12, MatrixShape::Rows(3))),
    [0, 2, 9]
);
pcs_suite!(kzg_bls12_381, Fr, Bls12Kzg::insecure_setup(8, 7), [0, 1, 5]);

/// Ligero-specific tampering: every part of an opening matters.
mod ligero_tampering {
    use super::*;
    use kaizen_pcs::ligero::LigeroProof;

    type F = M61Ext2;

    /// Commitments whose rows have one length are opened with one proof (one proximity row,
    /// shared column queries): a batch of three of 2^10 and one of 2^8 in rows of four has two
    /// openings and is smaller than four separate multi-point proofs by the proximity rows of two
    /// of the three; the openings swapped are rejected.
    #[test]
    fn rows_of_one_length_share_an_opening() {
        let pcs = Ligero::<F>::new(LigeroParams::new(10, MatrixShape::Rows(2)));
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let polys: Vec<Vec<F>> = [10usize, 10, 8, 10]
            .iter()
            .map(|&n| rand_vec(&mut rng, 1 << n))
            .collect();
        let committed: Vec<_> = polys.iter().map(|p| pcs.commit(p).unwrap()).collect();
        let sets: Vec<Vec<Claim<F>>> = polys
            .iter()
            .map(|p| {
                let n = p.len().trailing_zeros() as usize;
                (0..2)
                    .map(|_| {
                        let point: Vec<F> = rand_vec(&mut rng, n);
                        Claim {
                            value: MultilinearPoly::new(p.clone())
                                .unwrap()
                                .evaluate(&point)
                                .unwrap(),
                            point,
                        }
                    })
                    .collect()
            })
            .collect();
        let refs: Vec<&[Claim<F>]> = sets.iter().map(|s| &s[..]).collect();
        let data: Vec<_> = committed.iter().map(|(_, d)| d).collect();
        let comms: Vec<_> = committed.iter().map(|(c, _)| c).collect();
        let proof = pcs.open_points_batch(&data, &refs, &mut tr()).unwrap();
        assert_eq!(proof.openings.len(), 2);
        pcs.verify_points_batch(&comms, &refs, &proof, &mut tr())
            .unwrap();
        let separate: usize = committed
            .iter()
            .zip(&sets)
            .map(|((_, d), s)| to_bytes(&pcs.open_points(d, s, &mut tr()).unwrap()).len())
            .sum();
        assert!(to_bytes(&proof).len() + 2 * (1 << 8) * 16 < separate);
        let mut swapped = proof.clone();
        swapped.openings.swap(0, 1);
        assert!(pcs
            .verify_points_batch(&comms, &refs, &swapped, &mut tr())
            .is_err());
    }

    #[test]
    fn each_part_of_the_proof_is_checked() {
        let pcs = Ligero::<F>::new(LigeroParams::new(10, MatrixShape::Square));
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let (c, d) = pcs.commit(&rand_vec::<F>(&mut rng, 1 << 10)).unwrap();
        let point: Vec<F> = rand_vec(&mut rng, 10);
        let (values, proof) = pcs.open(&[&d], &point, &mut tr()).unwrap();
        let check = |p: &LigeroProof<F>| pcs.verify(&[&c], &point, &values, p, &mut tr());
        check(&proof).unwrap();

        let mut bad = proof.clone();
        bad.levels[0].paths[0].siblings[2][7] ^= 1;
        assert!(matches!(check(&bad), Err(PcsError::MerklePath { poly: 0 })));

        let mut bad = proof.clone();
        bad.levels[0].columns[9][3] += F::ONE;
        assert!(matches!(check(&bad), Err(PcsError::MerklePath { poly: 0 })));

        let mut bad = proof.clone();
        bad.levels[0].columns.swap(1, 2);
        assert!(matches!(check(&bad), Err(PcsError::MerklePath { poly: 0 })));

        let mut bad = proof.clone();
        bad.proximity[0] += F::ONE;
        assert!(check(&bad).is_err());

        let mut bad = proof.clone();
        bad.levels[0].row_values[1] += F::ONE;
        assert!(check(&bad).is_err());

        let mut bad = proof.clone();
        bad.levels[0].columns.pop();
        assert!(matches!(check(&bad), Err(PcsError::ProofShape(_))));

        // Query positions come from the transcript: another state rejects the proof.
        let mut t2 = tr();
        Ligero::<F>::absorb_commitment(&c, &mut t2);
        assert!(pcs.verify(&[&c], &point, &values, &proof, &mut t2).is_err());

        let mut bad = proof.clone();
        bad.levels[0].columns[0].pop();
        assert!(matches!(check(&bad), Err(PcsError::ProofShape(_))));
    }

    /// Poseidon2 column trees under the Poseidon2 transcript, so that every hash the verifier
    /// computes is over `F_p` (as the recursion will check it, DESIGN §5–§6): a round trip with a
    /// committed proximity row (four rows of 2^14); a tampered digest, column, root or value is
    /// rejected, and so is the proof under another transcript.
    #[test]
    fn poseidon2_trees_under_the_poseidon2_transcript() {
        let pcs = Ligero::<F, Poseidon2Columns>::new(LigeroParams::new(16, MatrixShape::Rows(2)));
        let pt = || Poseidon2Transcript::new(b"pcs-suite");
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let (c, d) = pcs.commit(&rand_vec::<F>(&mut rng, 1 << 16)).unwrap();
        let point: Vec<F> = rand_vec(&mut rng, 16);
        let (values, proof) = pcs.open(&[&d], &point, &mut pt()).unwrap();
        assert!(!proof.committed_rows.is_empty());
        let check = |c: &_, values: &[F], p: &LigeroProof<F, _>| {
            pcs.verify(&[c], &point, values, p, &mut pt())
        };
        check(&c, &values, &proof).unwrap();
        assert!(pcs
            .verify(&[&c], &point, &values, &proof, &mut tr())
            .is_err());

        let mut bad = proof.clone();
        bad.levels[0].paths[0].siblings[2][1] += <F as Field>::BasePrimeField::ONE;
        assert!(matches!(
            check(&c, &values, &bad),
            Err(PcsError::MerklePath { poly: 0 })
        ));
        let mut bad = proof.clone();
        bad.levels[1].columns[5][0] += F::ONE;
        assert!(matches!(
            check(&c, &values, &bad),
            Err(PcsError::MerklePath { poly: 0 })
        ));
        let mut other = c.clone();
        other.root[3] += <F as Field>::BasePrimeField::ONE;
        assert!(check(&other, &values, &proof).is_err());
        let mut wrong = values.clone();
        wrong[0] += F::ONE;
        assert!(check(&c, &wrong, &proof).is_err());
    }

    /// Claims on two rows of the matrix are proven over the rows alone (a sumcheck over the
    /// column variables); a tampered row value or reduction round is rejected, and claims on more
    /// than a quarter of the rows take the generic reduction.
    #[test]
    fn claims_on_few_rows_are_reduced_over_the_rows() {
        let pcs = Ligero::<F>::new(LigeroParams::new(10, MatrixShape::Square));
        let mut rng = ChaCha20Rng::seed_from_u64(21);
        let n = 10;
        let evals: Vec<F> = rand_vec(&mut rng, 1 << n);
        let poly = MultilinearPoly::new(evals.clone()).unwrap();
        let (commitment, data) = pcs.commit(&evals).unwrap();
        let on_row = |rng: &mut ChaCha20Rng, row: usize| {
            let mut point: Vec<F> = rand_vec(rng, 5);
            point.extend((0..5).map(|j| F::from(((row >> j) & 1) as u64)));
            Claim {
                value: poly.evaluate(&point).unwrap(),
                point,
            }
        };
        let claims: Vec<Claim<F>> = [3, 17, 3].iter().map(|&r| on_row(&mut rng, r)).collect();
        let proof = pcs.open_points(&data, &claims, &mut tr()).unwrap();
        assert_eq!(proof.reduction.rounds.len(), 5);
        assert_eq!(proof.reduction.final_evals.len(), 2);
        pcs.verify_points(&commitment, &claims, &proof, &mut tr())
            .unwrap();
        let mut bad = proof.clone();
        bad.reduction.final_evals[1][0] += F::ONE;
        assert!(pcs
            .verify_points(&commitment, &claims, &bad, &mut tr())
            .is_err());
        let mut bad = proof.clone();
        bad.reduction.rounds[2].evals[0] += F::ONE;
        assert!(pcs
            .verify_points(&commitment, &claims, &bad, &mut tr())
            .is_err());
        let mut bad = proof.clone();
        bad.opening.levels[0].row_values[0] += F::ONE;
        assert!(pcs
            .verify_points(&commitment, &claims, &bad, &mut tr())
            .is_err());

        let many: Vec<Claim<F>> = (0..9).map(|r| on_row(&mut rng, 3 * r)).collect();
        let proof = pcs.open_points(&data, &many, &mut tr()).unwrap();
        assert_eq!(proof.reduction.rounds.len(), n);
        pcs.verify_points(&commitment, &many, &proof, &mut tr())
            .unwrap();
    }
}

/// Segmented commitments: claims on several named tensors, one opening.
mod segments {
    use super::*;
    use kaizen_field::AdditiveGroup;
    use kaizen_pcs::segmented::{
        open_segments, open_segments_batch, verify_segments, verify_segments_batch, SegmentLayout,
    };

    type F = M61Ext2;

    fn mle_at(values: &[F], point: &[F]) -> F {
        let mut padded = values.to_vec();
        padded.resize(1 << point.len(), F::ZERO);
        MultilinearPoly::new(padded)
            .unwrap()
            .evaluate(point)
            .unwrap()
    }

    /// Two segmented commitments opened with one batched proof: it verifies; a false claim, the
    /// layouts swapped, a commitment of another size or a missing set of claims are rejected.
    #[test]
    fn segmented_commitments_one_batched_proof() {
        let pcs = Ligero::<F>::new(LigeroParams::new(12, MatrixShape::Balanced));
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let specs = [
            vec![("x", 300usize), ("labels", 40)],
            vec![("w", 70usize), ("b", 7), ("w2", 33)],
        ];
        let mut committed = Vec::new();
        let mut sets = Vec::new();
        for spec in &specs {
            let layout = SegmentLayout::new(spec).unwrap();
            let tensors: Vec<Vec<F>> = spec.iter().map(|&(_, n)| rand_vec(&mut rng, n)).collect();
            let refs: Vec<&[F]> = tensors.iter().map(Vec::as_slice).collect();
            let (commitment, data) = pcs.commit(&layout.assemble(&refs).unwrap()).unwrap();
            let claims: Vec<(&str, Claim<F>)> = spec
                .iter()
                .zip(&tensors)
                .map(|(&(name, _), t)| {
                    let point: Vec<F> = rand_vec(&mut rng, layout.segment_vars(name).unwrap());
                    (
                        name,
                        Claim {
                            value: mle_at(t, &point),
                            point,
                        },
                    )
                })
                .collect();
            committed.push((commitment, data, layout));
            sets.push(claims);
        }
        let refs: Vec<&[(&str, Claim<F>)]> = sets.iter().map(|s| &s[..]).collect();
        let provers: Vec<_> = committed.iter().map(|(_, d, l)| (d, l)).collect();
        let proof = open_segments_batch(&pcs, &provers, &refs, &mut tr()).unwrap();
        let verifiers: Vec<_> = committed.iter().map(|(c, _, l)| (c, l)).collect();
        verify_segments_batch(&pcs, &verifiers, &refs, &proof, &mut tr()).unwrap();

        let mut bad = sets.clone();
        bad[1][2].1.value += F::ONE;
        let bad_refs: Vec<&[(&str, Claim<F>)]> = bad.iter().map(|s| &s[..]).collect();
        assert!(verify_segments_batch(&pcs, &verifiers, &bad_refs, &proof, &mut tr()).is_err());
        let swapped = vec![
            (verifiers[0].0, verifiers[1].1),
            (verifiers[1].0, verifiers[0].1),
        ];
        assert!(verify_segments_batch(&pcs, &swapped, &refs, &proof, &mut tr()).is_err());
        assert!(matches!(
            verify_segments_batch(&pcs, &verifiers, &refs[..1], &proof, &mut tr()),
            Err(PcsError::ClaimSets {
                expected: 2,
                got: 1
            })
        ));
    }

    #[test]
    fn many_tensors_one_opening() {
        let pcs = Ligero::<F>::new(LigeroParams::new(12, MatrixShape::Square));
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let spec = [
            ("fc1.z", 5usize),
            ("fc1.weight", 16),
            ("loss.grad", 3),
            ("fc2.dW", 40),
        ];
        let layout = SegmentLayout::new(&spec).unwrap();
        let tensors: Vec<Vec<F>> = spec.iter().map(|&(_, n)| rand_vec(&mut rng, n)).collect();
        let refs: Vec<&[F]> = tensors.iter().map(Vec::as_slice).collect();
        let (commitment, data) = pcs.commit(&layout.assemble(&refs).unwrap()).unwrap();
        let mut claims = Vec::new();
        for (i, &(name, _)) in spec.iter().enumerate() {
            for _ in 0..=i % 2 {
                let point: Vec<F> = rand_vec(&mut rng, layout.segment_vars(name).unwrap());
                claims.push((
                    name,
                    Claim {
                        value: mle_at(&tensors[i], &point),
                        point,
                    },
                ));
            }
        }
        let proof = open_segments(&pcs, &data, &layout, &claims, &mut tr()).unwrap();
        verify_segments(&pcs, &commitment, &layout, &claims, &proof, &mut tr()).unwrap();

        // Any false claim, a claim moved to another tensor, or another layout: rejected.
        for k in 0..claims.len() {
            let mut bad = claims.clone();
            bad[k].1.value += F::ONE;
            assert!(verify_segments(&pcs, &commitment, &layout, &bad, &proof, &mut tr()).is_err());
        }
        let mut moved = claims.clone();
        moved[0].0 = "fc1.weight";
        moved[0].1.point.push(F::ZERO);
        assert!(verify_segments(&pcs, &commitment, &layout, &moved, &proof, &mut tr()).is_err());
        let other = SegmentLayout::new(&[
            ("fc1.z", 5),
            ("fc1.weight", 16),
            ("loss.grad", 4),
            ("fc2.dW", 40),
        ])
        .unwrap();
        assert!(verify_segments(&pcs, &commitment, &other, &claims, &proof, &mut tr()).is_err());

        // Malformed inputs are typed errors.
        let mut unknown = claims.clone();
        unknown[0].0 = "nope";
        assert!(matches!(
            verify_segments(&pcs, &commitment, &layout, &unknown, &proof, &mut tr()),
            Err(PcsError::Segment(_))
        ));
        let mut wrong_dim = claims.clone();
        wrong_dim[1].1.point.pop();
        assert!(matches!(
            verify_segments(&pcs, &commitment, &layout, &wrong_dim, &proof, &mut tr()),
            Err(PcsError::PointDimension { .. })
        ));
        assert!(SegmentLayout::new(&[("a", 2), ("a", 3)]).is_err());
        assert!(SegmentLayout::new(&[("a", 0)]).is_err());
        assert!(layout.assemble(&refs[..2]).is_err());
        assert!(verify_segments(&pcs, &commitment, &layout, &[], &proof, &mut tr()).is_err());
    }
}
