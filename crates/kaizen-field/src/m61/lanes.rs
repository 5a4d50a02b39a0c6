//! M61² in vector lanes: the batched Reed–Solomon kernel behind M61²'s
//! [`KaizenField::encode_rows_batched`](crate::KaizenField::encode_rows_batched), and the
//! table fold behind its [`KaizenField::lerp_in_place`](crate::KaizenField::lerp_in_place)
//! (eight elements per step on their interleaved parts, products of 31-bit halves summed
//! before one Mersenne fold).
//!
//! Sixteen base-field rows (codewords of up to `2^16` entries) go through one FFT as eight packed
//! pairs `(x + i·y)/2`, one pair per lane ([`Radix2Domain::encode_packed_pair`]). The lane
//! arithmetic is plain loops over `[u64; 8]` using 64-bit operations only — products of 32-bit
//! halves, Mersenne folds by shifts and masks — which LLVM turns into vector instructions where
//! the target has them (with AVX-512, one instruction per operation for all eight lanes; the
//! workspace builds for the building CPU, `.cargo/config.toml`).
use std::{array::from_fn, cell::RefCell};

use super::{canonical, m61, value, M61Ext2, P};
use crate::{
    fft::{FftEntry, QuarterTurn, Radix2Domain},
    AdditiveGroup,
};

/// Elements per vector.
const LANES: usize = 8;

/// Whether M61²'s [`crate::KaizenField`] methods take the lanes: in builds with 256-bit vectors or
/// wider (AVX2, AVX-512). With baseline x86-64's two 64-bit lanes (SSE2) both kernels are slower
/// than their scalar forms (criterion, same machine, three builds): the fold 5.4 ns per element
/// against 4.1 ns one `lerp` at a time (AVX2 2.7 ns, AVX-512 2.0 ns), sixteen rows of 2^13 → 2^15
/// encoded 21.2 ms against 12.3 ms as eight pairs (AVX2 7.0 against 9.4 ms, AVX-512 6.2 against
/// 7.7 ms). M61²'s trait methods check it; the kernels themselves work on any target, and the
/// tests run them everywhere.
pub(super) const WIDE_VECTORS: bool = cfg!(target_feature = "avx2");

type Lanes = [u64; LANES];

/// Eight M61² elements: canonical real and imaginary parts, one element per lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ext2Lanes {
    re: Lanes,
    im: Lanes,
}

/// `a + b` for canonical values.
#[inline(always)]
pub(crate) fn add(a: u64, b: u64) -> u64 {
    canonical(a + b)
}

#[inline(always)]
fn sub(a: u64, b: u64) -> u64 {
    canonical(a + P - b)
}

/// The halves `(b mod 2^32, ⌊b / 2^32⌋)` of a canonical `b` (the high one below `2^29`).
#[inline(always)]
pub(crate) fn split(b: u64) -> (u64, u64) {
    (b & 0xffff_ffff, b >> 32)
}

/// `a·b mod p` from the four products of 32-bit halves: with `a·b = hh·2^64 + mid·2^32 + ll`,
/// `2^64 ≡ 8` and `2^61 ≡ 1`, so `mid·2^32 ≡ ⌊mid / 2^29⌋ + (mid mod 2^29)·2^32` and
/// `ll ≡ (ll mod 2^61) + ⌊ll / 2^61⌋`; the five terms sum below `2^63`, and one more fold leaves
/// less than `2p`.
#[inline(always)]
pub(crate) fn mul(a: u64, (b0, b1): (u64, u64)) -> u64 {
    let (a0, a1) = split(a);
    let (ll, hh) = (a0 * b0, a1 * b1);
    let mid = a0 * b1 + a1 * b0;
    let s = (hh << 3) + (mid >> 29) + ((mid << 35) >> 3) + (ll & P) + (ll >> 61);
    canonical((s & P) + (s >> 61))
}

/// `a / 2`: `a >> 1` when `a` is even, `(a + p) / 2 = (a − 1)/2 + 2^60` when odd.
#[inline(always)]
fn half(a: u64) -> u64 {
    (a >> 1) + ((a & 1) << 60)
}

