//! Model architectures: MLPs, LeNet-5, CIFAR-style AlexNet and VGG-11, and the authors' benchmark
//! shapes (`shared/PAPER_SHAPES.md`): paper-lenet, paper-malexnet, paper-vgg.
//!
//! Choices where the sources leave room, stated here:
//! * LeNet-5: conv 6@5×5 (padding 2 on 28×28 input, none on 32×32) → ReLU → 2×2 max-pool → conv
//!   16@5×5 → ReLU → max-pool → 400 → 120 → 84 → classes (max-pool, not the original subsampling).
//! * AlexNet (32×32×3): convs 64-192-384-256-256 (3×3, padding 1) with max-pools after the 1st, 2nd
//!   and 5th, then 4096 → 512 → 10.
//! * VGG-11 (32×32×3): convs 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M (3×3, padding 1),
//!   then 512 → 10 (9,225,610 parameters, no batch norm).
//! * Paper shapes: "valid" convolutions, stride 1, "p" = 2×2 average pooling (floor mode), ReLU after
//!   every conv and dense layer but the last, **exact valid sizes and a normal flatten** (the
//!   authors' code pads grids to powers of two and keeps only a `final_w` block): paper-lenet
//!   flattens 128 values (128 → 32 → 16), paper-malexnet 1,152 (1152 → 2048 → 512 → 16, where the
//!   authors' table starts at 2048), paper-vgg 128 (128 → 2048 → 4096 → 128 → 16).
use crate::{
    data::Dataset,
    model::{tensor_len, LayerKind, Model},
    NnError,
};

/// A model family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Dense layers of these widths (inputs first) with ReLU between.
    Mlp(Vec<usize>),
    /// LeNet-5 on `size × size` grey-scale input (28 or 32).
    LeNet5 {
        /// Input side.
        size: usize,
    },
    /// CIFAR-style AlexNet on 32×32×3.
    AlexNet,
    /// CIFAR-style VGG-11 on 32×32×3.
    Vgg11,
    /// The authors' LeNet shape on 32×32×`channels`.
    PaperLeNet {
        /// Input channels.
        channels: usize,
    },
    /// The authors' mAlexNet shape on 64×64×`channels`.
    PaperMAlexNet {
        /// Input channels.
        channels: usize,
    },
    /// The authors' VGG shape on 64×64×`channels`.
    PaperVgg {
        /// Input channels.
        channels: usize,
    },
}

fn conv(in_ch: usize, out_ch: usize, kernel: usize, padding: usize) -> LayerKind {
    LayerKind::Conv {
        in_ch,
        out_ch,
        kernel,
        stride: 1,
        padding,
    }
}

fn dense_stack(widths: &[usize]) -> Vec<LayerKind> {
    let mut layers = Vec::new();
    for (i, w) in widths.windows(2).enumerate() {
        layers.push(LayerKind::Dense {
            inputs: w[0],
            outputs: w[1],
        });
        if i + 2 < widths.len() {
            layers.push(LayerKind::Relu);
        }
    }
    layers
}

/// Conv stack from a VGG-style config: `Some(channels)` is a 3×3 conv (given padding) + ReLU,
/// `None` a pool.
fn conv_stack(
    in_ch: usize,
    cfg: &[Option<usize>],
    padding: usize,
    pool: LayerKind,
) -> Vec<LayerKind> {
    let mut ch = in_ch;
    let mut layers = Vec::new();
    for c in cfg {
        match c {
            Some(out) => {
                layers.push(conv(ch, *out, 3, padding));
                layers.push(LayerKind::Relu);
                ch = *out;
            }
            None => layers.push(pool),
        }
    }
    layers
}

impl Architecture {
    /// Per-sample input shape.
    pub fn input(&self) -> Vec<usize> {
        match self {
            Self::Mlp(w) => vec![w.first().copied().unwrap_or(0)],
            Self::LeNet5 { size } => vec![1, *size, *size],
            Self::AlexNet | Self::Vgg11 => vec![3, 32, 32],
            Self::PaperLeNet { channels } => vec![*channels, 32, 32],
            Self::PaperMAlexNet { channels } | Self::PaperVgg { channels } => {
                vec![*channels, 64, 64]
            }
        }
    }

