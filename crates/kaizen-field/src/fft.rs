//! FFT over a power-of-two multiplicative subgroup (radix-4 stages, a radix-2 one when the stage
//! count is odd), and Reed–Solomon encoding.
//!
//! The butterflies are generic over [`FftEntry`]: a field element, or a vector of lanes of them
//! ([`KaizenField::encode_rows_batched`] runs one FFT for many rows at once where a field has
//! such a kernel — M61² encodes sixteen base-field rows in eight lanes).
use rayon::prelude::*;

use crate::{FieldError, KaizenField, PAR_MIN_LEN};

/// What the butterflies need of an FFT entry with twiddles in `F`: `F` itself, or lanes of it.
pub trait FftEntry<F>: Copy {
    /// `self + other`.
    fn add(self, other: Self) -> Self;
    /// `self − other`.
    fn sub(self, other: Self) -> Self;
    /// `self · w`, `w` a twiddle.
    fn scale(self, w: F) -> Self;
    /// `self · ω_4`, a primitive 4th root of unity: a rotation where the field has `i`.
    fn quarter_turn(self, w4: QuarterTurn<F>) -> Self;
    /// The conjugate `σ(self)` ([`KaizenField::conjugate`]).
    fn conj(self) -> Self;
}

/// A primitive 4th root of unity `ω_4`, classified once per FFT: `i`, `−i` (where
/// [`KaizenField::imaginary_unit`] is `i`: multiplying by it is a swap and a negation), or another.
#[derive(Clone, Copy, Debug)]
pub enum QuarterTurn<F> {
    /// `ω_4 = i`.
    I(F),
    /// `ω_4 = −i`.
    MinusI(F),
    /// A field without `i`.
    Other(F),
}

impl<F: KaizenField> QuarterTurn<F> {
    fn of(w4: F) -> Self {
        match F::imaginary_unit() {
            Some(i) if i == w4 => Self::I(w4),
            Some(i) if i == -w4 => Self::MinusI(w4),
            _ => Self::Other(w4),
        }
    }
}

impl<F: KaizenField> FftEntry<F> for F {
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self + other
    }

    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        self - other
    }

    #[inline(always)]
    fn scale(self, w: F) -> Self {
        self * w
    }

    #[inline(always)]
    fn quarter_turn(self, w4: QuarterTurn<F>) -> Self {
        match w4 {
            QuarterTurn::I(w) => self.times_imaginary().unwrap_or_else(|| self * w),
            QuarterTurn::MinusI(w) => self.times_imaginary().map_or_else(|| self * w, |y| -y),
            QuarterTurn::Other(w) => self * w,
        }
    }

    #[inline(always)]
    fn conj(self) -> Self {
        self.conjugate()
    }
}

/// The subgroup `{ω^i}` of size `2^log_size`, with its twiddle factors.
#[derive(Clone, Debug)]
pub struct Radix2Domain<F> {
    log_size: u32,
    /// `ω^i` for `i < 3·size/4` (a radix-4 stage reads `ω^{3j·step}`).
    twiddles: Vec<F>,
}

impl<F: KaizenField> Radix2Domain<F> {
    /// The domain of size `2^log_size`, or an error if the field has no such subgroup.
    pub fn new(log_size: u32) -> Result<Self, FieldError> {
        let omega = root_of_unity::<F>(log_size)?;
        let n = 1usize << log_size;
        let twiddles = powers(omega, (3 * n / 4).max(n / 2));
        Ok(Self { log_size, twiddles })
    }

    /// Number of points.
    pub fn size(&self) -> usize {
        1 << self.log_size
    }

    /// `ω^i`, the `i`-th point (indices taken modulo the size): where a codeword's entry `i`
    /// was evaluated.
    pub fn element(&self, i: usize) -> F {
        self.point(i % self.size())
    }

    /// `ω^i` for `i` below the size.
    #[inline(always)]
    fn point(&self, i: usize) -> F {
        let n = self.size();
        match self.twiddles.get(i) {
            Some(&w) => w,
            None => self.twiddles.get(i - n / 2).map_or(F::ONE, |&w| -w),
        }
    }

    fn bit_reverse(&self, i: usize) -> usize {
        bit_reverse(i, self.log_size)
    }

