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
    /// `s(r)` by Lagrange interpolation over the nodes `0, 1, …, d`, with one field inversion:
    /// `s(r) = Σ_i s(i)·Π_{j≠i}(r − j) / (i!·(d − i)!·(−1)^{d−i})`.
    pub fn evaluate(&self, r: F) -> F {
        let n = self.evals.len();
        if n == 0 {
            return F::ZERO;
        }
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
                return self.evals[i];
            }
        }
        // inv_fact[k] = 1/k! for k < n, from a single inversion of (n − 1)!.
        let fact = (1..n as u64).fold(F::ONE, |f, k| f * F::from(k));
        let mut inv_fact = vec![fact.inverse().unwrap_or(F::ZERO); n];
        for k in (1..n).rev() {
            inv_fact[k - 1] = inv_fact[k] * F::from(k as u64);
        }
        let mut total = F::ZERO;
        let mut suffix = F::ONE;
        for i in (0..n).rev() {
            let term = self.evals[i] * prefix[i] * suffix * inv_fact[i] * inv_fact[n - 1 - i];
            if (n - 1 - i) % 2 == 0 {
                total += term;
            } else {
                total -= term;
            }
            suffix *= r - F::from(i as u64);
        }
        total
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
    use kaizen_field::{AdditiveGroup, M61Ext2};

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
}
