//! Multilinear KZG (Papamanthou–Shi–Tamassia 2013; the scheme of Zhang et al., "vSQL") as in
//! ark-poly-commit's `multilinear_pc`, behind [`MultilinearPcs`], over any pairing whose scalar
//! field is a [`KaizenField`] (BLS12-381: [`Bls12Kzg`]).
//!
//! * **Parameters.** For a trapdoor `τ ∈ F^n` and generators `g ∈ G1`, `h ∈ G2`, level `i` of
//!   the parameters is `g^{eq(τ[i..], y)}` (and `h^{…}`) over `y ∈ {0,1}^{n−i}`: a polynomial
//!   of `m` variables is committed with G1 level `n − m` (one MSM), its opening's quotients use the
//!   G2 levels below, and the verifier needs `g`, `h` and `g^{τ_i}` only. These are the
//!   parameters of ark-poly-commit's `setup` and `trim` for the same random draws (unit test:
//!   identical commitments and proofs), computed differently: a level is computed the first time
//!   a commitment or opening needs it, by fixed-base multiplications in batch ([`crate::fixed_base`]:
//!   affine additions sharing one inversion, about twice as fast as ark-ec's), or — when the level above
//!   is there — by adding pairs of its points (`eq(τ[i+1..], b) = eq(τ[i..], (0, b)) +
//!   eq(τ[i..], (1, b))`: one addition instead of one multiplication per point); the G2 level
//!   `n − m` that ark's opening reads with every scalar twice is not needed (its pairs' sums
//!   are the level below). ark's `setup` computed every level of both groups at once and `trim`
//!   copied them for every size: for 21 variables 268 s and 3.8 GB before anything was
//!   committed, also for a verifier, which needs none of it.
//! * **Commitments and quotients** are MSMs over those levels ([`crate::msm`]: a step's integer
//!   tables and each opening's first quotient as signed integers, the later quotients with
//!   affine buckets).
//! * **Setup.** [`MultilinearKzg::insecure_setup`] samples the trapdoor from a seed and keeps it:
//!   anyone who knows the seed can forge openings. It exists for tests and benchmarks; a
//!   deployment loads parameters from a ceremony.
//! * **Batching.** The scheme is additively homomorphic: `k` polynomials opened at one point are
//!   combined with powers of a transcript challenge `β` (drawn after the commitments, the point and
//!   the values are absorbed), and one proof opens `Σ β^i P_i` against `Σ β^i C_i`.
//! * **Robustness.** Every length is checked before ark-poly-commit's pairing check (which
//!   asserts on size mismatches), so malformed proofs give a [`PcsError`]. Constant polynomials
//!   (0 variables) are committed as the 1-variable polynomial with both evaluations equal.
//!
//! The known stack overflow of ark-poly-commit's *Hyrax* at 2^20 variables does not concern this
//! backend (it makes no deep recursion); Hyrax is not wrapped.
use std::borrow::Cow;
use std::sync::OnceLock;

use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup};
use ark_poly_commit::multilinear_pc::{
    data_structures::{Commitment, Proof, VerifierKey},
    MultilinearPC,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use kaizen_field::ark_ff::UniformRand;
use kaizen_field::{eq_table, AdditiveGroup, Field, KaizenField, Transcript};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use tracing::debug_span;

use crate::{check_batch, fixed_base::FixedBaseMul, msm::Msm, MultilinearPcs, PcsError};

/// Multilinear KZG over the pairing `E`.
pub struct MultilinearKzg<E: Pairing> {
    /// The generator of G1.
    g: E::G1Affine,
    /// The generator of G2.
    h: E::G2Affine,
    /// `g^{τ_i}`, one per variable (the verifier's key).
    g_mask: Vec<E::G1Affine>,
    /// The trapdoor `τ`, from which levels are computed when first needed.
    tau: Vec<E::ScalarField>,
    /// `g_levels[i] = g^{eq(τ[i..], ·)}` for `i ∈ 0..n`: the committer's bases for `n − i`
    /// variables.
    g_levels: Vec<OnceLock<Vec<E::G1Affine>>>,
    /// `h_levels[i] = h^{eq(τ[i + 1..], ·)}` for `i ∈ 0..n` (the last one is `[h]`): the bases of
    /// the opening's quotients.
    h_levels: Vec<OnceLock<Vec<E::G2Affine>>>,
}

/// Multilinear KZG over BLS12-381.
pub type Bls12Kzg = MultilinearKzg<ark_bls12_381::Bls12_381>;

/// A commitment: one G1 point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct KzgCommitment<E: Pairing> {
    /// Number of variables of the committed polynomial.
    pub num_vars: u32,
    /// `g^{P(τ)}`.
    pub point: E::G1Affine,
}

