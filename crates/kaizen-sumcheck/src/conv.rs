//! Sumchecks for 2-D convolutions and pooling, by sparse selectors (no FFT, no im2col).
//!
//! On one spatial axis a convolution connects output position `i`, kernel offset `u` and input
//! position `x` iff `x = i·S + u − P` ([`ConvAxis::taps`]). The forward pass, the input gradient and
//! the kernel gradient are the three partial derivatives of one trilinear form
//!
//! ```text
//!     T(Y, X, W) = Σ Y[o,i,j] · X[c,x,y] · W[o,c,u,v] · sel(i,u,x) · sel(j,v,y)
//! ```
//!
//! so a claim on any of the three, at a random point, has the form
//!
//! ```text
//!     Σ_{g, a1, a2, b1, b2}  P(g, a1, a2) · Q(g, b1, b2) · S1(a1, b1) · S2(a2, b2)
//! ```
//!
//! with `P`, `Q` the two other tensors (their fixed coordinates already bound) and `S1`, `S2`
//! public sparse matrices: one `sel` per axis with its third index bound to the claim's point
//! ([`ConvAxis::at_output`], [`ConvAxis::at_input`], [`ConvAxis::at_kernel`]). [`prove_conv`]
//! reduces it with two degree-2 sumchecks: over `(g, a)` of `P·Z`, where the prover computes
//! `Z(g, a) = Σ_b Q(g, b)·S1(a1, b1)·S2(a2, b2)` by two sparse passes (`O(|Q|·K)`, one output
//! channel's worth of convolution), then a [spread](prove_spread) over `b` of `Q(ρ_g, b)` against
//! `S1(ρ_a1, ·) ⊗ S2(ρ_a2, ·)`. The verifier evaluates `S1`, `S2` itself in `O(nnz)` — `O(H'·K)`
//! per axis. A pooling window sum (`Σ_window x`) or a broadcast (`y[i]` to every `x` of its
//! window) is a spread alone, with [`ConvAxis::windows`].
use ark_serialize::CanonicalSerialize;
use kaizen_field::{eq_table, fix_block, KaizenField, Transcript};
use rayon::prelude::*;

use crate::{
    error::{check_len, check_point, final_pair},
    protocol::{prove_single, verify_single},
    Claim, ProductSum, SumcheckError, SumcheckProof, SumcheckShape,
};

/// A public sparse matrix `S(a, b) = Σ_e w_e·[a = a_e]·[b = b_e]`, `a ∈ {0,1}^{a_vars}`,
/// `b ∈ {0,1}^{b_vars}`; its MLE is evaluated by the verifier in `O(nnz + 2^a_vars + 2^b_vars)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sparse<F> {
    /// Variables of the row index `a`.
    pub a_vars: usize,
    /// Variables of the column index `b`.
    pub b_vars: usize,
    /// Entries `(a, b, w)`; repeated positions add up.
    pub entries: Vec<(usize, usize, F)>,
}

impl<F: KaizenField> Sparse<F> {
    /// `S̃(r_a, r_b)`.
    pub fn evaluate(&self, r_a: &[F], r_b: &[F]) -> Result<F, SumcheckError> {
        check_point(r_a, self.a_vars)?;
        check_point(r_b, self.b_vars)?;
        let (ea, eb) = (eq_table(r_a), eq_table(r_b));
        Ok(self
            .entries
            .iter()
            .map(|&(a, b, w)| w * ea[a] * eb[b])
            .sum())
    }

    /// `S̃(r_a, ·)` as a table over `b`.
    pub fn fix_a(&self, r_a: &[F]) -> Result<Vec<F>, SumcheckError> {
        check_point(r_a, self.a_vars)?;
        let ea = eq_table(r_a);
        let mut out = vec![F::ZERO; 1 << self.b_vars];
        for &(a, b, w) in &self.entries {
            out[b] += w * ea[a];
        }
        Ok(out)
    }

    /// `Sᵀ(b, a) = S(a, b)`.
    pub fn transpose(&self) -> Self {
        Self {
            a_vars: self.b_vars,
            b_vars: self.a_vars,
            entries: self.entries.iter().map(|&(a, b, w)| (b, a, w)).collect(),
        }
    }

    fn check(&self) -> Result<(), SumcheckError> {
        let ok = self
            .entries
            .iter()
            .all(|&(a, b, _)| a >> self.a_vars == 0 && b >> self.b_vars == 0);
        ok.then_some(())
            .ok_or_else(|| SumcheckError::MatrixShape("sparse entry outside its dimensions".into()))
    }
}

