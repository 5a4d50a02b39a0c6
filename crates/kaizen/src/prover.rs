//! The prover and verifier of a training run: commit to a dataset and an initial model, then
//! train step by step, each step returning the new model commitment and a proof
//! ([`Step`]); the verifier checks single steps or a whole chain.
use kaizen_field::{Blake3Transcript, KaizenField};
use kaizen_nn::{
    arch::Architecture,
    data::Dataset,
    model::{Hyper, Model},
    prove::{
        chain::{train_and_prove, verify_chain, Link},
        commit_dataset, commit_model, max_commitment_vars, verify_step, CommittedDataset,
        CommittedModel, ModelShape, Plan,
    },
};
use kaizen_pcs::MultilinearPcs;

use crate::Error;

/// One proven training step: the statement (architecture, hyper-parameters, `C_D`, `C_W_i`,
/// `C_W_{i+1}`, `i`) and its proof.
pub type Step<F, S> = Link<F, S>;

/// The transcript every Kaizen-rs step proof runs under.
pub fn transcript() -> Blake3Transcript {
    Blake3Transcript::new(b"kaizen/step-proof/v1")
}

/// Trains a model with a proof per SGD step.
pub struct Prover<F: KaizenField, S: MultilinearPcs<F>> {
    pcs: S,
    architecture: Architecture,
    hyper: Hyper,
    plan: Plan,
    data: Option<(Dataset, CommittedDataset<F, S>)>,
    model: Option<CommittedModel<F, S>>,
    step: u64,
}

impl<F: KaizenField, S: MultilinearPcs<F>> Prover<F, S> {
    /// A prover for `architecture` under `hyper`, committing with `pcs`; fails if the step proof
    /// does not support the configuration.
    pub fn new(pcs: S, architecture: Architecture, hyper: Hyper) -> Result<Self, Error> {
        let plan = plan_of(&architecture, &hyper)?;
        Ok(Self {
            pcs,
            architecture,
            hyper,
            plan,
            data: None,
            model: None,
            step: 0,
        })
    }

    /// Commits to the training set (`N` a power of two, at least the batch size) and returns
    /// `C_D`.
    pub fn commit_dataset(&mut self, data: Dataset) -> Result<S::Commitment, Error> {
        let committed = commit_dataset(&self.pcs, &data, &self.plan)?;
        let c = committed.commitment();
        self.data = Some((data, committed));
        Ok(c)
    }

    /// Initialises the model from `seed` (the next step is step 0) and returns `C_W_0`.
    pub fn init_model(&mut self, seed: u64) -> Result<S::Commitment, Error> {
        let model = self.architecture.build(self.hyper.fixed.scale(), seed)?;
        self.load_model(model, 0)
    }

    /// Continues from `model` as the weights before step `step` (resuming a run); returns its
    /// commitment `C_W_step`.
    pub fn load_model(&mut self, model: Model, step: u64) -> Result<S::Commitment, Error> {
        let committed = commit_model(&self.pcs, &model, &self.hyper)?;
        let c = committed.commitment();
        self.model = Some(committed);
        self.step = step;
        Ok(c)
    }

    /// Runs the next SGD step on its batch and proves it.
    pub fn step(&mut self) -> Result<Step<F, S>, Error> {
        let (Some((data, dataset)), Some(model)) = (&self.data, &self.model) else {
            return Err(Error::State(
                "commit the dataset and initialise the model before stepping".into(),
            ));
        };
        let (new, link) = train_and_prove(
            &self.pcs,
            data,
            dataset,
            model,
            &self.hyper,
            self.step,
            &mut transcript(),
        )?;
        self.model = Some(new);
        self.step += 1;
        Ok(link)
    }

    /// The current model, once initialised.
    pub fn model(&self) -> Option<&Model> {
        self.model.as_ref().map(|m| &m.model)
    }

