//! The public statement of a step proof and its canonical encoding: the bytes the transcript
//! absorbs, and a bounded serialization for artifacts (every read length is checked before
//! anything is allocated).
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};
use kaizen_field::{serialize::to_bytes, KaizenField, Transcript};
use kaizen_pcs::MultilinearPcs;

use super::ModelShape;
use crate::model::{Hyper, LayerKind, Loss};

/// What a step proof proves: `W_{i+1} = SGD_step(W_i, batch_i(D))` for the committed dataset and
/// models under the public architecture and hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct StepStatement<C> {
    /// Architecture.
    pub model: ModelShape,
    /// Hyper-parameters.
    pub hyper: Hyper,
    /// `C_D`.
    pub dataset: C,
    /// `N`, the number of samples in `C_D`.
    pub dataset_len: usize,
    /// `C_W_i`.
    pub weights: C,
    /// `C_W_{i+1}`.
    pub new_weights: C,
    /// The iteration `i`.
    pub step: u64,
}

impl<C> StepStatement<C> {
    /// The public scalars, in encoding order: scale, η, B, loss (1 = softmax CE), N, i.
    fn header(&self) -> [u64; 6] {
        let h = &self.hyper;
        [
            u64::from(h.fixed.scale()),
            h.lr as u64,
            h.batch as u64,
            u64::from(h.loss == Loss::SoftmaxCrossEntropy),
            self.dataset_len as u64,
            self.step,
        ]
    }
}

impl<C: CanonicalSerialize> StepStatement<C> {
    pub(super) fn absorb<F: KaizenField, S: MultilinearPcs<F, Commitment = C>, T: Transcript<F>>(
        &self,
        transcript: &mut T,
    ) {
        transcript.absorb_bytes(b"step/model", &to_bytes(&self.model));
        let header: Vec<u8> = self.header().iter().flat_map(|x| x.to_le_bytes()).collect();
        transcript.absorb_bytes(b"step/header", &header);
        for c in [&self.dataset, &self.weights, &self.new_weights] {
            S::absorb_commitment(c, transcript);
        }
    }
}

/// Most layers, input dimensions and name bytes a decoded architecture may have.
const MAX_LAYERS: u64 = 1 << 10;
const MAX_DIMS: u64 = 8;
const MAX_NAME: u64 = 1 << 8;

fn put<W: Write>(w: &mut W, values: &[u64]) -> Result<(), SerializationError> {
    values
        .iter()
        .try_for_each(|v| v.serialize_compressed(&mut *w))
}

fn get<R: Read>(r: &mut R) -> Result<u64, SerializationError> {
    u64::deserialize_compressed(r)
}

fn get_usize<R: Read>(r: &mut R) -> Result<usize, SerializationError> {
    usize::try_from(get(r)?).map_err(|_| SerializationError::InvalidData)
}

fn get_len<R: Read>(r: &mut R, max: u64) -> Result<usize, SerializationError> {
    let n = get(r)?;
    if n > max {
        return Err(SerializationError::InvalidData);
    }
    Ok(n as usize)
}

fn layer_words(kind: &LayerKind) -> Vec<u64> {
    let u = |x: usize| x as u64;
    match *kind {
        LayerKind::Dense { inputs, outputs } => vec![0, u(inputs), u(outputs)],
        LayerKind::Conv {
            in_ch,
            out_ch,
            kernel,
            stride,
            padding,
        } => vec![1, u(in_ch), u(out_ch), u(kernel), u(stride), u(padding)],
        LayerKind::Relu => vec![2],
        LayerKind::MaxPool(k) => vec![3, u(k)],
        LayerKind::AvgPool(k) => vec![4, u(k)],
        LayerKind::Flatten => vec![5],
    }
}

fn read_layer<R: Read>(r: &mut R) -> Result<LayerKind, SerializationError> {
    Ok(match get(r)? {
        0 => LayerKind::Dense {
            inputs: get_usize(r)?,
            outputs: get_usize(r)?,
        },
        1 => LayerKind::Conv {
            in_ch: get_usize(r)?,
            out_ch: get_usize(r)?,
            kernel: get_usize(r)?,
            stride: get_usize(r)?,
            padding: get_usize(r)?,
        },
        2 => LayerKind::Relu,
        3 => LayerKind::MaxPool(get_usize(r)?),
        4 => LayerKind::AvgPool(get_usize(r)?),
        5 => LayerKind::Flatten,
        _ => return Err(SerializationError::InvalidData),
    })
}

impl CanonicalSerialize for ModelShape {
    fn serialize_with_mode<W: Write>(
        &self,
        mut w: W,
        _: Compress,
    ) -> Result<(), SerializationError> {
        put(&mut w, &[self.input.len() as u64])?;
        put(
            &mut w,
            &self.input.iter().map(|&d| d as u64).collect::<Vec<_>>(),
        )?;
        put(&mut w, &[self.layers.len() as u64])?;
        for (name, kind) in &self.layers {
            put(&mut w, &[name.len() as u64])?;
            w.write_all(name.as_bytes())?;
            put(&mut w, &layer_words(kind))?;
        }
        Ok(())
    }