/// An opening proof: one G2 point per variable.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct KzgProof<E: Pairing> {
    /// The quotient commitments.
    pub proofs: Vec<E::G2Affine>,
}

/// The prover's data: the evaluations and the commitment.
pub struct KzgData<E: Pairing> {
    evals: Vec<E::ScalarField>,
    commitment: KzgCommitment<E>,
}

/// Level `i` of `levels` (`base^{eq(tau[i..], ·)}`), computed on first use: from level `i − 1`
/// by adding pairs of points when some larger level is there already, else by fixed-base
/// multiplications of `base` by the `eq` table. The work runs outside the cell's lock (a rayon
/// worker waiting inside it could steal a task that waits on the same cell); threads racing for a
/// level both compute it, and one result is kept.
fn level<'a, G: FixedBaseMul>(
    levels: &'a [OnceLock<Vec<G::Affine>>],
    i: usize,
    base: G,
    tau: &[G::ScalarField],
) -> &'a [G::Affine]
where
    G::ScalarField: KaizenField,
{
    if let Some(points) = levels[i].get() {
        return points;
    }
    let from_above = levels[..i].iter().any(|l| l.get().is_some());
    let _span = debug_span!("kzg_table", vars = tau.len() - i, from_above).entered();
    let points = if from_above {
        let sums: Vec<G> = level(levels, i - 1, base, tau)
            .par_chunks(2)
            .map(|pair| pair[0].into_group() + pair[1])
            .collect();
        G::normalize_batch(&sums)
    } else {
        G::fixed_base_mul(base, &eq_table(&tau[i..]))
    };
    levels[i].get_or_init(move || points)
}

impl<E: Pairing> MultilinearKzg<E>
where
    E::ScalarField: KaizenField,
    E::G1: FixedBaseMul + Msm,
    E::G2: FixedBaseMul + Msm,
{
    /// Parameters for up to `max_num_vars` variables from a seeded trapdoor (**tests and benchmarks
    /// only**: the seed reveals the trapdoor). The same random draws as ark-poly-commit's `setup`,
    /// so the same parameters; only the verifier's `n` points are computed here, the committer's
    /// tables when first needed (or by [`Self::prepare`]).
    pub fn insecure_setup(max_num_vars: usize, seed: u64) -> Self {
        let n = max_num_vars.max(1);
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let g = E::G1::rand(&mut rng);
        let h = E::G2::rand(&mut rng);
        let tau: Vec<E::ScalarField> = (0..n).map(|_| E::ScalarField::rand(&mut rng)).collect();
        Self {
            g: g.into_affine(),
            h: h.into_affine(),
            g_mask: E::G1::fixed_base_mul(g, &tau),
            tau,
            g_levels: (0..n).map(|_| OnceLock::new()).collect(),
            h_levels: (0..n).map(|_| OnceLock::new()).collect(),
        }
    }

    /// Computes now the tables that committing to and opening polynomials of `num_vars` variables
    /// will use (what a setup computes up front; otherwise the first commitment or opening of each
    /// size pays for them).
    pub fn prepare(&self, num_vars: usize) -> Result<(), PcsError> {
        let offset = self.offset(num_vars)?;
        self.g_level(offset);
        self.h_level(offset);
        Ok(())
    }

    /// The level offset `n − m` of a polynomial with `m` variables (constants use 1 variable).
    fn offset(&self, num_vars: usize) -> Result<usize, PcsError> {
        self.tau
            .len()
            .checked_sub(num_vars.max(1))
            .ok_or(PcsError::TooManyVariables {
                max: self.tau.len(),
                got: num_vars,
            })
    }

    fn g_level(&self, i: usize) -> &[E::G1Affine] {
        level(&self.g_levels, i, self.g.into_group(), &self.tau)
    }

    fn h_level(&self, i: usize) -> &[E::G2Affine] {
        level(&self.h_levels, i, self.h.into_group(), &self.tau[1..])
    }

    /// The verifier's key for polynomials at level `offset` (`n − offset` variables).
    fn verifier_key(&self, offset: usize) -> VerifierKey<E> {
        VerifierKey {
            nv: self.tau.len() - offset,
            g: self.g,
            h: self.h,
            g_mask_random: self.g_mask[offset..].to_vec(),
        }
    }

    /// The opening proof of the polynomial with evaluations `evals` at `point` (`2^m` and `m`
    /// entries, `m ≥ 1`): for each variable in turn, the quotient `q_j(y) = P(…, 1, y) − P(…, 0,
    /// y)` of the polynomial with the earlier variables fixed to the point, committed in G2 as
    /// `h^{q_j(τ)}`.
    fn quotients(
        &self,
        evals: &[E::ScalarField],
        point: &[E::ScalarField],
        offset: usize,
    ) -> Vec<E::G2Affine> {
        let mut folded = evals.to_vec();
        let proofs: Vec<E::G2> = point
            .iter()
            .enumerate()
            .map(|(j, &z)| {
                let (q, next): (Vec<E::ScalarField>, Vec<E::ScalarField>) = folded
                    .par_chunks(2)
                    .map(|pair| {
                        let d = pair[1] - pair[0];
                        (d, pair[0] + z * d)
                    })
                    .unzip();
                folded = next;
                E::G2::multi_scalar_mul(self.h_level(offset + j), &q)
            })
            .collect();
        E::G2::normalize_batch(&proofs)
    }

    fn padded_evals(evals: &[E::ScalarField]) -> Cow<'_, [E::ScalarField]> {
        match evals {
            [constant] => Cow::Owned(vec![*constant; 2]),
            _ => Cow::Borrowed(evals),
        }
    }

    fn padded_point(point: &[E::ScalarField]) -> Vec<E::ScalarField> {
        if point.is_empty() {
            vec![E::ScalarField::ZERO]
        } else {
            point.to_vec()
        }
    }

    fn challenges<T: Transcript<E::ScalarField>>(
        commitments: &[&KzgCommitment<E>],
        point: &[E::ScalarField],
        values: &[E::ScalarField],
        transcript: &mut T,
    ) -> Vec<E::ScalarField> {
        for c in commitments {
            Self::absorb_commitment(c, transcript);
        }
        transcript.absorb_fields(b"kzg/point", point);
        transcript.absorb_fields(b"kzg/values", values);
        let beta: E::ScalarField = transcript.challenge(b"kzg/beta");
        std::iter::successors(Some(E::ScalarField::ONE), |b| Some(*b * beta))
            .take(commitments.len())
            .collect()
    }
}

