//! Multi-point to single-point reduction (DESIGN §3): claims `P(r_1) = v_1, …, P(r_m) = v_m` on one
//! multilinear polynomial become one claim `P(r*) = v*` at a fresh point, by a sumcheck on
//!
//! ```text
//!     Σ_k ρ^k·v_k = Σ_x (Σ_k ρ^k·eq(r_k, x)) · P(x)
//! ```
//!
//! with `ρ` drawn after the transcript absorbed every point and value. The verifier evaluates the
//! weight `Σ_k ρ^k·eq(r_k, r*)` itself, so the proof is the sumcheck plus `P(r*)`.
//!
//! When every point ends in the same boolean coordinates (claims on one block of `P`: a segment,
//! or a dataset's batch), the weight vanishes off that block, and the sumcheck runs over the
//! block's variables alone: `r*` keeps those coordinates, and the prover reads only the block.
use std::borrow::Cow;

use kaizen_field::{Accumulator, KaizenField, Transcript, PAR_MIN_LEN};
use rayon::prelude::*;

use crate::{
    protocol::{prove_single, verify_single, RoundProver},
    shape::{block_of, eq_sum_into, merge_blocks, point_blocks},
    Claim, ProductSum, RoundPoly, SumcheckError, SumcheckProof, SumcheckShape, Weight,
};

/// A table that is zero outside some aligned blocks: `(offset, values)`, sorted and disjoint.
type Blocks<F> = Vec<(usize, Vec<F>)>;

/// A sparse table of `2m` entries seen from the pairs `(i, i + m)` ([`pair_blocks`]).
type Pairs<F> = Vec<(usize, Vec<F>, Vec<F>)>;

/// The reduction's prover. While the weight `Σ_k ρ^k·eq(r_k, x)` is zero outside a few blocks
/// (claims lifted from segments have boolean high coordinates, so each `eq` lives on its segment,
/// or on the batch's sub-cube of a dataset), a round evaluates `w·P` on the blocks alone and folds
/// `w` there, folding only `P` everywhere — the first fold reading the committed table where it
/// lies. Once the blocks fill half the table, [`ProductSum`] takes over. Same messages either way.
enum Reduction<'a, F: KaizenField> {
    Sparse(Sparse<'a, F>),
    /// The first round of a dense weight: `P` read where it lies, the weight tabled; the first
    /// bind folds both into a [`ProductSum`] (no full-size copy of `P`).
    DenseFirst {
        table: &'a [F],
        weight: Vec<F>,
    },
    Dense(ProductSum<F>),
}

/// The round polynomial from `s(0)`, the leading coefficient and the running claim: `s(1)` from
/// the claim, `s(2) = (2·s(1) − s(0)) + 2·lead`, extended to `degree`.
fn round_from<F: KaizenField>(s0: F, lead: F, claim: F, degree: usize) -> Vec<F> {
    let s1 = claim - s0;
    let mut evals = vec![s0, s1, s1.double() - s0 + lead.double()];
    RoundPoly::extend_to(&mut evals, degree);
    evals
}

/// `Σ_i p_lo·w_lo` and `Σ_i (p_hi − p_lo)·(w_hi − w_lo)`, unreduced (the differences too,
/// [`Accumulator::add_product_of_differences`]): a round's `s(0)` and leading coefficient over
/// these pairs of `P` and weight entries.
fn pair_sums<F: KaizenField>(
    (p_lo, p_hi): (&[F], &[F]),
    (w_lo, w_hi): (&[F], &[F]),
) -> (F::Acc, F::Acc) {
    let (mut s0, mut lead) = (F::Acc::default(), F::Acc::default());
    for i in 0..w_lo.len() {
        s0.add_product(p_lo[i], w_lo[i]);
        lead.add_product_of_differences((p_lo[i], p_hi[i]), (w_lo[i], w_hi[i]));
    }
    (s0, lead)
}