    /// Decimation-in-time butterflies on a bit-reversed array, from blocks of `2·half` upwards:
    /// one radix-2 stage if the number of stages is odd, then radix-4 stages.
    fn butterflies<E: FftEntry<F>>(&self, a: &mut [E], mut half: usize) {
        let n = a.len();
        if half < n && (n / half).trailing_zeros() % 2 == 1 {
            let step = n / (2 * half);
            for block in a.chunks_exact_mut(2 * half) {
                let (lo, hi) = block.split_at_mut(half);
                for (j, (u, v)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                    let t = v.scale(self.twiddles[j * step]);
                    *v = u.sub(t);
                    *u = u.add(t);
                }
            }
            half *= 2;
        }
        if half >= n {
            return;
        }
        // ω^{n/4} is a primitive 4th root of unity: ±i where the field has i (a free rotation).
        let w4 = QuarterTurn::of(self.twiddles[n / 4]);
        // Radix-4 stages from blocks of `4·half` upwards (`n/half` a power of four). Two radix-2
        // stages at once: with `w = ω_{4h}^j` and `x_k` the entries `j + k·h` of a block,
        // `p_1 = w²x_1`, `p_2 = w·x_2`, `p_3 = w³x_3`, the outputs are `(x_0 + p_1) ± (p_2 + p_3)`
        // (entries `j`, `j + 2h`) and `(x_0 − p_1) ± ω_4·(p_2 − p_3)` (entries `j + h`, `j + 3h`):
        // three twiddle products where two radix-2 stages take four.
        while half < n {
            let step = n / (4 * half);
            for block in a.chunks_exact_mut(4 * half) {
                let (b01, b23) = block.split_at_mut(2 * half);
                let (b0, b1) = b01.split_at_mut(half);
                let (b2, b3) = b23.split_at_mut(half);
                let quads = b0.iter_mut().zip(b1).zip(b2.iter_mut().zip(b3));
                for (j, ((x0, x1), (x2, x3))) in quads.enumerate() {
                    let k = j * step;
                    let p1 = x1.scale(self.twiddles[2 * k]);
                    let p2 = x2.scale(self.twiddles[k]);
                    let p3 = x3.scale(self.twiddles[3 * k]);
                    let (s, d) = (x0.add(p1), x0.sub(p1));
                    let (t, e) = (p2.add(p3), p2.sub(p3).quarter_turn(w4));
                    *x0 = s.add(t);
                    *x2 = s.sub(t);
                    *x1 = d.add(e);
                    *x3 = d.sub(e);
                }
            }
            half *= 4;
        }
    }

    /// In place: coefficients `a_0..a_{n−1}` to evaluations `(Σ_k a_k ω^{ik})_i`, natural order.
    pub fn fft(&self, a: &mut [F]) {
        debug_assert_eq!(a.len(), self.size());
        for i in 0..a.len() {
            let j = self.bit_reverse(i);
            if i < j {
                a.swap(i, j);
            }
        }
        self.butterflies(a, 1);
    }

    /// [`Radix2Domain::fft`] of the vector of `self.size()` entries that is zero but for
    /// `entries` (`(index, value)`; indices modulo the size, as `ω^n = 1`; repeated ones add).
    ///
    /// After `s` decimation-in-time stages on the bit-reversed input, its block `B` (of `2^s`
    /// entries) holds the size-`2^s` FFT of the inputs `c + m·n/2^s` (`c` the `log n − s`-bit
    /// reversal of `B`), so each entry adds `x·ω^{(n/2^s)·m·k}` to its block's `k`-th place; the
    /// butterflies start from there. `s` balances those `|entries|·2^s` products against the
    /// `n/2` of each stage skipped.
    pub fn fft_sparse(&self, entries: &[(usize, F)]) -> Vec<F> {
        let (n, log_n) = (self.size(), self.log_size as usize);
        let mut a = vec![F::ZERO; n];
        let cost = |s: usize| entries.len().saturating_mul(1 << s) + (log_n - s) * (n / 2);
        let s = (0..=log_n).min_by_key(|&s| cost(s)).unwrap_or(0);
        let (block, blocks) = (1usize << s, n >> s);
        for &(j, x) in entries {
            let (c, m) = (j % blocks, j / blocks % block);
            let at = bit_reverse(c, (log_n - s) as u32) * block;
            let (step, mut power) = (blocks * m, 0);
            for y in &mut a[at..at + block] {
                *y += x * self.point(power);
                power += step;
                if power >= n {
                    power -= n;
                }
            }
        }
        self.butterflies(&mut a, block);
        a
    }

