//! Layered arithmetic circuits and their GKR proof, with Libra's linear-time two-phase prover
//! (Xie–Zhang–Zhang–Papamanthou–Song, CRYPTO 2019).
//!
//! A circuit is data: an input layer of `2^n_0` values and layers `1..=d`, layer `i` having
//! `2^n_i` gates, each the sum of its wires into layer `i − 1`:
//! `mul` wires `c·V(x)·V(y)` and `linear` wires `c·V(x)` (an add gate is two linear wires). Gates with
//! no wire are 0. Prover and verifier use the same [`Circuit`].
//!
//! **Reduction of one layer.** Claims on `V_i` at points `r_k` with values `v_k` are combined with
//! powers of a challenge into `Σ_g W(g)·V_i(g) = Σ_k ρ^k v_k`, `W = Σ_k ρ^k eq(r_k, ·)`. With
//! `M(x, y) = Σ_{mul (g,x,y,c)} W(g)·c` and `L(x) = Σ_{linear (g,x,c)} W(g)·c`:
//!
//! 1. phase 1: `Σ_x V(x)·H(x)` with `H(x) = Σ_y M(x,y)·V(y) + L(x)` (a table built in O(wires)),
//!    ending in `V(r_x)` and `H(r_x)`;
//! 2. phase 2: `H(r_x) − L̃(r_x) = Σ_y M̃(r_x, y)·V(y)`, ending in `M̃(r_x, r_y)` and `V(r_y)`.
//!
//! The verifier evaluates `L̃(r_x)` and `M̃(r_x, r_y)` itself from the wire lists (O(wires)) and is
//! left with two claims on `V_{i−1}`. The outputs are part of the statement: the verifier evaluates
//! their MLE at a transcript point to start, so a proof of outputs that were not computed fails. The
//! last reduction leaves two claims on the input layer, returned to the caller.
use ark_serialize::CanonicalSerialize;
use kaizen_field::{eq_table, KaizenField, MultilinearPoly, Transcript};
use kaizen_sumcheck::{
    prove_single, verify_single, Claim, ProductSum, SumcheckProof, SumcheckShape,
};

use crate::GkrError;

/// One layer: `2^log_size` gates, each the sum of its wires into the previous layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer<F> {
    log_size: usize,
    /// `(gate, left, right, c)`: adds `c·V(left)·V(right)`.
    mul: Vec<(usize, usize, usize, F)>,
    /// `(gate, input, c)`: adds `c·V(input)`.
    linear: Vec<(usize, usize, F)>,
}

impl<F: KaizenField> Layer<F> {
    /// An empty layer of `2^log_size` gates.
    pub fn new(log_size: usize) -> Self {
        Self {
            log_size,
            mul: Vec::new(),
            linear: Vec::new(),
        }
    }

    /// `gate += c·V(left)·V(right)`.
    pub fn mul(mut self, gate: usize, left: usize, right: usize, c: F) -> Self {
        self.mul.push((gate, left, right, c));
        self
    }

    /// `gate += V(left) + V(right)`.
    pub fn add(self, gate: usize, left: usize, right: usize) -> Self {
        self.scaled(gate, left, F::ONE).scaled(gate, right, F::ONE)
    }

    /// `gate += c·V(input)`.
    pub fn scaled(mut self, gate: usize, input: usize, c: F) -> Self {
        self.linear.push((gate, input, c));
        self
    }

    /// Number of gate variables.
    pub fn log_size(&self) -> usize {
        self.log_size
    }
}

/// A layered circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Circuit<F> {
    log_input: usize,
    layers: Vec<Layer<F>>,
}

impl<F: KaizenField> Circuit<F> {
    /// A circuit over `2^log_input` inputs; fails if a wire leaves its layers' ranges.
    pub fn new(log_input: usize, layers: Vec<Layer<F>>) -> Result<Self, GkrError> {
        let mut below = log_input;
        for (i, layer) in layers.iter().enumerate() {
            let (outs, ins) = (1usize << layer.log_size, 1usize << below);
            let bad_mul = layer
                .mul
                .iter()
                .any(|&(g, x, y, _)| g >= outs || x >= ins || y >= ins);
            let bad_lin = layer.linear.iter().any(|&(g, x, _)| g >= outs || x >= ins);
            if bad_mul || bad_lin {
                return Err(GkrError::Input(format!(
                    "layer {i} has a wire out of range"
                )));
            }
            below = layer.log_size;
        }
        if layers.is_empty() {
            return Err(GkrError::Input("a circuit needs at least one layer".into()));
        }
        Ok(Self { log_input, layers })
    }