    /// The layers.
    pub fn layers(&self) -> Vec<LayerKind> {
        let flat = |mut v: Vec<LayerKind>, dense: &[usize]| {
            v.push(LayerKind::Flatten);
            v.extend(dense_stack(dense));
            v
        };
        let relu = LayerKind::Relu;
        match self {
            Self::Mlp(w) => dense_stack(w),
            Self::LeNet5 { size } => {
                let pad = if *size == 28 { 2 } else { 0 };
                let m = LayerKind::MaxPool(2);
                flat(
                    vec![conv(1, 6, 5, pad), relu, m, conv(6, 16, 5, 0), relu, m],
                    &[400, 120, 84, 10],
                )
            }
            Self::AlexNet => {
                let cfg = [
                    Some(64),
                    None,
                    Some(192),
                    None,
                    Some(384),
                    Some(256),
                    Some(256),
                    None,
                ];
                flat(
                    conv_stack(3, &cfg, 1, LayerKind::MaxPool(2)),
                    &[4096, 512, 10],
                )
            }
            Self::Vgg11 => {
                let cfg = [
                    Some(64),
                    None,
                    Some(128),
                    None,
                    Some(256),
                    Some(256),
                    None,
                    Some(512),
                    Some(512),
                    None,
                    Some(512),
                    Some(512),
                    None,
                ];
                flat(conv_stack(3, &cfg, 1, LayerKind::MaxPool(2)), &[512, 10])
            }
            Self::PaperLeNet { channels } => {
                let p = LayerKind::AvgPool(2);
                flat(
                    vec![
                        conv(*channels, 4, 5, 0),
                        relu,
                        p,
                        conv(4, 16, 5, 0),
                        relu,
                        p,
                        conv(16, 128, 5, 0),
                        relu,
                    ],
                    &[128, 32, 16],
                )
            }
            Self::PaperMAlexNet { channels } => {
                let p = LayerKind::AvgPool(2);
                let convs = vec![
                    conv(*channels, 8, 7, 0),
                    relu,
                    p,
                    conv(8, 8, 5, 0),
                    relu,
                    p,
                    conv(8, 16, 3, 0),
                    relu,
                    conv(16, 16, 3, 0),
                    relu,
                    conv(16, 32, 3, 0),
                    relu,
                ];
                flat(convs, &[1152, 2048, 512, 16])
            }
            Self::PaperVgg { channels } => {
                let cfg = [
                    Some(8),
                    Some(8),
                    None,
                    Some(16),
                    Some(16),
                    Some(32),
                    None,
                    Some(32),
                    Some(32),
                    None,
                    Some(32),
                ];
                flat(
                    conv_stack(*channels, &cfg, 0, LayerKind::AvgPool(2)),
                    &[128, 2048, 4096, 128, 16],
                )
            }
        }
    }

    /// `data` as this architecture reads it: grey-scale images smaller than the input are centred
    /// on its canvas ([`Dataset::pad_to`]) and, for a colour input (AlexNet, VGG-11, the paper
    /// shapes with 3 channels), repeated in every channel ([`Dataset::with_channels`]); an error
    /// if the sizes cannot match.
    pub fn fit(&self, data: &Dataset) -> Result<Dataset, NnError> {
        let input = self.input();
        let features = tensor_len(&input).ok_or_else(|| {
            NnError::Config(format!("{self}'s input {input:?}: more than 2^32 entries"))
        })?;
        if tensor_len(&[data.len(), features]).is_none() {
            return Err(NnError::Config(format!(
                "{} samples of {features} values for {self}: more than 2^32 entries",
                data.len()
            )));
        }
        match input[..] {
            _ if data.pixels() == features => Ok(data.clone()),
            [1, h, w] if h == w && data.rows <= h && data.cols <= w => data.pad_to(h),
            [c, h, w] if h == w && data.channels == 1 && data.rows <= h && data.cols <= w => {
                data.pad_to(h)?.with_channels(c)
            }
            _ => Err(NnError::Shape(format!(
                "{}×{}×{} images do not fit {self}'s input {input:?}",
                data.channels, data.rows, data.cols
            ))),
        }
    }

    /// A freshly initialised model (see [`Model::new`]).
    pub fn build(&self, scale: u32, seed: u64) -> Result<Model, NnError> {
        Model::new(&self.input(), &self.layers(), scale, seed)
    }
}

/// `mlp:784-128-10`, `lenet5:28`, `alexnet`, `vgg11`, `paper-lenet:1`, `paper-malexnet:1`,
/// `paper-vgg:1` (the number after the colon: widths, input side, or input channels).
impl std::fmt::Display for Architecture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Mlp(w) => {
                let widths: Vec<String> = w.iter().map(usize::to_string).collect();
                write!(f, "mlp:{}", widths.join("-"))
            }
            Self::LeNet5 { size } => write!(f, "lenet5:{size}"),
            Self::AlexNet => write!(f, "alexnet"),
            Self::Vgg11 => write!(f, "vgg11"),
            Self::PaperLeNet { channels } => write!(f, "paper-lenet:{channels}"),
            Self::PaperMAlexNet { channels } => write!(f, "paper-malexnet:{channels}"),
            Self::PaperVgg { channels } => write!(f, "paper-vgg:{channels}"),
        }
    }
}