impl Ext2Lanes {
    const ZERO: Self = Self {
        re: [0; LANES],
        im: [0; LANES],
    };

    /// Lane `l`.
    fn lane(&self, l: usize) -> M61Ext2 {
        M61Ext2::new(m61(self.re[l]), m61(self.im[l]))
    }
}

impl FftEntry<M61Ext2> for Ext2Lanes {
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self {
            re: from_fn(|l| add(self.re[l], other.re[l])),
            im: from_fn(|l| add(self.im[l], other.im[l])),
        }
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Self {
            re: from_fn(|l| sub(self.re[l], other.re[l])),
            im: from_fn(|l| sub(self.im[l], other.im[l])),
        }
    }

    /// `(a + b·i)(w₀ + w₁·i) = (a·w₀ − b·w₁) + (a·w₁ + b·w₀)·i`, the twiddle's halves shared by
    /// all lanes.
    #[inline(always)]
    fn scale(self, w: M61Ext2) -> Self {
        let (w0, w1) = (split(value(w.c0)), split(value(w.c1)));
        Self {
            re: from_fn(|l| sub(mul(self.re[l], w0), mul(self.im[l], w1))),
            im: from_fn(|l| add(mul(self.re[l], w1), mul(self.im[l], w0))),
        }
    }

    #[inline(always)]
    fn quarter_turn(self, w4: QuarterTurn<M61Ext2>) -> Self {
        match w4 {
            QuarterTurn::I(_) => Self {
                re: from_fn(|l| sub(0, self.im[l])),
                im: self.re,
            },
            QuarterTurn::MinusI(_) => Self {
                re: self.im,
                im: from_fn(|l| sub(0, self.re[l])),
            },
            QuarterTurn::Other(w) => self.scale(w),
        }
    }

    fn conj(self) -> Self {
        Self {
            re: self.re,
            im: from_fn(|l| sub(0, self.im[l])),
        }
    }
}

/// Longest codeword the lanes encode: beyond it the lane buffers (`256·len` bytes) outgrow the
/// caches and the FFT is no faster than one pair of rows at a time.
const MAX_LANE_LEN: usize = 1 << 16;

/// [`crate::KaizenField::batched_encoding_rows`] for M61² (in builds with [`WIDE_VECTORS`]):
/// sixteen rows for codewords of up to [`MAX_LANE_LEN`] entries.
pub(super) fn batch_rows(len: usize) -> usize {
    if len <= MAX_LANE_LEN {
        2 * LANES
    } else {
        0
    }
}

/// [`crate::KaizenField::encode_rows_batched`] for M61² (in builds with [`WIDE_VECTORS`]):
/// base-field rows sixteen at a time, while the next sixteen are all in the base field; sixteen
/// zero rows are left as the zeros `out` holds.
pub(super) fn encode_rows(
    domain: &Radix2Domain<M61Ext2>,
    rows: &[M61Ext2],
    cols: usize,
    out: &mut [M61Ext2],
) -> usize {
    let len = domain.size();
    if cols == 0 || rows.len() < 2 * LANES * cols || batch_rows(len) == 0 {
        return 0;
    }
    let minus_i = QuarterTurn::MinusI(M61Ext2::new(m61(0), m61(P - 1)));
    let mut run = |scratch: &mut Vec<Ext2Lanes>| {
        scratch.resize(cols + 2 * len, Ext2Lanes::ZERO);
        let (z, rest) = scratch.split_at_mut(cols);
        let (xs, ys) = rest.split_at_mut(len);
        encode_batches(domain, rows, cols, out, (z, xs, ys), minus_i)
    };
    // Lane buffers of up to `KEPT_LANES` entries stay with the thread: fresh ones for short
    // rows cost as much as their FFT in page faults.
    if cols + 2 * len <= KEPT_LANES {
        SCRATCH.with_borrow_mut(run)
    } else {
        run(&mut Vec::new())
    }
}

/// Lane entries (128 bytes each) a thread keeps between calls: 16 MiB, codewords of up to `2^15`.
const KEPT_LANES: usize = 1 << 17;

