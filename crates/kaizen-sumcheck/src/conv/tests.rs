use super::*;
use ark_std::UniformRand;
use kaizen_field::{Blake3Transcript, M61Ext2, MultilinearPoly};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

type F = M61Ext2;

fn p2(n: usize) -> usize {
    n.next_power_of_two()
}

fn eval(table: &[F], point: &[F]) -> F {
    MultilinearPoly::new(table.to_vec())
        .unwrap()
        .evaluate(point)
        .unwrap()
}

fn rand_vec(rng: &mut ChaCha20Rng, n: usize) -> Vec<F> {
    (0..n).map(|_| F::rand(rng)).collect()
}

/// A random tensor of shape `dims`, zero on the power-of-two padding.
fn tensor(rng: &mut ChaCha20Rng, dims: [usize; 4]) -> Vec<F> {
    let mut t = vec![F::from(0u64); dims.iter().map(|&d| p2(d)).product()];
    for a in 0..dims[0] {
        for b in 0..dims[1] {
            for c in 0..dims[2] {
                for d in 0..dims[3] {
                    t[idx(dims, [a, b, c, d])] = F::rand(rng);
                }
            }
        }
    }
    t
}

fn idx(dims: [usize; 4], at: [usize; 4]) -> usize {
    ((at[0] * p2(dims[1]) + at[1]) * p2(dims[2]) + at[2]) * p2(dims[3]) + at[3]
}

/// The padded tensors of one convolution and its two gradients, computed naively.
struct Case {
    x: Vec<F>,
    w: Vec<F>,
    dy: Vec<F>,
    y: Vec<F>,
    dx: Vec<F>,
    dw: Vec<F>,
    xs: [usize; 4],
    ws: [usize; 4],
    axis: [ConvAxis; 2],
}

fn case(seed: u64, ((b, c, o, h, w), k, s, pad): Shape) -> Case {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let axis = |n: usize| ConvAxis {
        input: n,
        output: (n + 2 * pad - k) / s + 1,
        kernel: k,
        stride: s,
        padding: pad,
    };
    let axis = [axis(h), axis(w)];
    let (xs, ws, ys) = (
        [b, c, h, w],
        [o, c, k, k],
        [b, o, axis[0].output, axis[1].output],
    );
    let (x, wt, dy) = (
        tensor(&mut rng, xs),
        tensor(&mut rng, ws),
        tensor(&mut rng, ys),
    );
    let zero = F::from(0u64);
    let (mut y, mut dx, mut dw) = (
        vec![zero; dy.len()],
        vec![zero; x.len()],
        vec![zero; wt.len()],
    );
    for n in 0..b {
        for oc in 0..o {
            for ic in 0..c {
                for (i, u, xi) in axis[0].taps() {
                    for (j, v, yj) in axis[1].taps() {
                        let (xa, wa, ya) = (
                            idx(xs, [n, ic, xi, yj]),
                            idx(ws, [oc, ic, u, v]),
                            idx(ys, [n, oc, i, j]),
                        );
                        y[ya] += x[xa] * wt[wa];
                        dx[xa] += dy[ya] * wt[wa];
                        dw[wa] += dy[ya] * x[xa];
                    }
                }
            }
        }
    }
    Case {
        x,
        w: wt,
        dy,
        y,
        dx,
        dw,
        xs,
        ws,
        axis,
    }
}

/// Maps a point of a bound table to the point of its tensor.
type PointMap = Box<dyn Fn(&[F]) -> Vec<F>>;

fn v(n: usize) -> usize {
    p2(n).trailing_zeros() as usize
}

