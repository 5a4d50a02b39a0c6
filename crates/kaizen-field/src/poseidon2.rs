//! The Poseidon2 permutation over `F_p`, `p = 2^61 − 1`, with S-box `x^17`, at widths 8 and 16.
//!
//! `x^d` is a permutation of `F_p` iff `gcd(d, p − 1) = 1`; `p − 1 = 2·3²·5²·7·11·13·31·41·61·151·331·1321`,
//! so 3, 5, 7, 11 and 13 fail and 17 is the smallest valid exponent. This is a new instance; its
//! parameters are derived by `scripts/poseidon2_params.py`:
//!
//! * rounds: the Poseidon2 paper's security inequalities (statistical, interpolation, three Gröbner
//!   bounds, and the ePrint 2023/537 bound) at a 128-bit target give `R_F = 6, R_P = 11` for both
//!   widths; with the paper's margin (`R_F + 2`, `R_P·1.075` rounded up) we use **8 full and 12
//!   partial rounds** at widths 8 and 16;
//! * external layer: `circ(2·M4, M4, …)` with the paper's `M4`;
//! * internal layer: `M_I = J + diag(d)` with `d = (c, 1, 2, 4, …, 2^(t−2))`, `c` the first of
//!   `2, −2, 3, −3, …` for which `M_I` is invertible and the minimal polynomial of `M_I^k` is
//!   irreducible of degree `t` for `k = 1..2t` (no invariant subspace trails): `c = 5` at width 8,
//!   `c = −18` at width 16;
//! * round constants: blake3 in XOF mode on `"kaizen-rs/poseidon2/m61/x17/w{t}"`, 16 bytes per
//!   constant read little-endian and reduced mod `p` (bias below 2^-66).
//!
//! Width 16 serves the Fiat–Shamir sponge and [`hash`] (Merkle leaves); width 8 [`compress`]es two
//! 4-element digests (Merkle nodes).
use std::sync::OnceLock;

use ark_ff::{AdditiveGroup, Field};

use crate::{
    m61::{
        canonical,
        lanes::{add, mul, split},
        m61, mul_pow2, sum_lazy, value, P,
    },
    KaizenField, M61,
};

/// States [`hash_lanes`] and [`compress_lanes`] run at once, one per vector lane.
pub const LANES: usize = 8;

/// Entry `i` of [`LANES`] states: state `k`'s in lane `k` (canonical values).
type Lanes = [u64; LANES];

/// Number of full (external) rounds, split evenly before and after the partial rounds.
pub const FULL_ROUNDS: usize = 8;
/// Number of partial (internal) rounds.
pub const PARTIAL_ROUNDS: usize = 12;

/// The Poseidon2 permutation on `W` elements of `F_p`.
#[derive(Clone, Debug)]
pub struct Poseidon2<const W: usize> {
    external_constants: Vec<[M61; W]>,
    internal_constants: Vec<M61>,
    /// `d_0` of the internal layer's `diag(d)`; the others are `d_i = 2^(i−1)`.
    internal_diag0: M61,
}

impl<const W: usize> Poseidon2<W> {
    /// Builds the instance of width `W` (8 or 16) from its documented derivation.
    fn derive() -> Self {
        const { assert!(W == 8 || W == 16) };
        let domain = format!("kaizen-rs/poseidon2/m61/x17/w{W}");
        let mut xof = blake3::Hasher::new()
            .update(domain.as_bytes())
            .finalize_xof();
        let mut next = || {
            let mut buf = [0u8; 16];
            xof.fill(&mut buf);
            M61::from_uniform_bytes(&buf)
        };
        let external_constants = (0..FULL_ROUNDS)
            .map(|_| std::array::from_fn(|_| next()))
            .collect();
        let internal_constants = (0..PARTIAL_ROUNDS).map(|_| next()).collect();
        Self {
            external_constants,
            internal_constants,
            internal_diag0: M61::from(if W == 8 { 5i64 } else { -18i64 }),
        }
    }

    #[inline(always)]
    fn sbox(x: M61) -> M61 {
        let x2 = x.square();
        let x4 = x2.square();
        let x8 = x4.square();
        x8.square() * x
    }