/// A table's halves `(t[..m], t[m..])` in matching chunks, for a parallel pass over its pairs.
fn halves<F: Sync>(t: &[F]) -> impl IndexedParallelIterator<Item = (&[F], &[F])> {
    let (lo, hi) = t.split_at(t.len() / 2);
    lo.par_chunks(PAR_MIN_LEN).zip(hi.par_chunks(PAR_MIN_LEN))
}

/// Sums of [`pair_sums`] computed in parallel, reduced.
fn merged<F: KaizenField>(sums: impl ParallelIterator<Item = (F::Acc, F::Acc)>) -> (F, F) {
    let (s0, lead) = sums.reduce(
        || (F::Acc::default(), F::Acc::default()),
        |mut x, y| {
            x.0.merge(y.0);
            x.1.merge(y.1);
            x
        },
    );
    (s0.reduce(), lead.reduce())
}

/// `t[i] + r·(t[i + m] − t[i])` for `i < m`: the table with its highest variable bound to `r`,
/// written in place when the table is owned.
fn fold_high<F: KaizenField>(table: Cow<'_, [F]>, r: F) -> Vec<F> {
    let m = table.len() / 2;
    match table {
        Cow::Borrowed(t) => {
            let (lo, hi) = t.split_at(m);
            // Zeroed in parallel: a serial `vec!` of a 2^22-entry table costs as much as its fold.
            let mut out: Vec<F> = (0..m).into_par_iter().map(|_| F::ZERO).collect();
            out.par_chunks_mut(PAR_MIN_LEN)
                .zip(lo.par_chunks(PAR_MIN_LEN).zip(hi.par_chunks(PAR_MIN_LEN)))
                .for_each(|(o, (x, y))| F::lerp_into(o, x, y, r));
            out
        }
        Cow::Owned(mut t) => {
            let (lo, hi) = t.split_at_mut(m);
            lo.par_chunks_mut(PAR_MIN_LEN)
                .zip(hi.par_chunks(PAR_MIN_LEN))
                .for_each(|(x, y)| F::lerp_in_place(x, y, r));
            t.truncate(m);
            t
        }
    }
}

/// The dense rounds' prover over `P` and the weight's table.
fn dense<F: KaizenField>(table: Vec<F>, weight: Vec<F>) -> ProductSum<F> {
    let n = table.len().trailing_zeros() as usize;
    match ProductSum::new(SumcheckShape::product(n, 2), vec![table, weight]) {
        Ok(p) => p,
        // Both tables have 2^n entries, so the instance exists.
        Err(_) => unreachable!("tables of equal power-of-two length"),
    }
}

/// The sparse rounds' state: `P` (borrowed until its first fold) and the weight's blocks.
struct Sparse<'a, F: KaizenField> {
    table: Cow<'a, [F]>,
    weight: Blocks<F>,
    /// The weight's pairs for the current round, kept from its evaluation for the bind.
    pairs: Option<Pairs<F>>,
}

impl<'a, F: KaizenField> Sparse<'a, F> {
    fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F> {
        // s(X) = Σ_i w(X, i)·P(X, i): s(0) and the leading coefficient from the blocks, s(1) from
        // the claim, s(2) = (2·s(1) − s(0)) + 2·lead.
        let (table, m) = (&self.table, self.table.len() / 2);
        let (s0, lead) = merged::<F>(
            self.pairs
                .insert(pair_blocks(&self.weight, m))
                .par_iter()
                .map(|(o, lo, hi)| {
                    let p = (&table[*o..o + lo.len()], &table[o + m..o + m + lo.len()]);
                    pair_sums(p, (lo, hi))
                }),
        );
        round_from(s0, lead, claim, degree)
    }