    /// Reed–Solomon encoding: the message as coefficients of a polynomial of degree
    /// `< message.len()` (a power of two dividing the domain size), evaluated on the whole
    /// domain, written into `out` (entries: field elements, or lanes of them).
    ///
    /// With `n = 2^ρ'·k` and only the first `k` coefficients non-zero, the bit-reversed input is
    /// non-zero only at multiples of `2^ρ'`, and the first `ρ'` stages merely copy those values
    /// across their blocks: we place them directly and start the butterflies there.
    pub fn encode_into<E: FftEntry<F>>(&self, message: &[E], out: &mut [E]) {
        debug_assert!(message.len().is_power_of_two() && out.len() == self.size());
        let block = out.len() / message.len();
        for (i, &m) in message.iter().enumerate() {
            let at = self.bit_reverse(i);
            out[at..at + block].iter_mut().for_each(|x| *x = m);
        }
        self.butterflies(out, block);
    }

    /// Encodes two messages with one FFT when `F = B[i]` ([`KaizenField::imaginary_unit`]) and
    /// both messages lie in `B`; returns `false`, writing nothing, otherwise.
    ///
    /// With `Z = FFT((x + i·y)/2)` and conjugation `σ` (which inverts the domain's roots of unity),
    /// `σ(Z[−k]) = (X[k] − i·Y[k])/2`, so `X[k] = Z[k] + σ(Z[−k])` and
    /// `Y[k] = −i·(Z[k] − σ(Z[−k]))`: the encodings of `x` and `y` exactly.
    pub fn encode_pair_into(&self, x: &[F], y: &[F], out_x: &mut [F], out_y: &mut [F]) -> bool {
        let (Some(i), Some(half)) = (F::imaginary_unit(), F::from(2u64).inverse()) else {
            return false;
        };
        let real = |v: &F| v.conjugate() == *v;
        if self.log_size >= F::TWO_ADICITY
            || x.len() != y.len()
            || out_y.len() != out_x.len()
            || !x.iter().chain(y).all(real)
        {
            return false;
        }
        let z: Vec<F> = x
            .iter()
            .zip(y)
            .map(|(&a, &b)| (a + b.times_imaginary().unwrap_or_else(|| i * b)) * half)
            .collect();
        self.encode_packed_pair(&z, out_x, out_y, QuarterTurn::MinusI(-i));
        true
    }

    /// The second half of [`Radix2Domain::encode_pair_into`] for entries of any kind: encodes
    /// the packed message `z = (x + i·y)/2` into `out_x` and separates the encodings of `x` and
    /// `y` (`minus_i`: the quarter turn by `−i`).
    pub(crate) fn encode_packed_pair<E: FftEntry<F>>(
        &self,
        z: &[E],
        out_x: &mut [E],
        out_y: &mut [E],
        minus_i: QuarterTurn<F>,
    ) {
        self.encode_into(z, out_x);
        let n = out_x.len();
        for k in 0..=n / 2 {
            let m = (n - k) % n;
            let (a, b) = (out_x[k], out_x[m]);
            let (ca, cb) = (a.conj(), b.conj());
            out_x[k] = a.add(cb);
            out_y[k] = a.sub(cb).quarter_turn(minus_i);
            out_x[m] = b.add(ca);
            out_y[m] = b.sub(ca).quarter_turn(minus_i);
        }
    }

    /// Encodes rows of `cols` entries (row-major) into `out` (as many rows of `self.size()`,
    /// zero on entry): with the field's batched kernel where it has one
    /// ([`KaizenField::encode_rows_batched`]), then two base-field rows per FFT where the field
    /// allows it; a zero row costs no FFT. Nothing to encode when `cols` is zero.
    pub fn encode_rows(&self, rows: &[F], cols: usize, out: &mut [F]) {
        if cols == 0 {
            return;
        }
        let len = self.size();
        let done = F::encode_rows_batched(self, rows, cols, out);
        let (rows, out) = (&rows[done * cols..], &mut out[done * len..]);
        for (rows, out) in rows
            .chunks_exact(2 * cols)
            .zip(out.chunks_exact_mut(2 * len))
        {
            let (x, y) = rows.split_at(cols);
            let (out_x, out_y) = out.split_at_mut(len);
            if !(nonzero(x) && nonzero(y) && self.encode_pair_into(x, y, out_x, out_y)) {
                self.encode_each(rows, cols, out);
            }
        }
        let tail = rows.len() / (2 * cols) * 2;
        self.encode_each(&rows[tail * cols..], cols, &mut out[tail * len..]);
    }

