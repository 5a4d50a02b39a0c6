//! Lookups and range checks: completeness with true claims, and rejection of values outside the
//! table, wrong multiplicities and tampered proofs.
#![allow(clippy::unwrap_used, clippy::panic)]
use kaizen_field::{
    serialize::{from_bytes, to_bytes},
    AdditiveGroup, Blake3Transcript, Field, KaizenField, M61Ext2, MultilinearPoly,
};
use kaizen_gkr::{
    lookup::{
        multiplicities, prove_lookup, prove_lookups, verify_lookup, verify_lookups, LookupProof,
        LookupShape, Table, TableColumn,
    },
    range::{prove_range, table_logs, verify_range, RangeShape, RangeWitness},
    Claim, GkrError,
};

type F = M61Ext2;

fn tr() -> Blake3Transcript {
    Blake3Transcript::new(b"lookup-test")
}

fn holds(claim: &Claim<F>, evals: &[F]) -> bool {
    MultilinearPoly::new(evals.to_vec())
        .unwrap()
        .evaluate(&claim.point)
        .unwrap()
        == claim.value
}

fn ints(v: &[i128]) -> Vec<F> {
    v.iter().map(|&x| F::from_signed(x).unwrap()).collect()
}

#[test]
fn range_checks_complete_with_true_claims() {
    for bits in [5u32, 16, 20, 32, 59] {
        let max = (1i128 << bits) - 1;
        let a: Vec<F> = ints(
            &(0..64)
                .map(|i| (i * 7919 * 104729) % (max + 1))
                .collect::<Vec<_>>(),
        );
        let mut b = ints(&[0, max, 1, max - 1, 2, 3, 4, 5]);
        b.extend(ints(&[max / 2; 8]));
        let witness = RangeWitness::new(&[&a, &b], bits).unwrap();
        let (proof, claims) = prove_range(&witness, &mut tr()).unwrap();
        let v = verify_range(witness.shapes(), &proof, &mut tr()).unwrap();
        assert_eq!(v, claims);
        assert!(
            holds(&v.values[0][0], &a) && holds(&v.values[0][1], &b),
            "bits {bits}"
        );
        for (i, limbs) in v.committed_limbs[0].iter().enumerate() {
            assert_eq!(limbs.len(), witness.shapes()[0].limbs() - 1);
            for (j, c) in limbs.iter().enumerate() {
                assert!(holds(c, &witness.committed_limbs(0, i).unwrap()[j]));
            }
        }
        assert_eq!(v.multiplicities.len(), table_logs(witness.shapes()).len());
        for (t, c) in v.multiplicities.iter().enumerate() {
            assert!(holds(c, witness.multiplicities(t).unwrap()));
        }
        let bytes = to_bytes(&proof);
        assert_eq!(from_bytes::<LookupProof<F>>(&bytes).unwrap(), proof);
        assert!(from_bytes::<LookupProof<F>>(&bytes[..bytes.len() - 3]).is_err());
    }
}

