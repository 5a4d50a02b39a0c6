//! Training with a proof per step, without recursion: each step's proof is chained to the next
//! through the model commitments (`C_W_{i+1}` of step `i` is `C_W_i` of step `i + 1`), and
//! [`verify_chain`] checks the links and every step. Folding the chain into one constant-size
//! proof is the recursion milestone; [`super::verify_step`] stays a pure function of
//! (statement, proof, transcript) for that.
use kaizen_field::{KaizenField, Transcript};
use kaizen_pcs::MultilinearPcs;

use super::{
    commit_dataset, commit_model, prove_step, verify_step, CommittedDataset, CommittedModel,
    ModelShape, Plan, ProveError, StepInputs, StepProof, StepStatement,
};
use crate::{
    data::Dataset,
    model::{batch_indices, exp_table, images, Hyper, Model},
};

/// One proven step: its statement and proof.
pub type Link<F, S> = (
    StepStatement<<S as MultilinearPcs<F>>::Commitment>,
    StepProof<F, S>,
);

/// Trains on a committed dataset, proving every step.
pub struct ChainProver<'a, F: KaizenField, S: MultilinearPcs<F>> {
    pcs: &'a S,
    data: &'a Dataset,
    hyper: Hyper,
    exp: Vec<i64>,
    dataset: CommittedDataset<F, S>,
    model: CommittedModel<F, S>,
    step: u64,
}

impl<'a, F: KaizenField, S: MultilinearPcs<F>> ChainProver<'a, F, S> {
    /// Commits to the dataset and the initial model; the next step is step 0.
    pub fn new(
        pcs: &'a S,
        data: &'a Dataset,
        model: &Model,
        hyper: Hyper,
    ) -> Result<Self, ProveError> {
        let classes = Plan::new(&ModelShape::of(model), &hyper)?.classes;
        Ok(Self {
            pcs,
            data,
            exp: exp_table(hyper.fixed.scale()),
            dataset: commit_dataset(pcs, data, &hyper, classes)?,
            model: commit_model(pcs, model, &hyper)?,
            hyper,
            step: 0,
        })
    }

    /// `C_D`.
    pub fn dataset_commitment(&self) -> S::Commitment {
        self.dataset.commitment()
    }

    /// The commitment to the current model.
    pub fn model_commitment(&self) -> S::Commitment {
        self.model.commitment()
    }

    /// The current model.
    pub fn model(&self) -> &Model {
        &self.model.model
    }

    /// Runs the next SGD step and proves it, with a fresh transcript from `transcript`.
    pub fn prove_next<T: Transcript<F>>(
        &mut self,
        transcript: impl FnOnce() -> T,
    ) -> Result<Link<F, S>, ProveError> {
        let idx = batch_indices(self.step as usize, self.hyper.batch, self.data.len());
        let x = images(self.data, &idx, &self.hyper)?;
        let labels: Vec<u8> = idx.iter().map(|&i| self.data.labels[i]).collect();
        let (new_model, witness) = self.model.model.step(&x, &labels, &self.hyper, &self.exp)?;
        let new = commit_model(self.pcs, &new_model, &self.hyper)?;
        let statement = StepStatement {
            model: ModelShape::of(&new_model),
            hyper: self.hyper.clone(),
            dataset: self.dataset.commitment(),
            dataset_len: self.dataset.len,
            weights: self.model.commitment(),
            new_weights: new.commitment(),
            step: self.step,
        };
        let inputs = StepInputs {
            dataset: &self.dataset,
            weights: &self.model,
            new_weights: &new,
        };
        let proof = prove_step(self.pcs, &statement, &inputs, &witness, &mut transcript())?;
        self.model = new;
        self.step += 1;
        Ok((statement, proof))
    }
}

/// Verifies a chain of steps `0..t` from `initial` (`C_W_0`) on the dataset `dataset` (`C_D` of
/// `dataset_len` samples) and returns the final model commitment `C_W_t`.
pub fn verify_chain<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    dataset: &S::Commitment,
    dataset_len: usize,
    initial: &S::Commitment,
    links: &[Link<F, S>],
    transcript: impl Fn() -> T,
) -> Result<S::Commitment, ProveError> {
    let mut current = initial.clone();
    let mut shape: Option<(&ModelShape, &Hyper)> = None;
    for (i, (statement, proof)) in links.iter().enumerate() {
        let broken = |what: &str| ProveError::Statement(format!("link {i}: {what}"));
        if statement.step != i as u64 {
            return Err(broken("wrong iteration index"));
        }
        if statement.weights != current {
            return Err(broken("C_W_i is not the previous step's C_W_{i+1}"));
        }
        if &statement.dataset != dataset || statement.dataset_len != dataset_len {
            return Err(broken("another dataset commitment"));
        }
        if let Some((m, h)) = shape {
            if m != &statement.model || h != &statement.hyper {
                return Err(broken("architecture or hyper-parameters changed"));
            }
        }
        shape = Some((&statement.model, &statement.hyper));
        verify_step(pcs, statement, proof, &mut transcript())?;
        current = statement.new_weights.clone();
    }
    Ok(current)
}
