//! Training with a proof per step, without recursion: each step's proof is chained to the next
//! through the model commitments (`C_W_{i+1}` of step `i` is `C_W_i` of step `i + 1`), and
//! [`verify_chain`] checks the links and every step. Folding the chain into one constant-size
//! proof is the recursion milestone; [`super::verify_step`] stays a pure function of
//! (statement, proof, transcript) for that.
use ark_serialize::{CanonicalSerialize, Compress, SerializationError, Write};
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
pub struct Link<F: KaizenField, S: MultilinearPcs<F>> {
    /// What step `statement.step` proves.
    pub statement: StepStatement<S::Commitment>,
    /// The proof.
    pub proof: StepProof<F, S>,
}

impl<F: KaizenField, S: MultilinearPcs<F>> Clone for Link<F, S> {
    fn clone(&self) -> Self {
        Self {
            statement: self.statement.clone(),
            proof: self.proof.clone(),
        }
    }
}

impl<F: KaizenField, S: MultilinearPcs<F>> CanonicalSerialize for Link<F, S> {
    fn serialize_with_mode<W: Write>(
        &self,
        mut writer: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.statement.serialize_with_mode(&mut writer, compress)?;
        self.proof.serialize_with_mode(&mut writer, compress)
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.statement.serialized_size(compress) + self.proof.serialized_size(compress)
    }
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField, S: MultilinearPcs<F>] Link<F, S> {
    statement: one,
    proof: one,
});

/// Trains on a committed dataset, proving every step.
pub struct ChainProver<'a, F: KaizenField, S: MultilinearPcs<F>> {
    pcs: &'a S,
    data: &'a Dataset,
    hyper: Hyper,
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
        let plan = Plan::new(&ModelShape::of(model), &hyper)?;
        Ok(Self {
            pcs,
            data,
            dataset: commit_dataset(pcs, data, &plan)?,
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
        let (new, link) = train_and_prove(
            self.pcs,
            self.data,
            &self.dataset,
            &self.model,
            &self.hyper,
            self.step,
            &mut transcript(),
        )?;
        self.model = new;
        self.step += 1;
        Ok(link)
    }
}

/// A proven step: the committed new model and the link.
pub type Proven<F, S> = (CommittedModel<F, S>, Link<F, S>);

/// Runs SGD step `step` from the committed model `model` on its batch of the committed dataset
/// (`data` is what `dataset` commits to) and proves it: the committed new model and the link.
pub fn train_and_prove<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    data: &Dataset,
    dataset: &CommittedDataset<F, S>,
    model: &CommittedModel<F, S>,
    hyper: &Hyper,
    step: u64,
    transcript: &mut T,
) -> Result<Proven<F, S>, ProveError> {
    let idx = batch_indices(step as usize, hyper.batch, data.len());
    let x = images(data, &idx, hyper)?;
    let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
    let exp = exp_table(hyper.fixed.scale());
    let (new_model, witness) = model.model.step(&x, &labels, hyper, &exp)?;
    let new = commit_model(pcs, &new_model, hyper)?;
    let statement = StepStatement {
        model: ModelShape::of(&new_model),
        hyper: hyper.clone(),
        dataset: dataset.commitment(),
        dataset_len: dataset.len,
        weights: model.commitment(),
        new_weights: new.commitment(),
        step,
    };
    let inputs = StepInputs {
        dataset,
        weights: model,
        new_weights: &new,
    };
    let proof = prove_step(pcs, &statement, &inputs, &witness, transcript)?;
    Ok((new, Link { statement, proof }))
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
    for (i, Link { statement, proof }) in links.iter().enumerate() {
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
