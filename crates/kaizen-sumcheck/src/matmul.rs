//! Thaler's sumcheck for matrix multiplication (Thaler 2013, "Time-optimal interactive proofs for
//! circuit evaluation", §5): for `C = A·B` with `A: m×k`, `B: k×n` (dimensions powers of two; pad
//! with zeros otherwise), a claim `C̃(r_j, r_i) = v` reduces by a degree-2 sumcheck over the inner
//! dimension to claims `Ã(r_k, r_i)` and `B̃(r_j, r_k)`:
//!
//! ```text
//!     C̃(r_j, r_i) = Σ_{y ∈ {0,1}^{log k}} Ã(y, r_i) · B̃(r_j, y)
//! ```
//!
//! Matrices are row-major, so a matrix MLE's low-order variables are its column bits and its
//! high-order variables its row bits: `M̃(col, row)`. The prover folds `A`'s row variables and
//! `B`'s column variables with `eq` tables (`O(mk + kn)` multiplications), then runs the
//! sumcheck on two vectors of length `k` — linear in `|A| + |B|`, far below computing `C`.
use kaizen_field::{fix_block, KaizenField, Transcript};

use crate::{
    error::{check_len, check_point, final_pair},
    protocol::{prove_single, verify_single},
    Claim, ProductSum, SumcheckError, SumcheckProof, SumcheckShape,
};

/// Dimensions of `C = A·B`: `A` is `rows × inner`, `B` is `inner × cols`; all powers of two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulDims {
    /// Rows of `A` and `C`.
    pub rows: usize,
    /// Columns of `A`, rows of `B`.
    pub inner: usize,
    /// Columns of `B` and `C`.
    pub cols: usize,
}

impl MatmulDims {
    fn check(&self) -> Result<(usize, usize, usize), SumcheckError> {
        let log = |x: usize, name: &str| {
            x.is_power_of_two()
                .then(|| x.trailing_zeros() as usize)
                .ok_or_else(|| {
                    SumcheckError::MatrixShape(format!("{name} = {x} is not a power of two"))
                })
        };
        Ok((
            log(self.rows, "rows")?,
            log(self.inner, "inner")?,
            log(self.cols, "cols")?,
        ))
    }

    /// Splits a point on `C̃` into `(r_j, r_i)` (column part first).
    fn split<'a, F>(&self, point: &'a [F]) -> Result<(&'a [F], &'a [F]), SumcheckError> {
        let (lr, _, lc) = self.check()?;
        check_point(point, lr + lc)?;
        Ok(point.split_at(lc))
    }
}

/// The claims a matmul reduction leaves: on `Ã` at `(r_k, r_i)` and on `B̃` at `(r_j, r_k)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulClaims<F> {
    /// Claim on `A`.
    pub a: Claim<F>,
    /// Claim on `B`.
    pub b: Claim<F>,
}

/// Proves `C̃(point) = value` for `C = A·B` given `A` and `B` row-major.
pub fn prove_matmul<F: KaizenField, T: Transcript<F>>(
    dims: MatmulDims,
    a: &[F],
    b: &[F],
    point: &[F],
    value: F,
    transcript: &mut T,
) -> Result<(SumcheckProof<F>, MatmulClaims<F>), SumcheckError> {
    let (_, log_k, _) = dims.check()?;
    check_len("A", a.len(), dims.rows * dims.inner)?;
    check_len("B", b.len(), dims.inner * dims.cols)?;
    let (r_j, r_i) = dims.split(point)?;
    // Ã(·, r_i) binds A's row variables, B̃(r_j, ·) B's column variables.
    let (a_row, b_col) = rayon::join(|| fix_block(a, dims.inner, r_i), || fix_block(b, 1, r_j));
    let (a_row, b_col) = (a_row?, b_col?);
    let instance = ProductSum::new(SumcheckShape::product(log_k, 2), vec![a_row, b_col])?;
    let (proof, claims) = prove_single(instance, value, transcript)?;
    Ok((proof, output_claims(&claims, r_i, r_j)?))
}

/// Verifies a matmul reduction; returns the claims on `A` and `B` the caller must still check.
pub fn verify_matmul<F: KaizenField, T: Transcript<F>>(
    dims: MatmulDims,
    point: &[F],
    value: F,
    proof: &SumcheckProof<F>,
    transcript: &mut T,
) -> Result<MatmulClaims<F>, SumcheckError> {
    let (_, log_k, _) = dims.check()?;
    let (r_j, r_i) = dims.split(point)?;
    let claims = verify_single(&SumcheckShape::product(log_k, 2), value, proof, transcript)?;
    output_claims(&claims, r_i, r_j)
}

