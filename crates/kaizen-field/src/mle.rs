//! Dense multilinear polynomials given by their evaluations on the boolean hypercube.
//!
//! Index convention: the evaluation at `x = (x_0, …, x_{n−1}) ∈ {0,1}^n` is stored at `Σ x_i·2^i`, and
//! [`MultilinearPoly::fix_variable`] binds `x_0` (the low-order bit) first. A segment of `2^m`
//! consecutive entries at offset `k·2^m` is then the sub-cube with the high variables fixed to the bits
//! of `k`, so a claim on a segment at point `r` is a claim on the whole vector at `(r, bits(k))`.
//!
//! We keep our own type rather than `ark_poly::DenseMultilinearExtension`: ours folds in place without
//! reallocating for small tables, parallelises above [`crate::PAR_MIN_LEN`], and fixes the index
//! convention the whole workspace relies on.
use rayon::prelude::*;

use crate::{Accumulator, FieldError, KaizenField, PAR_MIN_LEN};

/// A multilinear polynomial in `num_vars` variables, stored as its `2^num_vars` hypercube evaluations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MultilinearPoly<F> {
    evals: Vec<F>,
    num_vars: usize,
}

impl<F: KaizenField> MultilinearPoly<F> {
    /// The polynomial with these hypercube evaluations (length must be a power of two).
    pub fn new(evals: Vec<F>) -> Result<Self, FieldError> {
        if !evals.len().is_power_of_two() {
            return Err(FieldError::NotPowerOfTwo(evals.len()));
        }
        let num_vars = evals.len().trailing_zeros() as usize;
        Ok(Self { evals, num_vars })
    }

    /// The polynomial whose evaluations are `evals` followed by zeros up to the next power of two.
    pub fn padded(mut evals: Vec<F>) -> Self {
        let len = evals.len().max(1).next_power_of_two();
        evals.resize(len, F::ZERO);
        let num_vars = len.trailing_zeros() as usize;
        Self { evals, num_vars }
    }

    /// The zero polynomial in `num_vars` variables.
    pub fn zero(num_vars: usize) -> Self {
        Self {
            evals: vec![F::ZERO; 1 << num_vars],
            num_vars,
        }
    }

    /// Number of variables.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// The hypercube evaluations.
    pub fn evals(&self) -> &[F] {
        &self.evals
    }

    /// Consumes the polynomial, returning its evaluations.
    pub fn into_evals(self) -> Vec<F> {
        self.evals
    }

    /// Binds the low-order variable `x_0` to `r`, halving the table in place.
    pub fn fix_variable(&mut self, r: F) {
        if self.num_vars == 0 {
            return;
        }
        let half = self.evals.len() / 2;
        if half <= PAR_MIN_LEN {
            for i in 0..half {
                self.evals[i] = F::lerp(self.evals[2 * i], self.evals[2 * i + 1], r);
            }
            self.evals.truncate(half);
        } else {
            self.evals = fold(&self.evals, r);
        }
        self.num_vars -= 1;
    }

    /// Binds `x_0, …, x_{k−1}` to `rs` in order.
    pub fn fix_variables(&mut self, rs: &[F]) {
        for &r in rs {
            self.fix_variable(r);
        }
    }

    /// The evaluation at `point` (one coordinate per variable, `x_0` first).
    pub fn evaluate(&self, point: &[F]) -> Result<F, FieldError> {
        if point.len() != self.num_vars {
            return Err(FieldError::PointDimension {
                expected: self.num_vars,
                got: point.len(),
            });
        }
        let Some((&r0, rest)) = point.split_first() else {
            return Ok(self.evals[0]);
        };
        let mut folded = Self {
            evals: fold(&self.evals, r0),
            num_vars: self.num_vars - 1,
        };
        folded.fix_variables(rest);
        Ok(folded.evals[0])
    }

    /// The sub-cube with the top `high_vars` variables fixed to the bits of `index`: the `index`-th
    /// segment of length `2^(num_vars − high_vars)`.
    pub fn sub_cube(&self, high_vars: usize, index: usize) -> Result<Self, FieldError> {
        if high_vars > self.num_vars || index >> high_vars != 0 {
            return Err(FieldError::SubCube {
                index,
                high_vars,
                num_vars: self.num_vars,
            });
        }
        let len = 1 << (self.num_vars - high_vars);
        Ok(Self {
            evals: self.evals[index * len..(index + 1) * len].to_vec(),
            num_vars: self.num_vars - high_vars,
        })
    }
}