    /// The committed dataset, once committed.
    pub fn dataset(&self) -> Option<&Dataset> {
        self.data.as_ref().map(|d| &d.0)
    }

    /// The index of the next step.
    pub fn next_step(&self) -> u64 {
        self.step
    }

    /// The hyper-parameters.
    pub fn hyper(&self) -> &Hyper {
        &self.hyper
    }
}

/// The public plan of a step of `architecture` under `hyper` (an error if the step proof does
/// not support it).
pub(crate) fn plan_of(architecture: &Architecture, hyper: &Hyper) -> Result<Plan, Error> {
    let shape = ModelShape::new(&architecture.input(), &architecture.layers())?;
    Ok(Plan::new(&shape, hyper)?)
}

/// The most variables a commitment of a run of `architecture` under `hyper` on a dataset of
/// `samples` samples has: what the PCS must be set up for.
pub fn commitment_vars(
    architecture: &Architecture,
    hyper: &Hyper,
    samples: usize,
) -> Result<usize, Error> {
    let plan = plan_of(architecture, hyper)?;
    Ok(max_commitment_vars(&plan, samples)?)
}

/// Checks step proofs.
pub struct Verifier<F: KaizenField, S: MultilinearPcs<F>> {
    pcs: S,
    _field: std::marker::PhantomData<F>,
}

impl<F: KaizenField, S: MultilinearPcs<F>> Verifier<F, S> {
    /// A verifier with the same PCS parameters as the prover.
    pub fn new(pcs: S) -> Self {
        Self {
            pcs,
            _field: std::marker::PhantomData,
        }
    }

    /// Accepts `step` or says why not.
    pub fn verify(&self, step: &Step<F, S>) -> Result<(), Error> {
        Ok(verify_step(
            &self.pcs,
            &step.statement,
            &step.proof,
            &mut transcript(),
        )?)
    }

    /// Whether `commitment` is the commitment to `model` under `hyper` — the model a run ends
    /// with, say. Commitments are deterministic (not hiding, until DESIGN §7's zero knowledge),
    /// so the verifier commits to `model` itself and compares; the PCS's binding makes a match
    /// mean this model and no other.
    pub fn commits_model(
        &self,
        commitment: &S::Commitment,
        model: &Model,
        hyper: &Hyper,
    ) -> Result<bool, Error> {
        Ok(commit_model(&self.pcs, model, hyper)?.commitment() == *commitment)
    }

    /// Whether `commitment` is the commitment to `data` for a run of `architecture` under
    /// `hyper` (the dataset `C_D` a run trains on), by committing to it as
    /// [`Verifier::commits_model`] does.
    pub fn commits_dataset(
        &self,
        commitment: &S::Commitment,
        data: &Dataset,
        architecture: &Architecture,
        hyper: &Hyper,
    ) -> Result<bool, Error> {
        let plan = plan_of(architecture, hyper)?;
        Ok(commit_dataset(&self.pcs, data, &plan)?.commitment() == *commitment)
    }