fn output_claims<F: KaizenField>(
    claims: &[Claim<F>],
    r_i: &[F],
    r_j: &[F],
) -> Result<MatmulClaims<F>, SumcheckError> {
    let [ca, cb] = final_pair(claims)?;
    let r_k = &ca.point;
    Ok(MatmulClaims {
        a: Claim {
            point: [r_k.as_slice(), r_i].concat(),
            value: ca.value,
        },
        b: Claim {
            point: [r_j, r_k.as_slice()].concat(),
            value: cb.value,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use kaizen_field::{Blake3Transcript, M61Ext2, MultilinearPoly};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    type F = M61Ext2;

    fn matmul(a: &[F], b: &[F], d: MatmulDims) -> Vec<F> {
        let mut c = vec![F::from(0u64); d.rows * d.cols];
        for i in 0..d.rows {
            for k in 0..d.inner {
                for j in 0..d.cols {
                    c[i * d.cols + j] += a[i * d.inner + k] * b[k * d.cols + j];
                }
            }
        }
        c
    }

    fn setup(d: MatmulDims, seed: u64) -> (Vec<F>, Vec<F>, Vec<F>, Vec<F>, F) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let a: Vec<F> = (0..d.rows * d.inner).map(|_| F::rand(&mut rng)).collect();
        let b: Vec<F> = (0..d.inner * d.cols).map(|_| F::rand(&mut rng)).collect();
        let c = matmul(&a, &b, d);
        let nv = (d.rows * d.cols).trailing_zeros() as usize;
        let point: Vec<F> = (0..nv).map(|_| F::rand(&mut rng)).collect();
        let value = MultilinearPoly::new(c.clone())
            .unwrap()
            .evaluate(&point)
            .unwrap();
        (a, b, c, point, value)
    }

    #[test]
    fn rectangular_shapes_complete_and_claims_are_true() {
        for d in [
            MatmulDims {
                rows: 4,
                inner: 8,
                cols: 2,
            },
            MatmulDims {
                rows: 1,
                inner: 16,
                cols: 1,
            },
            MatmulDims {
                rows: 32,
                inner: 1,
                cols: 8,
            },
            MatmulDims {
                rows: 16,
                inner: 64,
                cols: 32,
            },
        ] {
            let (a, b, _, point, value) = setup(d, 1);
            let mut tp = Blake3Transcript::new(b"mm");
            let (proof, claims) = prove_matmul(d, &a, &b, &point, value, &mut tp).unwrap();
            let mut tv = Blake3Transcript::new(b"mm");
            let vclaims = verify_matmul(d, &point, value, &proof, &mut tv).unwrap();
            assert_eq!(claims, vclaims);
            let ea = MultilinearPoly::new(a)
                .unwrap()
                .evaluate(&claims.a.point)
                .unwrap();
            let eb = MultilinearPoly::new(b)
                .unwrap()
                .evaluate(&claims.b.point)
                .unwrap();
            assert_eq!((ea, eb), (claims.a.value, claims.b.value));
        }
    }

    #[test]
    fn wrong_product_or_witness_is_rejected() {
        let d = MatmulDims {
            rows: 8,
            inner: 16,
            cols: 4,
        };
        let (a, b, _, point, value) = setup(d, 2);
        // Wrong claimed value.
        let mut tp = Blake3Transcript::new(b"mm");
        let (proof, _) = prove_matmul(d, &a, &b, &point, value + F::from(1u64), &mut tp).unwrap();
        let mut tv = Blake3Transcript::new(b"mm");
        assert!(verify_matmul(d, &point, value + F::from(1u64), &proof, &mut tv).is_err());
        // A prover holding a different A cannot prove the true product's value.
        let mut a2 = a.clone();
        a2[5] += F::from(1u64);
        let mut tp = Blake3Transcript::new(b"mm");
        let (proof, _) = prove_matmul(d, &a2, &b, &point, value, &mut tp).unwrap();
        let mut tv = Blake3Transcript::new(b"mm");
        assert!(verify_matmul(d, &point, value, &proof, &mut tv).is_err());
        // Tampered proof.
        let mut tp = Blake3Transcript::new(b"mm");
        let (mut proof, _) = prove_matmul(d, &a, &b, &point, value, &mut tp).unwrap();
        proof.final_evals[0][1] += F::from(1u64);
        let mut tv = Blake3Transcript::new(b"mm");
        assert!(verify_matmul(d, &point, value, &proof, &mut tv).is_err());
    }

    #[test]
    fn bad_dimensions_are_errors() {
        let d = MatmulDims {
            rows: 3,
            inner: 4,
            cols: 4,
        };
        let mut t = Blake3Transcript::new(b"mm");
        let z = vec![F::from(0u64); 12];
        assert!(matches!(
            prove_matmul(d, &z, &z, &[], F::from(0u64), &mut t),
            Err(SumcheckError::MatrixShape(_))
        ));
        let d = MatmulDims {
            rows: 4,
            inner: 4,
            cols: 4,
        };
        let z = vec![F::from(0u64); 16];
        assert!(matches!(
            prove_matmul(d, &z, &z, &[F::from(0u64); 3], F::from(0u64), &mut t),
            Err(SumcheckError::PointDimension { .. })
        ));
        assert!(prove_matmul(d, &z[..8], &z, &[F::from(0u64); 4], F::from(0u64), &mut t).is_err());
    }
}
