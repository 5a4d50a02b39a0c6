//! Proof data: round polynomials, the sumcheck proof, and claims.
use ark_serialize::CanonicalSerialize;
use kaizen_field::KaizenField;

/// A claim `P(point) = value` about a multilinear polynomial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim<F> {
    /// The point, `x_0` first.
    pub point: Vec<F>,
    /// The claimed evaluation.
    pub value: F,
}

/// One round polynomial `s(X)`, sent as its evaluations at `X = 0, 1, …, d`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct RoundPoly<F: KaizenField> {
    /// `s(0), s(1), …, s(d)`.
    pub evals: Vec<F>,
}

impl<F: KaizenField> RoundPoly<F> {
    /// `s(r)` by Lagrange interpolation over the nodes `0, 1, …, d` ([`RoundPoly::basis`]).
    pub fn evaluate(&self, r: F) -> F {
        self.evaluate_with(&Self::basis(r, self.evals.len()))
    }

    /// `s(r) = Σ_i s(i)·basis[i]`, with `basis` the Lagrange basis at `r` over as many nodes as
    /// `s` has evaluations: one basis serves every polynomial of a batch's round.
    pub fn evaluate_with(&self, basis: &[F]) -> F {
        self.evals.iter().zip(basis).map(|(&e, &b)| e * b).sum()
    }

    /// The Lagrange basis over the nodes `0, 1, …, n − 1` at `r`, with one field inversion:
    /// `L_i(r) = Π_{j≠i}(r − j) / (i!·(n − 1 − i)!·(−1)^{n−1−i})`.
    pub fn basis(r: F, n: usize) -> Vec<F> {
        // prefix[i] = Π_{j<i} (r − j); the suffix products are folded in below.
        let mut prefix = Vec::with_capacity(n);
        let mut acc = F::ONE;
        for j in 0..n as u64 {
            prefix.push(acc);
            acc *= r - F::from(j);
        }
        // If r is a node, every other term vanishes and its own has weight one.
        if acc.is_zero() {
            if let Some(i) = (0..n as u64).position(|j| r == F::from(j)) {
                let mut unit = vec![F::ZERO; n];
                unit[i] = F::ONE;
                return unit;
            }
        }
        // inv_fact[k] = 1/k! for k < n, from a single inversion of (n − 1)!.
        let fact = (1..n as u64).fold(F::ONE, |f, k| f * F::from(k));
        let mut inv_fact = vec![fact.inverse().unwrap_or(F::ZERO); n];
        for k in (1..n).rev() {
            inv_fact[k - 1] = inv_fact[k] * F::from(k as u64);
        }
        let mut basis = vec![F::ZERO; n];
        let mut suffix = F::ONE;
        for i in (0..n).rev() {
            let term = prefix[i] * suffix * inv_fact[i] * inv_fact[n - 1 - i];
            basis[i] = if (n - 1 - i) % 2 == 0 { term } else { -term };
            suffix *= r - F::from(i as u64);
        }
        basis
    }

    /// `s(n)` from `s(0), …, s(n − 1)` (`n = evals.len()`, `deg s < n`), without an inversion:
    /// the `n`-th finite difference of `s` vanishes, so
    /// `s(n) = Σ_{i<n} (−1)^{n−1−i}·C(n, i)·s(i)`. Any `n` consecutive nodes work the same way.
    pub fn next_node(evals: &[F]) -> F {
        let n = evals.len();
        // Row `n` of Pascal's triangle, in the field (exact for every `n`).
        let mut binomial = vec![F::ZERO; n + 1];
        binomial[0] = F::ONE;
        for k in 1..=n {
            for j in (1..=k).rev() {
                let below = binomial[j - 1];
                binomial[j] += below;
            }
        }
        let mut total = F::ZERO;
        for (i, (&e, &c)) in evals.iter().zip(&binomial).enumerate() {
            if (n - 1 - i) % 2 == 0 {
                total += c * e;
            } else {
                total -= c * e;
            }
        }
        total
    }