impl<E: Pairing> MultilinearPcs<E::ScalarField> for MultilinearKzg<E>
where
    E::ScalarField: KaizenField,
    E::G1: FixedBaseMul + Msm,
    E::G2: FixedBaseMul + Msm,
{
    type Commitment = KzgCommitment<E>;
    type ProverData = KzgData<E>;
    type Proof = KzgProof<E>;

    fn max_num_vars(&self) -> usize {
        self.tau.len()
    }

    fn commit(&self, evals: &[E::ScalarField]) -> Result<(KzgCommitment<E>, KzgData<E>), PcsError> {
        self.commit_owned(evals.to_vec())
    }

    fn commit_owned(
        &self,
        evals: Vec<E::ScalarField>,
    ) -> Result<(KzgCommitment<E>, KzgData<E>), PcsError> {
        if !evals.len().is_power_of_two() {
            return Err(PcsError::NotPowerOfTwo(evals.len()));
        }
        let num_vars = evals.len().trailing_zeros() as usize;
        let offset = self.offset(num_vars)?;
        let point = E::G1::multi_scalar_mul(self.g_level(offset), &Self::padded_evals(&evals))
            .into_affine();
        let commitment = KzgCommitment {
            num_vars: num_vars as u32,
            point,
        };
        Ok((commitment.clone(), KzgData { evals, commitment }))
    }

    fn commitment(data: &KzgData<E>) -> KzgCommitment<E> {
        data.commitment.clone()
    }

    fn evals(data: &KzgData<E>) -> &[E::ScalarField] {
        &data.evals
    }

    fn num_vars(commitment: &KzgCommitment<E>) -> usize {
        commitment.num_vars as usize
    }

    fn open<T: Transcript<E::ScalarField>>(
        &self,
        data: &[&KzgData<E>],
        point: &[E::ScalarField],
        transcript: &mut T,
    ) -> Result<(Vec<E::ScalarField>, KzgProof<E>), PcsError> {
        let sizes: Vec<usize> = data
            .iter()
            .map(|d| d.commitment.num_vars as usize)
            .collect();
        let n = check_batch(&sizes, self.max_num_vars(), point.len(), None)?;
        let eq = eq_table(point);
        let values: Vec<E::ScalarField> = data
            .iter()
            .map(|d| eq.iter().zip(&d.evals).map(|(&w, &e)| w * e).sum())
            .collect();
        let commitments: Vec<_> = data.iter().map(|d| &d.commitment).collect();
        let betas = Self::challenges(&commitments, point, &values, transcript);
        let mut combined = vec![E::ScalarField::ZERO; 1 << n];
        for (d, &b) in data.iter().zip(&betas) {
            combined
                .iter_mut()
                .zip(&d.evals)
                .for_each(|(c, &e)| *c += b * e);
        }
        let offset = self.offset(n)?;
        let proofs = self.quotients(
            &Self::padded_evals(&combined),
            &Self::padded_point(point),
            offset,
        );
        Ok((values, KzgProof { proofs }))
    }

    fn verify<T: Transcript<E::ScalarField>>(
        &self,
        commitments: &[&KzgCommitment<E>],
        point: &[E::ScalarField],
        values: &[E::ScalarField],
        proof: &KzgProof<E>,
        transcript: &mut T,
    ) -> Result<(), PcsError> {
        let sizes: Vec<usize> = commitments.iter().map(|c| c.num_vars as usize).collect();
        let n = check_batch(&sizes, self.max_num_vars(), point.len(), Some(values.len()))?;
        let vk = self.verifier_key(self.offset(n)?);
        if proof.proofs.len() != vk.nv {
            return Err(PcsError::ProofShape(format!(
                "{} quotient commitments, expected {}",
                proof.proofs.len(),
                vk.nv
            )));
        }
        let betas = Self::challenges(commitments, point, values, transcript);
        let combined = commitments
            .iter()
            .zip(&betas)
            .map(|(c, &b)| c.point.into_group() * b)
            .sum::<E::G1>()
            .into_affine();
        let value = values.iter().zip(&betas).map(|(&v, &b)| v * b).sum();
        let ok = MultilinearPC::check(
            &vk,
            &Commitment {
                nv: vk.nv,
                g_product: combined,
            },
            &Self::padded_point(point),
            value,
            &Proof {
                proofs: proof.proofs.clone(),
            },
        );
        ok.then_some(()).ok_or(PcsError::Evaluation)
    }
}