/// Checks of different bounds in one lookup: the 10-bit check's 5-bit limbs share the 33-bit
/// check's top-limb table (one multiplicity vector counts both), every claim holds, and the proof
/// verifies for its own shapes only.
#[test]
fn batched_range_checks_share_tables() {
    let wide = ints(&[(1 << 33) - 1, 5123456789, 0, 7]);
    let narrow = ints(&[1023, 0]);
    let checks = vec![
        RangeWitness::new(&[&wide], 33).unwrap(),
        RangeWitness::new(&[&narrow], 10).unwrap(),
    ];
    let batch = RangeWitness::batch(checks.clone());
    assert_eq!(table_logs(batch.shapes()), vec![7, 5]);
    // The 5-bit table counts the wide check's top limbs and the narrow check's two limbs.
    let counted = |w: &RangeWitness<F>, t| -> F { w.multiplicities(t).unwrap().iter().sum() };
    assert_eq!(counted(&batch, 1), F::from(4 + 2 * 2u64));
    assert_eq!(counted(&batch, 0), counted(&checks[0], 0));
    let (proof, claims) = prove_range(&batch, &mut tr()).unwrap();
    let v = verify_range(batch.shapes(), &proof, &mut tr()).unwrap();
    assert_eq!(v, claims);
    assert!(holds(&v.values[0][0], &wide) && holds(&v.values[1][0], &narrow));
    for (c, check) in v.committed_limbs.iter().enumerate() {
        for (j, limb) in check[0].iter().enumerate() {
            assert!(holds(limb, &batch.committed_limbs(c, 0).unwrap()[j]));
        }
    }
    for (t, c) in v.multiplicities.iter().enumerate() {
        assert!(holds(c, batch.multiplicities(t).unwrap()));
    }
    // Other shapes (another bound, the checks swapped, one left out) reject the proof.
    let shape = |bits, log| RangeShape {
        bits,
        log_lens: vec![log],
    };
    for shapes in [
        vec![shape(33, 2), shape(11, 1)],
        vec![shape(10, 1), shape(33, 2)],
        vec![shape(33, 2)],
    ] {
        assert!(
            verify_range(&shapes, &proof, &mut tr()).is_err(),
            "{shapes:?}"
        );
    }
    assert!(verify_range::<F, _>(&[], &proof, &mut tr()).is_err());
}

#[test]
fn range_boundaries() {
    for bits in [16u32, 20] {
        let edge = 1i128 << bits;
        for ok in [0, edge - 1] {
            let v = ints(&[ok, 0]);
            assert!(
                RangeWitness::new(&[&v], bits).is_ok(),
                "{ok} in [0, 2^{bits})"
            );
        }
        for bad in [-1, edge] {
            let v = ints(&[bad, 0]);
            assert!(
                matches!(
                    RangeWitness::new(&[&v], bits),
                    Err(GkrError::OutOfRange { .. })
                ),
                "{bad}"
            );
        }
        // p − 1 is −1; a non-integer element is rejected too.
        let v = vec![-F::ONE, F::ZERO];
        assert!(RangeWitness::new(&[&v], bits).is_err());
        let v = vec![F::from(2u64).inverse().unwrap(), F::ZERO];
        assert!(RangeWitness::new(&[&v], bits).is_err());
    }
    assert!(
        RangeWitness::<F>::new(&[&[F::ZERO; 3]], 16).is_err(),
        "length 3"
    );
    assert!(RangeWitness::<F>::new(&[&[F::ZERO; 2]], 0).is_err());
    assert!(
        RangeWitness::<F>::new(&[&[F::ZERO; 2]], 60).is_err(),
        "beyond M61's signed range"
    );
}

/// A cheating prover looks up values outside the table with the best multiplicities it can form.
#[test]
fn values_outside_the_table_are_rejected() {
    let table = Table::<F>::range(4);
    for bad in [
        ints(&[16, 1, 2, 3]),
        ints(&[-1, 1, 2, 3]),
        vec![-F::ONE; 4],
        ints(&[1 << 20, 0, 0, 0]),
    ] {
        let segment = vec![bad.clone()];
        let mut m = vec![F::ZERO; 16];
        for x in &bad {
            if let Some(i) = x.to_signed().filter(|i| (0..16).contains(i)) {
                m[i as usize] += F::ONE;
            }
        }
        // Also try to balance the sum by claiming the bad value as a multiplicity elsewhere.
        for fudge in [F::ZERO, F::ONE] {
            let mut m2 = m.clone();
            m2[15] += fudge;
            let (proof, _) =
                prove_lookup(&table, std::slice::from_ref(&segment), &m2, &mut tr()).unwrap();
            let r = verify_lookup(&table, &[2], &proof, &mut tr());
            assert!(matches!(r, Err(GkrError::RootNumerator)), "{r:?}");
        }
    }
    assert!(matches!(
        multiplicities(&table, &[vec![ints(&[16, 0])]]),
        Err(GkrError::NotInTable {
            segment: 0,
            index: 0
        })
    ));
}

