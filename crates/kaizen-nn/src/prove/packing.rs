//! Packed parameters: a weight of shape `[d_0, d_1, …, d_k]` is committed as the matrix
//! `[d_0, M]`, `M = d_1⋯d_k` (its entries in the same row-major order), each of the two dimensions
//! padded to a power of two — where that holds fewer entries than padding every dimension
//! (LeNet-5's `fc1` `[120, 16, 5, 5]`: `128 × 512` instead of `128 × 16 × 8 × 8`; a conv kernel
//! `5 × 5` in 32 entries instead of 64). The relations read the padded view `V` (every dimension
//! padded, the layout the matmul and conv reductions expect), a function of the packed `P`:
//!
//! ```text
//!     V(o, i_1, …, i_k) = P(o, m(i))   on the real entries (m(i) the row-major index),  0 elsewhere,
//! ```
//!
//! so the claims `V(r_j) = v_j` reduce, with `ρ` drawn after them, to one sumcheck over the
//! packed cube,
//!
//! ```text
//!     Σ_j ρ^j·v_j = Σ_{o, m} G(o, m)·P(o, m),
//!     G(o, m) = Σ_j ρ^j · [o < d_0]·eq(r_{j,0}, o) · [m < M]·Π_{t ≥ 1} eq(r_{j,t}, i_t(m)),
//! ```
//!
//! whose final claim on `G` the verifier evaluates itself in `O(d_0 + M)` per claim: `G`'s MLE
//! at `(x_m, x_o)` is `Σ_j ρ^j·(Σ_{o < d_0} eq(x_o, o)·a_j(o))·(Σ_{m < M} eq(x_m, m)·b_j(m))`.
//! The view is zero on its padding by construction (no padding check), and the packed tensor's
//! own padding is never read.
use kaizen_field::{eq_table, KaizenField};
use rayon::prelude::*;

use super::{plan::log2, ProveError};

/// The packed shape `[d_0, d_1⋯d_k]` of a parameter of shape `dims`, if its padding holds fewer
/// entries than `dims` padded dimension by dimension.
pub(crate) fn packed_dims(dims: &[usize]) -> Option<Vec<usize>> {
    let (&rows, rest) = dims.split_first()?;
    let cols: usize = rest.iter().product();
    let padded: usize = rest.iter().map(|d| d.next_power_of_two()).product();
    (cols.next_power_of_two() < padded).then(|| vec![rows, cols])
}

/// One claim's share of the relayout weight: `coeff·a(o)·b(m)`.
#[derive(Clone, Debug)]
struct Share<F> {
    coeff: F,
    /// `eq(r_0, o)` for `o < d_0`.
    a: Vec<F>,
    /// `Π_{t ≥ 1} eq(r_t, i_t(m))` for `m < M`.
    b: Vec<F>,
}

/// The relayout weight `G` of claims on a packed parameter's padded view (module docs): a public
/// factor of the sumcheck that moves them to the packed tensor.
#[derive(Clone, Debug)]
pub(crate) struct Relayout<F> {
    /// Variables of the packed matrix's rows and columns.
    vars: (usize, usize),
    shares: Vec<Share<F>>,
}

impl<F: KaizenField> Relayout<F> {
    /// The weight for claims at `points` (on the view of shape `dims`, last dimension's variables
    /// first) with coefficients `coeffs`.
    pub(crate) fn new(dims: &[usize], points: &[Vec<F>], coeffs: &[F]) -> Result<Self, ProveError> {
        let packed = packed_dims(dims)
            .ok_or_else(|| ProveError::Config(format!("{dims:?} is not packed")))?;
        let vars: Vec<usize> = dims.iter().map(|&d| log2(d) as usize).collect();
        let total: usize = vars.iter().sum();
        let shares = points
            .iter()
            .zip(coeffs)
            .map(|(point, &coeff)| {
                if point.len() != total {
                    return Err(ProveError::ProofShape(format!(
                        "a claim on a packed view of {} coordinates, {total} expected",
                        point.len()
                    )));
                }
                // Per dimension, outermost first: `eq(r_t, i)` for its real indices `i < d_t`.
                let mut tables = Vec::with_capacity(dims.len());
                let mut high = point.as_slice();
                for (&d, &v) in dims.iter().zip(&vars) {
                    let (rest, own) = high.split_at(high.len() - v);
                    tables.push(eq_table(own)[..d].to_vec());
                    high = rest;
                }
                let b = tables[1..].iter().fold(vec![F::ONE], |acc, t| {
                    acc.iter()
                        .flat_map(|&x| t.iter().map(move |&y| x * y))
                        .collect()
                });
                Ok(Share {
                    coeff,
                    a: tables.swap_remove(0),
                    b,
                })
            })
            .collect::<Result<Vec<_>, ProveError>>()?;
        Ok(Self {
            vars: (log2(packed[0]) as usize, log2(packed[1]) as usize),
            shares,
        })
    }

    /// Variables of the packed tensor.
    pub(crate) fn num_vars(&self) -> usize {
        self.vars.0 + self.vars.1
    }