    fn encode_each(&self, rows: &[F], cols: usize, out: &mut [F]) {
        for (out, row) in out.chunks_mut(self.size()).zip(rows.chunks(cols)) {
            if nonzero(row) {
                self.encode_into(row, out);
            }
        }
    }

    /// [`Radix2Domain::encode_into`] into a fresh vector.
    pub fn encode(&self, message: &[F]) -> Vec<F> {
        let mut out = vec![F::ZERO; self.size()];
        self.encode_into(message, &mut out);
        out
    }
}

/// The reversal of the low `bits` bits of `i`.
fn bit_reverse(i: usize, bits: u32) -> usize {
    i.reverse_bits()
        .checked_shr(usize::BITS - bits)
        .unwrap_or(0)
}

/// Whether a row has a non-zero entry (a zero row's codeword is zero: no FFT).
fn nonzero<F: KaizenField>(row: &[F]) -> bool {
    row.iter().any(|x| !x.is_zero())
}

/// The generator `ω` of the domain of size `2^log_size` ([`Radix2Domain`]'s points are its
/// powers), without the domain's table — for a few points of a large domain (a verifier's
/// queries) — or an error if the field has no such subgroup.
pub fn root_of_unity<F: KaizenField>(log_size: u32) -> Result<F, FieldError> {
    F::root_of_unity(log_size).ok_or(FieldError::NoRootOfUnity {
        log_size,
        two_adicity: F::TWO_ADICITY,
    })
}

/// Entries per block of [`powers`] (the length of its first chain of products).
const POWERS_BLOCK: usize = 1 << 10;