#[test]
fn input_output_tables_and_tampering() {
    // An "exp-like" table: inputs −8..8, outputs f(x) = x² + 3.
    let f = |x: i128| x * x + 3;
    let outputs: Vec<F> = ints(&(-8..8).map(f).collect::<Vec<_>>());
    let table = Table::new(
        4,
        vec![
            TableColumn::Range {
                start: F::from_signed(-8).unwrap(),
            },
            TableColumn::Values(outputs),
        ],
    )
    .unwrap();
    let xs: Vec<i128> = vec![-8, -1, 0, 7, 3, 3, -5, 2];
    let seg = vec![
        ints(&xs),
        ints(&xs.iter().map(|&x| f(x)).collect::<Vec<_>>()),
    ];
    let m = multiplicities(&table, std::slice::from_ref(&seg)).unwrap();
    let (proof, claims) = prove_lookup(&table, std::slice::from_ref(&seg), &m, &mut tr()).unwrap();
    let v = verify_lookup(&table, &[3], &proof, &mut tr()).unwrap();
    assert_eq!(v, claims);
    assert!(holds(&v.segments[0][0], &seg[0]) && holds(&v.segments[0][1], &seg[1]));
    assert!(holds(&v.multiplicities[0], &m));

    // A wrong output (x = 3 ↦ 13 instead of 12) is not in the table.
    let mut wrong = seg.clone();
    wrong[1][4] += F::ONE;
    assert!(multiplicities(&table, &[wrong.clone()]).is_err());
    let (p2, _) = prove_lookup(&table, &[wrong], &m, &mut tr()).unwrap();
    assert!(verify_lookup(&table, &[3], &p2, &mut tr()).is_err());

    // Wrong multiplicities.
    let mut m2 = m.clone();
    m2[0] += F::ONE;
    let (p3, _) = prove_lookup(&table, std::slice::from_ref(&seg), &m2, &mut tr()).unwrap();
    assert!(matches!(
        verify_lookup(&table, &[3], &p3, &mut tr()),
        Err(GkrError::RootNumerator)
    ));

    // Tampered stated evaluations and GKR layers.
    let mut bad = proof.clone();
    bad.segment_evals[0][1] += F::ONE;
    assert!(matches!(
        verify_lookup(&table, &[3], &bad, &mut tr()),
        Err(GkrError::LeafMismatch)
    ));
    let mut bad = proof.clone();
    bad.multiplicity_evals[0] += F::ONE;
    assert!(matches!(
        verify_lookup(&table, &[3], &bad, &mut tr()),
        Err(GkrError::LeafMismatch)
    ));
    let mut bad = proof.clone();
    bad.fraction.layers[1].final_evals[0][2] += F::ONE;
    assert!(verify_lookup(&table, &[3], &bad, &mut tr()).is_err());
    let mut bad = proof.clone();
    bad.segment_evals.pop();
    assert!(verify_lookup(&table, &[3], &bad, &mut tr()).is_err());
    // Wrong public shape.
    assert!(verify_lookup(&table, &[4], &proof, &mut tr()).is_err());
}