/// `out[i] = lerp(evals[2i], evals[2i+1], r)`: binds the low-order variable into a fresh table.
pub fn fold<F: KaizenField>(evals: &[F], r: F) -> Vec<F> {
    evals
        .par_chunks_exact(2)
        .with_min_len(PAR_MIN_LEN)
        .map(|p| F::lerp(p[0], p[1], r))
        .collect()
}

/// `Σ_i a_i·b_i` over the common length (parallel above [`PAR_MIN_LEN`]): an MLE's value at `r`
/// is `inner_product(evals, eq_table(r))`.
/// Products are summed unreduced ([`Accumulator`]).
pub fn inner_product<F: KaizenField>(a: &[F], b: &[F]) -> F {
    a.par_iter()
        .zip(b)
        .with_min_len(PAR_MIN_LEN)
        .fold(F::Acc::default, |mut acc, (&x, &y)| {
            acc.add_product(x, y);
            acc
        })
        .reduce(F::Acc::default, |mut acc, other| {
            acc.merge(other);
            acc
        })
        .reduce()
}

/// The table of `eq(r, x) = Π_i (r_i·x_i + (1 − r_i)(1 − x_i))` over `x ∈ {0,1}^n`, in `2^n` multiplications.
pub fn eq_table<F: KaizenField>(r: &[F]) -> Vec<F> {
    let mut table = vec![F::ZERO; 1 << r.len()];
    eq_table_into(r, F::ONE, &mut table);
    table
}

/// Writes `scale · eq(r, x)` into `out[..2^n]` without allocating (the scale costs no extra
/// multiplication; callers reuse one buffer across many points).
pub fn eq_table_into<F: KaizenField>(r: &[F], scale: F, out: &mut [F]) {
    let Some(first) = out.first_mut() else {
        return;
    };
    *first = scale;
    let mut half = 1;
    for &ri in r {
        if 2 * half > out.len() {
            return;
        }
        let (lo, hi) = out[..2 * half].split_at_mut(half);
        lo.par_iter_mut()
            .zip(hi.par_iter_mut())
            .with_min_len(PAR_MIN_LEN)
            .for_each(|(l, h)| {
                *h = *l * ri;
                *l -= *h;
            });
        half *= 2;
    }
}

/// `out[i] = Σ_k w_k·row_k[i]` over the `(w_k, row_k)` given (a row shorter than `out` counts as
/// zero-padded), every sum accumulated unreduced ([`Accumulator`]) and reduced once. The rows are
/// read in order, each once (a 64-output stack block re-reading strided rows was 40 % slower for
/// a 1024 × 1024 `fix_block`).
pub fn weighted_sum_into<'a, F: KaizenField>(
    out: &mut [F],
    terms: impl IntoIterator<Item = (F, &'a [F])>,
) {
    let mut acc = vec![F::Acc::default(); out.len()];
    for (w, row) in terms {
        for (a, &x) in acc.iter_mut().zip(row) {
            a.add_product(w, x);
        }
    }
    for (o, a) in out.iter_mut().zip(acc) {
        *o = a.reduce();
    }
}

/// Binds a block of middle variables: `table` is `[outer][2^|point|][inner]` (row-major, `inner` a
/// power of two), and the result is `[outer][inner]` with `out[o][i] = Σ_m eq(point, m)·table[o][m][i]`
/// — the table's MLE with those variables fixed to `point`.
pub fn fix_block<F: KaizenField>(
    table: &[F],
    inner: usize,
    point: &[F],
) -> Result<Vec<F>, FieldError> {
    let block = inner << point.len();
    if inner == 0 || !inner.is_power_of_two() || table.len() % block != 0 {
        return Err(FieldError::NotPowerOfTwo(table.len()));
    }
    let eq = eq_table(point);
    let outer = table.len() / block;
    let mut out = vec![F::ZERO; outer * inner];
    let accumulate = |o: &mut [F], t: &[F], start: usize| {
        let rows = t.chunks_exact(inner).map(|row| &row[start..]);
        weighted_sum_into(o, eq.iter().copied().zip(rows));
    };
    if outer >= inner {
        out.par_chunks_mut(inner)
            .zip(table.par_chunks(block))
            .with_min_len((PAR_MIN_LEN / block).max(1))
            .for_each(|(o, t)| accumulate(o, t, 0));
    } else {
        let chunk = PAR_MIN_LEN.min(inner);
        for (o, t) in out.chunks_mut(inner).zip(table.chunks(block)) {
            o.par_chunks_mut(chunk)
                .enumerate()
                .for_each(|(c, oc)| accumulate(oc, t, c * chunk));
        }
    }
    Ok(out)
}

