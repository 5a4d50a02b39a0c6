use kaizen_field::{
    serialize::{from_bytes, to_bytes},
    Blake3Transcript, M61Ext2,
};
use kaizen_pcs::{Ligero, LigeroParams, MatrixShape};

use super::{chain::*, *};
use crate::{
    arch::Architecture,
    model::{batch_indices, exp_table, images, Loss},
    tensor::Tensor,
};

type F = M61Ext2;
type Pcs = Ligero<F>;

fn transcript() -> Blake3Transcript {
    Blake3Transcript::new(b"kaizen-nn/step-test")
}

fn pcs() -> Pcs {
    Ligero::new(LigeroParams::new(24, MatrixShape::Square))
}

/// A committed setting: dataset, model, one honest step's statement, witness and prover data.
struct Honest {
    dataset: CommittedDataset<F, Pcs>,
    weights: CommittedModel<F, Pcs>,
    new_weights: CommittedModel<F, Pcs>,
    statement: StepStatement<<Pcs as MultilinearPcs<F>>::Commitment>,
    witness: StepWitness,
}

/// The first 64 embedded images: small commitments keep the many proofs of these tests quick.
fn data() -> Dataset {
    Dataset::embedded().unwrap().split_at(64).0
}

fn honest(pcs: &Pcs, loss: Loss, widths: &[usize], step: u64) -> Honest {
    let data = data();
    let hyper = Hyper::new(16, 0.1, 16, loss).unwrap();
    let model = Architecture::Mlp(widths.to_vec()).build(16, 7).unwrap();
    let classes = *widths.last().unwrap();
    let dataset = commit_dataset(pcs, &data, &hyper, classes).unwrap();
    let idx = batch_indices(step as usize, hyper.batch, data.len());
    let x = images(&data, &idx, &hyper).unwrap();
    let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
    let (new_model, witness) = model.step(&x, &labels, &hyper, &exp_table(16)).unwrap();
    let weights = commit_model(pcs, &model, &hyper).unwrap();
    let new_weights = commit_model(pcs, &new_model, &hyper).unwrap();
    let statement = StepStatement {
        model: ModelShape::of(&model),
        hyper,
        dataset: dataset.commitment(),
        dataset_len: dataset.len,
        weights: weights.commitment(),
        new_weights: new_weights.commitment(),
        step,
    };
    Honest {
        dataset,
        weights,
        new_weights,
        statement,
        witness,
    }
}

impl Honest {
    fn prove(
        &self,
        pcs: &Pcs,
        witness: &StepWitness,
        checks: Checks,
    ) -> Result<StepProof<F, Pcs>, ProveError> {
        let inputs = StepInputs {
            dataset: &self.dataset,
            weights: &self.weights,
            new_weights: &self.new_weights,
        };
        prove_with(
            pcs,
            &self.statement,
            &inputs,
            witness,
            &mut transcript(),
            checks,
        )
    }
}

fn verify(
    pcs: &Pcs,
    statement: &StepStatement<<Pcs as MultilinearPcs<F>>::Commitment>,
    proof: &StepProof<F, Pcs>,
) -> Result<(), ProveError> {
    verify_step(pcs, statement, proof, &mut transcript())
}

#[test]
fn honest_steps_verify_for_both_losses() {
    let pcs = pcs();
    for loss in [Loss::SoftmaxCrossEntropy, Loss::Mse] {
        let h = honest(&pcs, loss, &[784, 32, 10], 3);
        let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
        verify(&pcs, &h.statement, &proof).unwrap();
        let bytes = to_bytes(&proof);
        println!("{loss:?}: step proof {} KiB", bytes.len() / 1024);
        let back: StepProof<F, Pcs> = from_bytes(&bytes).unwrap();
        verify(&pcs, &h.statement, &back).unwrap();
    }
}

#[test]
fn wrong_statements_are_rejected() {
    let pcs = pcs();
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 16, 10], 1);
    let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
    // Another iteration index (a different batch of the dataset).
    let mut s = h.statement.clone();
    s.step = 2;
    assert!(
        verify(&pcs, &s, &proof).is_err(),
        "step 1 proof accepted as step 2"
    );
    // Another dataset commitment (the same images, labels shifted by one).
    let mut data = data();
    data.labels.rotate_left(1);
    let other = commit_dataset::<F, Pcs>(&pcs, &data, &h.statement.hyper, 10).unwrap();
    let mut s = h.statement.clone();
    s.dataset = other.commitment();
    assert!(
        verify(&pcs, &s, &proof).is_err(),
        "another dataset accepted"
    );
    // Swapped model commitments, other hyper-parameters.
    let mut s = h.statement.clone();
    std::mem::swap(&mut s.weights, &mut s.new_weights);
    assert!(verify(&pcs, &s, &proof).is_err());
    let mut s = h.statement.clone();
    s.hyper.lr += 1;
    assert!(verify(&pcs, &s, &proof).is_err());
}