    /// The paper's `M4` on four entries of a state.
    #[inline(always)]
    fn m4(x: &mut [M61]) {
        let y = m4_chain([x[0], x[1], x[2], x[3]], |a, b| a + b);
        x.copy_from_slice(&y);
    }

    /// `circ(2·M4, M4, …, M4)`: `M4` on each 4-chunk, then each entry plus the sum of its column.
    #[inline(always)]
    fn external_layer(state: &mut [M61; W]) {
        state.chunks_exact_mut(4).for_each(Self::m4);
        let mut sums = [M61::ZERO; 4];
        for chunk in state.chunks_exact(4) {
            for (s, v) in sums.iter_mut().zip(chunk) {
                *s += v;
            }
        }
        for (i, v) in state.iter_mut().enumerate() {
            *v += sums[i % 4];
        }
    }

    /// `M_I = J + diag(d)`: each entry becomes `Σ state + d_i·state_i` (`d_i = 2^(i−1)` a
    /// rotation for `i ≥ 1`).
    fn internal_layer(&self, state: &mut [M61; W]) {
        let sum = sum_lazy(state);
        state[0] = sum + self.internal_diag0 * state[0];
        for (k, v) in (0..).zip(&mut state[1..]) {
            *v = sum + mul_pow2(*v, k);
        }
    }

    /// Applies the permutation in place.
    pub fn permute(&self, state: &mut [M61; W]) {
        Self::external_layer(state);
        let (first, last) = self.external_constants.split_at(FULL_ROUNDS / 2);
        let full_round = |state: &mut [M61; W], rc: &[M61; W]| {
            for (v, c) in state.iter_mut().zip(rc) {
                *v = Self::sbox(*v + c);
            }
            Self::external_layer(state);
        };
        first.iter().for_each(|rc| full_round(state, rc));
        for rc in &self.internal_constants {
            state[0] = Self::sbox(state[0] + rc);
            self.internal_layer(state);
        }
        last.iter().for_each(|rc| full_round(state, rc));
    }
}

/// `M4 = [[5, 7, 1, 3], [4, 6, 1, 1], [1, 3, 5, 7], [1, 1, 4, 6]]` times `x`, with the paper's
/// chain of eight additions and four doublings under `add` (on elements, or on canonical values).
#[inline(always)]
fn m4_chain<T: Copy>(x: [T; 4], add: impl Fn(T, T) -> T) -> [T; 4] {
    let double = |a: T| add(a, a);
    let t0 = add(x[0], x[1]);
    let t1 = add(x[2], x[3]);
    let t2 = add(double(x[1]), t1);
    let t3 = add(double(x[3]), t0);
    let t4 = add(double(double(t1)), t3);
    let t5 = add(double(double(t0)), t2);
    [add(t3, t5), t5, add(t2, t4), t4]
}

/// `x^17` on a canonical value, from products of 32-bit halves (`m61::lanes`).
#[inline(always)]
fn sbox_lane(x: u64) -> u64 {
    let x2 = mul(x, split(x));
    let x4 = mul(x2, split(x2));
    let x8 = mul(x4, split(x4));
    let x16 = mul(x8, split(x8));
    mul(x16, split(x))
}

/// The lane-wise sum of `vs` (canonical values), added eight vectors at a time unreduced (as
/// [`sum_lazy`]).
#[inline(always)]
fn sum_lanes<'a>(vs: impl Iterator<Item = &'a Lanes>) -> Lanes {
    let mut out = [0u64; LANES];
    let mut acc = [0u64; LANES];
    for (n, v) in vs.enumerate() {
        if n > 0 && n % 8 == 0 {
            fold_into(&mut out, &mut acc);
        }
        acc.iter_mut().zip(v).for_each(|(a, &x)| *a += x);
    }
    fold_into(&mut out, &mut acc);
    out
}