    /// `G`'s MLE at `x` (columns' variables first), `None` for a point of the wrong dimension.
    pub(crate) fn evaluate(&self, x: &[F]) -> Option<F> {
        if x.len() != self.num_vars() {
            return None;
        }
        let (x_m, x_o) = x.split_at(self.vars.1);
        let (eq_o, eq_m) = (eq_table(x_o), eq_table(x_m));
        let dot = |u: &[F], v: &[F]| -> F { u.iter().zip(v).map(|(&a, &b)| a * b).sum() };
        Some(
            self.shares
                .iter()
                .map(|s| s.coeff * dot(&s.a, &eq_o) * dot(&s.b, &eq_m))
                .sum(),
        )
    }

    /// `G`'s table over the packed cube (row-major `[2^rows][2^cols]`). Each claim adds its
    /// products where both factors are nonzero (a claim on a block of the view, such as a range
    /// check's, fills that block alone).
    pub(crate) fn table(&self) -> Vec<F> {
        let width = 1usize << self.vars.1;
        let nonzero: Vec<Vec<(usize, F)>> = self
            .shares
            .iter()
            .map(|s| {
                s.b.iter()
                    .copied()
                    .enumerate()
                    .filter(|(_, v)| !v.is_zero())
                    .collect()
            })
            .collect();
        let mut out = vec![F::ZERO; width << self.vars.0];
        out.par_chunks_mut(width).enumerate().for_each(|(o, row)| {
            for (share, b) in self.shares.iter().zip(&nonzero) {
                let Some(&a) = share.a.get(o).filter(|a| !a.is_zero()) else {
                    continue;
                };
                let scale = share.coeff * a;
                for &(m, v) in b {
                    row[m] += scale * v;
                }
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use kaizen_field::M61Ext2;

    use super::{super::session::evaluate, *};

    type F = M61Ext2;

    fn mle(table: &[F], x: &[F]) -> F {
        evaluate(table, x).unwrap()
    }

    /// Which shapes pack, and that `Σ G·P` over the packed cube is `Σ ρ^j·V(r_j)` for the view
    /// `V`, with `G`'s table and its evaluation agreeing — and a changed packed entry changing
    /// the sum where the view reads it, not where it does not.
    #[test]
    fn relayout_weight_moves_view_claims_to_the_packed_tensor() {
        assert_eq!(packed_dims(&[120, 16, 5, 5]), Some(vec![120, 400]));
        assert_eq!(packed_dims(&[6, 1, 5, 5]), Some(vec![6, 25]));
        assert_eq!(packed_dims(&[64, 32, 3, 3]), None);
        assert_eq!(packed_dims(&[84, 120]), None);
        let dims = [3usize, 2, 5, 3];
        let (rows, cols) = (4usize, 32usize);
        let view_vars = [2usize, 1, 3, 2];
        let n: usize = view_vars.iter().sum();
        // The packed tensor, padding included (never read), and its view.
        let packed: Vec<F> = (0..rows * cols)
            .map(|i| F::from(7 * i as u64 + 1))
            .collect();
        let mut view = vec![F::from(0u64); 1 << n];
        for o in 0..3 {
            for (m, (c, h, w)) in (0..2)
                .flat_map(|c| (0..5).flat_map(move |h| (0..3).map(move |w| (c, h, w))))
                .enumerate()
            {
                view[((o * 2 + c) * 8 + h) * 4 + w] = packed[o * cols + m];
            }
        }
        let points: Vec<Vec<F>> = (0..3)
            .map(|j| (0..n).map(|i| F::from(100 * j + i as u64 + 3)).collect())
            .chain([{
                // A claim on a block of the view (boolean high coordinates).
                let mut p: Vec<F> = (0..n).map(|i| F::from(i as u64 + 50)).collect();
                p[n - 1] = F::from(0u64);
                p[n - 2] = F::from(1u64);
                p
            }])
            .collect();
        let coeffs: Vec<F> = (0..points.len()).map(|j| F::from(j as u64 + 2)).collect();
        let g = Relayout::new(&dims, &points, &coeffs).unwrap();
        assert_eq!(g.num_vars(), 7);
        let table = g.table();
        let sum: F = table.iter().zip(&packed).map(|(&a, &b)| a * b).sum();
        let claimed: F = points
            .iter()
            .zip(&coeffs)
            .map(|(p, &c)| c * mle(&view, p))
            .sum();
        assert_eq!(sum, claimed);
        let x: Vec<F> = (0..7).map(|i| F::from(i as u64 * 13 + 5)).collect();
        assert_eq!(g.evaluate(&x), Some(mle(&table, &x)));
        assert_eq!(g.evaluate(&x[1..]), None);
        let at = |p: &[F]| -> F { table.iter().zip(p).map(|(&a, &b)| a * b).sum() };
        let mut bad = packed.clone();
        bad[cols + 30] += F::from(1u64);
        bad[3 * cols] += F::from(1u64);
        assert_eq!(
            at(&bad),
            sum,
            "the packed padding (column 30, row 3) is not read"
        );
        bad[cols + 4] += F::from(1u64);
        assert_ne!(at(&bad), sum);
        assert!(Relayout::new(&dims, &[vec![F::from(1u64); n - 1]], &coeffs[..1]).is_err());
        assert!(Relayout::<F>::new(&[4, 8], &[], &[]).is_err());
    }
}
