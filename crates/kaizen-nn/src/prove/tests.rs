use kaizen_field::{
    serialize::{from_bytes, to_bytes, with_lengths_replaced},
    Blake3Transcript, M61Ext2, Poseidon2Transcript,
};
use kaizen_pcs::{merkle::Poseidon2Columns, Ligero, LigeroParams, MatrixShape};

use super::{chain::*, *};
use crate::{
    arch::Architecture,
    model::{batch_indices, exp_table, images, LayerKind, Loss},
    tensor::Tensor,
};

type F = M61Ext2;
type Pcs = Ligero<F>;

fn transcript() -> Blake3Transcript {
    Blake3Transcript::new(b"kaizen-nn/step-test")
}

fn pcs() -> Pcs {
    Ligero::new(LigeroParams::new(24, MatrixShape::Balanced))
}

/// A committed setting: dataset, model, one honest step's statement, witness and prover data.
struct Honest<S: MultilinearPcs<F> = Pcs> {
    dataset: CommittedDataset<F, S>,
    weights: CommittedModel<F, S>,
    new_weights: CommittedModel<F, S>,
    statement: StepStatement<S::Commitment>,
    witness: StepWitness,
}

/// The first 64 embedded images: small commitments keep the many proofs of these tests quick.
fn data() -> Dataset {
    Dataset::embedded().unwrap().split_at(64).0
}

fn honest(pcs: &Pcs, loss: Loss, widths: &[usize], step: u64) -> Honest {
    honest_with(
        pcs,
        loss,
        &Architecture::Mlp(widths.to_vec()),
        &data(),
        16,
        step,
    )
}

/// The embedded images as `arch` takes them (padded to 32×32 for the authors' LeNet shape).
fn data_for(arch: &Architecture) -> Dataset {
    match arch.input()[..] {
        [_, side, _] if side != 28 => data().pad_to(side).unwrap(),
        _ => data(),
    }
}

fn honest_with<S: MultilinearPcs<F>>(
    pcs: &S,
    loss: Loss,
    arch: &Architecture,
    data: &Dataset,
    batch: usize,
    step: u64,
) -> Honest<S> {
    let hyper = Hyper::new(16, 0.1, batch, loss).unwrap();
    let model = arch.build(16, 7).unwrap();
    let data = data.clone();
    let plan = Plan::new(&ModelShape::of(&model), &hyper).unwrap();
    let dataset = commit_dataset(pcs, &data, &plan).unwrap();
    let idx = batch_indices(step as usize, hyper.batch, data.len());
    let x = images(&data, &idx, &hyper).unwrap();
    let labels: Vec<u8> = idx.iter().map(|&i| data.labels[i]).collect();
    let (new_model, witness) = model.step(&x, &labels, &hyper, &exp_table(16)).unwrap();
    Honest::new(pcs, dataset, (&model, &new_model), hyper, witness, step)
}