/// `out += acc mod p` lane by lane (`acc` below `2^64`), and `acc` cleared.
#[inline(always)]
fn fold_into(out: &mut Lanes, acc: &mut Lanes) {
    for (o, a) in out.iter_mut().zip(acc.iter_mut()) {
        *o = add(*o, canonical((*a & P) + (*a >> 61)));
        *a = 0;
    }
}

impl<const W: usize> Poseidon2<W> {
    /// The permutation on [`LANES`] states at once, the same steps as [`Poseidon2::permute`] as
    /// plain loops over the lanes with 64-bit operations (products of 32-bit halves, folds by
    /// shifts and masks), which LLVM turns into vector instructions (AVX-512: one per operation
    /// for all eight lanes; the workspace builds for the building CPU).
    fn permute_lanes(&self, s: &mut [Lanes; W]) {
        Self::external_lanes(s);
        let (first, last) = self.external_constants.split_at(FULL_ROUNDS / 2);
        let full_round = |s: &mut [Lanes; W], rc: &[M61; W]| {
            for (v, &c) in s.iter_mut().zip(rc) {
                let c = value(c);
                v.iter_mut().for_each(|x| *x = sbox_lane(add(*x, c)));
            }
            Self::external_lanes(s);
        };
        first.iter().for_each(|rc| full_round(s, rc));
        let d0 = split(value(self.internal_diag0));
        for &rc in &self.internal_constants {
            let c = value(rc);
            s[0].iter_mut().for_each(|x| *x = sbox_lane(add(*x, c)));
            let sum = sum_lanes(s.iter());
            for (x, &t) in s[0].iter_mut().zip(&sum) {
                *x = add(t, mul(*x, d0));
            }
            for (k, v) in (0..).zip(&mut s[1..]) {
                for (x, &t) in v.iter_mut().zip(&sum) {
                    *x = add(t, ((*x << k) | (*x >> (61 - k))) & P);
                }
            }
        }
        last.iter().for_each(|rc| full_round(s, rc));
    }

    /// [`Poseidon2::external_layer`] on lanes.
    #[inline(always)]
    fn external_lanes(s: &mut [Lanes; W]) {
        for chunk in s.chunks_exact_mut(4) {
            let [a, b, c, d] = chunk else { continue };
            let lanes = a
                .iter_mut()
                .zip(b.iter_mut())
                .zip(c.iter_mut().zip(d.iter_mut()));
            for ((x0, x1), (x2, x3)) in lanes {
                [*x0, *x1, *x2, *x3] = m4_chain([*x0, *x1, *x2, *x3], add);
            }
        }
        let sums: [Lanes; 4] = std::array::from_fn(|j| sum_lanes(s.iter().skip(j).step_by(4)));
        for (i, v) in s.iter_mut().enumerate() {
            for (x, &t) in v.iter_mut().zip(&sums[i % 4]) {
                *x = add(*x, t);
            }
        }
    }
}

/// [`hash`] of [`LANES`] inputs, their permutations side by side in vector lanes when the inputs
/// have one length (one at a time otherwise).
pub fn hash_lanes(inputs: &[&[M61]; LANES]) -> [[M61; 4]; LANES] {
    let len = inputs[0].len();
    if inputs.iter().any(|x| x.len() != len) {
        return std::array::from_fn(|k| hash(inputs[k]));
    }
    let perm = poseidon2_16();
    let mut s = [[0u64; LANES]; 16];
    s[15] = [len as u64 % P; LANES];
    for start in (0..len.max(1)).step_by(HASH_RATE) {
        let end = len.min(start + HASH_RATE);
        for (k, input) in inputs.iter().enumerate() {
            for (v, &x) in s.iter_mut().zip(&input[start..end]) {
                v[k] = add(v[k], value(x));
            }
        }
        perm.permute_lanes(&mut s);
    }
    std::array::from_fn(|k| std::array::from_fn(|i| m61(s[i][k])))
}

/// [`compress`] of [`LANES`] pairs side by side in vector lanes.
pub fn compress_lanes(left: &[[M61; 4]; LANES], right: &[[M61; 4]; LANES]) -> [[M61; 4]; LANES] {
    let input: [Lanes; 8] = std::array::from_fn(|i| {
        std::array::from_fn(|k| value(if i < 4 { left[k][i] } else { right[k][i - 4] }))
    });
    let mut s = input;
    poseidon2_8().permute_lanes(&mut s);
    std::array::from_fn(|k| std::array::from_fn(|i| m61(add(s[i][k], input[i][k]))))
}