    /// Binds the first variable to `r`: the next round's prover, dense once the blocks fill half
    /// the table.
    fn bind(self, r: F) -> Reduction<'a, F> {
        let m = self.table.len() / 2;
        if m == 0 {
            return Reduction::Sparse(self);
        }
        let Self {
            table,
            weight,
            pairs,
        } = self;
        let weight: Blocks<F> = pairs
            .unwrap_or_else(|| pair_blocks(&weight, m))
            .into_par_iter()
            .map(|(o, mut lo, hi)| {
                F::lerp_in_place(&mut lo, &hi, r);
                (o, lo)
            })
            .collect();
        let folded = fold_high(table, r);
        if m >= 2 && is_sparse(weight.iter().map(|b| b.1.len()), m) {
            return Reduction::Sparse(Sparse {
                table: Cow::Owned(folded),
                weight,
                pairs: None,
            });
        }
        let mut w = vec![F::ZERO; m];
        for (o, values) in weight {
            w[o..o + values.len()].copy_from_slice(&values);
        }
        Reduction::Dense(dense(folded, w))
    }
}

impl<F: KaizenField> RoundProver<F> for Reduction<'_, F> {
    fn num_vars(&self) -> usize {
        match self {
            Reduction::Sparse(s) => s.table.len().trailing_zeros() as usize,
            Reduction::DenseFirst { table, .. } => table.len().trailing_zeros() as usize,
            Reduction::Dense(p) => p.num_vars(),
        }
    }

    fn degree(&self) -> usize {
        2
    }

    fn round_evals(&mut self, claim: F, degree: usize) -> Vec<F> {
        match self {
            Reduction::Sparse(s) => s.round_evals(claim, degree),
            Reduction::DenseFirst { table, weight } => {
                let pairs = halves(table).zip(halves(weight));
                let (s0, lead) = merged::<F>(pairs.map(|(p, w)| pair_sums(p, w)));
                round_from(s0, lead, claim, degree)
            }
            Reduction::Dense(p) => p.round_evals(claim, degree),
        }
    }

    fn bind(&mut self, r: F) {
        match self {
            Reduction::Sparse(s) => {
                let empty = Sparse {
                    table: Cow::Owned(Vec::new()),
                    weight: Vec::new(),
                    pairs: None,
                };
                *self = std::mem::replace(s, empty).bind(r);
            }
            Reduction::DenseFirst { table, weight } if table.len() > 1 => {
                let folded = fold_high(Cow::Borrowed(*table), r);
                let weight = fold_high(Cow::Owned(std::mem::take(weight)), r);
                *self = Reduction::Dense(dense(folded, weight));
            }
            Reduction::DenseFirst { .. } => {}
            Reduction::Dense(p) => p.bind(r),
        }
    }

    fn final_evals(&self) -> Vec<F> {
        match self {
            Reduction::Sparse(s) => s.table.first().copied().into_iter().collect(),
            Reduction::DenseFirst { table, .. } => table.first().copied().into_iter().collect(),
            Reduction::Dense(p) => p.final_evals().into_iter().take(1).collect(),
        }
    }
}

/// Whether blocks of these lengths, in a table of `len` entries, make the sparse rounds pay.
fn is_sparse(lens: impl Iterator<Item = usize>, len: usize) -> bool {
    2 * lens.sum::<usize>() <= len
}

/// `Σ_k c_k·eq(p_k, x)` over `n` variables as its non-zero blocks, when those cover at most half
/// the hypercube.
fn sparse_weight<F: KaizenField>(points: &[Vec<F>], coeffs: &[F], n: usize) -> Option<Blocks<F>> {
    let merged = point_blocks(points);
    if !is_sparse(merged.iter().map(|b| b.1), 1 << n) {
        return None;
    }
    let blocks = merged
        .into_par_iter()
        .map(|(o, l)| {
            let mut values = vec![F::ZERO; l];
            eq_sum_into(points, coeffs, o, &mut values);
            (o, values)
        })
        .collect();
    Some(blocks)
}

