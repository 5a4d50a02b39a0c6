//! Layered-circuit GKR: completeness on random circuits and rejection of wrong outputs, wrong wiring,
//! wrong intermediate values and tampered proofs.
#![allow(clippy::unwrap_used, clippy::panic)]
use ark_std::UniformRand;
use kaizen_field::{
    serialize::{from_bytes, to_bytes},
    AdditiveGroup, Blake3Transcript, Field, M61Ext2, MultilinearPoly,
};
use kaizen_gkr::{
    circuit::{prove_circuit, verify_circuit, Circuit, GkrProof, Layer},
    GkrError,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

type F = M61Ext2;

fn tr() -> Blake3Transcript {
    Blake3Transcript::new(b"gkr-test")
}

/// A random circuit: `sizes[0]` input variables, then one layer per further size.
fn random_circuit(sizes: &[usize], seed: u64) -> Circuit<F> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut layers = Vec::new();
    for w in sizes.windows(2) {
        let (ins, outs) = (1usize << w[0], 1usize << w[1]);
        let mut layer = Layer::new(w[1]);
        for g in 0..outs {
            for _ in 0..rng.gen_range(1..=3) {
                let (x, y) = (rng.gen_range(0..ins), rng.gen_range(0..ins));
                layer = match rng.gen_range(0..3) {
                    0 => layer.mul(g, x, y, F::rand(&mut rng)),
                    1 => layer.add(g, x, y),
                    _ => layer.scaled(g, x, F::rand(&mut rng)),
                };
            }
        }
        layers.push(layer);
    }
    Circuit::new(sizes[0], layers).unwrap()
}

#[test]
fn random_circuits_complete_with_true_input_claims() {
    for (seed, sizes) in [
        (1u64, vec![3, 2]),
        (2, vec![4, 4, 3, 1]),
        (3, vec![6, 5, 6, 2, 0]),
        (4, vec![0, 1]),
    ] {
        let circuit = random_circuit(&sizes, seed);
        let mut rng = ChaCha20Rng::seed_from_u64(seed + 100);
        let input: Vec<F> = (0..1 << sizes[0]).map(|_| F::rand(&mut rng)).collect();
        let values = circuit.evaluate(&input).unwrap();
        let outputs = values.last().unwrap().clone();
        let (proof, claims) = prove_circuit(&circuit, &values, &mut tr()).unwrap();
        let v = verify_circuit(&circuit, &outputs, &proof, &mut tr()).unwrap();
        assert_eq!(v, claims);
        let input_poly = MultilinearPoly::new(input.clone()).unwrap();
        for c in &v {
            assert_eq!(
                input_poly.evaluate(&c.point).unwrap(),
                c.value,
                "sizes {sizes:?}"
            );
        }
        let bytes = to_bytes(&proof);
        assert_eq!(from_bytes::<GkrProof<F>>(&bytes).unwrap(), proof);
        assert!(from_bytes::<GkrProof<F>>(&bytes[..bytes.len() / 2]).is_err());
    }
}

#[test]
fn wrong_outputs_wiring_values_and_proofs_are_rejected() {
    let sizes = [4usize, 4, 3, 2];
    let circuit = random_circuit(&sizes, 7);
    let mut rng = ChaCha20Rng::seed_from_u64(8);
    let input: Vec<F> = (0..16).map(|_| F::rand(&mut rng)).collect();
    let values = circuit.evaluate(&input).unwrap();
    let outputs = values.last().unwrap().clone();
    let (proof, _) = prove_circuit(&circuit, &values, &mut tr()).unwrap();

    // Outputs that the circuit did not compute (an "all zero" claim, or one entry off).
    let mut wrong = outputs.clone();
    wrong[1] += F::ONE;
    assert!(verify_circuit(&circuit, &wrong, &proof, &mut tr()).is_err());
    let zeros = vec![F::ZERO; outputs.len()];
    assert!(verify_circuit(&circuit, &zeros, &proof, &mut tr()).is_err());

    // The verifier's circuit differs in one wire.
    let other = random_circuit(&sizes, 9);
    assert!(verify_circuit(&other, &outputs, &proof, &mut tr()).is_err());

    // A prover whose intermediate layer is wrong (outputs kept): rejected, or the input claims
    // it leaves are false.
    let mut bad_values = values.clone();
    bad_values[2][3] += F::ONE;
    let (p2, _) = prove_circuit(&circuit, &bad_values, &mut tr()).unwrap();
    match verify_circuit(&circuit, &outputs, &p2, &mut tr()) {
        Err(_) => {}
        Ok(claims) => {
            let poly = MultilinearPoly::new(input.clone()).unwrap();
            assert!(claims
                .iter()
                .any(|c| poly.evaluate(&c.point).unwrap() != c.value));
        }
    }
    // A wrong input: the input claims are false.
    let mut bad_input = values.clone();
    bad_input[0][0] += F::ONE;
    let (p3, _) = prove_circuit(&circuit, &bad_input, &mut tr()).unwrap();
    if let Ok(claims) = verify_circuit(&circuit, &outputs, &p3, &mut tr()) {
        let poly = MultilinearPoly::new(input.clone()).unwrap();
        assert!(claims
            .iter()
            .any(|c| poly.evaluate(&c.point).unwrap() != c.value));
    }

    // Tampered proofs.
    let mut bad = proof.clone();
    bad.layers[1].1.final_evals[0][0] += F::ONE;
    assert!(verify_circuit(&circuit, &outputs, &bad, &mut tr()).is_err());
    let mut bad = proof.clone();
    bad.layers[0].0.rounds[0].evals[1] += F::ONE;
    assert!(verify_circuit(&circuit, &outputs, &bad, &mut tr()).is_err());
    let mut bad = proof.clone();
    bad.layers.pop();
    assert!(matches!(
        verify_circuit(&circuit, &outputs, &bad, &mut tr()),
        Err(GkrError::ProofShape(_))
    ));
}

#[test]
fn malformed_circuits_and_inputs() {
    assert!(Circuit::<F>::new(2, vec![Layer::new(1).mul(0, 4, 0, F::ONE)]).is_err());
    assert!(Circuit::<F>::new(2, vec![Layer::new(1).add(2, 0, 1)]).is_err());
    assert!(Circuit::<F>::new(2, vec![]).is_err());
    let c = Circuit::new(2, vec![Layer::new(1).add(0, 0, 1)]).unwrap();
    assert!(c.evaluate(&[F::ONE; 3]).is_err());
    let values = c.evaluate(&[F::ONE; 4]).unwrap();
    let (proof, _) = prove_circuit(&c, &values, &mut tr()).unwrap();
    assert!(verify_circuit(&c, &[F::ONE; 3], &proof, &mut tr()).is_err());
}