/// Proves and verifies claim `which` (0: forward, 1: input gradient, 2: kernel gradient) of a case
/// at a random point, after `tamper` changed the prover's `P`, `Q` or claimed value; `Ok(true)`
/// when the claims left on `P` and `Q` are true of the real tensors.
fn run(
    c: &Case,
    which: usize,
    seed: u64,
    tamper: impl Fn(&mut Vec<F>, &mut Vec<F>, &mut F),
) -> Result<bool, SumcheckError> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let [ah, aw] = c.axis;
    let (vk, vh, vw, vho, vwo) = (
        v(ah.kernel),
        v(ah.input),
        v(aw.input),
        v(ah.output),
        v(aw.output),
    );
    let (vb, vc, vo) = (v(c.xs[0]), v(c.xs[1]), v(c.ws[0]));
    // Each claim: the tensor it is on, its point split (lowest first), and how P and Q arise.
    let (target, pt) = match which {
        0 => (&c.y, rand_vec(&mut rng, vwo + vho + vo + vb)),
        1 => (&c.dx, rand_vec(&mut rng, vw + vh + vc + vb)),
        _ => (&c.dw, rand_vec(&mut rng, vk + vk + vc + vo)),
    };
    let mut claim = eval(target, &pt);
    let (dims, mut p, mut q, s, p_tensor, q_tensor, p_at, q_at): (
        _,
        _,
        _,
        [Sparse<F>; 2],
        _,
        _,
        PointMap,
        PointMap,
    ) = match which {
        0 => {
            let (r_j, r_i, r_o, r_b) = (
                &pt[..vwo],
                &pt[vwo..vwo + vho],
                &pt[vwo + vho..vwo + vho + vo],
                pt[vwo + vho + vo..].to_vec(),
            );
            let r_o2 = r_o.to_vec();
            (
                ConvDims {
                    g: vc,
                    a: [vk, vk],
                    b: [vh, vw],
                },
                fix_block(&c.w, 1 << (vc + 2 * vk), r_o).unwrap(),
                fix_block(&c.x, 1 << (vc + vh + vw), &r_b).unwrap(),
                [ah.at_output(r_i).unwrap(), aw.at_output(r_j).unwrap()],
                &c.w,
                &c.x,
                Box::new(move |rho: &[F]| [rho, &r_o2].concat()),
                Box::new(move |sig: &[F]| [sig, &r_b].concat()),
            )
        }
        1 => {
            let (r_y, r_x, r_c, r_b) = (
                &pt[..vw],
                &pt[vw..vw + vh],
                pt[vw + vh..vw + vh + vc].to_vec(),
                pt[vw + vh + vc..].to_vec(),
            );
            let rc = r_c.clone();
            (
                ConvDims {
                    g: vo,
                    a: [vk, vk],
                    b: [vho, vwo],
                },
                fix_block(&c.w, 1 << (2 * vk), &r_c).unwrap(),
                fix_block(&c.dy, 1 << (vo + vho + vwo), &r_b).unwrap(),
                [ah.at_input(r_x).unwrap(), aw.at_input(r_y).unwrap()],
                &c.w,
                &c.dy,
                Box::new(move |rho: &[F]| [&rho[..2 * vk], &rc, &rho[2 * vk..]].concat()),
                Box::new(move |sig: &[F]| [sig, &r_b].concat()),
            )
        }
        _ => {
            let (r_v, r_u, r_c, r_o) = (
                &pt[..vk],
                &pt[vk..2 * vk],
                pt[2 * vk..2 * vk + vc].to_vec(),
                pt[2 * vk + vc..].to_vec(),
            );
            let (ro, rc) = (r_o.clone(), r_c.clone());
            let na = vho + vwo;
            let nb = vh + vw;
            (
                ConvDims {
                    g: vb,
                    a: [vho, vwo],
                    b: [vh, vw],
                },
                fix_block(&c.dy, 1 << na, &r_o).unwrap(),
                fix_block(&c.x, 1 << nb, &r_c).unwrap(),
                [ah.at_kernel(r_u).unwrap(), aw.at_kernel(r_v).unwrap()],
                &c.dy,
                &c.x,
                Box::new(move |rho: &[F]| [&rho[..na], &ro, &rho[na..]].concat()),
                Box::new(move |sig: &[F]| [&sig[..nb], &rc, &sig[nb..]].concat()),
            )
        }
    };
    tamper(&mut p, &mut q, &mut claim);
    let s_ref = [&s[0], &s[1]];
    let mut tp = Blake3Transcript::new(b"conv");
    let (proof, claims) = prove_conv(dims, &p, &q, s_ref, claim, &mut tp)?;
    let mut tv = Blake3Transcript::new(b"conv");
    let vclaims = verify_conv(dims, s_ref, claim, &proof, &mut tv)?;
    assert_eq!(claims, vclaims);
    Ok(eval(p_tensor, &p_at(&claims.p.point)) == claims.p.value
        && eval(q_tensor, &q_at(&claims.q.point)) == claims.q.value)
}

