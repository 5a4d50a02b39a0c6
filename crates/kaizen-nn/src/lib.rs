//! # kaizen-nn
//!
//! The quantized training engine whose every step Kaizen-rs proves (DESIGN §1–§2).
//!
//! * [`data`] — datasets: MNIST/Fashion-MNIST IDX (gzip or raw) with typed errors naming the file,
//!   the embedded Fashion-MNIST subset (first 1,024 test images), and the full set from Debian's
//!   `dataset-fashion-mnist` when installed.
//! * [`tensor`] — integer tensors in fixed point (`s` fractional bits) and the range every value
//!   must stay in (`|x| < 2^VALUE_BITS`, far inside the proof field).
//! * [`conv`] — convolution (forward and both adjoints) and max/average pooling kernels in exact
//!   integer arithmetic, for the convolutional models.
//! * [`model`] — sequential models (dense, conv, ReLU, pooling, flatten) and one exact SGD step
//!   producing the full step witness as named tensors (activations, sign bits, selectors,
//!   remainders, loss-gradient intermediates, gradients, new weights); safetensors import/export.
//! * [`arch`] — MLPs, LeNet-5, AlexNet, VGG-11 and the authors' paper shapes.
//!
//! * [`reference`](mod@reference) — an f64 forward pass: the yardstick for gradient checks and the
//!   float-vs-fixed-point gap.
//! * [`prove`] — the proof of one training step (PoGD) for MLPs, and a chain of proven steps.
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used))]

pub mod arch;
pub mod conv;
pub mod data;
mod error;
pub mod model;
pub mod prove;
pub mod reference;
pub mod tensor;

pub use error::NnError;