/// One spatial axis of a convolution (or of `k×k`/stride-`k` pooling): `input` positions, `output`
/// positions, `kernel` offsets, `stride`, zero `padding`. Every size is padded to a power of two
/// in the tensors' layout; padded positions are connected to nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvAxis {
    /// Input length.
    pub input: usize,
    /// Output length.
    pub output: usize,
    /// Kernel size.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on each side.
    pub padding: usize,
}

fn vars(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

impl ConvAxis {
    /// The axis of a pooling window `k` (stride `k`, floor mode) over `input` positions.
    pub fn pool(input: usize, k: usize) -> Self {
        Self {
            input,
            output: input / k.max(1),
            kernel: k,
            stride: k,
            padding: 0,
        }
    }

    /// `(output, kernel, input)` variables.
    pub fn vars(&self) -> (usize, usize, usize) {
        (vars(self.output), vars(self.kernel), vars(self.input))
    }

    /// Every `(i, u, x)` with `x = i·stride + u − padding` inside the input.
    pub fn taps(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.output).flat_map(move |i| {
            (0..self.kernel).filter_map(move |u| {
                let x = (i * self.stride + u).checked_sub(self.padding)?;
                (x < self.input).then_some((i, u, x))
            })
        })
    }

    /// `Σ_i eq(r_i, i)·sel(i, u, x)` over `(a, b) = (u, x)`: the selector of a claim on the output.
    pub fn at_output<F: KaizenField>(&self, r_i: &[F]) -> Result<Sparse<F>, SumcheckError> {
        let (vi, vu, vx) = self.vars();
        self.bind(r_i, [vi, vu, vx], |(i, u, x)| (i, u, x))
    }

    /// `Σ_x eq(r_x, x)·sel(i, u, x)` over `(a, b) = (u, i)`: the selector of a claim on the
    /// input gradient.
    pub fn at_input<F: KaizenField>(&self, r_x: &[F]) -> Result<Sparse<F>, SumcheckError> {
        let (vi, vu, vx) = self.vars();
        self.bind(r_x, [vx, vu, vi], |(i, u, x)| (x, u, i))
    }

    /// `Σ_u eq(r_u, u)·sel(i, u, x)` over `(a, b) = (i, x)`: the selector of a claim on the
    /// kernel gradient.
    pub fn at_kernel<F: KaizenField>(&self, r_u: &[F]) -> Result<Sparse<F>, SumcheckError> {
        let (vi, vu, vx) = self.vars();
        self.bind(r_u, [vu, vi, vx], |(i, u, x)| (u, i, x))
    }

    /// `Σ_t eq(r, t)·sel(i, u, x)` as a matrix over `(a, b)`, where `pick` orders a tap
    /// `(i, u, x)` as `(t, a, b)` and `vars` gives their variable counts.
    fn bind<F: KaizenField>(
        &self,
        r: &[F],
        [vt, va, vb]: [usize; 3],
        pick: impl Fn((usize, usize, usize)) -> (usize, usize, usize),
    ) -> Result<Sparse<F>, SumcheckError> {
        check_point(r, vt)?;
        let e = eq_table(r);
        Ok(Sparse {
            a_vars: va,
            b_vars: vb,
            entries: self
                .taps()
                .map(|tap| {
                    let (t, a, b) = pick(tap);
                    (a, b, e[t])
                })
                .collect(),
        })
    }

    /// `Σ_u sel(i, u, x)` over `(a, b) = (i, x)`: which inputs each output's window covers.
    pub fn windows<F: KaizenField>(&self) -> Sparse<F> {
        let (vi, _, vx) = self.vars();
        Sparse {
            a_vars: vi,
            b_vars: vx,
            entries: self.taps().map(|(i, _, x)| (i, x, F::ONE)).collect(),
        }
    }
}

/// Variables of `Σ P(g, a1, a2)·Q(g, b1, b2)·S1(a1, b1)·S2(a2, b2)`; `P` is `[g][a1][a2]` and `Q`
/// `[g][b1][b2]`, row-major.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvDims {
    /// Variables shared by `P` and `Q`.
    pub g: usize,
    /// `P`'s own variables, per axis.
    pub a: [usize; 2],
    /// `Q`'s own variables, per axis.
    pub b: [usize; 2],
}