/// `(batch, in channels, out channels, height, width)`, kernel, stride, padding.
type Shape = ((usize, usize, usize, usize, usize), usize, usize, usize);

const SHAPES: [Shape; 5] = [
    ((2, 3, 4, 7, 6), 3, 1, 0),
    ((1, 2, 3, 8, 8), 5, 1, 2),
    ((2, 1, 2, 7, 5), 3, 2, 1),
    ((4, 3, 1, 6, 6), 2, 2, 0),
    ((1, 2, 2, 5, 4), 1, 1, 0),
];

#[test]
fn forward_and_both_gradients_complete_with_true_claims() {
    for (n, &(dims, k, s, pad)) in SHAPES.iter().enumerate() {
        let c = case(n as u64, (dims, k, s, pad));
        for which in 0..3 {
            let ok = run(&c, which, 10 + which as u64, |_, _, _| {});
            assert!(
                matches!(ok, Ok(true)),
                "{dims:?} k{k} s{s} p{pad} claim {which}: {ok:?}"
            );
        }
    }
}

/// A wrong claimed value is rejected outright; a prover with a wrong `P` or `Q` either fails or
/// leaves a claim that is false of the real tensor (caught by its opening) — at every entry.
#[test]
fn wrong_claims_and_witnesses_are_rejected() {
    let c = case(7, ((2, 3, 4, 7, 6), 3, 1, 1));
    for which in 0..3 {
        assert!(
            run(&c, which, 1, |_, _, v| *v += F::from(1u64)).is_err(),
            "claim {which}"
        );
        for at in [0, 3, 5, 17] {
            let one = F::from(1u64);
            assert!(
                !matches!(run(&c, which, 2, |p, _, _| p[at] += one), Ok(true)),
                "P[{at}] of {which}"
            );
            assert!(
                !matches!(run(&c, which, 3, |_, q, _| q[at] += one), Ok(true)),
                "Q[{at}] of {which}"
            );
        }
    }
}