kaizen_field::impl_bounded_deserialize!(impl[E: Pairing] KzgProof<E> { proofs: vec });

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bls12_381::{Bls12_381, Fr};
    use ark_poly::DenseMultilinearExtension;

    /// Parameters, commitments and opening proofs are ark-poly-commit's (`setup`, `trim`,
    /// `commit`, `open`) for the same seed, whether the levels were computed by multiplications
    /// (smallest size first) or by additions from the largest.
    #[test]
    fn agrees_with_ark_poly_commit() {
        let (n, seed) = (6, 11);
        let params = MultilinearPC::<Bls12_381>::setup(n, &mut ChaCha20Rng::seed_from_u64(seed));
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let up = Bls12Kzg::insecure_setup(n, seed);
        let down = Bls12Kzg::insecure_setup(n, seed);
        down.prepare(n).unwrap();
        for nv in 1..=n {
            let (ck, vk) = MultilinearPC::trim(&params, nv);
            let evals: Vec<Fr> = (0..1 << nv).map(|_| Fr::rand(&mut rng)).collect();
            let point: Vec<Fr> = (0..nv).map(|_| Fr::rand(&mut rng)).collect();
            let poly = DenseMultilinearExtension::from_evaluations_vec(nv, evals.clone());
            let commitment = MultilinearPC::commit(&ck, &poly).g_product;
            let proof = MultilinearPC::open(&ck, &poly, &point).proofs;
            for pcs in [&up, &down] {
                let offset = pcs.offset(nv).unwrap();
                assert_eq!(pcs.commit(&evals).unwrap().0.point, commitment);
                assert_eq!(pcs.quotients(&evals, &point, offset), proof);
                let key = pcs.verifier_key(offset);
                assert_eq!(
                    (key.nv, key.g, key.h, key.g_mask_random),
                    (vk.nv, vk.g, vk.h, vk.g_mask_random.clone())
                );
            }
        }
        assert!(matches!(
            up.prepare(n + 1),
            Err(PcsError::TooManyVariables { max: 6, got: 7 })
        ));
    }
}
