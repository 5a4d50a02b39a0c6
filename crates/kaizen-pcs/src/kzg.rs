//! Multilinear KZG (Papamanthou–Shi–Tamassia 2013; the scheme of Zhang et al., "vSQL") from
//! ark-poly-commit's `multilinear_pc`, behind [`MultilinearPcs`], over any pairing whose scalar
//! field is a [`KaizenField`] (BLS12-381: [`Bls12Kzg`]).
//!
//! * **Setup.** [`MultilinearKzg::insecure_setup`] samples the trapdoor from a seed: anyone who
//!   knows the seed can forge openings. It exists for tests and benchmarks; a deployment loads
//!   parameters from a ceremony. One committer/verifier key is trimmed per polynomial size.
//! * **Batching.** The scheme is additively homomorphic: `k` polynomials opened at one point are
//!   combined with powers of a transcript challenge `β` (drawn after the commitments, the point and
//!   the values are absorbed), and one proof opens `Σ β^i P_i` against `Σ β^i C_i`.
//! * **Robustness.** ark-poly-commit asserts on size mismatches; every length is checked here first,
//!   so malformed proofs give a [`PcsError`]. Constant polynomials (0 variables) are committed as the
//!   1-variable polynomial with both evaluations equal.
//!
//! The known stack overflow of ark-poly-commit's *Hyrax* at 2^20 variables does not concern this
//! backend (it makes no deep recursion); Hyrax is not wrapped.
use ark_ec::{pairing::Pairing, AffineRepr, CurveGroup};
use ark_poly::DenseMultilinearExtension;
use ark_poly_commit::multilinear_pc::{
    data_structures::{Commitment, CommitterKey, Proof, VerifierKey},
    MultilinearPC,
};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use kaizen_field::{eq_table, AdditiveGroup, Field, KaizenField, Transcript};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use crate::{check_batch, MultilinearPcs, PcsError};

/// Multilinear KZG over the pairing `E`.
pub struct MultilinearKzg<E: Pairing> {
    /// Keys for 1, 2, …, `max_num_vars` variables.
    keys: Vec<(CommitterKey<E>, VerifierKey<E>)>,
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

impl<E: Pairing> MultilinearKzg<E>
where
    E::ScalarField: KaizenField,
{
    /// Parameters for up to `max_num_vars` variables from a seeded trapdoor (**tests and benchmarks
    /// only**: the seed reveals the trapdoor).
    pub fn insecure_setup(max_num_vars: usize, seed: u64) -> Self {
        let max = max_num_vars.max(1);
        let params = MultilinearPC::<E>::setup(max, &mut ChaCha20Rng::seed_from_u64(seed));
        let keys = (1..=max)
            .map(|nv| MultilinearPC::trim(&params, nv))
            .collect();
        Self { keys }
    }

    /// Keys for a polynomial with `num_vars` variables (constants use the 1-variable keys).
    fn keys(&self, num_vars: usize) -> Result<&(CommitterKey<E>, VerifierKey<E>), PcsError> {
        self.keys
            .get(num_vars.max(1) - 1)
            .ok_or(PcsError::TooManyVariables {
                max: self.keys.len(),
                got: num_vars,
            })
    }

    fn extension(evals: &[E::ScalarField]) -> DenseMultilinearExtension<E::ScalarField> {
        let padded = if evals.len() == 1 {
            vec![evals[0]; 2]
        } else {
            evals.to_vec()
        };
        DenseMultilinearExtension::from_evaluations_vec(
            padded.len().trailing_zeros() as usize,
            padded,
        )
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
{
    type Commitment = KzgCommitment<E>;
    type ProverData = KzgData<E>;
    type Proof = KzgProof<E>;

    fn max_num_vars(&self) -> usize {
        self.keys.len()
    }

    fn commit(&self, evals: &[E::ScalarField]) -> Result<(KzgCommitment<E>, KzgData<E>), PcsError> {
        if !evals.len().is_power_of_two() {
            return Err(PcsError::NotPowerOfTwo(evals.len()));
        }
        let num_vars = evals.len().trailing_zeros() as usize;
        let (ck, _) = self.keys(num_vars)?;
        let c = MultilinearPC::commit(ck, &Self::extension(evals));
        let commitment = KzgCommitment {
            num_vars: num_vars as u32,
            point: c.g_product,
        };
        Ok((
            commitment.clone(),
            KzgData {
                evals: evals.to_vec(),
                commitment,
            },
        ))
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
        let (ck, _) = self.keys(n)?;
        let proof =
            MultilinearPC::open(ck, &Self::extension(&combined), &Self::padded_point(point));
        Ok((
            values,
            KzgProof {
                proofs: proof.proofs,
            },
        ))
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
        let (_, vk) = self.keys(n)?;
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
            vk,
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