#[test]
fn tampered_proofs_are_rejected() {
    let pcs = pcs();
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 16, 10], 0);
    let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
    let mut p = proof.clone();
    p.parts.evals[5] += F::from(1u64);
    assert!(verify(&pcs, &h.statement, &p).is_err());
    let mut p = proof.clone();
    p.parts.evals.pop();
    assert!(matches!(
        verify(&pcs, &h.statement, &p),
        Err(ProveError::ProofShape(_)) | Err(_)
    ));
    let mut p = proof.clone();
    p.openings.swap(0, 1);
    assert!(verify(&pcs, &h.statement, &p).is_err());
    let bytes = to_bytes(&proof);
    let mut rejected = 0;
    let positions: Vec<usize> = (0..64).map(|k| k * (bytes.len() / 64) + 7).collect();
    for &i in &positions {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        match from_bytes::<StepProof<F, Pcs>>(&b) {
            Err(_) => rejected += 1,
            Ok(p) => rejected += usize::from(verify(&pcs, &h.statement, &p).is_err()),
        }
    }
    assert_eq!(rejected, positions.len(), "a flipped byte was accepted");
    assert!(from_bytes::<StepProof<F, Pcs>>(&bytes[..bytes.len() / 2]).is_err());
}

#[test]
fn bad_witness_is_a_typed_error() {
    let pcs = pcs();
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 16, 10], 0);
    let mut w = h.witness.clone();
    w.tensors.remove("fc1.z_rem");
    assert!(matches!(
        h.prove(&pcs, &w, Checks::Strict),
        Err(ProveError::Witness(_))
    ));
    let mut w = h.witness.clone();
    if let Some(t) = w.tensors.get_mut("fc1.z_rem") {
        t.data[0] = -1;
    }
    let err = h.prove(&pcs, &w, Checks::Strict).unwrap_err();
    assert!(
        matches!(&err, ProveError::OutOfRange { label, .. } if label == "fc1.z_rem"),
        "{err}"
    );
}

#[test]
fn chain_of_steps_verifies_and_links() {
    let pcs = pcs();
    let data = data();
    let hyper = Hyper::new(16, 0.1, 16, Loss::SoftmaxCrossEntropy).unwrap();
    let model = Architecture::Mlp(vec![784, 16, 10]).build(16, 2).unwrap();
    let mut prover = ChainProver::new(&pcs, &data, &model, hyper.clone()).unwrap();
    let (c_d, c_w0) = (prover.dataset_commitment(), prover.model_commitment());
    let links: Vec<_> = (0..3)
        .map(|_| prover.prove_next(transcript).unwrap())
        .collect();
    let expected = model.train(&data, &hyper, &exp_table(16), 0, 3).unwrap();
    assert_eq!(prover.model(), &expected);
    let last = verify_chain(&pcs, &c_d, data.len(), &c_w0, &links, transcript).unwrap();
    assert_eq!(last, prover.model_commitment());
    // Dropping or reordering a link breaks the chain.
    let mut bad: Vec<_> = links.clone();
    bad.remove(1);
    assert!(verify_chain(&pcs, &c_d, data.len(), &c_w0, &bad, transcript).is_err());
    let mut bad = links.clone();
    bad.swap(0, 1);
    assert!(verify_chain(&pcs, &c_d, data.len(), &c_w0, &bad, transcript).is_err());
}

/// Companion edits that keep a local identity: `(value, remainder, remainder delta)`.
const PAIRS: [(&str, &str); 5] = [
    ("fc1.z", "fc1.z_rem"),
    ("fc2.dx", "fc2.dx_rem"),
    ("loss.exp_in", "loss.exp_in_rem"),
    ("fc1.weight.step", "fc1.weight.step_rem"),
    ("loss.prob", "loss.prob_rem"),
];

fn bump(t: &mut Tensor, index: usize, delta: i64) {
    t.data[index] += delta;
}

/// The soundness test of issue 7: every tensor of the witness, corrupted in one entry (and the
/// value/remainder pairs together), makes the verifier reject the honest prover's proof.
#[test]
fn mutation_matrix() {
    let pcs = pcs();
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 16, 10], 5);
    let honest_proof = h.prove(&pcs, &h.witness, Checks::Lenient).unwrap();
    verify(&pcs, &h.statement, &honest_proof).unwrap();
    let mut accepted = Vec::new();
    let mut report = |label: String, w: &StepWitness| {
        let verdict = match h.prove(&pcs, w, Checks::Lenient) {
            Err(e) => format!("rejected (prover: {e})"),
            Ok(p) => match verify(&pcs, &h.statement, &p) {
                Err(e) => format!("rejected ({e})"),
                Ok(()) => {
                    accepted.push(label.clone());
                    "ACCEPTED".into()
                }
            },
        };
        println!("{label:32} {verdict}");
    };
    for (name, t) in &h.witness.tensors {
        let mut w = h.witness.clone();
        let index = t.len() / 2 + 1;
        if let Some(t) = w.tensors.get_mut(name) {
            bump(t, index.min(t.len() - 1), 1);
        }
        report(name.clone(), &w);
    }
    let s = 1i64 << 16;
    for (value, rem) in PAIRS {
        let mut w = h.witness.clone();
        let len = w.get(value).map_or(0, Tensor::len);
        let index = len / 2 + 1;
        let divisor = match value {
            "loss.exp_in" => 1 << 8,
            "fc1.weight.step" => 16 * s * s,
            "loss.prob" => {
                let row = index / 10;
                w.get("loss.sum").map_or(1, |t| t.data[row])
            }
            _ => s,
        };
        if let Some(t) = w.tensors.get_mut(value) {
            bump(t, index, 1);
        }
        if let Some(t) = w.tensors.get_mut(rem) {
            bump(t, index, -divisor);
        }
        report(format!("{value} + {rem}"), &w);
    }
    assert!(accepted.is_empty(), "accepted corruptions: {accepted:?}");
}