impl<S: MultilinearPcs<F>> Honest<S> {
    /// Commits both models and states step `step` of `model → new_model` on `dataset`.
    fn new(
        pcs: &S,
        dataset: CommittedDataset<F, S>,
        (model, new_model): (&Model, &Model),
        hyper: Hyper,
        witness: StepWitness,
        step: u64,
    ) -> Self {
        let weights = commit_model(pcs, model, &hyper).unwrap();
        let new_weights = commit_model(pcs, new_model, &hyper).unwrap();
        let statement = StepStatement {
            model: ModelShape::of(model),
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

    fn inputs(&self) -> StepInputs<'_, F, S> {
        StepInputs {
            dataset: &self.dataset,
            weights: &self.weights,
            new_weights: &self.new_weights,
        }
    }

    fn prove(
        &self,
        pcs: &S,
        witness: &StepWitness,
        checks: Checks,
    ) -> Result<StepProof<F, S>, ProveError> {
        let inputs = self.inputs();
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

/// Whether `bytes` decode to a step proof that verifies against `statement`.
fn accepts_bytes(
    pcs: &Pcs,
    statement: &StepStatement<<Pcs as MultilinearPcs<F>>::Commitment>,
    bytes: &[u8],
) -> bool {
    from_bytes::<StepProof<F, Pcs>>(bytes).is_ok_and(|p| verify(pcs, statement, &p).is_ok())
}

/// The step proof as the recursion will check it, every hash over `F_p`: Poseidon2 column trees
/// and the Poseidon2 transcript. An honest MLP step verifies; under the blake3 transcript, as
/// another step, with a flipped byte or with a wrong witness entry it is rejected.
#[test]
fn poseidon2_trees_and_transcript() {
    let pcs = Ligero::<F, Poseidon2Columns>::new(LigeroParams::new(24, MatrixShape::Balanced));
    let arch = Architecture::Mlp(vec![784, 20, 10]);
    let h = honest_with(&pcs, Loss::SoftmaxCrossEntropy, &arch, &data(), 16, 2);
    let pt = || Poseidon2Transcript::new(b"kaizen-nn/step-test");
    let prove = |witness: &StepWitness| {
        prove_with(
            &pcs,
            &h.statement,
            &h.inputs(),
            witness,
            &mut pt(),
            Checks::Lenient,
        )
    };
    let proof = prove(&h.witness).unwrap();
    verify_step(&pcs, &h.statement, &proof, &mut pt()).unwrap();
    let bytes = to_bytes(&proof);
    println!("Poseidon2 step proof: {} KiB", bytes.len() / 1024);
    assert!(verify_step(&pcs, &h.statement, &proof, &mut transcript()).is_err());
    let mut other = h.statement.clone();
    other.step = 3;
    assert!(verify_step(&pcs, &other, &proof, &mut pt()).is_err());
    for at in [bytes.len() / 7, bytes.len() / 2, bytes.len() - 40] {
        let mut bad = bytes.clone();
        bad[at] ^= 1;
        let accepted = from_bytes::<StepProof<F, Ligero<F, Poseidon2Columns>>>(&bad)
            .is_ok_and(|p| verify_step(&pcs, &h.statement, &p, &mut pt()).is_ok());
        assert!(!accepted, "byte {at} flipped");
    }
    let mut witness = h.witness.clone();
    if let Some(w) = witness.tensors.get_mut("fc2.weight_new") {
        w.data[5] += 1;
    }
    let proof = prove(&witness).unwrap();
    assert!(verify_step(&pcs, &h.statement, &proof, &mut pt()).is_err());
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

/// LeNet-5 (conv, ReLU, max-pool, flatten) and the authors' LeNet shape (valid convs, avg-pool)
/// prove and verify through the same API as MLPs; a proof of one is not a proof of the other.
#[test]
fn conv_models_prove_and_verify() {
    let pcs = pcs();
    for arch in [
        Architecture::LeNet5 { size: 28 },
        Architecture::PaperLeNet { channels: 1 },
    ] {
        let h = honest_with(
            &pcs,
            Loss::SoftmaxCrossEntropy,
            &arch,
            &data_for(&arch),
            4,
            2,
        );
        let start = std::time::Instant::now();
        let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
        let proved = start.elapsed();
        verify(&pcs, &h.statement, &proof).unwrap();
        println!(
            "{arch}: proved in {proved:?}, {} KiB",
            to_bytes(&proof).len() / 1024
        );
        let mut s = h.statement.clone();
        s.step += 1;
        assert!(verify(&pcs, &s, &proof).is_err());
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
    let plan = Plan::new(&h.statement.model, &h.statement.hyper).unwrap();
    let other = commit_dataset::<F, Pcs>(&pcs, &data, &plan).unwrap();
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

/// Proves step 1 of an MLP on the embedded data with batch `x` and targets `y` in place of the
/// honest ones, committing `C_D` to the changed batch (so everything but the dataset's
/// well-formedness holds), and returns the verifier's verdict.
fn verdict_on_dataset(
    pcs: &Pcs,
    change: impl Fn(&mut Tensor, &mut Tensor),
) -> Result<(), ProveError> {
    let (data, step) = (data(), 1);
    let hyper = Hyper::new(16, 0.1, 16, Loss::SoftmaxCrossEntropy).unwrap();
    let model = Architecture::Mlp(vec![784, 16, 10]).build(16, 7).unwrap();
    let plan = Plan::new(&ModelShape::of(&model), &hyper).unwrap();
    let all: Vec<usize> = (0..data.len()).collect();
    let mut x_all = images(&data, &all, &hyper).unwrap();
    let mut y_all = one_hot(&data.labels, 10).unwrap();
    let idx = batch_indices(step, hyper.batch, data.len());
    let rows = |t: &Tensor| {
        let width = t.len() / t.shape[0];
        let values = t.data[idx[0] * width..(idx[0] + idx.len()) * width].to_vec();
        Tensor::new(
            "t",
            &[idx.len(), width],
            values.into_iter().map(i128::from).collect(),
        )
        .unwrap()
    };
    let (mut x, mut y) = (rows(&x_all), rows(&y_all));
    change(&mut x, &mut y);
    for (all, batch) in [(&mut x_all, &x), (&mut y_all, &y)] {
        let start = idx[0] * batch.len() / idx.len();
        all.data[start..start + batch.len()].copy_from_slice(&batch.data);
    }
    let dataset = commit_dataset_tables::<F, Pcs>(
        pcs,
        data.len(),
        &plan,
        &pad(
            &[&[data.len()], plan.model.input.as_slice()].concat(),
            0,
            &x_all.data,
        )
        .unwrap(),
        &pad(&[data.len(), 10], 0, &y_all.data).unwrap(),
    )
    .unwrap();
    let (new_model, witness) = model
        .step_with_targets(&x, &y, &hyper, &exp_table(16))
        .unwrap();
    let h = Honest::new(
        pcs,
        dataset,
        (&model, &new_model),
        hyper,
        witness,
        step as u64,
    );
    let proof = h.prove(pcs, &h.witness, Checks::Lenient)?;
    verify(pcs, &h.statement, &proof)
}

/// `C_D` is the prover's: a step on a batch with a pixel outside `[0, 2^{value+1})`, or with a
/// label row that is not one-hot, is rejected even when everything else about it is consistent.
#[test]
fn malformed_dataset_is_rejected() {
    let pcs = pcs();
    verdict_on_dataset(&pcs, |_, _| {}).unwrap();
    let rejected = |what: &str, needle: &str, change: &dyn Fn(&mut Tensor, &mut Tensor)| {
        let err = verdict_on_dataset(&pcs, change).expect_err(what);
        println!("{what}: rejected ({err})");
        assert!(err.to_string().contains(needle), "{what}: {err}");
    };
    rejected("negative pixel", "range check of input", &|x, _| {
        x.data[300] = -1
    });
    let class = |y: &Tensor| (0..10).find(|&j| y.data[j] == 1).unwrap();
    rejected("sample without a label", "labels: a row", &|_, y| {
        let c = class(y);
        y.data[c] = 0;
    });
    rejected("a label counted twice", "labels: a row", &|_, y| {
        let c = class(y);
        y.data[c] = 2;
    });
    rejected("two labels", "labels: a row", &|_, y| {
        let c = class(y);
        y.data[(c + 1) % 10] = 1;
    });
    // Row sum one, entries not boolean: caught by the zero check `y·(y − 1) = 0`.
    let err = verdict_on_dataset(&pcs, |_, y| {
        let c = class(y);
        y.data[(c + 1) % 10] = 1;
        y.data[(c + 2) % 10] = -1;
    })
    .expect_err("entries 1, 1, −1");
    println!("labels 1, 1, −1: rejected ({err})");
}

/// `C_step` is cut where its segments fill a power of two and the rest is at most half that:
/// every segment in exactly one part, no part more than half padding.
#[test]
fn step_commitment_parts_cover_the_layout() {
    for (arch, batch) in [
        (Architecture::Mlp(vec![784, 128, 10]), 16),
        (Architecture::PaperMAlexNet { channels: 1 }, 16),
        (Architecture::PaperLeNet { channels: 1 }, 4),
        (Architecture::Mlp(vec![784, 16, 10]), 16),
    ] {
        let hyper = Hyper::new(16, 0.1, batch, Loss::SoftmaxCrossEntropy).unwrap();
        let plan = Plan::new(&ModelShape::of(&arch.build(16, 1).unwrap()), &hyper).unwrap();
        let parts = step_layouts(&plan).unwrap();
        let mut names: Vec<&String> = parts.iter().flat_map(|(_, n)| n).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "{arch}: a segment in two parts");
        let used: usize = parts
            .iter()
            .flat_map(|(l, n)| n.iter().map(move |n| 1usize << l.segment_vars(n).unwrap()))
            .sum();
        let padded: usize = parts.iter().map(|(l, _)| 1usize << l.num_vars()).sum();
        println!(
            "{arch} B{batch}: parts 2^{:?}, {used} of {padded} entries used",
            parts.iter().map(|(l, _)| l.num_vars()).collect::<Vec<_>>()
        );
        assert!(parts.len() <= MAX_STEP_PARTS);
        assert!(2 * used > padded, "{arch}: mostly padding");
    }
}

#[test]
fn tampered_proofs_are_rejected() {
    let pcs = pcs();
    // A width whose step commitment comes in several parts.
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 20, 10], 0);
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
    // The batched opening: its reduction's first round, or its openings swapped.
    let mut p = proof.clone();
    p.opening.reduction.rounds[0].evals[0] += F::from(1u64);
    assert!(verify(&pcs, &h.statement, &p).is_err());
    let mut p = proof.clone();
    assert!(p.opening.openings.len() >= 2);
    p.opening.openings.swap(0, 1);
    assert!(verify(&pcs, &h.statement, &p).is_err());
    // The step commitment's parts: one dropped, or two swapped.
    assert!(proof.step_commitments.len() >= 2);
    let mut p = proof.clone();
    p.step_commitments.pop();
    assert!(matches!(
        verify(&pcs, &h.statement, &p),
        Err(ProveError::ProofShape(_))
    ));
    let mut p = proof.clone();
    p.step_commitments.swap(0, 1);
    assert!(verify(&pcs, &h.statement, &p).is_err());
    let bytes = to_bytes(&proof);
    let mut rejected = 0;
    let positions: Vec<usize> = (0..64).map(|k| k * (bytes.len() / 64) + 7).collect();
    for &i in &positions {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        rejected += usize::from(!accepts_bytes(&pcs, &h.statement, &b));
    }
    assert_eq!(rejected, positions.len(), "a flipped byte was accepted");
    assert!(from_bytes::<StepProof<F, Pcs>>(&bytes[..bytes.len() / 2]).is_err());
}

/// No length in a step proof is trusted before its data is read: every word of the proof that
/// could be a vector's length, replaced by lengths no proof has, gives a decoding error or a
/// proof the verifier rejects — never an allocation of that length (which aborts the process).
#[test]
fn corrupted_lengths_are_errors() {
    let pcs = pcs();
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 20, 10], 0);
    let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
    let bytes = to_bytes(&proof);
    assert!(accepts_bytes(&pcs, &h.statement, &bytes));
    for len in [1 << 40, u64::MAX / 3] {
        let mut words = 0;
        for (i, b) in with_lengths_replaced(&bytes, len) {
            words += 1;
            assert!(!accepts_bytes(&pcs, &h.statement, &b), "{len} at byte {i}");
        }
        assert!(words >= 100, "{words} words replaced");
    }
}

/// Every byte of a step proof is checked: one bit flipped in any byte gives a decoding error or
/// a proof the verifier rejects. Every byte before the PCS openings is flipped (step bounds,
/// commitments, every sumcheck, lookup and claimed value, the openings' reduction), and every
/// `KAIZEN_BYTE_STRIDE`-th byte of the openings (11 by default; 1 flips all of them: about two
/// hours), whose rows and columns Merkle paths bind. MLP and LeNet-5 (conv, max-pool) proofs;
/// the verifications run on all cores.
/// `cargo test --release -p kaizen-nn every_byte -- --ignored --nocapture`
#[test]
#[ignore = "one verification per flipped byte: about 12 minutes on 2 cores"]
fn every_byte_is_checked() {
    use rayon::prelude::*;
    let stride: usize = std::env::var("KAIZEN_BYTE_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let pcs = pcs();
    for arch in [
        Architecture::Mlp(vec![784, 20, 10]),
        Architecture::LeNet5 { size: 28 },
    ] {
        let h = honest_with(
            &pcs,
            Loss::SoftmaxCrossEntropy,
            &arch,
            &data_for(&arch),
            4,
            1,
        );
        let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
        let bytes = to_bytes(&proof);
        assert!(accepts_bytes(&pcs, &h.statement, &bytes));
        // The openings are serialized last, after their count.
        let openings = bytes.len() - to_bytes(&proof.opening.openings).len() + 8;
        let flipped: Vec<usize> = (0..openings)
            .chain((openings..bytes.len()).step_by(stride))
            .collect();
        let accepted: Vec<usize> = flipped
            .par_iter()
            .copied()
            .filter(|&i| {
                let mut b = bytes.clone();
                b[i] ^= 1 << (i % 8);
                accepts_bytes(&pcs, &h.statement, &b)
            })
            .collect();
        println!(
            "{arch}: all {openings} bytes before the openings and {} of their {} flipped, accepted at {accepted:?}",
            flipped.len() - openings,
            bytes.len() - openings,
        );
        assert!(
            accepted.is_empty(),
            "{arch}: flips accepted at {accepted:?}"
        );
    }
}

/// The prover states the tight weight-step bound where the steps fit it; a proof whose stated
/// bounds are changed (looser, tighter, out of range, one missing) is rejected, and a witness
/// whose steps exceed the tight bound is proven under the default one.
#[test]
fn stated_step_bounds_are_checked() {
    let pcs = pcs();
    let h = honest(&pcs, Loss::SoftmaxCrossEntropy, &[784, 12, 10], 0);
    let proof = h.prove(&pcs, &h.witness, Checks::Strict).unwrap();
    let default = Plan::new(&h.statement.model, &h.statement.hyper)
        .unwrap()
        .bounds
        .step_w;
    assert_eq!(proof.step_bits, vec![plan::SMALL_STEP_BITS; 2]);
    for bits in [
        vec![default, plan::SMALL_STEP_BITS],
        vec![plan::SMALL_STEP_BITS, plan::SMALL_STEP_BITS - 1],
    ] {
        let mut p = proof.clone();
        p.step_bits = bits.clone();
        assert!(verify(&pcs, &h.statement, &p).is_err(), "{bits:?}");
    }
    for bits in [vec![0, 10], vec![default + 1, 10], vec![10]] {
        let mut p = proof.clone();
        p.step_bits = bits.clone();
        assert!(
            matches!(
                verify(&pcs, &h.statement, &p),
                Err(ProveError::ProofShape(_))
            ),
            "{bits:?}"
        );
    }
    // A step of 2^10 in fc2: the prover states the default bound for that layer (and the
    // proof of this false update is rejected).
    let mut witness = h.witness.clone();
    if let Some(w) = witness.tensors.get_mut("fc2.weight_new") {
        w.data[0] -= 1 << plan::SMALL_STEP_BITS;
    }
    let moved = h.prove(&pcs, &witness, Checks::Lenient).unwrap();
    assert_eq!(moved.step_bits, vec![plan::SMALL_STEP_BITS, default]);
    assert!(verify(&pcs, &h.statement, &moved).is_err());
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

fn bump(t: &mut Tensor, index: usize, delta: i64) {
    t.data[index] += delta;
}

/// Corrupts every tensor of `h`'s witness in one entry, then each `(value, remainder, divisor)`
/// pair together so that `value·divisor + remainder` is unchanged, and returns the corruptions
/// the verifier accepted from the honest (lenient) prover.
fn mutations(pcs: &Pcs, h: &Honest, pairs: &[(&str, &str, i64)]) -> Vec<String> {
    let honest_proof = h.prove(pcs, &h.witness, Checks::Lenient).unwrap();
    verify(pcs, &h.statement, &honest_proof).unwrap();
    let mut accepted = Vec::new();
    let mut report = |label: String, w: &StepWitness| {
        let verdict = match h.prove(pcs, w, Checks::Lenient) {
            Err(e) => format!("rejected (prover: {e})"),
            Ok(p) => match verify(pcs, &h.statement, &p) {
                Err(e) => format!("rejected ({e})"),
                Ok(()) => {
                    accepted.push(label.clone());
                    "ACCEPTED".into()
                }
            },
        };
        println!("{label:40} {verdict}");
    };
    for (name, t) in &h.witness.tensors {
        let mut w = h.witness.clone();
        let index = (t.len() / 2 + 1).min(t.len() - 1);
        if let Some(t) = w.tensors.get_mut(name) {
            bump(t, index, 1);
        }
        report(name.clone(), &w);
    }
    for &(value, rem, divisor) in pairs {
        let mut w = h.witness.clone();
        let len = w.get(value).map_or(0, Tensor::len);
        let index = len / 2 + 1;
        let divisor = if value == "loss.prob" {
            let classes = h.statement.model.layers.last().map_or(1, |(_, k)| match k {
                LayerKind::Dense { outputs, .. } => *outputs,
                _ => 1,
            });
            w.get("loss.sum").map_or(1, |t| t.data[index / classes])
        } else {
            divisor
        };
        for (name, delta) in [(value, 1), (rem, -divisor)] {
            let t = w.tensors.get_mut(name);
            bump(
                t.unwrap_or_else(|| panic!("no tensor {name}")),
                index,
                delta,
            );
        }
        report(format!("{value} + {rem}"), &w);
    }
    accepted
}

const S: i64 = 1 << 16;

/// The soundness test of issues 7 and 8: every tensor of the witness of an MLP, LeNet-5 and the
/// authors' LeNet shape, corrupted in one entry (and the value/remainder pairs together), makes
/// the verifier reject the honest prover's proof.
#[test]
fn mutation_matrix() {
    let pcs = pcs();
    let loss = Loss::SoftmaxCrossEntropy;
    let mut accepted = Vec::new();
    let h = honest(&pcs, loss, &[784, 16, 10], 5);
    accepted.extend(mutations(
        &pcs,
        &h,
        &[
            ("fc1.z", "fc1.z_rem", S),
            ("fc2.dx", "fc2.dx_rem", S),
            ("loss.exp_in", "loss.exp_in_rem", 1 << 8),
            ("loss.prob", "loss.prob_rem", 0),
        ],
    ));
    let lenet = Architecture::LeNet5 { size: 28 };
    let h = honest_with(&pcs, loss, &lenet, &data_for(&lenet), 2, 3);
    accepted.extend(mutations(
        &pcs,
        &h,
        &[
            ("conv1.z", "conv1.z_rem", S),
            ("conv2.dx", "conv2.dx_rem", S),
        ],
    ));
    let paper = Architecture::PaperLeNet { channels: 1 };
    let h = honest_with(&pcs, loss, &paper, &data_for(&paper), 2, 1);
    accepted.extend(mutations(
        &pcs,
        &h,
        &[
            ("conv3.z", "conv3.z_rem", S),
            ("pool1.out", "pool1.rem", 4),
            ("conv2.dx", "conv2.dx_rem", S),
        ],
    ));
    assert!(accepted.is_empty(), "accepted corruptions: {accepted:?}");
}

/// [`mutation_matrix`] over one of the authors' larger shapes at B = 1: one full proof of a
/// multi-million-parameter model per corruption, so hours on 2 cores.
fn mutation_matrix_large(arch: Architecture) {
    let pcs = Ligero::new(LigeroParams::new(27, MatrixShape::Balanced));
    let h = honest_with(
        &pcs,
        Loss::SoftmaxCrossEntropy,
        &arch,
        &data_for(&arch),
        1,
        0,
    );
    let accepted = mutations(
        &pcs,
        &h,
        &[("conv1.z", "conv1.z_rem", S), ("fc1.dx", "fc1.dx_rem", S)],
    );
    assert!(accepted.is_empty(), "accepted corruptions: {accepted:?}");
}

/// `cargo test --release -p kaizen-nn mutation_matrix_malexnet -- --ignored --nocapture`
#[test]
#[ignore = "22 minutes on 2 cores (123 corruptions, about 10 s each)"]
fn mutation_matrix_malexnet() {
    mutation_matrix_large(Architecture::PaperMAlexNet { channels: 1 });
}

/// `cargo test --release -p kaizen-nn mutation_matrix_vgg -- --ignored --nocapture` (about 20 GiB)
#[test]
#[ignore = "hours on 2 cores (about two minutes per corruption)"]
fn mutation_matrix_vgg() {
    mutation_matrix_large(Architecture::PaperVgg { channels: 1 });
}
