//! Shared by the kaizen-nn bench binaries: peak memory, and one training step's proof set up on the
//! embedded Fashion-MNIST data (Ligero over M61², balanced shape, or rows of one length chosen
//! for the step's batched opening; blake3 column trees and transcript, or Poseidon2 for both).
#![allow(dead_code)]
pub mod phases;

use std::time::{Duration, Instant};

use kaizen_field::{Blake3Transcript, M61Ext2, Transcript};
use kaizen_nn::{
    arch::Architecture,
    data::Dataset,
    model::{batch_indices, exp_table, images, Hyper, Loss, Model, StepWitness},
    prove::{
        commit_dataset, commit_model, commitment_sizes, prove_step, verify_step, CommittedDataset,
        CommittedModel, ModelShape, Plan, StepInputs, StepProof, StepStatement,
    },
    tensor::Tensor,
};
use kaizen_pcs::{
    merkle::{Blake3Columns, ColumnHash},
    Ligero, LigeroParams, MatrixShape, MultilinearPcs,
};

/// Peak resident memory of this process so far, in MiB (`VmHWM`; NaN where unavailable).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

pub type Pcs<H = Blake3Columns> = Ligero<M61Ext2, H>;
pub type Proof<H = Blake3Columns> = StepProof<M61Ext2, Pcs<H>>;
pub type Statement<H = Blake3Columns> =
    StepStatement<<Pcs<H> as MultilinearPcs<M61Ext2>>::Commitment>;

/// Step 0 of `arch` at batch `batch` (softmax CE, scale 2^16, η = 0.1), its dataset committed;
/// column trees hashed with `H`, each proof's transcript a clone of `transcript`.
pub struct StepCase<H: ColumnHash<M61Ext2> = Blake3Columns, T = Blake3Transcript> {
    pub model: Model,
    pub hyper: Hyper,
    pub pcs: Pcs<H>,
    pub dataset: CommittedDataset<M61Ext2, Pcs<H>>,
    /// `W_i`, committed in advance: in a chain it is the previous step's `W_{i+1}`.
    pub weights: CommittedModel<M61Ext2, Pcs<H>>,
    pub dataset_len: usize,
    pub x: Tensor,
    pub labels: Vec<u8>,
    pub exp: Vec<i64>,
    pub transcript: T,
}

impl StepCase {
    /// [`StepCase::with_hash`] with blake3 trees and transcript.
    pub fn new(
        arch: &Architecture,
        batch: usize,
        keep_encoding: usize,
        ligero: (bool, bool),
    ) -> Self {
        let transcript = Blake3Transcript::new(b"kaizen-nn/bench");
        Self::with_hash(arch, batch, keep_encoding, ligero, transcript)
    }
}

impl<H: ColumnHash<M61Ext2>, T: Transcript<M61Ext2> + Clone> StepCase<H, T> {
    /// The case for `arch` at batch `batch`; the prover keeps the Reed–Solomon encodings of
    /// commitments of at most `keep_encoding` variables (larger ones are re-encoded when opened).
    /// Ligero's shape: balanced per commitment, or with `batched_shape` rows of one length
    /// chosen for the step's batched opening ([`LigeroParams::with_batched_shape`]); with
    /// `sent_rows`, every proximity row is sent ([`LigeroParams::with_sent_rows`]).
    pub fn with_hash(
        arch: &Architecture,
        batch: usize,
        keep_encoding: usize,
        (batched_shape, sent_rows): (bool, bool),
        transcript: T,
    ) -> Self {
        let data = arch.fit(&Dataset::embedded().unwrap()).unwrap();
        let hyper = Hyper::new(16, 0.1, batch, Loss::SoftmaxCrossEntropy).unwrap();
        let model = arch.build(16, 1).unwrap();
        let plan = Plan::new(&ModelShape::of(&model), &hyper).unwrap();
        let sizes = commitment_sizes(&plan, data.len()).unwrap();
        let vars = sizes.iter().copied().max().unwrap_or(0);
        let params = LigeroParams::new(vars, MatrixShape::Balanced);
        let params = if sent_rows {
            params.with_sent_rows()
        } else {
            params
        };
        let params = if batched_shape {
            params.with_batched_shape(&sizes)
        } else {
            params
        };
        let pcs = Ligero::<M61Ext2, H>::new(params.with_kept_encoding(keep_encoding));
        let dataset = commit_dataset(&pcs, &data, &plan).unwrap();
        let weights = commit_model(&pcs, &model, &hyper).unwrap();
        let idx = batch_indices(0, batch, data.len());
        let x = images(&data, &idx, &hyper).unwrap();
        let labels = idx.iter().map(|&i| data.labels[i]).collect();
        Self {
            model,
            hyper,
            pcs,
            dataset,
            weights,
            dataset_len: data.len(),
            x,
            labels,
            exp: exp_table(16),
            transcript,
        }
    }

    /// The plain quantized step: the new model and the witness.
    pub fn plain(&self) -> (Model, StepWitness) {
        self.model
            .step(&self.x, &self.labels, &self.hyper, &self.exp)
            .unwrap()
    }

    /// The plain step, committing `W_{i+1}`, and the step proof — one step's work in a chain
    /// (`W_i` was committed as the previous step's `W_{i+1}`): returns the plain step's time, the
    /// whole prover's time (plain step included), the statement and the proof.
    pub fn prove(&self) -> (Duration, Duration, Statement<H>, Proof<H>) {
        let start = Instant::now();
        let (new_model, witness) = self.plain();
        let plain = start.elapsed();
        let new_weights = commit_model(&self.pcs, &new_model, &self.hyper).unwrap();
        let statement = StepStatement {
            model: ModelShape::of(&self.model),
            hyper: self.hyper.clone(),
            dataset: self.dataset.commitment(),
            dataset_len: self.dataset_len,
            weights: self.weights.commitment(),
            new_weights: new_weights.commitment(),
            step: 0,
        };
        let inputs = StepInputs {
            dataset: &self.dataset,
            weights: &self.weights,
            new_weights: &new_weights,
        };
        let mut transcript = self.transcript.clone();
        let proof = prove_step(&self.pcs, &statement, &inputs, &witness, &mut transcript).unwrap();
        (plain, start.elapsed(), statement, proof)
    }

    pub fn verify(&self, statement: &Statement<H>, proof: &Proof<H>) {
        verify_step(&self.pcs, statement, proof, &mut self.transcript.clone()).unwrap();
    }
}
