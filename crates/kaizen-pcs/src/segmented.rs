//! Segmented commitments (DESIGN §3): many named vectors committed as blocks of one vector, and all
//! claims on them proven with **one** opening.
//!
//! Each segment of `len` entries is zero-padded to `2^⌈log len⌉` and placed by
//! [`kaizen_field::BlockLayout`]; a claim `T(r) = v` on segment `T` (the MLE of the zero-padded
//! vector) is the claim `P(r, bits_T) = v` on the whole vector `P`. The claims, lifted, are proven
//! with one proof by the scheme's [`crate::MultilinearPcs::open_points`] (by default reduced to one
//! point with kaizen-sumcheck's multi-point reduction and opened once, [`crate::multipoint`]).
//! The layout (names and lengths) is absorbed before anything else, so a proof for one layout does
//! not verify under another. Claims on several segmented commitments are proven together by
//! [`open_segments_batch`] (one batched proof, [`crate::MultilinearPcs::open_points_batch`]).
use kaizen_field::{BlockLayout, KaizenField, Transcript};
use kaizen_sumcheck::Claim;

use crate::{
    multipoint::{check_claim_sets, BatchOpeningProof, MultiPointProof},
    MultilinearPcs, PcsError,
};

/// Named segments and their placement in the committed vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentLayout {
    names: Vec<String>,
    lens: Vec<usize>,
    blocks: BlockLayout,
}

impl SegmentLayout {
    /// A layout for segments `(name, length)`; names must be distinct and lengths positive.
    pub fn new(segments: &[(&str, usize)]) -> Result<Self, PcsError> {
        let mut names: Vec<String> = Vec::with_capacity(segments.len());
        for &(name, len) in segments {
            if len == 0 || names.iter().any(|n| n == name) {
                return Err(PcsError::Segment(format!(
                    "segment {name:?} is empty or repeated"
                )));
            }
            names.push(name.to_string());
        }
        let lens: Vec<usize> = segments.iter().map(|s| s.1).collect();
        let logs: Vec<usize> = lens
            .iter()
            .map(|l| l.next_power_of_two().trailing_zeros() as usize)
            .collect();
        Ok(Self {
            names,
            lens,
            blocks: BlockLayout::new(&logs),
        })
    }

    /// Variables of the committed vector.
    pub fn num_vars(&self) -> usize {
        self.blocks.num_vars()
    }

    fn index(&self, name: &str) -> Result<usize, PcsError> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| PcsError::Segment(format!("no segment named {name:?}")))
    }

    /// Variables of segment `name`'s (padded) MLE.
    pub fn segment_vars(&self, name: &str) -> Result<usize, PcsError> {
        Ok(self.blocks.blocks()[self.index(name)?].log_len)
    }

    /// The committed vector, from every segment's values in layout order (exact lengths).
    pub fn assemble<F: KaizenField>(&self, values: &[&[F]]) -> Result<Vec<F>, PcsError> {
        if values.len() != self.lens.len() {
            return Err(PcsError::Segment(format!(
                "{} segments given, layout has {}",
                values.len(),
                self.lens.len()
            )));
        }
        if let Some((i, v)) = values
            .iter()
            .enumerate()
            .find(|(i, v)| v.len() != self.lens[*i])
        {
            return Err(PcsError::Segment(format!(
                "segment {:?} has {} values, expected {}",
                self.names[i],
                v.len(),
                self.lens[i]
            )));
        }
        Ok(self.blocks.assemble(values))
    }

    /// The claim on the whole vector equivalent to `claim` on segment `name`.
    pub fn lift<F: KaizenField>(&self, name: &str, claim: &Claim<F>) -> Result<Claim<F>, PcsError> {
        let i = self.index(name)?;
        let log = self.blocks.blocks()[i].log_len;
        if claim.point.len() != log {
            return Err(PcsError::PointDimension {
                expected: log,
                got: claim.point.len(),
            });
        }
        Ok(Claim {
            point: self.blocks.embed_point(i, &claim.point),
            value: claim.value,
        })
    }

    fn absorb<F: KaizenField, T: Transcript<F>>(&self, transcript: &mut T) {
        for (name, len) in self.names.iter().zip(&self.lens) {
            transcript.absorb_bytes(b"segments/name", name.as_bytes());
            transcript.absorb_bytes(b"segments/len", &(*len as u64).to_le_bytes());
        }
    }

    fn lift_all<F: KaizenField>(
        &self,
        claims: &[(&str, Claim<F>)],
    ) -> Result<Vec<Claim<F>>, PcsError> {
        if claims.is_empty() {
            return Err(PcsError::EmptyBatch);
        }
        claims.iter().map(|(name, c)| self.lift(name, c)).collect()
    }
}