thread_local! {
    static SCRATCH: RefCell<Vec<Ext2Lanes>> = const { RefCell::new(Vec::new()) };
}

fn encode_batches(
    domain: &Radix2Domain<M61Ext2>,
    rows: &[M61Ext2],
    cols: usize,
    out: &mut [M61Ext2],
    (z, xs, ys): (&mut [Ext2Lanes], &mut [Ext2Lanes], &mut [Ext2Lanes]),
    minus_i: QuarterTurn<M61Ext2>,
) -> usize {
    let (len, batch) = (domain.size(), 2 * LANES);
    let mut done = 0;
    for (rows, out) in rows
        .chunks_exact(batch * cols)
        .zip(out.chunks_exact_mut(batch * len))
    {
        if !rows.iter().all(|x| value(x.c1) == 0) {
            break;
        }
        done += batch;
        if rows.iter().all(|x| value(x.c0) == 0) {
            // Sixteen zero rows (a segment's padding): their codewords are the zeros in `out`.
            continue;
        }
        let entry = |r: usize, i: usize| half(value(rows[r * cols + i].c0));
        for (i, zi) in z.iter_mut().enumerate() {
            *zi = Ext2Lanes {
                re: from_fn(|l| entry(2 * l, i)),
                im: from_fn(|l| entry(2 * l + 1, i)),
            };
        }
        domain.encode_packed_pair(z, xs, ys, minus_i);
        // One pass over the lanes, sixteen rows written side by side.
        for (k, (x, y)) in xs.iter().zip(ys.iter()).enumerate() {
            for l in 0..LANES {
                out[2 * l * len + k] = x.lane(l);
                out[(2 * l + 1) * len + k] = y.lane(l);
            }
        }
    }
    done
}

/// `2^31 − 1`: the low half of a [`split31`].
const M31: u64 = (1 << 31) - 1;
/// `2^30 − 1`: the part of a product's middle term below `2^61` once shifted by 31.
const M30: u64 = (1 << 30) - 1;

/// The halves `(x mod 2^31, ⌊x / 2^31⌋)` of `x < 2^62`, each below `2^31`.
#[inline(always)]
fn split31(x: u64) -> (u64, u64) {
    (x & M31, x >> 31)
}

/// `a·b` for `a, b < 2^32`: written on their low 32 bits, so that the compiler multiplies them as
/// 32-bit lanes (one instruction) without masking them first.
#[inline(always)]
fn mul32(a: u64, b: u64) -> u64 {
    (a as u32 as u64) * (b as u32 as u64)
}

/// `a + x·u + y·v mod p`, canonical, for `a < 2^61`, `x, y < 2^62` and `u, v < 2^61` given as
/// [`split31`] halves: with `x·u = x₁u₁·2^62 + (x₁u₀ + x₀u₁)·2^31 + x₀u₀`, `2^62 ≡ 2` and
/// `2^61 ≡ 1`, the two products sum to `2·hh + mid·2^31 + ll` with `hh < 2^62`, `mid < 2^64`,
/// `ll < 2^63`: `2·hh + ll` (below `2^64`) is folded once, below `2^61 + 8`, `mid·2^31` is split
/// at bit 30 into `⌊mid / 2^30⌋ + (mid mod 2^30)·2^31`, and the four with `a` stay below `2^63`.
#[inline(always)]
fn mul_add2(a: u64, x: u64, y: u64, (u0, u1): (u64, u64), (v0, v1): (u64, u64)) -> u64 {
    let ((x0, x1), (y0, y1)) = (split31(x), split31(y));
    let hh = mul32(x1, u1) + mul32(y1, v1);
    let mid = mul32(x1, u0) + mul32(x0, u1) + mul32(y1, v0) + mul32(y0, v1);
    let s = hh + hh + mul32(x0, u0) + mul32(y0, v0);
    let t = (s & P) + (s >> 61) + (mid >> 30) + ((mid & M30) << 31) + a;
    canonical((t & P) + (t >> 61))
}