    /// Multiplies evaluations at `0, 1, …` by `scale·eq(r, X)`, `eq(r, X) = 1 − r − X + 2rX`:
    /// puts a factored `eq` variable back into a round polynomial (Gruen's trick).
    pub fn times_eq(evals: &mut [F], r: F, scale: F) {
        let slope = r.double() - F::ONE;
        let mut e = F::ONE - r;
        for v in evals.iter_mut() {
            *v *= scale * e;
            e += slope;
        }
    }

    /// Appends `s(len), …, s(degree)` to `evals` (`s` of degree below the initial length).
    pub fn extend_to(evals: &mut Vec<F>, degree: usize) {
        let n = evals.len();
        while evals.len() <= degree {
            let next = Self::next_node(&evals[evals.len() - n..]);
            evals.push(next);
        }
    }
}

/// A (batched) sumcheck proof: one round polynomial per variable, then each instance's
/// polynomial evaluations at the final point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct SumcheckProof<F: KaizenField> {
    /// Round polynomials, round 0 (binding `x_0`) first.
    pub rounds: Vec<RoundPoly<F>>,
    /// For each instance, `P_j(point)` for each of its polynomials.
    pub final_evals: Vec<Vec<F>>,
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] RoundPoly<F> { evals: vec });
kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] SumcheckProof<F> {
    rounds: vec,
    final_evals: vec2,
});

#[cfg(test)]
mod tests {
    use super::*;
    use kaizen_field::{AdditiveGroup, Field, M61Ext2};

    #[test]
    fn interpolation_matches_polynomial() {
        // s(X) = 3X^3 + 2X + 7
        let s = |x: M61Ext2| {
            M61Ext2::from(3u64) * x * x * x + M61Ext2::from(2u64) * x + M61Ext2::from(7u64)
        };
        let poly = RoundPoly {
            evals: (0..4u64).map(|i| s(M61Ext2::from(i))).collect(),
        };
        for r in [0u64, 2, 3, 10, 12345] {
            assert_eq!(poly.evaluate(M61Ext2::from(r)), s(M61Ext2::from(r)));
        }
    }

    /// Every degree up to 7, at nodes and off them (including a point outside the prime field).
    #[test]
    fn interpolation_matches_every_degree() {
        let r_ext = M61Ext2::new(5u64.into(), 9u64.into());
        for d in 0..8u64 {
            let coeffs: Vec<M61Ext2> = (0..=d).map(|k| M61Ext2::from(k * k + 3 * d + 1)).collect();
            let s = |x: M61Ext2| {
                coeffs
                    .iter()
                    .rev()
                    .fold(M61Ext2::ZERO, |acc, &c| acc * x + c)
            };
            let poly = RoundPoly {
                evals: (0..=d).map(|i| s(M61Ext2::from(i))).collect(),
            };
            for r in (0..=d + 2).map(M61Ext2::from).chain([r_ext]) {
                assert_eq!(poly.evaluate(r), s(r), "degree {d}");
            }
        }
        assert_eq!(
            RoundPoly::<M61Ext2> { evals: vec![] }.evaluate(r_ext),
            M61Ext2::ZERO
        );
    }

    /// Extrapolation to the next nodes by finite differences matches the polynomial, for every
    /// degree up to 9 and for degree 70 (binomials beyond 64 bits); a wrong input value moves it.
    #[test]
    fn next_nodes_match_every_degree() {
        for d in (0..10u64).chain([70]) {
            let s = |x: u64| {
                (0..=d).fold(M61Ext2::ZERO, |acc, k| {
                    acc * M61Ext2::from(x) + M61Ext2::new((k * 7 + 1).into(), (d + k).into())
                })
            };
            let mut evals: Vec<M61Ext2> = (0..=d).map(s).collect();
            RoundPoly::extend_to(&mut evals, d as usize + 4);
            for (x, &e) in evals.iter().enumerate() {
                assert_eq!(e, s(x as u64), "degree {d}, node {x}");
            }
            let mut bad: Vec<M61Ext2> = (0..=d).map(s).collect();
            bad[0] += M61Ext2::ONE;
            assert_ne!(RoundPoly::next_node(&bad), s(d + 1), "degree {d}");
        }
    }
}