    /// Verifies steps `0..t` from `C_W_0 = initial` on `C_D = dataset` of `dataset_len` samples;
    /// returns `C_W_t`.
    pub fn verify_chain(
        &self,
        dataset: &S::Commitment,
        dataset_len: usize,
        initial: &S::Commitment,
        steps: &[Step<F, S>],
    ) -> Result<S::Commitment, Error> {
        Ok(verify_chain(
            &self.pcs,
            dataset,
            dataset_len,
            initial,
            steps,
            transcript,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use kaizen_field::M61Ext2;
    use kaizen_nn::model::{exp_table, Loss};
    use kaizen_pcs::{Ligero, LigeroParams, MatrixShape};

    use super::*;

    type Pcs = Ligero<M61Ext2>;

    fn prover(arch: Architecture) -> Result<Prover<M61Ext2, Pcs>, Error> {
        let pcs = Pcs::new(LigeroParams::new(24, MatrixShape::Balanced));
        let hyper = Hyper::new(16, 0.1, 4, Loss::Mse)?;
        Prover::new(pcs, arch, hyper)
    }

    #[test]
    fn steps_verify_and_tampering_is_rejected() {
        let mut p = prover(Architecture::Mlp(vec![784, 8, 10])).unwrap();
        assert!(matches!(p.step(), Err(Error::State(_))));
        let c_d = p
            .commit_dataset(Dataset::embedded().unwrap().split_at(32).0)
            .unwrap();
        assert!(matches!(p.step(), Err(Error::State(_))));
        let c_w0 = p.init_model(5).unwrap();
        let steps = vec![p.step().unwrap(), p.step().unwrap()];
        assert_eq!(p.next_step(), 2);
        let v = Verifier::new(Pcs::new(LigeroParams::new(24, MatrixShape::Balanced)));
        v.verify(&steps[0]).unwrap();
        assert_eq!(
            v.verify_chain(&c_d, 32, &c_w0, &steps).unwrap(),
            steps[1].statement.new_weights
        );
        // Wrong statements and a wrong initial model are rejected.
        let mut bad = steps[1].clone();
        bad.statement.step = 0;
        assert!(v.verify(&bad).is_err());
        let mut bad = steps[0].clone();
        bad.statement.new_weights = steps[1].statement.new_weights.clone();
        assert!(v.verify(&bad).is_err());
        assert!(v.verify_chain(&c_d, 32, &c_w0, &steps[1..]).is_err());
        assert!(v
            .verify_chain(&c_d, 32, &steps[0].statement.new_weights, &steps)
            .is_err());
        // The commitments open to the prover's dataset and final model, and to nothing else.
        let (data, hyper) = (p.dataset().unwrap(), p.hyper());
        let arch = Architecture::Mlp(vec![784, 8, 10]);
        let last = &steps[1].statement.new_weights;
        assert!(v.commits_model(last, p.model().unwrap(), hyper).unwrap());
        assert!(!v.commits_model(&c_w0, p.model().unwrap(), hyper).unwrap());
        let mut nudged = p.model().unwrap().clone();
        if let Some((w, _)) = nudged.layers[0].params.as_mut() {
            w.data[0] += 1;
        }
        assert!(!v.commits_model(last, &nudged, hyper).unwrap());
        assert!(v.commits_dataset(&c_d, data, &arch, hyper).unwrap());
        assert!(!v.commits_dataset(last, data, &arch, hyper).unwrap());
        let other = Dataset::embedded().unwrap().split_at(64).0.split_at(32).1;
        assert!(!v.commits_dataset(&c_d, &other, &arch, hyper).unwrap());
        // Resuming from the model after step 1 proves the same step 1.
        let mut q = prover(Architecture::Mlp(vec![784, 8, 10])).unwrap();
        q.commit_dataset(p.dataset().unwrap().clone()).unwrap();
        let arch = Architecture::Mlp(vec![784, 8, 10]);
        let m0 = arch.build(16, 5).unwrap();
        let m1 = m0
            .train(p.dataset().unwrap(), p.hyper(), &exp_table(16), 0, 1)
            .unwrap();
        assert_eq!(q.load_model(m1, 1).unwrap(), steps[0].statement.new_weights);
        assert_eq!(q.step().unwrap().statement, steps[1].statement);
    }

    #[test]
    fn unsupported_configurations_are_errors() {
        let pcs = Pcs::new(LigeroParams::new(24, MatrixShape::Balanced));
        let odd_batch = Hyper::new(16, 0.1, 3, Loss::Mse).unwrap();
        assert!(matches!(
            Prover::new(pcs, Architecture::LeNet5 { size: 28 }, odd_batch),
            Err(Error::Prove(_))
        ));
        assert!(matches!(
            prover(Architecture::Mlp(vec![784])),
            Err(Error::Nn(_))
        ));
    }
}