/// Proves every `(segment, claim)` against the segmented commitment with one opening.
pub fn open_segments<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    data: &S::ProverData,
    layout: &SegmentLayout,
    claims: &[(&str, Claim<F>)],
    transcript: &mut T,
) -> Result<MultiPointProof<F, S::Proof>, PcsError> {
    layout.absorb(transcript);
    pcs.open_points(data, &layout.lift_all(claims)?, transcript)
}

/// Proves the claims on several segmented commitments (`claims[i]` on `committed[i]`) with one
/// batched proof ([`MultilinearPcs::open_points_batch`]); the layouts are absorbed first, in order.
pub fn open_segments_batch<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    committed: &[(&S::ProverData, &SegmentLayout)],
    claims: &[&[(&str, Claim<F>)]],
    transcript: &mut T,
) -> Result<BatchOpeningProof<F, S::Proof>, PcsError> {
    check_claim_sets(committed.len(), claims)?;
    let lifted = lift_each(committed.iter().map(|c| c.1), claims, transcript)?;
    let data: Vec<&S::ProverData> = committed.iter().map(|c| c.0).collect();
    let sets: Vec<&[Claim<F>]> = lifted.iter().map(|c| &c[..]).collect();
    pcs.open_points_batch(&data, &sets, transcript)
}

/// Verifies an [`open_segments_batch`] proof.
pub fn verify_segments_batch<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    committed: &[(&S::Commitment, &SegmentLayout)],
    claims: &[&[(&str, Claim<F>)]],
    proof: &BatchOpeningProof<F, S::Proof>,
    transcript: &mut T,
) -> Result<(), PcsError> {
    check_claim_sets(committed.len(), claims)?;
    for (commitment, layout) in committed {
        check_size::<F, S>(commitment, layout)?;
    }
    let lifted = lift_each(committed.iter().map(|c| c.1), claims, transcript)?;
    let commitments: Vec<&S::Commitment> = committed.iter().map(|c| c.0).collect();
    let sets: Vec<&[Claim<F>]> = lifted.iter().map(|c| &c[..]).collect();
    pcs.verify_points_batch(&commitments, &sets, proof, transcript)
}

/// Absorbs each layout, in order, and lifts its claims.
fn lift_each<'a, F: KaizenField, T: Transcript<F>>(
    layouts: impl Iterator<Item = &'a SegmentLayout>,
    claims: &[&[(&str, Claim<F>)]],
    transcript: &mut T,
) -> Result<Vec<Vec<Claim<F>>>, PcsError> {
    layouts
        .zip(claims)
        .map(|(layout, claims)| {
            layout.absorb(transcript);
            layout.lift_all(claims)
        })
        .collect()
}

/// A commitment's size against its layout's.
fn check_size<F: KaizenField, S: MultilinearPcs<F>>(
    commitment: &S::Commitment,
    layout: &SegmentLayout,
) -> Result<(), PcsError> {
    if S::num_vars(commitment) != layout.num_vars() {
        return Err(PcsError::Segment(format!(
            "commitment has {} variables, layout {}",
            S::num_vars(commitment),
            layout.num_vars()
        )));
    }
    Ok(())
}

/// Verifies every `(segment, claim)` against the segmented commitment.
pub fn verify_segments<F: KaizenField, S: MultilinearPcs<F>, T: Transcript<F>>(
    pcs: &S,
    commitment: &S::Commitment,
    layout: &SegmentLayout,
    claims: &[(&str, Claim<F>)],
    proof: &MultiPointProof<F, S::Proof>,
    transcript: &mut T,
) -> Result<(), PcsError> {
    check_size::<F, S>(commitment, layout)?;
    layout.absorb(transcript);
    pcs.verify_points(commitment, &layout.lift_all(claims)?, proof, transcript)
}