    /// Values of every layer, input first.
    pub fn evaluate(&self, input: &[F]) -> Result<Vec<Vec<F>>, GkrError> {
        if input.len() != 1 << self.log_input {
            return Err(GkrError::Input(format!(
                "{} inputs, expected 2^{}",
                input.len(),
                self.log_input
            )));
        }
        let mut values = vec![input.to_vec()];
        for layer in &self.layers {
            let v = values
                .last()
                .map(|v| layer_values(layer, v))
                .unwrap_or_default();
            values.push(v);
        }
        Ok(values)
    }

    /// Total number of wires (the verifier's and prover's per-layer work is linear in it).
    pub fn wires(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.mul.len() + l.linear.len())
            .sum()
    }

    fn log_below(&self, layer: usize) -> usize {
        if layer == 0 {
            self.log_input
        } else {
            self.layers[layer - 1].log_size
        }
    }
}

fn layer_values<F: KaizenField>(layer: &Layer<F>, below: &[F]) -> Vec<F> {
    let mut out = vec![F::ZERO; 1 << layer.log_size];
    for &(g, x, y, c) in &layer.mul {
        out[g] += c * below[x] * below[y];
    }
    for &(g, x, c) in &layer.linear {
        out[g] += c * below[x];
    }
    out
}

/// Per layer (output first), the two phase sumchecks.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct GkrProof<F: KaizenField> {
    /// `(phase 1, phase 2)` per layer, from the output layer down.
    pub layers: Vec<(SumcheckProof<F>, SumcheckProof<F>)>,
}

/// `W = Σ_k ρ^k eq(r_k, ·)` for the current claims; returns the table and the combined value.
fn combine<F: KaizenField, T: Transcript<F>>(
    claims: &[Claim<F>],
    transcript: &mut T,
) -> (Vec<F>, F) {
    let rho = transcript.challenge(b"gkr/rho");
    let mut w = vec![F::ZERO; 1 << claims[0].point.len()];
    let mut value = F::ZERO;
    let mut pow = F::ONE;
    for c in claims {
        for (a, e) in w.iter_mut().zip(eq_table(&c.point)) {
            *a += pow * e;
        }
        value += pow * c.value;
        pow *= rho;
    }
    (w, value)
}

/// `L̃(r_x) = Σ_{linear (g,x,c)} W(g)·c·eq(r_x, x)`, with `ex = eq(r_x, ·)`.
fn linear_at<F: KaizenField>(layer: &Layer<F>, w: &[F], ex: &[F]) -> F {
    layer.linear.iter().map(|&(g, x, c)| w[g] * c * ex[x]).sum()
}

/// `M̃(r_x, r_y) = Σ_{mul (g,x,y,c)} W(g)·c·eq(r_x, x)·eq(r_y, y)`.
fn mul_at<F: KaizenField>(layer: &Layer<F>, w: &[F], ex: &[F], ey: &[F]) -> F {
    layer
        .mul
        .iter()
        .map(|&(g, x, y, c)| w[g] * c * ex[x] * ey[y])
        .sum()
}

fn start<F: KaizenField, T: Transcript<F>>(
    circuit: &Circuit<F>,
    outputs: &[F],
    transcript: &mut T,
) -> Result<Claim<F>, GkrError> {
    let log_out = circuit.layers.last().map_or(0, |l| l.log_size);
    if outputs.len() != 1 << log_out {
        return Err(GkrError::Input(format!(
            "{} outputs, expected 2^{log_out}",
            outputs.len()
        )));
    }
    transcript.absorb_fields(b"gkr/outputs", outputs);
    let point = transcript.challenges(b"gkr/r0", log_out);
    let value = MultilinearPoly::new(outputs.to_vec())?.evaluate(&point)?;
    Ok(Claim { point, value })
}