/// The width-16 instance (sponge and leaf hashing).
pub fn poseidon2_16() -> &'static Poseidon2<16> {
    static P: OnceLock<Poseidon2<16>> = OnceLock::new();
    P.get_or_init(Poseidon2::derive)
}

/// The width-8 instance (2-to-1 compression of 4-element digests).
pub fn poseidon2_8() -> &'static Poseidon2<8> {
    static P: OnceLock<Poseidon2<8>> = OnceLock::new();
    P.get_or_init(Poseidon2::derive)
}

/// Poseidon2 2-to-1 compression of two 4-element digests: the first half of `perm(l ‖ r) + (l ‖ r)`.
pub fn compress(left: &[M61; 4], right: &[M61; 4]) -> [M61; 4] {
    let mut state = [M61::ZERO; 8];
    state[..4].copy_from_slice(left);
    state[4..].copy_from_slice(right);
    let input = state;
    poseidon2_8().permute(&mut state);
    std::array::from_fn(|i| state[i] + input[i])
}

/// Rate of [`hash`]'s sponge (width 16, capacity 4).
pub const HASH_RATE: usize = 12;

/// Poseidon2 sponge hash of `input` to a 4-element digest (Merkle leaves): width 16, rate 12,
/// capacity 4, whose last entry starts as `input.len()` (so zero-padding the last block is
/// unambiguous); each block of 12 is added to the rate part and the state permuted (at least
/// once); the digest is the first four entries.
pub fn hash(input: &[M61]) -> [M61; 4] {
    let perm = poseidon2_16();
    let mut state = [M61::ZERO; 16];
    state[15] = M61::from(input.len() as u64);
    if input.is_empty() {
        perm.permute(&mut state);
    }
    for block in input.chunks(HASH_RATE) {
        state.iter_mut().zip(block).for_each(|(s, x)| *s += x);
        perm.permute(&mut state);
    }
    std::array::from_fn(|i| state[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_deterministic_and_diffuses() {
        let mut a = [M61::ZERO; 16];
        let mut b = [M61::ZERO; 16];
        b[15] = M61::from(1u64);
        poseidon2_16().permute(&mut a);
        poseidon2_16().permute(&mut b);
        // One changed input word changes every output word.
        assert!(a.iter().zip(&b).all(|(x, y)| x != y));
        let mut again = [M61::ZERO; 16];
        poseidon2_16().permute(&mut again);
        assert_eq!(a, again);
    }

    /// The layers are the documented matrices: `circ(2·M4, M4, …)` and `J + diag(d_0, 1, 2, 4, …)`.
    fn layers_are_their_matrices<const W: usize>(perm: &Poseidon2<W>, d0: i64) {
        const M4: [[u64; 4]; 4] = [[5, 7, 1, 3], [4, 6, 1, 1], [1, 3, 5, 7], [1, 1, 4, 6]];
        let x: [M61; W] = std::array::from_fn(|i| M61::from(u64::MAX - 977 * i as u64));
        let external = |i: usize, j: usize| {
            let m = M61::from(M4[i % 4][j % 4]);
            if i / 4 == j / 4 {
                m.double()
            } else {
                m
            }
        };
        let diag = |i: usize| match i {
            0 => M61::from(d0),
            _ => M61::from(1u64 << (i - 1)),
        };
        let internal = |i: usize, j: usize| M61::ONE + if i == j { diag(i) } else { M61::ZERO };
        let apply = |m: &dyn Fn(usize, usize) -> M61| -> [M61; W] {
            std::array::from_fn(|i| (0..W).map(|j| m(i, j) * x[j]).sum())
        };
        let mut e = x;
        Poseidon2::<W>::external_layer(&mut e);
        assert_eq!(e, apply(&external));
        let mut m = x;
        perm.internal_layer(&mut m);
        assert_eq!(m, apply(&internal));
    }

    #[test]
    fn layers_match_their_matrices() {
        layers_are_their_matrices(poseidon2_8(), 5);
        layers_are_their_matrices(poseidon2_16(), -18);
    }

    /// The lanes compute the permutation, the hash and the compression: eight states of near-`p`
    /// and small entries, inputs of lengths 0, 1, 12, 13 and 130, and inputs of different lengths.
    #[test]
    fn lanes_match_one_at_a_time() {
        let states: [[M61; 16]; LANES] = std::array::from_fn(|k| {
            std::array::from_fn(|i| M61::from(u64::MAX - (977 * i * k) as u64 - k as u64))
        });
        let mut lanes: [Lanes; 16] =
            std::array::from_fn(|i| std::array::from_fn(|k| value(states[k][i])));
        poseidon2_16().permute_lanes(&mut lanes);
        for (k, state) in states.iter().enumerate() {
            let mut one = *state;
            poseidon2_16().permute(&mut one);
            assert!((0..16).all(|i| m61(lanes[i][k]) == one[i]), "state {k}");
        }
        for len in [0usize, 1, 12, 13, 130] {
            let inputs: Vec<Vec<M61>> = (0..LANES)
                .map(|k| {
                    (0..len)
                        .map(|i| M61::from((i * 31 + k) as u64) - M61::from(k as u64 * 7))
                        .collect()
                })
                .collect();
            let refs: [&[M61]; LANES] = std::array::from_fn(|k| &inputs[k][..]);
            let expected: [[M61; 4]; LANES] = std::array::from_fn(|k| hash(&inputs[k]));
            assert_eq!(hash_lanes(&refs), expected, "length {len}");
        }
        let left: [[M61; 4]; LANES] = std::array::from_fn(|k| states[k][..4].try_into().unwrap());
        let right: [[M61; 4]; LANES] = std::array::from_fn(|k| states[k][4..8].try_into().unwrap());
        let expected: [[M61; 4]; LANES] = std::array::from_fn(|k| compress(&left[k], &right[k]));
        assert_eq!(compress_lanes(&left, &right), expected);
        let ragged: Vec<Vec<M61>> = (0..LANES).map(|k| vec![M61::from(3u64); k]).collect();
        let refs: [&[M61]; LANES] = std::array::from_fn(|k| &ragged[k][..]);
        assert_eq!(hash_lanes(&refs), std::array::from_fn(|k| hash(&ragged[k])));
    }

    #[test]
    fn sbox_is_a_permutation_exponent() {
        // gcd(17, p − 1) = 1, while 3..=13 (odd) all divide p − 1.
        let p_minus_1: u64 = (1u64 << 61) - 2;
        for d in [3u64, 5, 7, 11, 13] {
            assert_eq!(p_minus_1 % d, 0);
        }
        assert_ne!(p_minus_1 % 17, 0);
    }

    /// The hash binds every element, the order and the length (zero padding included).
    #[test]
    fn hash_binds_elements_order_and_length() {
        let x: Vec<M61> = (1..=30u64).map(M61::from).collect();
        let h = hash(&x);
        assert_eq!(h, hash(&x));
        let mut y = x.clone();
        y[29] += M61::from(1u64);
        assert_ne!(h, hash(&y));
        y = x.clone();
        y.swap(0, 1);
        assert_ne!(h, hash(&y));
        let zeros = [M61::ZERO; 13];
        let digests: Vec<[M61; 4]> = (0..=13).map(|n| hash(&zeros[..n])).collect();
        for (i, a) in digests.iter().enumerate() {
            assert!(digests[i + 1..].iter().all(|b| a != b), "length {i}");
        }
    }

    #[test]
    fn compress_depends_on_order() {
        let l = [
            M61::from(1u64),
            M61::from(2u64),
            M61::from(3u64),
            M61::from(4u64),
        ];
        let r = [
            M61::from(5u64),
            M61::from(6u64),
            M61::from(7u64),
            M61::from(8u64),
        ];
        assert_ne!(compress(&l, &r), compress(&r, &l));
    }
}