impl std::str::FromStr for Architecture {
    type Err = NnError;

    /// Parses the [`Display`](std::fmt::Display) form; the number may be left out
    /// (`lenet5` is `lenet5:28`, `paper-lenet` is `paper-lenet:1`).
    fn from_str(s: &str) -> Result<Self, NnError> {
        let bad = || {
            NnError::Config(format!(
                "unknown model {s:?} (mlp:784-128-10, lenet5[:28|:32], alexnet, vgg11, \
                 paper-lenet[:C], paper-malexnet[:C], paper-vgg[:C])"
            ))
        };
        let (name, arg) = s.split_once(':').map_or((s, None), |(n, a)| (n, Some(a)));
        let number = |default: usize| -> Result<usize, NnError> {
            arg.map_or(Ok(default), |a| a.parse().map_err(|_| bad()))
        };
        Ok(match name {
            "mlp" => Self::Mlp(
                arg.ok_or_else(bad)?
                    .split('-')
                    .map(|w| w.parse().map_err(|_| bad()))
                    .collect::<Result<_, _>>()?,
            ),
            "lenet5" => Self::LeNet5 { size: number(28)? },
            "alexnet" if arg.is_none() => Self::AlexNet,
            "vgg11" if arg.is_none() => Self::Vgg11,
            "paper-lenet" => Self::PaperLeNet {
                channels: number(1)?,
            },
            "paper-malexnet" => Self::PaperMAlexNet {
                channels: number(1)?,
            },
            "paper-vgg" => Self::PaperVgg {
                channels: number(1)?,
            },
            _ => return Err(bad()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Models and inputs past 2^32 entries are configuration errors, found before anything of
    /// that size is allocated (the widths and sides as an untrusted file could give them).
    #[test]
    fn oversized_models_are_errors_not_aborts() {
        let data = Dataset::embedded().unwrap().split_at(16).0;
        // (architecture, whether its input is the oversized part)
        for (s, input) in [
            ("mlp:784-100000000000-10", false),
            ("mlp:784-18446744073709551615-10", false),
            ("mlp:4294967297-10", true),
            ("mlp:18446744073709551615-10", true),
            ("lenet5:100000", true),
            ("paper-vgg:100000000", true),
        ] {
            let arch: Architecture = s.parse().unwrap();
            let err = arch.build(16, 1).unwrap_err().to_string();
            assert!(err.contains("2^32"), "{s}: {err}");
            if input {
                let err = arch.fit(&data).unwrap_err().to_string();
                assert!(err.contains("2^32"), "{s}: {err}");
            }
        }
        // Within bounds per sample, too large as a dataset.
        let arch: Architecture = "paper-vgg:1000000".parse().unwrap();
        let err = arch.fit(&data).unwrap_err().to_string();
        assert!(err.contains("16 samples"), "{err}");
    }

    #[test]
    fn architectures_build_with_the_documented_sizes() {
        let cases = [
            (Architecture::Mlp(vec![784, 128, 10]), 101_770),
            (Architecture::LeNet5 { size: 28 }, 61_706),
            (Architecture::LeNet5 { size: 32 }, 61_706),
            (Architecture::Vgg11, 9_225_610),
            (Architecture::PaperLeNet { channels: 1 }, 57_704),
            (Architecture::PaperVgg { channels: 1 }, 9_219_912),
        ];
        for (arch, params) in cases {
            let model = arch.build(16, 1).unwrap();
            assert_eq!(model.parameters(), params, "{arch:?}");
        }
        assert!(Architecture::AlexNet.build(16, 1).unwrap().parameters() > 4_000_000);
        assert!(
            Architecture::PaperMAlexNet { channels: 1 }
                .build(16, 1)
                .unwrap()
                .parameters()
                > 3_000_000
        );
        assert!(Architecture::Mlp(vec![784]).build(16, 1).is_err());
    }

    #[test]
    fn architectures_parse_and_print() {
        for arch in [
            Architecture::Mlp(vec![784, 128, 10]),
            Architecture::LeNet5 { size: 32 },
            Architecture::AlexNet,
            Architecture::Vgg11,
            Architecture::PaperLeNet { channels: 3 },
            Architecture::PaperMAlexNet { channels: 1 },
            Architecture::PaperVgg { channels: 1 },
        ] {
            assert_eq!(arch.to_string().parse::<Architecture>().unwrap(), arch);
        }
        assert_eq!(
            "lenet5".parse::<Architecture>().unwrap(),
            Architecture::LeNet5 { size: 28 }
        );
        for bad in ["", "mlp", "mlp:7-x", "vgg11:3", "resnet", "lenet5:a"] {
            assert!(bad.parse::<Architecture>().is_err(), "{bad}");
        }
    }
}