impl ConvDims {
    fn check(&self, s: [&Sparse<impl KaizenField>; 2]) -> Result<(), SumcheckError> {
        for (k, m) in s.iter().enumerate() {
            m.check()?;
            if (m.a_vars, m.b_vars) != (self.a[k], self.b[k]) {
                return Err(SumcheckError::MatrixShape(format!(
                    "selector {k} is 2^{}×2^{}, the dimensions say 2^{}×2^{}",
                    m.a_vars, m.b_vars, self.a[k], self.b[k]
                )));
            }
        }
        Ok(())
    }
}

/// A convolution reduction: the sumcheck over `(g, a)` and the spread over `b`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct ConvProof<F: KaizenField> {
    /// `Σ_{g,a} P·Z`.
    pub fold: SumcheckProof<F>,
    /// `Z(ρ) = Σ_b Q(ρ_g, b)·S1(ρ_a1, b1)·S2(ρ_a2, b2)`.
    pub spread: SumcheckProof<F>,
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] ConvProof<F> {
    fold: one,
    spread: one,
});

/// The claims a convolution reduction leaves: `P̃` at `(ρ_a2, ρ_a1, ρ_g)` and `Q̃` at
/// `(σ_b2, σ_b1, ρ_g)` (low-order variables first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvClaims<F> {
    /// Claim on `P`.
    pub p: Claim<F>,
    /// Claim on `Q`.
    pub q: Claim<F>,
}

/// `Z(g, a1, a2) = Σ_{b1,b2} Q(g, b1, b2)·S1(a1, b1)·S2(a2, b2)`, axis by axis.
fn spread_back<F: KaizenField>(dims: ConvDims, q: &[F], s: [&Sparse<F>; 2]) -> Vec<F> {
    let ([a1, a2], [b1, b2]) = (dims.a.map(|v| 1usize << v), dims.b.map(|v| 1usize << v));
    let mut t = vec![F::ZERO; q.len() / b2 * a2];
    t.par_chunks_mut(a2)
        .zip(q.par_chunks(b2))
        .for_each(|(row, qrow)| {
            for &(a, b, w) in &s[1].entries {
                row[a] += w * qrow[b];
            }
        });
    let mut z = vec![F::ZERO; (t.len() / (b1 * a2)) * a1 * a2];
    z.par_chunks_mut(a1 * a2)
        .zip(t.par_chunks(b1 * a2))
        .for_each(|(zg, tg)| {
            for &(a, b, w) in &s[0].entries {
                for (o, &v) in zg[a * a2..(a + 1) * a2].iter_mut().zip(&tg[b * a2..]) {
                    *o += w * v;
                }
            }
        });
    z
}

/// Proves `Σ P·Q·S1·S2 = claim` (see the module docs).
pub fn prove_conv<F: KaizenField, T: Transcript<F>>(
    dims: ConvDims,
    p: &[F],
    q: &[F],
    s: [&Sparse<F>; 2],
    claim: F,
    transcript: &mut T,
) -> Result<(ConvProof<F>, ConvClaims<F>), SumcheckError> {
    dims.check(s)?;
    let (va, vb) = (dims.a[0] + dims.a[1], dims.b[0] + dims.b[1]);
    check_len("P", p.len(), 1 << (dims.g + va))?;
    check_len("Q", q.len(), 1 << (dims.g + vb))?;
    let z = spread_back(dims, q, s);
    let instance = ProductSum::new(SumcheckShape::product(dims.g + va, 2), vec![p.to_vec(), z])?;
    let (fold, claims) = prove_single(instance, claim, transcript)?;
    let [cp, cz] = final_pair(&claims)?;
    let rho = &cp.point;
    let q_rho = fix_block(q, 1 << vb, &rho[va..])?;
    let axes = [(s[0], &rho[dims.a[1]..va]), (s[1], &rho[..dims.a[1]])];
    let (spread, cq) = prove_spread(&q_rho, axes, cz.value, transcript)?;
    Ok((
        ConvProof { fold, spread },
        ConvClaims {
            p: cp.clone(),
            q: with_high(cq, &rho[va..]),
        },
    ))
}