/// Proves that `circuit` maps the given layer values' input to their outputs (values as returned by
/// [`Circuit::evaluate`]); returns the proof and the two claims on the input layer.
pub fn prove_circuit<F: KaizenField, T: Transcript<F>>(
    circuit: &Circuit<F>,
    values: &[Vec<F>],
    transcript: &mut T,
) -> Result<(GkrProof<F>, Vec<Claim<F>>), GkrError> {
    if values.len() != circuit.layers.len() + 1 {
        return Err(GkrError::Input(
            "one value vector per layer and the input".into(),
        ));
    }
    let outputs = values.last().cloned().unwrap_or_default();
    let mut claims = vec![start(circuit, &outputs, transcript)?];
    let mut proofs = Vec::with_capacity(circuit.layers.len());
    for (i, layer) in circuit.layers.iter().enumerate().rev() {
        let below = &values[i];
        let n_in = circuit.log_below(i);
        let (w, sum) = combine(&claims, transcript);
        // Phase 1: H(x) = Σ_y M(x, y)·V(y) + L(x).
        let mut h = vec![F::ZERO; 1 << n_in];
        for &(g, x, y, c) in &layer.mul {
            h[x] += w[g] * c * below[y];
        }
        for &(g, x, c) in &layer.linear {
            h[x] += w[g] * c;
        }
        let p1 = ProductSum::new(SumcheckShape::product(n_in, 2), vec![below.clone(), h])?;
        let (phase1, c1) = prove_single(p1, sum, transcript)?;
        let (r_x, h_rx) = (c1[0].point.clone(), c1[1].value);
        // Phase 2: Σ_y M̃(r_x, y)·V(y) = H(r_x) − L̃(r_x).
        let ex = eq_table(&r_x);
        let mut m = vec![F::ZERO; 1 << n_in];
        for &(g, x, y, c) in &layer.mul {
            m[y] += w[g] * c * ex[x];
        }
        let l_rx = linear_at(layer, &w, &ex);
        let p2 = ProductSum::new(SumcheckShape::product(n_in, 2), vec![m, below.clone()])?;
        let (phase2, c2) = prove_single(p2, h_rx - l_rx, transcript)?;
        claims = vec![c1[0].clone(), c2[1].clone()];
        proofs.push((phase1, phase2));
    }
    Ok((GkrProof { layers: proofs }, claims))
}

/// Verifies that `circuit` outputs `outputs`; returns the two claims on the input layer that the
/// caller must check (by a PCS opening, or by evaluating public inputs).
pub fn verify_circuit<F: KaizenField, T: Transcript<F>>(
    circuit: &Circuit<F>,
    outputs: &[F],
    proof: &GkrProof<F>,
    transcript: &mut T,
) -> Result<Vec<Claim<F>>, GkrError> {
    if proof.layers.len() != circuit.layers.len() {
        return Err(GkrError::ProofShape(format!(
            "{} layer proofs for {} layers",
            proof.layers.len(),
            circuit.layers.len()
        )));
    }
    let mut claims = vec![start(circuit, outputs, transcript)?];
    for ((i, layer), (phase1, phase2)) in circuit.layers.iter().enumerate().rev().zip(&proof.layers)
    {
        let n_in = circuit.log_below(i);
        let (w, sum) = combine(&claims, transcript);
        let c1 = verify_single(&SumcheckShape::product(n_in, 2), sum, phase1, transcript)?;
        let (r_x, h_rx) = (c1[0].point.clone(), c1[1].value);
        let ex = eq_table(&r_x);
        let l_rx = linear_at(layer, &w, &ex);
        let c2 = verify_single(
            &SumcheckShape::product(n_in, 2),
            h_rx - l_rx,
            phase2,
            transcript,
        )?;
        if c2[0].value != mul_at(layer, &w, &ex, &eq_table(&c2[1].point)) {
            return Err(GkrError::Wiring { layer: i });
        }
        claims = vec![c1[0].clone(), c2[1].clone()];
    }
    Ok(claims)
}

kaizen_field::impl_bounded_deserialize!(impl[F: KaizenField] GkrProof<F> { layers: vec });