    fn serialized_size(&self, _: Compress) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|(name, kind)| 8 + name.len() + 8 * layer_words(kind).len())
            .sum();
        16 + 8 * self.input.len() + layers
    }
}

impl Valid for ModelShape {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl CanonicalDeserialize for ModelShape {
    fn deserialize_with_mode<R: Read>(
        mut r: R,
        _: Compress,
        _: Validate,
    ) -> Result<Self, SerializationError> {
        let dims = get_len(&mut r, MAX_DIMS)?;
        let input = (0..dims)
            .map(|_| get_usize(&mut r))
            .collect::<Result<_, _>>()?;
        let count = get_len(&mut r, MAX_LAYERS)?;
        let mut layers = Vec::with_capacity(count);
        for _ in 0..count {
            let mut name = vec![0u8; get_len(&mut r, MAX_NAME)?];
            r.read_exact(&mut name)?;
            let name = String::from_utf8(name).map_err(|_| SerializationError::InvalidData)?;
            layers.push((name, read_layer(&mut r)?));
        }
        Ok(Self { input, layers })
    }
}

impl<C: CanonicalSerialize> CanonicalSerialize for StepStatement<C> {
    fn serialize_with_mode<W: Write>(
        &self,
        mut w: W,
        compress: Compress,
    ) -> Result<(), SerializationError> {
        self.model.serialize_with_mode(&mut w, compress)?;
        put(&mut w, &self.header())?;
        for c in [&self.dataset, &self.weights, &self.new_weights] {
            c.serialize_with_mode(&mut w, compress)?;
        }
        Ok(())
    }

    fn serialized_size(&self, compress: Compress) -> usize {
        self.model.serialized_size(compress)
            + 48
            + [&self.dataset, &self.weights, &self.new_weights]
                .iter()
                .map(|c| c.serialized_size(compress))
                .sum::<usize>()
    }
}

impl<C: Valid> Valid for StepStatement<C> {
    fn check(&self) -> Result<(), SerializationError> {
        Ok(())
    }
}

impl<C: CanonicalDeserialize> CanonicalDeserialize for StepStatement<C> {
    fn deserialize_with_mode<R: Read>(
        mut r: R,
        compress: Compress,
        validate: Validate,
    ) -> Result<Self, SerializationError> {
        let model = ModelShape::deserialize_with_mode(&mut r, compress, validate)?;
        let scale = u32::try_from(get(&mut r)?).map_err(|_| SerializationError::InvalidData)?;
        let lr = i64::try_from(get(&mut r)?).map_err(|_| SerializationError::InvalidData)?;
        let batch = get_usize(&mut r)?;
        let loss = match get(&mut r)? {
            0 => Loss::Mse,
            1 => Loss::SoftmaxCrossEntropy,
            _ => return Err(SerializationError::InvalidData),
        };
        let hyper = Hyper::from_quantized(scale, lr, batch, loss)
            .map_err(|_| SerializationError::InvalidData)?;
        let dataset_len = get_usize(&mut r)?;
        let step = get(&mut r)?;
        let mut commitment = || C::deserialize_with_mode(&mut r, compress, validate);
        Ok(Self {
            model,
            hyper,
            dataset_len,
            step,
            dataset: commitment()?,
            weights: commitment()?,
            new_weights: commitment()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use kaizen_field::serialize::from_bytes;

    use super::*;
    use crate::arch::Architecture;

    #[test]
    fn statements_round_trip_and_reject_bad_bytes() {
        let model = Architecture::LeNet5 { size: 28 }.build(16, 1).unwrap();
        let statement = StepStatement {
            model: ModelShape::of(&model),
            hyper: Hyper::new(16, 0.05, 4, Loss::Mse).unwrap(),
            dataset: 7u64,
            dataset_len: 1024,
            weights: 8u64,
            new_weights: 9u64,
            step: 3,
        };
        let bytes = to_bytes(&statement);
        assert_eq!(bytes.len(), statement.compressed_size());
        assert_eq!(from_bytes::<StepStatement<u64>>(&bytes).unwrap(), statement);
        for cut in [0, 1, 9, bytes.len() / 2, bytes.len() - 1] {
            assert!(from_bytes::<StepStatement<u64>>(&bytes[..cut]).is_err());
        }
        let mut long_name = bytes.clone();
        long_name[16 + 8 * 3..16 + 8 * 3 + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(from_bytes::<StepStatement<u64>>(&long_name).is_err());
        let mut bad_loss = bytes.clone();
        let at = statement.model.compressed_size() + 24;
        bad_loss[at] = 5;
        assert!(from_bytes::<StepStatement<u64>>(&bad_loss).is_err());
    }
}
