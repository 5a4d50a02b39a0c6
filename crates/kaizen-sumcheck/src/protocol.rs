//! The batched sumcheck prover and verifier.
//!
//! Instances `k = 0..m` with `n_k` variables and claimed sums `S_k` are proven together over
//! `n = max n_k` rounds. After absorbing every shape and claim the transcript yields `α`; the
//! combined claim is `Σ_k α^k·2^(n−n_k)·S_k`. Rounds bind the highest-order variable first (see
//! [`ProductSum`]); instance `k` depends only on `x_0..x_{n_k−1}`, so it takes no part in the first
//! `n − n_k` rounds (its round polynomial there is the constant half of its running sum), and its
//! point is the first `n_k` coordinates of the final point `(x_0, …, x_{n−1})` — the last `n_k`
//! challenges, reversed. The proof ends with every instance's polynomial values at its point;
//! the verifier checks `Σ_k α^k·w_k(r_k)·g_k(values_k)` against the last round and returns one
//! [`Claim`] per polynomial. A single sumcheck is the batch of one.
use kaizen_field::{KaizenField, Transcript, PAR_MIN_LEN};
use rayon::prelude::*;

use crate::{Claim, ProductSum, RoundPoly, SumcheckError, SumcheckProof, SumcheckShape};

/// Per instance of a batch, the claims on its polynomials at its final point.
pub type BatchClaims<F> = Vec<Vec<Claim<F>>>;

/// The prover's side of one instance, as the batched protocol drives it: [`ProductSum`] for
/// every shape; special-purpose provers (the multi-point reduction's sparse weight) send the same
/// messages. `Send`: a batch's instances run their rounds in parallel.
pub trait RoundProver<F: KaizenField>: Send {
    /// Variables not bound yet.
    fn num_vars(&self) -> usize;
    /// Degree of the round polynomials.
    fn degree(&self) -> usize;
    /// The current round polynomial at `0, 1, …, degree`, given the running claim `s(0) + s(1)`.
    fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F>;
    /// Binds the current highest-order variable to `r`.
    fn bind(&mut self, r: F);
    /// The polynomials' values at the bound point.
    fn final_evals(&self) -> Vec<F>;
}

/// A boxed prover, so a batch can mix kinds of instances (`Box<dyn RoundProver<F> + '_>`).
impl<F: KaizenField, P: RoundProver<F> + ?Sized> RoundProver<F> for Box<P> {
    fn num_vars(&self) -> usize {
        (**self).num_vars()
    }

    fn degree(&self) -> usize {
        (**self).degree()
    }

    fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F> {
        (**self).round_evals(claim, degree)
    }

    fn bind(&mut self, r: F) {
        (**self).bind(r)
    }

    fn final_evals(&self) -> Vec<F> {
        (**self).final_evals()
    }
}

impl<F: KaizenField> RoundProver<F> for ProductSum<F> {
    fn num_vars(&self) -> usize {
        ProductSum::num_vars(self)
    }
    fn degree(&self) -> usize {
        self.shape().degree()
    }
    fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F> {
        ProductSum::round_evals(self, claim, degree)
    }
    fn bind(&mut self, r: F) {
        ProductSum::bind(self, r)
    }
    fn final_evals(&self) -> Vec<F> {
        ProductSum::final_evals(self)
    }
}

/// Absorbs the public part (shapes' sizes and degrees, claims) and returns `α`'s powers,
/// `n`, the round degree, and each instance's initial running sum.
fn open_batch<F: KaizenField, T: Transcript<F>>(
    sizes: &[(usize, usize)],
    claims: &[F],
    transcript: &mut T,
) -> Result<(Vec<F>, usize, usize, Vec<F>), SumcheckError> {
    if sizes.is_empty() {
        return Err(SumcheckError::EmptyBatch);
    }
    if claims.len() != sizes.len() {
        return Err(SumcheckError::ClaimCount {
            expected: sizes.len(),
            got: claims.len(),
        });
    }
    let header: Vec<u8> = sizes
        .iter()
        .flat_map(|&(n, d)| [(n as u64).to_le_bytes(), (d as u64).to_le_bytes()])
        .flatten()
        .collect();
    transcript.absorb_bytes(b"sumcheck/shapes", &header);
    transcript.absorb_fields(b"sumcheck/claims", claims);
    let alpha = transcript.challenge(b"sumcheck/alpha");
    let powers: Vec<F> = std::iter::successors(Some(F::ONE), |p| Some(*p * alpha))
        .take(sizes.len())
        .collect();
    let n = sizes.iter().map(|s| s.0).max().unwrap_or(0);
    let degree = sizes.iter().map(|s| s.1).max().unwrap_or(0);
    let two = F::from(2u64);
    let running = sizes
        .iter()
        .zip(claims)
        .map(|(&(nk, _), &c)| c * two.pow([(n - nk) as u64]))
        .collect();
    Ok((powers, n, degree, running))
}