/// A sparse table of `2m` entries seen from the pairs `(i, i + m)`, `i < m`: the blocks of `[0, m)`
/// where either half is not zero, each as `(offset, low half, high half)`.
fn pair_blocks<F: KaizenField>(w: &Blocks<F>, m: usize) -> Pairs<F> {
    let live = merge_blocks(
        w.iter()
            .map(|(o, v)| {
                if v.len() > m {
                    (0, m)
                } else {
                    (o % m, v.len())
                }
            })
            .collect(),
    );
    live.into_iter()
        .map(|(o, l)| {
            let (mut lo, mut hi) = (vec![F::ZERO; l], vec![F::ZERO; l]);
            for (start, values) in w {
                for (half, base) in [(&mut lo, o), (&mut hi, o + m)] {
                    if *start >= base && start + values.len() <= base + l {
                        half[start - base..start - base + values.len()].copy_from_slice(values);
                    } else if *start <= base && base < start + values.len() {
                        half.copy_from_slice(&values[base - start..base - start + l]);
                    }
                }
            }
            (o, lo, hi)
        })
        .collect()
}

/// The block every claim lies in: `k` such that every point's coordinates from `k` on are
/// boolean and the same in all points (the fewest such `k`, but at least `min_block` — at most
/// `num_vars`), and the block's offset.
fn common_block<F: KaizenField>(
    claims: &[Claim<F>],
    num_vars: usize,
    min_block: usize,
) -> (usize, usize) {
    let first = claims.first().map_or(&[][..], |c| &c.point[..]);
    let k = claims
        .iter()
        .map(|c| block_of(&c.point).0)
        .chain(
            (0..num_vars)
                .rev()
                .find(|&j| claims.iter().any(|c| c.point[j] != first[j]))
                .map(|j| j + 1),
        )
        .chain([min_block.min(num_vars)])
        .max()
        .unwrap_or(0);
    (k, block_of(&first[..num_vars]).1 >> k << k)
}

/// The public side of one multi-point reduction: the sumcheck over the claims' common block (its
/// `k` variables; the coordinates above it are the same boolean values in every point, so `P` is
/// read on the block alone), the claimed sum, and the block's coordinates `(k, offset)`.
///
/// Reductions of several polynomials can be proven in one batched sumcheck ([`crate::prove`] on
/// their [`MultipointStatement::prover`]s): a batch binds a `k`-variable instance in its last
/// `k` rounds, so reductions of at least `m` variables (`min_block`) end at points that share
/// their first `m` coordinates — what a scheme opening several polynomials with one proof needs.
#[derive(Clone, Debug)]
pub struct MultipointStatement<F> {
    shape: SumcheckShape<F>,
    sum: F,
    block: (usize, usize),
    num_vars: usize,
}

impl<F: KaizenField> MultipointStatement<F> {
    /// Absorbs the claims on a polynomial of `num_vars` variables and draws `ρ`; the sumcheck runs
    /// over at least `min(min_block, num_vars)` variables.
    pub fn new<T: Transcript<F>>(
        num_vars: usize,
        claims: &[Claim<F>],
        min_block: usize,
        transcript: &mut T,
    ) -> Result<Self, SumcheckError> {
        if claims.is_empty() {
            return Err(SumcheckError::EmptyBatch);
        }
        if let Some(c) = claims.iter().find(|c| c.point.len() != num_vars) {
            return Err(SumcheckError::PointDimension {
                expected: num_vars,
                got: c.point.len(),
            });
        }
        for c in claims {
            transcript.absorb_fields(b"multipoint/point", &c.point);
            transcript.absorb_field(b"multipoint/value", &c.value);
        }
        let rho = transcript.challenge(b"multipoint/rho");
        let coeffs: Vec<F> = std::iter::successors(Some(F::ONE), |p| Some(*p * rho))
            .take(claims.len())
            .collect();
        let sum = claims.iter().zip(&coeffs).map(|(c, &k)| k * c.value).sum();
        let block = common_block(claims, num_vars, min_block);
        let points = claims.iter().map(|c| c.point[..block.0].to_vec()).collect();
        let weight = Weight::EqSum { points, coeffs };
        Ok(Self {
            shape: SumcheckShape::product(block.0, 1).with_weight(weight),
            sum,
            block,
            num_vars,
        })
    }