/// A fold challenge `r = r₀ + r₁·i` as [`lerp_lanes`] uses it, over sixteen interleaved parts
/// (real, imaginary, real, …): part `k` of `a + r·d` is `a_k + d_k·r₀ + d_{k^1}·w_k` with
/// `w = (p − r₁, r₁, p − r₁, …)`.
struct LerpChallenge {
    r0: (u64, u64),
    w: [(u64, u64); 2 * LANES],
}

impl LerpChallenge {
    fn new(r: M61Ext2) -> Self {
        let (r1, minus_r1) = (split31(value(r.c1)), split31(P - value(r.c1)));
        Self {
            r0: split31(value(r.c0)),
            w: from_fn(|k| if k % 2 == 0 { minus_r1 } else { r1 }),
        }
    }
}

/// `lo + r·(hi − lo)` for eight M61² elements, computed on their sixteen parts as they lie in
/// memory (no de-interleaving: the swapped difference `d_{k^1}` is read from the neighbour).
#[inline(always)]
fn lerp_lanes(lo: &[M61Ext2], hi: &[M61Ext2], r: &LerpChallenge) -> [M61Ext2; LANES] {
    // Plain loops over arrays: the compiler keeps them in vector registers (closures handed to
    // `from_fn` were not always inlined).
    let (mut a, mut b) = ([0u64; 2 * LANES], [0u64; 2 * LANES]);
    for l in 0..LANES {
        (a[2 * l], a[2 * l + 1]) = (value(lo[l].c0), value(lo[l].c1));
        (b[2 * l], b[2 * l + 1]) = (value(hi[l].c0), value(hi[l].c1));
    }
    let (mut d, mut swapped) = ([0u64; 2 * LANES], [0u64; 2 * LANES]);
    for k in 0..2 * LANES {
        d[k] = b[k] + P - a[k];
        let j = k ^ 1;
        swapped[k] = b[j] + P - a[j];
    }
    let mut out = [0u64; 2 * LANES];
    for k in 0..2 * LANES {
        out[k] = mul_add2(a[k], d[k], swapped[k], r.r0, r.w[k]);
    }
    let mut folded = [M61Ext2::ZERO; LANES];
    for (l, x) in folded.iter_mut().enumerate() {
        *x = M61Ext2::new(m61(out[2 * l]), m61(out[2 * l + 1]));
    }
    folded
}

/// The length of the prefix of `n` entries the lanes fold: whole groups of eight, or none.
fn lane_prefix(n: usize, lanes: bool) -> usize {
    if lanes {
        n - n % LANES
    } else {
        0
    }
}

/// [`crate::KaizenField::lerp_in_place`] for M61²: eight elements per step in vector lanes
/// (with `lanes`), the rest one at a time.
pub(super) fn lerp_in_place(lo: &mut [M61Ext2], hi: &[M61Ext2], r: M61Ext2, lanes: bool) {
    let n = lo.len().min(hi.len());
    let (lo, lo_tail) = lo[..n].split_at_mut(lane_prefix(n, lanes));
    let (hi, hi_tail) = hi[..n].split_at(lo.len());
    let challenge = LerpChallenge::new(r);
    for (x, y) in lo.chunks_exact_mut(LANES).zip(hi.chunks_exact(LANES)) {
        let folded = lerp_lanes(x, y, &challenge);
        x.copy_from_slice(&folded);
    }
    for (x, &y) in lo_tail.iter_mut().zip(hi_tail) {
        *x = crate::KaizenField::lerp(*x, y, r);
    }
}

/// [`crate::KaizenField::lerp_into`] for M61²: eight elements per step in vector lanes (with
/// `lanes`), the rest one at a time.
pub(super) fn lerp_into(
    out: &mut [M61Ext2],
    lo: &[M61Ext2],
    hi: &[M61Ext2],
    r: M61Ext2,
    lanes: bool,
) {
    let n = out.len().min(lo.len()).min(hi.len());
    let (out, out_tail) = out[..n].split_at_mut(lane_prefix(n, lanes));
    let ((lo, lo_tail), (hi, hi_tail)) = (lo[..n].split_at(out.len()), hi[..n].split_at(out.len()));
    let challenge = LerpChallenge::new(r);
    for ((o, x), y) in out
        .chunks_exact_mut(LANES)
        .zip(lo.chunks_exact(LANES))
        .zip(hi.chunks_exact(LANES))
    {
        o.copy_from_slice(&lerp_lanes(x, y, &challenge));
    }
    for (o, (&x, &y)) in out_tail.iter_mut().zip(lo_tail.iter().zip(hi_tail)) {
        *o = crate::KaizenField::lerp(x, y, r);
    }
}

