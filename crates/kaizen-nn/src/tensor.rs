//! Fixed-point integer tensors.
use crate::NnError;

/// Every value of every step tensor satisfies `|x| < 2^VALUE_BITS`: the proof field (M61,
/// `SIGNED_BITS = 59`) embeds such values without ambiguity.
pub const VALUE_BITS: u32 = 59;

/// A dense row-major tensor of fixed-point integers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<i64>,
}

impl Tensor {
    /// A zero tensor.
    pub fn zeros(shape: &[usize]) -> Self {
        Self {
            shape: shape.to_vec(),
            data: vec![0; shape.iter().product()],
        }
    }

    /// A tensor from values, checking the count and the range (`name` labels errors).
    pub fn new(name: &str, shape: &[usize], data: Vec<i128>) -> Result<Self, NnError> {
        let count: usize = shape.iter().product();
        if data.len() != count {
            return Err(NnError::Shape(format!(
                "{name}: {} values for shape {shape:?}",
                data.len()
            )));
        }
        let data = data
            .into_iter()
            .enumerate()
            .map(|(index, v)| {
                if v.unsigned_abs() >> VALUE_BITS != 0 {
                    Err(NnError::Overflow {
                        tensor: name.to_string(),
                        index,
                        value: v,
                        bits: VALUE_BITS,
                    })
                } else {
                    Ok(v as i64)
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            shape: shape.to_vec(),
            data,
        })
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether the tensor has no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_and_shape_are_checked() {
        assert!(Tensor::new("t", &[2, 2], vec![1, 2, 3, 4]).is_ok());
        assert!(matches!(
            Tensor::new("t", &[2, 2], vec![1, 2, 3]),
            Err(NnError::Shape(_))
        ));
        let err = Tensor::new("fc1.z", &[2], vec![0, 1 << 59]).unwrap_err();
        assert!(matches!(err, NnError::Overflow { index: 1, .. }));
        assert!(err.to_string().contains("fc1.z"));
        assert!(Tensor::new("t", &[1], vec![-(1 << 59) + 1]).is_ok());
    }
}