/// Segments of different sizes (one row, two, sixteen) each end at their own point; a wrong row in
/// the one-row segment is caught like any other.
#[test]
fn segments_of_mixed_sizes_including_one_row() {
    let table = Table::<F>::range(4);
    let segments = vec![
        vec![ints(&[9])],
        vec![ints(&[3, 15])],
        vec![ints(&(0..16).map(|i| (i * 5) % 16).collect::<Vec<_>>())],
    ];
    let logs = [0usize, 1, 4];
    let m = multiplicities(&table, &segments).unwrap();
    let (proof, claims) = prove_lookup(&table, &segments, &m, &mut tr()).unwrap();
    let v = verify_lookup(&table, &logs, &proof, &mut tr()).unwrap();
    assert_eq!(v, claims);
    for (seg, c) in segments.iter().zip(&v.segments) {
        assert!(holds(&c[0], &seg[0]));
    }
    assert!(v.segments[0][0].point.is_empty());
    assert!(holds(&v.multiplicities[0], &m));

    let mut bad = segments.clone();
    bad[0][0][0] = F::from(16u64);
    let (p2, _) = prove_lookup(&table, &bad, &m, &mut tr()).unwrap();
    assert!(matches!(
        verify_lookup(&table, &logs, &p2, &mut tr()),
        Err(GkrError::RootNumerator)
    ));
    let mut bad = proof.clone();
    bad.segment_evals[0][0] += F::ONE;
    assert!(matches!(
        verify_lookup(&table, &logs, &bad, &mut tr()),
        Err(GkrError::LeafMismatch)
    ));
    assert!(verify_lookup(&table, &[1, 1, 4], &proof, &mut tr()).is_err());
}

/// Several tables in one lookup: a one-column range table and a two-column input/output table,
/// each with its own segments and multiplicities. Rows are tagged by table: a row of table 0
/// claimed for table 1, a table's multiplicities counted in the other, or a segment moved to the
/// other table in the public shape are all rejected.
#[test]
fn several_tables_in_one_lookup() {
    let small = Table::<F>::range(2);
    let pairs = Table::new(
        3,
        vec![
            TableColumn::Range { start: F::ZERO },
            TableColumn::Values(ints(&(0..8).map(|x| 3 * x).collect::<Vec<_>>())),
        ],
    )
    .unwrap();
    let tables = [small, pairs];
    let a = vec![ints(&[3, 0, 1, 1])];
    let b = vec![ints(&[7, 2]), ints(&[21, 6])];
    let m0 = multiplicities(&tables[0], std::slice::from_ref(&a)).unwrap();
    let m1 = multiplicities(&tables[1], std::slice::from_ref(&b)).unwrap();
    let segments = vec![(0, a.clone()), (1, b.clone())];
    let logs = [(0usize, 2usize), (1, 1)];
    let shape = LookupShape {
        tables: &tables,
        segments: &logs,
    };
    let (proof, claims) = prove_lookups(&tables, &segments, &[&m0, &m1], &mut tr()).unwrap();
    let v = verify_lookups(&shape, &proof, &mut tr()).unwrap();
    assert_eq!(v, claims);
    assert!(holds(&v.segments[0][0], &a[0]));
    assert!(holds(&v.segments[1][0], &b[0]) && holds(&v.segments[1][1], &b[1]));
    assert!(holds(&v.multiplicities[0], &m0) && holds(&v.multiplicities[1], &m1));

    // A segment moved to the other table (as rows of it) verifies under the shape that says so,
    // not under the original one: the public shape fixes each segment's table.
    let one_col = vec![ints(&[3, 0, 1, 1]), ints(&[9, 0, 3, 3])];
    let m1_wide = multiplicities(&tables[1], &[b.clone(), one_col.clone()]).unwrap();
    let moved = vec![(1, one_col), (1, b.clone())];
    let zero = vec![F::ZERO; 4];
    let (p2, _) = prove_lookups(&tables, &moved, &[&zero, &m1_wide], &mut tr()).unwrap();
    let moved_logs = [(1usize, 2usize), (1, 1)];
    let moved_shape = LookupShape {
        tables: &tables,
        segments: &moved_logs,
    };
    assert!(verify_lookups(&moved_shape, &p2, &mut tr()).is_ok());
    assert!(verify_lookups(&shape, &p2, &mut tr()).is_err());
    // A row of the small table counted in the other table's multiplicities.
    let mut m0_short = m0.clone();
    m0_short[3] -= F::ONE;
    let mut m1_long = m1.clone();
    m1_long[3] += F::ONE;
    let (p3, _) = prove_lookups(&tables, &segments, &[&m0_short, &m1_long], &mut tr()).unwrap();
    assert!(matches!(
        verify_lookups(&shape, &p3, &mut tr()),
        Err(GkrError::RootNumerator)
    ));
    // A segment naming a table that does not exist, and multiplicities for too few tables.
    let bad_logs = [(0usize, 2usize), (2, 1)];
    let bad_shape = LookupShape {
        tables: &tables,
        segments: &bad_logs,
    };
    assert!(verify_lookups(&bad_shape, &proof, &mut tr()).is_err());
    assert!(prove_lookups(&tables, &segments, &[&m0], &mut tr()).is_err());
}