    /// The reduction's sumcheck shape: `Σ_x w(x)·P(x)` over the block.
    pub fn shape(&self) -> &SumcheckShape<F> {
        &self.shape
    }

    /// The claimed sum `Σ_k ρ^k·v_k`.
    pub fn sum(&self) -> F {
        self.sum
    }

    /// The reduction's prover for the polynomial with hypercube table `evals` (read on the block
    /// alone).
    pub fn prover<'a>(&self, evals: &'a [F]) -> Result<impl RoundProver<F> + 'a, SumcheckError> {
        if evals.len() != 1 << self.num_vars {
            return Err(SumcheckError::TableLength {
                instance: 0,
                table: 0,
                expected: 1 << self.num_vars,
                got: evals.len(),
            });
        }
        let (k, offset) = self.block;
        let evals = &evals[offset..offset + (1 << k)];
        let sparse = match &self.shape.weight {
            Some(Weight::EqSum { points, coeffs }) => sparse_weight(points, coeffs, k),
            _ => None,
        };
        Ok(match sparse {
            Some(weight) => Reduction::Sparse(Sparse {
                table: Cow::Borrowed(evals),
                weight,
                pairs: None,
            }),
            None => Reduction::DenseFirst {
                table: evals,
                weight: self
                    .shape
                    .weight
                    .as_ref()
                    .map_or_else(|| vec![F::ONE; evals.len()], Weight::table),
            },
        })
    }

    /// The claim on the whole polynomial from the sumcheck's claim on the block.
    pub fn lift(&self, claim: Claim<F>) -> Claim<F> {
        let (k, offset) = self.block;
        let mut point = claim.point;
        point.extend(kaizen_field::mle::index_bits::<F>(
            offset >> k,
            self.num_vars - k,
        ));
        Claim {
            point,
            value: claim.value,
        }
    }
}

/// The one claim a single instance's sumcheck leaves.
fn single<F: KaizenField>(mut out: Vec<Claim<F>>) -> Result<Claim<F>, SumcheckError> {
    out.pop().ok_or(SumcheckError::FinalEvalCount {
        expected: 1,
        got: 0,
    })
}

/// Reduces claims on the polynomial with hypercube table `evals` to one claim.
pub fn prove_multipoint<F: KaizenField, T: Transcript<F>>(
    evals: &[F],
    claims: &[Claim<F>],
    transcript: &mut T,
) -> Result<(SumcheckProof<F>, Claim<F>), SumcheckError> {
    if !evals.len().is_power_of_two() {
        return Err(kaizen_field::FieldError::NotPowerOfTwo(evals.len()).into());
    }
    let num_vars = evals.len().trailing_zeros() as usize;
    let statement = MultipointStatement::new(num_vars, claims, 0, transcript)?;
    let instance = statement.prover(evals)?;
    let (proof, out) = prove_single(instance, statement.sum(), transcript)?;
    Ok((proof, statement.lift(single(out)?)))
}

