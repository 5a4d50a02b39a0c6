//! # kaizen-nn
//!
//! Quantized fixed-point models (MLP, LeNet-5, AlexNet, VGG-11 and the paper shapes), the training
//! engine that produces the step witness, data loading, and the proof of one gradient-descent step
//! (DESIGN §1–§3). Not built yet (issues "kaizen-nn" and "PoGD"): this crate is empty.