/// `eq(r, s)` for two points of the same dimension (`None` if the dimensions differ).
pub fn eq_eval<F: KaizenField>(r: &[F], s: &[F]) -> Option<F> {
    (r.len() == s.len()).then(|| {
        r.iter()
            .zip(s)
            .map(|(&a, &b)| a * b + a * b - a - b + F::ONE)
            .product()
    })
}

/// A sub-cube of `{0,1}^n`: some variables held at fixed bits, the others free (low-order
/// first). Entry `y` of the sub-cube (over its free variables) is entry [`SubCube::index`]`(y)` of
/// the cube, so a multilinear polynomial restricted to it is one in the free variables, whose value
/// at `ρ` is the whole polynomial's at [`SubCube::lift`]`(ρ)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubCube {
    num_vars: usize,
    /// Positions of the free variables, ascending.
    free: Vec<usize>,
    /// `Σ 2^i` over the variables fixed to one.
    ones: usize,
}

impl SubCube {
    /// The sub-cube of `{0,1}^num_vars` with variable `i` held at `bit` for each `(i, bit)`.
    pub fn new(num_vars: usize, fixed: &[(usize, bool)]) -> Result<Self, FieldError> {
        let mut held = vec![false; num_vars];
        let mut ones = 0;
        for &(i, bit) in fixed {
            if i >= num_vars || held[i] {
                return Err(FieldError::SubCube {
                    index: i,
                    high_vars: fixed.len(),
                    num_vars,
                });
            }
            held[i] = true;
            ones |= usize::from(bit) << i;
        }
        let free = (0..num_vars).filter(|&i| !held[i]).collect();
        Ok(Self {
            num_vars,
            free,
            ones,
        })
    }

    /// All of `{0,1}^num_vars`.
    pub fn whole(num_vars: usize) -> Self {
        Self {
            num_vars,
            free: (0..num_vars).collect(),
            ones: 0,
        }
    }

    /// The sub-cube a point lies on: its boolean coordinates held, the others free.
    pub fn of_point<F: KaizenField>(point: &[F]) -> Self {
        let free = (0..point.len())
            .filter(|&i| !point[i].is_zero() && !point[i].is_one())
            .collect();
        let ones = (0..point.len())
            .filter(|&i| point[i].is_one())
            .map(|i| 1 << i)
            .sum();
        Self {
            num_vars: point.len(),
            free,
            ones,
        }
    }

    /// Variables of the whole cube.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Free variables (the sub-cube has `2^free_vars` entries).
    pub fn free_vars(&self) -> usize {
        self.free.len()
    }

    /// How many of the lowest free variables are the cube's lowest ones: the sub-cube's entries
    /// lie in contiguous runs of `2^run`.
    pub fn run(&self) -> usize {
        self.free
            .iter()
            .enumerate()
            .take_while(|&(t, &i)| t == i)
            .count()
    }

    /// The cube index of the sub-cube's entry `y`: `y`'s bits deposited at the free positions,
    /// the fixed bits elsewhere (`y` itself for the whole cube, without the deposit loop: every
    /// range vector's entries go through here).
    pub fn index(&self, y: usize) -> usize {
        if self.free.len() == self.num_vars {
            return y;
        }
        self.free
            .iter()
            .enumerate()
            .filter(|&(t, _)| (y >> t) & 1 == 1)
            .fold(self.ones, |x, (_, &i)| x | 1 << i)
    }

    /// The cube point of the sub-cube's point `rho` (one coordinate per free variable).
    pub fn lift<F: KaizenField>(&self, rho: &[F]) -> Vec<F> {
        let mut point = index_bits(self.ones, self.num_vars);
        for (&i, &r) in self.free.iter().zip(rho) {
            point[i] = r;
        }
        point
    }

    /// The free coordinates of a cube point.
    pub fn free_coordinates<F: Copy>(&self, point: &[F]) -> Vec<F> {
        self.free
            .iter()
            .filter_map(|&i| point.get(i).copied())
            .collect()
    }

    /// Hands out `c·eq(rho, ·)` over the sub-cube (`rho` over the free variables) run by run:
    /// `f(start, values)` gets each run's first cube index and its `2^run` values.
    pub fn for_each_run<F: KaizenField>(&self, rho: &[F], c: F, mut f: impl FnMut(usize, &[F])) {
        let mut eq = vec![F::ZERO; 1 << rho.len()];
        eq_table_into(rho, c, &mut eq);
        let run = self.run().min(rho.len());
        for (h, chunk) in eq.chunks(1 << run).enumerate() {
            f(self.index(h << run), chunk);
        }
    }