/// Verifies a convolution reduction; returns the claims on `P` and `Q` left to check.
pub fn verify_conv<F: KaizenField, T: Transcript<F>>(
    dims: ConvDims,
    s: [&Sparse<F>; 2],
    claim: F,
    proof: &ConvProof<F>,
    transcript: &mut T,
) -> Result<ConvClaims<F>, SumcheckError> {
    dims.check(s)?;
    let va = dims.a[0] + dims.a[1];
    let shape = SumcheckShape::product(dims.g + va, 2);
    let claims = verify_single(&shape, claim, &proof.fold, transcript)?;
    let [cp, cz] = final_pair(&claims)?;
    let rho = &cp.point;
    let axes = [(s[0], &rho[dims.a[1]..va]), (s[1], &rho[..dims.a[1]])];
    let cq = verify_spread(axes, cz.value, &proof.spread, transcript)?;
    Ok(ConvClaims {
        p: cp.clone(),
        q: with_high(cq, &rho[va..]),
    })
}

fn with_high<F: Copy>(mut claim: Claim<F>, high: &[F]) -> Claim<F> {
    claim.point.extend_from_slice(high);
    claim
}

/// One axis of a spread: the selector and the point its row index is bound to.
pub type SpreadAxis<'a, F> = (&'a Sparse<F>, &'a [F]);

/// The table `S1(ρ1, ·) ⊗ S2(ρ2, ·)` over `[b1][b2]`.
fn spread_table<F: KaizenField>(axes: [SpreadAxis<'_, F>; 2]) -> Result<Vec<F>, SumcheckError> {
    let (u1, u2) = (axes[0].0.fix_a(axes[0].1)?, axes[1].0.fix_a(axes[1].1)?);
    Ok(u1
        .iter()
        .flat_map(|&x| u2.iter().map(move |&y| x * y))
        .collect())
}

/// `Σ_{b1,b2} Q(b1, b2)·S1(ρ1, b1)·S2(ρ2, b2)` for `Q` `[b1][b2]` row-major: the value a spread
/// proves (for a caller that sends it rather than knowing it).
pub fn spread_sum<F: KaizenField>(
    q: &[F],
    axes: [SpreadAxis<'_, F>; 2],
) -> Result<F, SumcheckError> {
    check_len("Q", q.len(), 1 << (axes[0].0.b_vars + axes[1].0.b_vars))?;
    let u = spread_table(axes)?;
    Ok(q.par_iter().zip(&u).map(|(&a, &b)| a * b).sum())
}

/// Proves `Σ_{b1,b2} Q(b1, b2)·S1(ρ1, b1)·S2(ρ2, b2) = claim` for `Q` `[b1][b2]` row-major
/// (a degree-2 sumcheck); returns the claim on `Q̃` at `(σ_b2, σ_b1)`.
pub fn prove_spread<F: KaizenField, T: Transcript<F>>(
    q: &[F],
    axes: [SpreadAxis<'_, F>; 2],
    claim: F,
    transcript: &mut T,
) -> Result<(SumcheckProof<F>, Claim<F>), SumcheckError> {
    let vb = axes[0].0.b_vars + axes[1].0.b_vars;
    check_len("Q", q.len(), 1 << vb)?;
    axes[0].0.check()?;
    axes[1].0.check()?;
    let u = spread_table(axes)?;
    let instance = ProductSum::new(SumcheckShape::product(vb, 2), vec![q.to_vec(), u])?;
    let (proof, claims) = prove_single(instance, claim, transcript)?;
    let [cq, _] = final_pair(&claims)?;
    Ok((proof, cq.clone()))
}

/// Verifies a spread; checks the selector's final value itself and returns the claim on `Q`.
pub fn verify_spread<F: KaizenField, T: Transcript<F>>(
    axes: [SpreadAxis<'_, F>; 2],
    claim: F,
    proof: &SumcheckProof<F>,
    transcript: &mut T,
) -> Result<Claim<F>, SumcheckError> {
    let b2 = axes[1].0.b_vars;
    let vb = axes[0].0.b_vars + b2;
    let claims = verify_single(&SumcheckShape::product(vb, 2), claim, proof, transcript)?;
    let [cq, cu] = final_pair(&claims)?;
    let sigma = &cu.point;
    let expected = axes[0].0.evaluate(axes[0].1, &sigma[b2..])?
        * axes[1].0.evaluate(axes[1].1, &sigma[..b2])?;
    if expected != cu.value {
        return Err(SumcheckError::FinalEvaluation);
    }
    Ok(cq.clone())
}

#[cfg(test)]
mod tests;