#[test]
fn tampered_proofs_and_foreign_selectors_are_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let axis = ConvAxis {
        input: 6,
        output: 4,
        kernel: 3,
        stride: 1,
        padding: 0,
    };
    let dims = ConvDims {
        g: 1,
        a: [2, 2],
        b: [3, 3],
    };
    let (p, q) = (rand_vec(&mut rng, 1 << 5), rand_vec(&mut rng, 1 << 7));
    let (ri, rj) = (rand_vec(&mut rng, 2), rand_vec(&mut rng, 2));
    let s = [axis.at_output(&ri).unwrap(), axis.at_output(&rj).unwrap()];
    let z = spread_back(dims, &q, [&s[0], &s[1]]);
    let claim: F = p.iter().zip(&z).map(|(&a, &b)| a * b).sum();
    let mut tp = Blake3Transcript::new(b"conv");
    let (proof, _) = prove_conv(dims, &p, &q, [&s[0], &s[1]], claim, &mut tp).unwrap();
    let verify = |proof: &ConvProof<F>, s: &[Sparse<F>; 2]| {
        verify_conv(
            dims,
            [&s[0], &s[1]],
            claim,
            proof,
            &mut Blake3Transcript::new(b"conv"),
        )
    };
    assert!(verify(&proof, &s).is_ok());
    let mut bad = proof.clone();
    bad.fold.rounds[1].evals[0] += F::from(1u64);
    assert!(verify(&bad, &s).is_err());
    let mut bad = proof.clone();
    bad.spread.final_evals[0][1] += F::from(1u64);
    assert!(matches!(
        verify(&bad, &s),
        Err(SumcheckError::FinalEvaluation)
    ));
    let mut bad = proof.clone();
    bad.fold.final_evals[0][1] += F::from(1u64);
    assert!(verify(&bad, &s).is_err());
    // The verifier's selectors bind the claim's point: other ones reject.
    let other = [axis.at_output(&rj).unwrap(), axis.at_output(&ri).unwrap()];
    assert!(verify(&proof, &other).is_err());
    // Malformed dimensions are errors, not panics.
    let wrong = ConvDims {
        g: 1,
        a: [2, 1],
        b: [3, 3],
    };
    assert!(matches!(
        prove_conv(wrong, &p, &q, [&s[0], &s[1]], claim, &mut tp),
        Err(SumcheckError::MatrixShape(_))
    ));
    assert!(prove_conv(dims, &p[..16], &q, [&s[0], &s[1]], claim, &mut tp).is_err());
    assert!(axis.at_output::<F>(&ri[..1]).is_err());
    let outside = Sparse {
        a_vars: 2,
        b_vars: 3,
        entries: vec![(4, 0, F::from(1u64))],
    };
    assert!(prove_conv(dims, &p, &q, [&outside, &s[1]], claim, &mut tp).is_err());
}

/// A pooling window sum (floor mode: the last row and column of a 7×5 input belong to no window)
/// is a spread with the window selectors; a broadcast is the spread of the transposes.
#[test]
fn pooling_window_sums_and_broadcasts_are_spreads() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let (ah, aw) = (ConvAxis::pool(7, 2), ConvAxis::pool(5, 2));
    let (sh, sw) = (ah.windows::<F>(), aw.windows::<F>());
    let x = rand_vec(&mut rng, 8 * 8);
    let mut sums = vec![F::from(0u64); 4 * 2];
    for (i, _, xi) in ah.taps() {
        for (j, _, yj) in aw.taps() {
            sums[i * 2 + j] += x[xi * 8 + yj];
        }
    }
    let r = rand_vec(&mut rng, 3);
    let (r_j, r_i) = r.split_at(1);
    let claim = eval(&sums, &r);
    let mut tp = Blake3Transcript::new(b"pool");
    let (proof, cq) = prove_spread(&x, [(&sh, r_i), (&sw, r_j)], claim, &mut tp).unwrap();
    let mut tv = Blake3Transcript::new(b"pool");
    let vq = verify_spread([(&sh, r_i), (&sw, r_j)], claim, &proof, &mut tv).unwrap();
    assert_eq!(cq, vq);
    assert_eq!(eval(&x, &cq.point), cq.value);
    let mut tv = Blake3Transcript::new(b"pool");
    assert!(verify_spread(
        [(&sh, r_i), (&sw, r_j)],
        claim + F::from(1u64),
        &proof,
        &mut tv
    )
    .is_err());
    // Broadcast: every covered input gets its window's value, uncovered ones 0.
    let (th, tw) = (sh.transpose(), sw.transpose());
    let mut bcast = vec![F::from(0u64); 64];
    for (i, _, xi) in ah.taps() {
        for (j, _, yj) in aw.taps() {
            bcast[xi * 8 + yj] = sums[i * 2 + j];
        }
    }
    let r = rand_vec(&mut rng, 6);
    let (r_y, r_x) = r.split_at(3);
    let claim = eval(&bcast, &r);
    let mut tp = Blake3Transcript::new(b"pool");
    let (_, cq) = prove_spread(&sums, [(&th, r_x), (&tw, r_y)], claim, &mut tp).unwrap();
    assert_eq!(eval(&sums, &cq.point), cq.value);
}