/// Verifies a multi-point reduction; returns the single claim the caller must still check.
pub fn verify_multipoint<F: KaizenField, T: Transcript<F>>(
    num_vars: usize,
    claims: &[Claim<F>],
    proof: &SumcheckProof<F>,
    transcript: &mut T,
) -> Result<Claim<F>, SumcheckError> {
    let statement = MultipointStatement::new(num_vars, claims, 0, transcript)?;
    let out = verify_single(statement.shape(), statement.sum(), proof, transcript)?;
    Ok(statement.lift(single(out)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::UniformRand;
    use kaizen_field::{Blake3Transcript, M61Ext2, MultilinearPoly};
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    type F = M61Ext2;

    /// The true claim on `poly` at `point`.
    fn true_claim(poly: &MultilinearPoly<F>, point: Vec<F>) -> Claim<F> {
        Claim {
            value: poly.evaluate(&point).unwrap(),
            point,
        }
    }

    #[test]
    fn reduces_claims_to_one_true_claim_and_rejects_a_false_one() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let n = 10;
        let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
        let poly = MultilinearPoly::new(evals.clone()).unwrap();
        let claims: Vec<Claim<F>> = (0..4)
            .map(|_| true_claim(&poly, (0..n).map(|_| F::rand(&mut rng)).collect()))
            .collect();
        let (proof, claim) =
            prove_multipoint(&evals, &claims, &mut Blake3Transcript::new(b"mp")).unwrap();
        let vclaim =
            verify_multipoint(n, &claims, &proof, &mut Blake3Transcript::new(b"mp")).unwrap();
        assert_eq!(claim, vclaim);
        assert_eq!(poly.evaluate(&claim.point).unwrap(), claim.value);

        // Any one false input claim: the honest prover's proof no longer verifies.
        for k in 0..claims.len() {
            let mut bad = claims.clone();
            bad[k].value += F::from(1u64);
            assert!(verify_multipoint(n, &bad, &proof, &mut Blake3Transcript::new(b"mp")).is_err());
            let (p2, _) =
                prove_multipoint(&evals, &bad, &mut Blake3Transcript::new(b"mp")).unwrap();
            assert!(verify_multipoint(n, &bad, &p2, &mut Blake3Transcript::new(b"mp")).is_err());
        }
        assert!(matches!(
            verify_multipoint(n + 1, &claims, &proof, &mut Blake3Transcript::new(b"mp")),
            Err(SumcheckError::PointDimension { .. })
        ));
        assert!(prove_multipoint(&evals[..3], &claims, &mut Blake3Transcript::new(b"mp")).is_err());
    }

    /// Claims whose high coordinates are boolean (on a few blocks: nested, in both halves, of
    /// several sizes) take the sparse rounds; the proof is the dense prover's, bit for bit.
    /// Claims at random points (a dense weight): the first round reads `P` where it lies and
    /// the messages are those of the plain [`ProductSum`] over a copy of `P`.
    #[test]
    fn dense_first_round_proves_as_the_product_sum() {
        let mut rng = ChaCha20Rng::seed_from_u64(12);
        let n = 9;
        let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
        let poly = MultilinearPoly::new(evals.clone()).unwrap();
        let claims: Vec<Claim<F>> = (0..3)
            .map(|_| true_claim(&poly, (0..n).map(|_| F::rand(&mut rng)).collect()))
            .collect();
        let tr = || Blake3Transcript::new(b"dense");
        let (proof, claim) = prove_multipoint(&evals, &claims, &mut tr()).unwrap();
        let mut dense_tr = tr();
        let statement = MultipointStatement::new(n, &claims, 0, &mut dense_tr).unwrap();
        let dense = ProductSum::new(statement.shape.clone(), vec![evals.clone()]).unwrap();
        let (dense_proof, mut dense_claim) =
            prove_single(dense, statement.sum, &mut dense_tr).unwrap();
        assert_eq!((proof, claim), (dense_proof, dense_claim.pop().unwrap()));
    }

    #[test]
    fn sparse_claims_prove_as_the_dense_prover() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let n = 12;
        let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
        let poly = MultilinearPoly::new(evals.clone()).unwrap();
        let bit = |b: usize| F::from(b as u64);
        // (free low variables, index of the block among blocks of that size)
        let claims: Vec<Claim<F>> = [(3, 5), (3, 5), (5, 100), (2, 21), (4, 255), (6, 1), (0, 7)]
            .iter()
            .map(|&(k, idx)| {
                let mut point: Vec<F> = (0..k).map(|_| F::rand(&mut rng)).collect();
                point.extend((0..n - k).map(|j| bit((idx >> j) & 1)));
                true_claim(&poly, point)
            })
            .collect();
        let tr = || Blake3Transcript::new(b"sparse");
        let (proof, claim) = prove_multipoint(&evals, &claims, &mut tr()).unwrap();
        let mut dense_tr = tr();
        let statement = MultipointStatement::new(n, &claims, 0, &mut dense_tr).unwrap();
        assert_eq!(statement.block, (n, 0));
        let Some(Weight::EqSum { points, coeffs }) = &statement.shape.weight else {
            panic!("a multi-point weight");
        };
        assert!(sparse_weight(points, coeffs, n).is_some());
        let dense = ProductSum::new(statement.shape.clone(), vec![evals.clone()]).unwrap();
        let (dense_proof, mut dense_claim) =
            prove_single(dense, statement.sum, &mut dense_tr).unwrap();
        assert_eq!(
            (proof.clone(), claim.clone()),
            (dense_proof, dense_claim.pop().unwrap())
        );
        assert_eq!(
            verify_multipoint(n, &claims, &proof, &mut tr()).unwrap(),
            claim
        );
        assert_eq!(poly.evaluate(&claim.point).unwrap(), claim.value);
        let mut bad = claims.clone();
        bad[3].value += F::from(1u64);
        assert!(verify_multipoint(n, &bad, &proof, &mut tr()).is_err());
    }

    /// Claims inside one block (the same boolean top coordinates) reduce over the block alone: as
    /// many rounds as its variables, the final point keeps the block's coordinates, and a false
    /// claim or a claim moved out of the block is rejected. All claims at one boolean point take
    /// no round at all.
    #[test]
    fn claims_in_one_block_reduce_over_the_block() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let n = 11;
        let evals: Vec<F> = (0..1 << n).map(|_| F::rand(&mut rng)).collect();
        let poly = MultilinearPoly::new(evals.clone()).unwrap();
        let bit = |b: usize| F::from(b as u64);
        let top = [1, 0, 1, 1];
        // Free low variables, then boolean coordinates up to the block's top (5 variables).
        let claims: Vec<Claim<F>> = [(5, 0), (3, 2), (4, 1), (0, 17)]
            .iter()
            .map(|&(k, idx)| {
                let mut point: Vec<F> = (0..k).map(|_| F::rand(&mut rng)).collect();
                point.extend((0..5 - k).map(|j| bit((idx >> j) & 1)));
                point.extend(top.iter().chain(&[0, 1]).map(|&b| bit(b)));
                true_claim(&poly, point)
            })
            .collect();
        let tr = || Blake3Transcript::new(b"block");
        let (proof, claim) = prove_multipoint(&evals, &claims, &mut tr()).unwrap();
        assert_eq!(proof.rounds.len(), 5);
        assert_eq!(claim.point[5..], claims[0].point[5..]);
        assert_eq!(poly.evaluate(&claim.point).unwrap(), claim.value);
        assert_eq!(
            verify_multipoint(n, &claims, &proof, &mut tr()).unwrap(),
            claim
        );
        let mut bad = claims.clone();
        bad[1].value += F::from(1u64);
        assert!(verify_multipoint(n, &bad, &proof, &mut tr()).is_err());
        // The same claims with one moved to another block: a larger sumcheck, so this proof fails.
        let mut moved = claims.clone();
        moved[2] = true_claim(&poly, {
            let mut p = moved[2].point.clone();
            p[10] = bit(0);
            p
        });
        assert!(verify_multipoint(n, &moved, &proof, &mut tr()).is_err());
        let (p2, c2) = prove_multipoint(&evals, &moved, &mut tr()).unwrap();
        assert_eq!(p2.rounds.len(), 11);
        assert_eq!(verify_multipoint(n, &moved, &p2, &mut tr()).unwrap(), c2);

        let corner: Vec<F> = (0..n).map(|j| bit((1234 >> j) & 1)).collect();
        let same = vec![true_claim(&poly, corner.clone()); 3];
        let (p0, c0) = prove_multipoint(&evals, &same, &mut tr()).unwrap();
        assert!(p0.rounds.is_empty());
        assert_eq!((c0.point.clone(), c0.value), (corner, evals[1234]));
        assert_eq!(verify_multipoint(n, &same, &p0, &mut tr()).unwrap(), c0);
        let mut wrong = same.clone();
        wrong[2].value += F::from(1u64);
        assert!(verify_multipoint(n, &wrong, &p0, &mut tr()).is_err());
    }
}