/// `(1, w, w², …, w^{len−1})` as `w^{k + B·c} = w^k·(w^B)^c`: two short chains of dependent
/// products (`k < B`, and `c`) and `len` independent ones, in parallel. One chain of `len`
/// products waits on each product in turn: a domain of 2^17 points took 0.9 ms on one core.
fn powers<F: KaizenField>(w: F, len: usize) -> Vec<F> {
    let chain = |base: F, count: usize| -> Vec<F> {
        std::iter::successors(Some(F::ONE), |x| Some(*x * base))
            .take(count)
            .collect()
    };
    let low = chain(w, POWERS_BLOCK.min(len));
    let high = chain(w.pow([POWERS_BLOCK as u64]), len.div_ceil(POWERS_BLOCK));
    let mut out = vec![F::ZERO; len];
    out.par_chunks_mut(POWERS_BLOCK)
        .zip(&high)
        .with_min_len((PAR_MIN_LEN / POWERS_BLOCK).max(1))
        .for_each(|(block, &h)| {
            block.iter_mut().zip(&low).for_each(|(x, &l)| *x = h * l);
        });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AdditiveGroup, Fr, M61Ext2, One};
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// Every domain size up to 2^8 (odd and even stage counts) and every rate up to 1/8, through
    /// `encode` and the in-place `fft`, against Horner evaluation at each `ω^i` (and `element(i)`
    /// against `ω^i`); and two larger domains at sampled points.
    fn fft_matches_naive<F: KaizenField + UniformRand>() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        for log in (0u32..=8).chain([14, 15]) {
            let d = Radix2Domain::<F>::new(log).unwrap();
            let omega = F::root_of_unity(log).unwrap();
            for log_rate in 0..=log.min(3) {
                let coeffs: Vec<F> = (0..d.size() >> log_rate)
                    .map(|_| F::rand(&mut rng))
                    .collect();
                let evals = d.encode(&coeffs);
                let mut padded = coeffs.clone();
                padded.resize(d.size(), F::ZERO);
                d.fft(&mut padded);
                assert_eq!(padded, evals);
                let points: Vec<usize> = if log > 8 {
                    (0..24)
                        .map(|k| (k * 7919 + k * k * 104_729) % d.size())
                        .collect()
                } else {
                    (0..d.size()).collect()
                };
                for i in points {
                    let x = omega.pow([i as u64]);
                    assert_eq!(d.element(i), x);
                    assert_eq!(d.element(i + d.size()), x);
                    let w = root_of_unity::<F>(log).unwrap();
                    assert_eq!(w.pow([(i + d.size()) as u64]), x);
                    let naive: F = coeffs.iter().rev().fold(F::ZERO, |acc, &c| acc * x + c);
                    assert_eq!(evals[i], naive, "2^{log}, rate 2^-{log_rate}, point {i}");
                }
            }
        }
    }

    #[test]
    fn fft_m61ext2() {
        fft_matches_naive::<M61Ext2>();
    }

    #[test]
    fn fft_bls() {
        fft_matches_naive::<Fr>();
    }

    /// The sparse FFT against the dense one: every domain size up to 2^10 and 2^15, from no
    /// entry to a dense vector (every start stage), with repeated indices and indices past the
    /// size (taken modulo it).
    #[test]
    fn sparse_fft_matches_dense() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for log in (0u32..=10).chain([15]) {
            let d = Radix2Domain::<M61Ext2>::new(log).unwrap();
            let n = d.size();
            for z in [0, 1, 2, 3, 37, n / 2, 2 * n] {
                let entries: Vec<(usize, M61Ext2)> = (0..z)
                    .map(|k| ((k * 7919 + k * k * 31) % (3 * n), M61Ext2::rand(&mut rng)))
                    .collect();
                let mut dense = vec![M61Ext2::ZERO; n];
                for &(j, x) in &entries {
                    dense[j % n] += x;
                }
                d.fft(&mut dense);
                assert_eq!(d.fft_sparse(&entries), dense, "2^{log}, {z} entries");
            }
        }
    }

    /// A subgroup larger than the field's 2-adicity allows is an error, not a panic.
    #[test]
    fn too_large_subgroups_are_errors() {
        for log in [Fr::TWO_ADICITY + 1, 63, 64, u32::MAX] {
            assert!(root_of_unity::<Fr>(log).is_err());
            assert!(Radix2Domain::<Fr>::new(log).is_err());
        }
        assert!(root_of_unity::<M61Ext2>(M61Ext2::TWO_ADICITY).is_ok());
    }

    /// The blocked powers equal one chain of products, at lengths around the block size.
    #[test]
    fn powers_match_one_chain() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let w = M61Ext2::rand(&mut rng);
        let chain: Vec<M61Ext2> = std::iter::successors(Some(M61Ext2::one()), |x| Some(*x * w))
            .take(3 * POWERS_BLOCK + 5)
            .collect();
        for len in [
            0,
            1,
            2,
            POWERS_BLOCK - 1,
            POWERS_BLOCK,
            POWERS_BLOCK + 1,
            chain.len(),
        ] {
            assert_eq!(powers(w, len), chain[..len], "{len}");
        }
    }

    /// Two base-field messages through one FFT give both encodings exactly; an extension-field
    /// message (or a field without `i`) falls back.
    #[test]
    fn pair_encoding_matches_two_encodings() {
        use crate::{AdditiveGroup, M61};
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        for log in [1u32, 2, 5, 8] {
            let d = Radix2Domain::<M61Ext2>::new(log).unwrap();
            let k = (d.size() / 2).max(1);
            let real = |rng: &mut ChaCha20Rng| -> Vec<M61Ext2> {
                (0..k)
                    .map(|_| M61Ext2::new(M61::rand(rng), M61::ZERO))
                    .collect()
            };
            let (x, y) = (real(&mut rng), real(&mut rng));
            let (mut ox, mut oy) = (vec![M61Ext2::ZERO; d.size()], vec![M61Ext2::ZERO; d.size()]);
            assert!(d.encode_pair_into(&x, &y, &mut ox, &mut oy));
            assert_eq!((ox.clone(), oy.clone()), (d.encode(&x), d.encode(&y)));
            let mut z = y.clone();
            z[0] = M61Ext2::rand(&mut rng);
            assert!(!d.encode_pair_into(&x, &z, &mut ox, &mut oy));
        }
        let d = Radix2Domain::<Fr>::new(3).unwrap();
        let v = vec![Fr::from(1u64); 4];
        let mut o = vec![Fr::from(0u64); 8];
        assert!(!d.encode_pair_into(&v, &v, &mut o.clone(), &mut o));
    }

    #[test]
    fn too_large_domain_is_an_error() {
        assert!(Radix2Domain::<Fr>::new(33).is_err());
        assert!(Radix2Domain::<M61Ext2>::new(63).is_err());
    }
}