/// Proves `Σ_x g_k = claims[k]` for every instance; returns the proof and, per instance, the
/// claims on its polynomials at its final point.
pub fn prove<F: KaizenField, P: RoundProver<F>, T: Transcript<F>>(
    instances: &mut [P],
    claims: &[F],
    transcript: &mut T,
) -> Result<(SumcheckProof<F>, BatchClaims<F>), SumcheckError> {
    let sizes: Vec<_> = instances
        .iter()
        .map(|i| (i.num_vars(), i.degree()))
        .collect();
    let (powers, n, degree, mut running) = open_batch(&sizes, claims, transcript)?;
    let half = F::from(2u64).inverse().unwrap_or(F::ZERO);
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for round in 0..n {
        let active: Vec<bool> = sizes.iter().map(|&(nk, _)| round >= n - nk).collect();
        // Instances in parallel (many small ones keep every thread busy; a large one splits its
        // own passes further) — unless the round's whole table is too small to be worth a split.
        let work: usize = instances
            .iter()
            .zip(&active)
            .filter(|(_, &on)| on)
            .map(|(inst, _)| 1usize << inst.num_vars())
            .sum();
        let split = if work < PAR_MIN_LEN { usize::MAX } else { 1 };
        let own: Vec<RoundPoly<F>> = instances
            .par_iter_mut()
            .with_min_len(split)
            .zip(&running)
            .zip(&active)
            .map(|((inst, &sum), &on)| RoundPoly {
                evals: if on {
                    inst.round_evals(sum, degree)
                } else {
                    vec![sum * half; degree + 1]
                },
            })
            .collect();
        let mut combined = vec![F::ZERO; degree + 1];
        for (poly, &alpha_k) in own.iter().zip(&powers) {
            combined
                .iter_mut()
                .zip(&poly.evals)
                .for_each(|(c, &e)| *c += alpha_k * e);
        }
        transcript.absorb_fields(b"sumcheck/round", &combined);
        let r = transcript.challenge(b"sumcheck/r");
        let basis = RoundPoly::basis(r, degree + 1);
        instances
            .par_iter_mut()
            .with_min_len(split)
            .zip(&own)
            .zip(running.par_iter_mut())
            .zip(&active)
            .for_each(|(((inst, poly), sum), &on)| {
                *sum = poly.evaluate_with(&basis);
                if on {
                    inst.bind(r);
                }
            });
        rounds.push(RoundPoly { evals: combined });
        point.push(r);
    }
    point.reverse();
    let final_evals: Vec<Vec<F>> = instances.iter().map(P::final_evals).collect();
    for evals in &final_evals {
        transcript.absorb_fields(b"sumcheck/final", evals);
    }
    let claims = sizes
        .iter()
        .zip(&final_evals)
        .map(|(&(nk, _), evals)| claims_at(&point[..nk], evals))
        .collect();
    Ok((
        SumcheckProof {
            rounds,
            final_evals,
        },
        claims,
    ))
}

fn claims_at<F: KaizenField>(point: &[F], values: &[F]) -> Vec<Claim<F>> {
    values
        .iter()
        .map(|&value| Claim {
            point: point.to_vec(),
            value,
        })
        .collect()
}

/// Verifies a batched proof against the public shapes and claimed sums; returns, per instance, the
/// claims on its polynomials that the caller must still check (by opening or a further reduction).
pub fn verify<F: KaizenField, T: Transcript<F>>(
    shapes: &[SumcheckShape<F>],
    claims: &[F],
    proof: &SumcheckProof<F>,
    transcript: &mut T,
) -> Result<BatchClaims<F>, SumcheckError> {
    for shape in shapes {
        shape.check()?;
    }
    let sizes: Vec<_> = shapes.iter().map(|s| (s.num_vars, s.degree())).collect();
    let (powers, n, degree, running) = open_batch(&sizes, claims, transcript)?;
    if proof.rounds.len() != n {
        return Err(SumcheckError::RoundCount {
            expected: n,
            got: proof.rounds.len(),
        });
    }
    let mut sum: F = powers.iter().zip(&running).map(|(&a, &s)| a * s).sum();
    let mut point = Vec::with_capacity(n);
    for (round, poly) in proof.rounds.iter().enumerate() {
        if poly.evals.len() != degree + 1 {
            return Err(SumcheckError::RoundDegree {
                round,
                expected: degree + 1,
                got: poly.evals.len(),
            });
        }
        if poly.evals[0] + poly.evals[1] != sum {
            return Err(SumcheckError::RoundSum { round });
        }
        transcript.absorb_fields(b"sumcheck/round", &poly.evals);
        let r = transcript.challenge(b"sumcheck/r");
        sum = poly.evaluate(r);
        point.push(r);
    }
    point.reverse();
    if proof.final_evals.len() != shapes.len() {
        return Err(SumcheckError::FinalEvalCount {
            expected: shapes.len(),
            got: proof.final_evals.len(),
        });
    }
    let mut expected = F::ZERO;
    for ((shape, evals), &alpha_k) in shapes.iter().zip(&proof.final_evals).zip(&powers) {
        if evals.len() != shape.num_polys {
            return Err(SumcheckError::FinalEvalCount {
                expected: shape.num_polys,
                got: evals.len(),
            });
        }
        let pk = &point[..shape.num_vars];
        expected += alpha_k * shape.weight_at(pk) * shape.combine(evals);
        transcript.absorb_fields(b"sumcheck/final", evals);
    }
    if expected != sum {
        return Err(SumcheckError::FinalEvaluation);
    }
    Ok(shapes
        .iter()
        .zip(&proof.final_evals)
        .map(|(s, evals)| claims_at(&point[..s.num_vars], evals))
        .collect())
}

/// [`prove`] for one instance.
pub fn prove_single<F: KaizenField, P: RoundProver<F>, T: Transcript<F>>(
    instance: P,
    claim: F,
    transcript: &mut T,
) -> Result<(SumcheckProof<F>, Vec<Claim<F>>), SumcheckError> {
    let (proof, mut claims) = prove(&mut [instance], &[claim], transcript)?;
    Ok((proof, claims.pop().unwrap_or_default()))
}

/// [`verify`] for one instance.
pub fn verify_single<F: KaizenField, T: Transcript<F>>(
    shape: &SumcheckShape<F>,
    claim: F,
    proof: &SumcheckProof<F>,
    transcript: &mut T,
) -> Result<Vec<Claim<F>>, SumcheckError> {
    let mut claims = verify(std::slice::from_ref(shape), &[claim], proof, transcript)?;
    Ok(claims.pop().unwrap_or_default())
}