#[cfg(test)]
mod tests {
    use ark_std::UniformRand;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;
    use crate::{AdditiveGroup, Field, KaizenField, One, Zero, M61};

    proptest! {
        /// The lane arithmetic against the field's, at random and at the edges of `[0, p)`.
        #[test]
        fn lane_arithmetic_matches_the_field(
            a in prop::array::uniform8(0..P),
            b in prop::array::uniform8(0..P),
            w in (0..P, 0..P),
        ) {
            let edges = [0, 1, 2, P - 1, P - 2, 1 << 32, (1 << 32) - 1, 1 << 60];
            for (a, b) in [(a, b), (edges, a), (b, edges)] {
                let x = Ext2Lanes { re: a, im: b };
                let y = Ext2Lanes { re: b, im: edges };
                let w = M61Ext2::new(m61(w.0), m61(w.1));
                let i = M61Ext2::new(m61(0), m61(1));
                let turns = [QuarterTurn::I(i), QuarterTurn::MinusI(-i), QuarterTurn::Other(w)];
                for (l, &al) in a.iter().enumerate() {
                    prop_assert_eq!(x.add(y).lane(l), x.lane(l) + y.lane(l));
                    prop_assert_eq!(x.sub(y).lane(l), x.lane(l) - y.lane(l));
                    prop_assert_eq!(x.scale(w).lane(l), x.lane(l) * w);
                    prop_assert_eq!(x.conj().lane(l), x.lane(l).conjugate());
                    prop_assert_eq!(half(al) * 2 % P, al);
                    for q in turns {
                        let (QuarterTurn::I(r) | QuarterTurn::MinusI(r) | QuarterTurn::Other(r)) = q;
                        prop_assert_eq!(x.quarter_turn(q).lane(l), x.lane(l) * r);
                    }
                }
            }
        }
    }

    proptest! {
        /// The lane fold (and the one-at-a-time path) against the field's formula, in place and
        /// into another table, at every length mod 8 (the scalar tail) and with parts at the edges
        /// of `[0, p)`; the trait methods, whichever path the build takes, likewise.
        #[test]
        fn lane_fold_matches_the_field(seed in any::<u64>(), len in 0usize..40, edge in 0usize..8) {
            let mut rng = ChaCha20Rng::seed_from_u64(seed);
            let edges = [0, 1, 2, P - 1, P - 2, 1 << 31, (1 << 31) - 1, 1 << 60];
            let mut table = |k: u64| -> Vec<M61Ext2> {
                (0..len as u64)
                    .map(|i| match (i + k) % 3 {
                        0 => M61Ext2::new(m61(edges[edge]), m61(edges[(edge + i as usize) % 8])),
                        _ => M61Ext2::rand(&mut rng),
                    })
                    .collect()
            };
            let (lo, hi) = (table(0), table(1));
            let rs = [
                M61Ext2::rand(&mut rng),
                M61Ext2::new(m61(edges[edge]), m61(edges[7 - edge])),
                M61Ext2::ZERO,
            ];
            for (r, lanes) in rs.into_iter().flat_map(|r| [(r, true), (r, false)]) {
                let want: Vec<M61Ext2> = lo.iter().zip(&hi).map(|(&a, &b)| a + r * (b - a)).collect();
                let mut folded = lo.clone();
                lerp_in_place(&mut folded, &hi, r, lanes);
                prop_assert_eq!(&folded, &want);
                let mut out = vec![M61Ext2::ONE; len];
                lerp_into(&mut out, &lo, &hi, r, lanes);
                prop_assert_eq!(&out, &want);
            }
            let mut folded = lo.clone();
            M61Ext2::lerp_in_place(&mut folded, &hi, rs[0]);
            let mut out = vec![M61Ext2::ONE; len];
            M61Ext2::lerp_into(&mut out, &lo, &hi, rs[0]);
            let want: Vec<M61Ext2> = lo.iter().zip(&hi).map(|(&a, &b)| M61Ext2::lerp(a, b, rs[0])).collect();
            prop_assert_eq!(&folded, &want);
            prop_assert_eq!(&out, &want);
        }
    }