    /// The value at the cube point [`SubCube::lift`]`(rho)` of the MLE of `table` (the whole
    /// cube's `2^num_vars` entries): only the sub-cube's entries are read.
    pub fn evaluate<F: KaizenField>(&self, table: &[F], rho: &[F]) -> Result<F, FieldError> {
        if table.len() != 1 << self.num_vars {
            return Err(FieldError::PointDimension {
                expected: table.len().trailing_zeros() as usize,
                got: self.num_vars,
            });
        }
        if rho.len() != self.free_vars() {
            return Err(FieldError::PointDimension {
                expected: self.free_vars(),
                got: rho.len(),
            });
        }
        let eq = eq_table(rho);
        let run = 1 << self.run();
        Ok(eq
            .par_chunks(run)
            .with_min_len((PAR_MIN_LEN / run).max(1))
            .enumerate()
            .fold(F::Acc::default, |mut acc, (h, weights)| {
                let start = self.index(h * run);
                for (&w, &x) in weights.iter().zip(&table[start..start + run]) {
                    acc.add_product(w, x);
                }
                acc
            })
            .reduce(F::Acc::default, |mut acc, other| {
                acc.merge(other);
                acc
            })
            .reduce())
    }
}

/// Bits of `index` as field elements, low-order first (`len` of them).
pub fn index_bits<F: KaizenField>(index: usize, len: usize) -> Vec<F> {
    (0..len)
        .map(|i| {
            if (index >> i) & 1 == 1 {
                F::ONE
            } else {
                F::ZERO
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Fr, M61Ext2};
    use ark_ff::{AdditiveGroup, Field};
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// A sub-cube's entries, points and evaluations agree with the whole cube's.
    #[test]
    fn sub_cube_restricts_the_cube() {
        type F = M61Ext2;
        let cube = SubCube::new(5, &[(1, true), (3, false)]).unwrap();
        assert_eq!((cube.free_vars(), cube.run()), (3, 1));
        let indices: Vec<usize> = (0..8).map(|y| cube.index(y)).collect();
        assert_eq!(indices, vec![2, 3, 6, 7, 18, 19, 22, 23]);
        let table: Vec<F> = random_vec(32, 7);
        let rho: Vec<F> = random_vec(3, 8);
        let point = cube.lift(&rho);
        assert_eq!(SubCube::of_point(&point), cube);
        assert_eq!(cube.free_coordinates(&point), rho);
        let whole = MultilinearPoly::new(table.clone())
            .unwrap()
            .evaluate(&point);
        assert_eq!(cube.evaluate(&table, &rho), whole);
        let mut spread = vec![F::ZERO; 32];
        cube.for_each_run(&rho, F::ONE, |start, eq| {
            spread[start..start + eq.len()].copy_from_slice(eq);
        });
        assert_eq!(inner_product(&spread, &table), whole.unwrap());
        assert_eq!(SubCube::whole(5).index(19), 19);
        assert!(cube.evaluate(&table[..16], &rho).is_err());
        assert!(cube.evaluate(&table, &rho[..2]).is_err());
        assert!(SubCube::new(5, &[(5, true)]).is_err());
        assert!(SubCube::new(5, &[(2, true), (2, false)]).is_err());
    }

    fn random_vec<F: KaizenField + UniformRand>(n: usize, seed: u64) -> Vec<F> {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        (0..n).map(|_| F::rand(&mut rng)).collect()
    }

    /// Binding a middle block then the rest equals evaluating at the assembled point, for the
    /// outer-parallel and inner-parallel paths; a table that is not a whole number of blocks is
    /// an error.
    /// Rows longer than the output and one shorter (zero-padded), against the plain sums.
    #[test]
    fn weighted_sum_matches_the_plain_sums() {
        let rows: Vec<Vec<M61Ext2>> = (0..5)
            .map(|k| random_vec(if k == 3 { 90 } else { 160 }, 10 + k))
            .collect();
        let weights: Vec<M61Ext2> = random_vec(5, 20);
        let mut out = vec![M61Ext2::ZERO; 150];
        weighted_sum_into(
            &mut out,
            weights.iter().copied().zip(rows.iter().map(Vec::as_slice)),
        );
        for (i, o) in out.iter().enumerate() {
            let plain: M61Ext2 = weights
                .iter()
                .zip(&rows)
                .map(|(&w, row)| w * row.get(i).copied().unwrap_or(M61Ext2::ZERO))
                .sum();
            assert_eq!(*o, plain, "output {i}");
        }
    }

    #[test]
    fn fix_block_binds_the_middle_variables() {
        type F = M61Ext2;
        for (outer, mid, inner) in [
            (4usize, 2usize, 1usize),
            (2, 3, 4),
            (1, 4, 1 << 13),
            (64, 1, 2),
        ] {
            let n = outer.next_power_of_two().trailing_zeros() as usize
                + mid
                + inner.trailing_zeros() as usize;
            let table = random_vec::<F>(1 << n, n as u64);
            let r_mid = random_vec::<F>(mid, 7);
            let rest = random_vec::<F>(n - mid, 8);
            let li = inner.trailing_zeros() as usize;
            let folded = fix_block(&table, inner, &r_mid).unwrap();
            let full: Vec<F> = rest[..li]
                .iter()
                .chain(&r_mid)
                .chain(&rest[li..])
                .copied()
                .collect();
            let want = MultilinearPoly::new(table)
                .unwrap()
                .evaluate(&full)
                .unwrap();
            let got = MultilinearPoly::new(folded)
                .unwrap()
                .evaluate(&rest)
                .unwrap();
            assert_eq!(got, want, "{outer}×2^{mid}×{inner}");
        }
        assert!(fix_block(&random_vec::<F>(12, 1), 4, &random_vec::<F>(2, 2)).is_err());
        assert!(fix_block(&random_vec::<F>(12, 1), 3, &[]).is_err());
    }

    fn check_mle<F: KaizenField + UniformRand>() {
        for n in [0usize, 1, 3, 8, 14] {
            let evals = random_vec::<F>(1 << n, n as u64);
            let poly = MultilinearPoly::new(evals.clone()).unwrap();
            let r = random_vec::<F>(n, 100 + n as u64);
            // evaluate agrees with Σ eq(r, x)·P(x).
            let eq = eq_table(&r);
            let direct: F = eq.iter().zip(&evals).map(|(&e, &v)| e * v).sum();
            assert_eq!(poly.evaluate(&r).unwrap(), direct);
            // At a hypercube point the evaluation is the stored value.
            for idx in [0, (1usize << n) - 1, (1usize << n) / 3] {
                let bits = index_bits::<F>(idx, n);
                assert_eq!(poly.evaluate(&bits).unwrap(), evals[idx]);
                assert_eq!(eq_eval(&r, &bits).unwrap(), eq[idx]);
            }
            // fix_variables then evaluate the rest.
            let k = n / 2;
            let mut partial = poly.clone();
            partial.fix_variables(&r[..k]);
            assert_eq!(partial.num_vars(), n - k);
            assert_eq!(partial.evaluate(&r[k..]).unwrap(), direct);
        }
    }

    #[test]
    fn mle_m61ext2() {
        check_mle::<M61Ext2>();
    }

    #[test]
    fn mle_bls() {
        check_mle::<Fr>();
    }

    #[test]
    fn eq_table_sums_to_one_and_is_parallel_safe() {
        let r = random_vec::<M61Ext2>(15, 7);
        let table = eq_table(&r);
        assert_eq!(table.iter().copied().sum::<M61Ext2>(), M61Ext2::ONE);
    }

    #[test]
    fn sub_cube_is_claim_at_high_bits() {
        let n = 10;
        let evals = random_vec::<M61Ext2>(1 << n, 3);
        let poly = MultilinearPoly::new(evals).unwrap();
        let r = random_vec::<M61Ext2>(n - 3, 4);
        for seg in [0usize, 5, 7] {
            let sub = poly.sub_cube(3, seg).unwrap();
            let mut point = r.clone();
            point.extend(index_bits::<M61Ext2>(seg, 3));
            assert_eq!(sub.evaluate(&r).unwrap(), poly.evaluate(&point).unwrap());
        }
        assert!(poly.sub_cube(3, 8).is_err());
        assert!(poly.sub_cube(11, 0).is_err());
    }

    #[test]
    fn shape_errors() {
        assert_eq!(
            MultilinearPoly::<M61Ext2>::new(vec![M61Ext2::ONE; 3]),
            Err(FieldError::NotPowerOfTwo(3))
        );
        let p = MultilinearPoly::<M61Ext2>::zero(3);
        assert!(matches!(
            p.evaluate(&[M61Ext2::ONE]),
            Err(FieldError::PointDimension { .. })
        ));
        assert_eq!(MultilinearPoly::padded(vec![M61Ext2::ONE; 5]).num_vars(), 3);
        assert!(eq_eval(&[M61Ext2::ONE], &[]).is_none());
    }
}