/// Many small segments share a few trees (bins of `2^L` leaves, the last one padded) while a large
/// one keeps its own: every claim holds, segments of one size share their point, a wrong row or a
/// tampered evaluation of any packed segment is rejected.
#[test]
fn small_segments_are_packed_into_bins() {
    let tables = [Table::<F>::range(4), Table::<F>::range(3)];
    let big: Vec<F> = ints(&(0..1024).map(|i| (i * 7) % 16).collect::<Vec<_>>());
    let mut segments = vec![(0usize, vec![big])];
    for (j, log) in [5usize, 0, 3, 5, 1, 4, 3, 0, 2, 5].into_iter().enumerate() {
        let table = j % 2;
        let modulus = 16 >> table;
        let column = ints(
            &(0..1 << log)
                .map(|i| (i * 3 + j as i128) % modulus)
                .collect::<Vec<_>>(),
        );
        segments.push((table, vec![column]));
    }
    let logs: Vec<(usize, usize)> = segments
        .iter()
        .map(|(t, s)| (*t, s[0].len().trailing_zeros() as usize))
        .collect();
    let shape = LookupShape {
        tables: &tables,
        segments: &logs,
    };
    let of = |t: usize, segs: &[(usize, Vec<Vec<F>>)]| -> Vec<F> {
        let mine: Vec<Vec<Vec<F>>> = segs
            .iter()
            .filter(|s| s.0 == t)
            .map(|s| s.1.clone())
            .collect();
        multiplicities(&tables[t], &mine).unwrap()
    };
    let (m0, m1) = (of(0, &segments), of(1, &segments));
    let (proof, claims) = prove_lookups(&tables, &segments, &[&m0, &m1], &mut tr()).unwrap();
    let v = verify_lookups(&shape, &proof, &mut tr()).unwrap();
    assert_eq!(v, claims);
    // Two tables, the large segment, and three bins of 2^6 leaves for the 136 small rows (the
    // last one padded): six trees instead of thirteen.
    assert_eq!(proof.fraction.tops.len(), 6);
    for ((_, seg), c) in segments.iter().zip(&v.segments) {
        assert!(holds(&c[0], &seg[0]));
    }
    let points = |log: usize| -> Vec<&Vec<F>> {
        let with = logs.iter().zip(&v.segments).filter(|((_, l), _)| *l == log);
        with.map(|(_, c)| &c[0].point).collect()
    };
    for log in [0, 3, 5] {
        let p = points(log);
        assert!(p.len() >= 2 && p.iter().all(|x| *x == p[0]), "size 2^{log}");
    }
    // Tampered evaluations of packed segments (one in a full bin, one in the padded bin).
    for s in [1, 8, 10] {
        let mut bad = proof.clone();
        bad.segment_evals[s][0] += F::ONE;
        assert!(
            matches!(
                verify_lookups(&shape, &bad, &mut tr()),
                Err(GkrError::LeafMismatch)
            ),
            "segment {s}"
        );
    }
    // A row outside its table in a packed segment, with the honest multiplicities.
    let mut wrong = segments.clone();
    wrong[4].1[0][1] = F::from(16u64);
    let (p2, _) = prove_lookups(&tables, &wrong, &[&m0, &m1], &mut tr()).unwrap();
    assert!(matches!(
        verify_lookups(&shape, &p2, &mut tr()),
        Err(GkrError::RootNumerator)
    ));
}