    /// The lane fold at every combination of edge coordinates for `lo`, `hi` and `r` (the
    /// largest differences `b + p − a` and challenge halves included).
    #[test]
    fn lane_fold_at_the_edges() {
        let edges = [0, 1, 2, P - 1, P - 2, 1 << 31, (1 << 31) - 1, 1 << 60];
        let pairs: Vec<M61Ext2> = edges
            .iter()
            .flat_map(|&x| edges.map(|y| M61Ext2::new(m61(x), m61(y))))
            .collect();
        let lo: Vec<M61Ext2> = pairs
            .iter()
            .flat_map(|&a| pairs.iter().map(move |_| a))
            .collect();
        let hi: Vec<M61Ext2> = pairs.iter().flat_map(|_| pairs.iter().copied()).collect();
        for &r in &pairs {
            let mut folded = lo.clone();
            lerp_in_place(&mut folded, &hi, r, true);
            for ((&x, &a), &b) in folded.iter().zip(&lo).zip(&hi) {
                assert_eq!(x, a + r * (b - a), "lo {a}, hi {b}, r {r}");
            }
        }
    }

    /// Batches of sixteen base-field rows encode exactly as one row at a time, at every rate up
    /// to 1/8 and with odd and even stage counts; sixteen zero rows stay zero; a batch holding an
    /// extension-field entry, and the rows after it, are left to the caller.
    #[test]
    fn batched_rows_encode_as_single_rows() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for (log_cols, log_rate, rows) in
            [(0, 1, 16), (3, 2, 35), (6, 1, 32), (9, 2, 17), (4, 3, 16)]
        {
            let domain = Radix2Domain::<M61Ext2>::new(log_cols + log_rate).unwrap();
            let (cols, len) = (1usize << log_cols, domain.size());
            let matrix: Vec<M61Ext2> = (0..rows * cols)
                .map(|_| M61Ext2::new(M61::rand(&mut rng), M61::ZERO))
                .collect();
            let mut out = vec![M61Ext2::ZERO; rows * len];
            let done = encode_rows(&domain, &matrix, cols, &mut out);
            assert_eq!(done, rows / 16 * 16);
            for (r, row) in matrix.chunks(cols).enumerate().take(done) {
                assert_eq!(out[r * len..(r + 1) * len], domain.encode(row), "row {r}");
            }
            assert!(out[done * len..].iter().all(|x| x.is_zero()));
            let mut all = vec![M61Ext2::ZERO; rows * len];
            domain.encode_rows(&matrix, cols, &mut all);
            for (r, row) in matrix.chunks(cols).enumerate() {
                assert_eq!(all[r * len..(r + 1) * len], domain.encode(row), "row {r}");
            }
        }
        let domain = Radix2Domain::<M61Ext2>::new(5).unwrap();
        let mut matrix: Vec<M61Ext2> = (0..48 * 8).map(|_| M61Ext2::from(3u64)).collect();
        matrix[..16 * 8].iter_mut().for_each(|x| *x = M61Ext2::ZERO);
        matrix[36 * 8 + 3] = M61Ext2::new(M61::one(), M61::one());
        let mut out = vec![M61Ext2::ZERO; 48 * 32];
        assert_eq!(encode_rows(&domain, &matrix, 8, &mut out), 32);
        assert!(out[..16 * 32].iter().all(|x| x.is_zero()));
        domain.encode_rows(&matrix, 8, &mut out);
        for (r, row) in matrix.chunks(8).enumerate() {
            assert_eq!(out[r * 32..(r + 1) * 32], domain.encode(row), "row {r}");
        }
        let before = out.clone();
        domain.encode_rows(&matrix, 0, &mut out);
        assert_eq!(out, before, "rows of no entries encode nothing");
    }
}
