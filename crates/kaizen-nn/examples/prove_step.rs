//! The main job: trains an MLP on the embedded Fashion-MNIST data (first 1,024 test images), a
//! proof per SGD step, then verifies the whole chain against the dataset and initial-model
//! commitments.
#![allow(clippy::unwrap_used)]
use std::time::Instant;

use kaizen_field::{serialize::to_bytes, Blake3Transcript, M61Ext2};
use kaizen_nn::{
    arch::Architecture,
    data::Dataset,
    model::{Hyper, Loss},
    prove::chain::{verify_chain, ChainProver},
};
use kaizen_pcs::{Ligero, LigeroParams, MatrixShape};

const STEPS: usize = 4;

fn main() {
    let pcs = Ligero::<M61Ext2>::new(LigeroParams::new(26, MatrixShape::Balanced));
    let data = Dataset::embedded().unwrap();
    let hyper = Hyper::new(16, 0.1, 16, Loss::SoftmaxCrossEntropy).unwrap();
    let model = Architecture::Mlp(vec![784, 128, 10]).build(16, 1).unwrap();
    let t = || Blake3Transcript::new(b"kaizen-nn/prove_step");
    println!(
        "MLP 784-128-10, B = {}, {} Fashion-MNIST images committed; {} proven SGD steps",
        hyper.batch,
        data.len(),
        STEPS
    );
    let before = model.accuracy(&data, &hyper).unwrap();
    let mut prover = ChainProver::new(&pcs, &data, &model, hyper.clone()).unwrap();
    let (c_d, c_w0) = (prover.dataset_commitment(), prover.model_commitment());
    let mut links = Vec::new();
    for i in 0..STEPS {
        let start = Instant::now();
        links.push(prover.prove_next(t).unwrap());
        let bytes = to_bytes(&links[i].proof).len();
        println!(
            "step {i}: trained and proven in {:.2} s, proof {} KiB",
            start.elapsed().as_secs_f64(),
            bytes / 1024
        );
    }
    let after = prover.model().accuracy(&data, &hyper).unwrap();
    let start = Instant::now();
    match verify_chain(&pcs, &c_d, data.len(), &c_w0, &links, t) {
        Ok(_) => println!(
            "verified all {STEPS} steps in {:.0} ms (accuracy on the committed set {before:.3} -> {after:.3})",
            start.elapsed().as_secs_f64() * 1e3
        ),
        Err(e) => {
            println!("REJECTED: {e}");
            std::process::exit(1);
        }
    }
}
