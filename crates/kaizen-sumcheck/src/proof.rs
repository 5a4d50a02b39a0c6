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
    /// `s(r)` by Lagrange interpolation over the nodes `0, 1, …, d`.
    pub fn evaluate(&self, r: F) -> F {
        let d = self.evals.len();
        let nodes: Vec<F> = (0..d as u64).map(F::from).collect();
        // If r is a node, return the stored value (the barycentric form divides by r − node).
        if let Some(i) = nodes.iter().position(|&x| x == r) {
            return self.evals[i];
        }
        let mut total = F::ZERO;
        for (i, &yi) in self.evals.iter().enumerate() {
            let mut num = F::ONE;
            let mut den = F::ONE;
            for (j, &xj) in nodes.iter().enumerate() {
                if j != i {
                    num *= r - xj;
                    den *= nodes[i] - xj;
                }
            }
            // Nodes are distinct small integers, so den ≠ 0.
            total += yi * num * den.inverse().unwrap_or(F::ZERO);
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
    use kaizen_field::M61Ext2;

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
}
