//! Run directories: what `kaizen train` writes and `kaizen verify` checks.
//!
//! | file | content |
//! |---|---|
//! | `run.kzn` | the [`RunConfig`] (JSON payload): architecture, hyper-parameters, data source, PCS |
//! | `dataset.kzn` | `C_D` and `N` |
//! | `model-NNNN.kzn` | `C_W_NNNN` (the model before step `NNNN`) |
//! | `step-NNNN.kzn` | the statement and proof of step `NNNN` |
//! | `final.safetensors` | the trained weights (f32, or f64 where f32 would round; keyed like a PyTorch `state_dict`) |
//! | `report.json` | times, sizes, peak memory, accuracy, the float-vs-fixed-point gap |
//!
//! All `.kzn` files use the [`crate::artifact`] format and are written atomically; a run can be
//! resumed after its last complete step (a step counts once both `step-i` and `model-(i+1)` are
//! readable). [`verify`] checks the step proofs and their links, that `final.safetensors` is the
//! last model commitment's model, and on request ([`Checks`]) other weights and the data.
use std::{
    fs,
    path::{Path, PathBuf},
    time::Instant,
};

use ark_serialize::CanonicalSerialize;
use kaizen_field::{serialize::to_bytes, Fr, KaizenField, M61Ext2};
use kaizen_nn::{
    arch::Architecture,
    data::{Dataset, Split},
    model::{exp_table, Hyper, Loss, Model},
    reference::float_gap,
};
use kaizen_pcs::{
    Bls12Kzg, Ligero, LigeroParams, MatrixShape, MultilinearPcs, KEEP_ENCODING_VARS_24_GIB,
};
use serde_json::{json, Value};

use crate::{
    artifact::{self, Kind},
    prover::{commitment_vars, plan_of, Prover, Step, Verifier},
    Error,
};

/// The commitment scheme of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcsChoice {
    /// Ligero over M61² (transparent, hash-based; rate 1/4, 100-bit security).
    Ligero,
    /// Multilinear KZG over BLS12-381 from a seeded setup (**insecure**: for comparison only).
    Kzg,
}

impl PcsChoice {
    fn id(self) -> u8 {
        match self {
            Self::Ligero => 1,
            Self::Kzg => 2,
        }
    }

    /// `ligero` or `kzg`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ligero => "ligero",
            Self::Kzg => "kzg",
        }
    }

    /// Parses [`Self::name`].
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s {
            "ligero" => Ok(Self::Ligero),
            "kzg" => Ok(Self::Kzg),
            _ => Err(Error::State(format!(
                "unknown commitment scheme {s:?} (ligero, kzg)"
            ))),
        }
    }
}

/// Where the training data comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// The embedded Fashion-MNIST subset (first 1,024 test images).
    Embedded,
    /// Debian's `dataset-fashion-mnist` package.
    FashionMnist(Split),
    /// IDX image and label files (gzip or raw).
    Idx(PathBuf, PathBuf),
    /// NumPy `u8` image `[N, H, W]` and label `[N]` arrays.
    Npy(PathBuf, PathBuf),
    /// CSV rows `label, 784 pixels` (28×28).
    Csv(PathBuf),
}

impl DataSource {
    /// Parses `embedded`, `fashion-mnist:train|test`, `idx:IMAGES:LABELS`, `npy:IMAGES:LABELS`
    /// or `csv:PATH`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = || {
            Error::State(format!(
                "unknown data source {s:?} (embedded, fashion-mnist:train, fashion-mnist:test, \
                 idx:IMAGES:LABELS, npy:IMAGES:LABELS, csv:PATH)"
            ))
        };
        let (kind, rest) = s.split_once(':').unwrap_or((s, ""));
        let pair = || {
            rest.split_once(':')
                .map(|(a, b)| (PathBuf::from(a), PathBuf::from(b)))
                .ok_or_else(bad)
        };
        Ok(match (kind, rest) {
            ("embedded", "") => Self::Embedded,
            ("fashion-mnist", "train") => Self::FashionMnist(Split::Train),
            ("fashion-mnist", "test") => Self::FashionMnist(Split::Test),
            ("idx", _) => {
                let (a, b) = pair()?;
                Self::Idx(a, b)
            }
            ("npy", _) => {
                let (a, b) = pair()?;
                Self::Npy(a, b)
            }
            ("csv", p) if !p.is_empty() => Self::Csv(PathBuf::from(p)),
            _ => return Err(bad()),
        })
    }

    /// The parseable form.
    pub fn describe(&self) -> String {
        match self {
            Self::Embedded => "embedded".into(),
            Self::FashionMnist(Split::Train) => "fashion-mnist:train".into(),
            Self::FashionMnist(Split::Test) => "fashion-mnist:test".into(),
            Self::Idx(a, b) => format!("idx:{}:{}", a.display(), b.display()),
            Self::Npy(a, b) => format!("npy:{}:{}", a.display(), b.display()),
            Self::Csv(p) => format!("csv:{}", p.display()),
        }
    }

    /// Loads the first `samples` images (all if `None`: the largest power of two available).
    pub fn load(&self, samples: Option<usize>) -> Result<Dataset, Error> {
        let data = match self {
            Self::Embedded => Dataset::embedded()?,
            Self::FashionMnist(split) => Dataset::fashion_mnist(*split)?,
            Self::Idx(a, b) => Dataset::from_idx_files(a, b)?,
            Self::Npy(a, b) => Dataset::from_npy(a, b)?,
            Self::Csv(p) => Dataset::from_csv(p, 28, 28)?,
        };
        let n = samples.unwrap_or(if data.is_empty() {
            0
        } else {
            1 << data.len().ilog2()
        });
        if n > data.len() {
            return Err(Error::State(format!(
                "{} has {} samples, {n} requested",
                self.describe(),
                data.len()
            )));
        }
        Ok(data.split_at(n).0)
    }

    /// [`Self::load`] as `architecture` reads the images ([`Architecture::fit`]).
    pub fn load_for(
        &self,
        architecture: &Architecture,
        samples: Option<usize>,
    ) -> Result<Dataset, Error> {
        Ok(architecture.fit(&self.load(samples)?)?)
    }
}

/// Everything needed to reproduce (and verify) a run.
#[derive(Clone, Debug, PartialEq)]
pub struct RunConfig {
    /// The architecture.
    pub architecture: Architecture,
    /// Hyper-parameters.
    pub hyper: Hyper,
    /// Training data.
    pub data: DataSource,
    /// Samples committed (a power of two).
    pub samples: usize,
    /// Seed of the initial weights.
    pub seed: u64,
    /// Commitment scheme.
    pub pcs: PcsChoice,
    /// Variables the PCS is set up for.
    pub pcs_vars: usize,
}

impl RunConfig {
    /// The configuration as JSON.
    pub fn to_json(&self) -> Value {
        let h = &self.hyper;
        json!({
            "model": self.architecture.to_string(),
            "scale": h.fixed.scale(),
            "lr_quantized": h.lr,
            "lr": h.fixed.dequantize(h.lr.into()),
            "batch": h.batch,
            "loss": match h.loss { Loss::Mse => "mse", Loss::SoftmaxCrossEntropy => "ce" },
            "data": self.data.describe(),
            "samples": self.samples,
            "seed": self.seed,
            "pcs": self.pcs.name(),
            "pcs_vars": self.pcs_vars,
        })
    }

    /// Reads [`Self::to_json`]'s form.
    pub fn from_json(v: &Value) -> Result<Self, String> {
        let str_of = |k: &str| v[k].as_str().ok_or(format!("missing string {k}"));
        let int_of = |k: &str| v[k].as_u64().ok_or(format!("missing integer {k}"));
        let small = |k: &str| -> Result<usize, String> {
            usize::try_from(int_of(k)?).map_err(|_| format!("{k} too large"))
        };
        let loss = match str_of("loss")? {
            "mse" => Loss::Mse,
            "ce" => Loss::SoftmaxCrossEntropy,
            other => return Err(format!("unknown loss {other}")),
        };
        let scale = u32::try_from(int_of("scale")?).map_err(|_| "scale too large")?;
        let lr = v["lr_quantized"]
            .as_i64()
            .ok_or("missing integer lr_quantized")?;
        Ok(Self {
            architecture: str_of("model")?.parse().map_err(|e| format!("{e}"))?,
            hyper: Hyper::from_quantized(scale, lr, small("batch")?, loss)
                .map_err(|e| e.to_string())?,
            data: DataSource::parse(str_of("data")?).map_err(|e| e.to_string())?,
            samples: small("samples")?,
            seed: int_of("seed")?,
            pcs: PcsChoice::parse(str_of("pcs")?).map_err(|e| e.to_string())?,
            pcs_vars: small("pcs_vars")?,
        })
    }
}

/// Progress of a long phase, for front ends.
#[derive(Clone, Debug)]
pub enum Event {
    /// The dataset and initial model are committed.
    Committed {
        /// Seconds spent.
        secs: f64,
    },
    /// Resuming after `steps` complete steps.
    Resumed {
        /// Complete steps found.
        steps: u64,
    },
    /// Step `index` is trained, proven and written.
    Step {
        /// The step.
        index: u64,
        /// Total steps of the run.
        of: u64,
        /// Seconds spent.
        secs: f64,
        /// Proof size in bytes.
        bytes: usize,
    },
    /// Step `index` is verified.
    Verified {
        /// The step.
        index: u64,
        /// Total steps.
        of: u64,
    },
}

/// `run.kzn`, `dataset.kzn`, `model-NNNN.kzn`, `step-NNNN.kzn` in `dir`.
pub fn artifact_path(dir: &Path, what: &str, index: Option<u64>) -> PathBuf {
    match index {
        Some(i) => dir.join(format!("{what}-{i:04}.kzn")),
        None => dir.join(format!("{what}.kzn")),
    }
}

/// Peak resident memory of this process in bytes (Linux; 0 elsewhere).
pub fn peak_rss_bytes() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The PCS of a configuration, dispatched to a generic body.
trait Body {
    type Out;
    /// Runs on `pcs` (backend byte `id`), which took `setup_secs` to set up.
    fn run<F: KaizenField, S: MultilinearPcs<F>>(
        self,
        pcs: S,
        id: u8,
        setup_secs: f64,
    ) -> Result<Self::Out, Error>;
}

fn with_pcs<B: Body>(choice: PcsChoice, vars: usize, body: B) -> Result<B::Out, Error> {
    let start = Instant::now();
    match choice {
        PcsChoice::Ligero => {
            let params = LigeroParams::new(vars, MatrixShape::Balanced)
                .with_kept_encoding(KEEP_ENCODING_VARS_24_GIB);
            let pcs = Ligero::<M61Ext2>::new(params);
            body.run::<M61Ext2, _>(pcs, choice.id(), start.elapsed().as_secs_f64())
        }
        PcsChoice::Kzg => {
            let pcs = Bls12Kzg::insecure_setup(vars, 0x6b61_697a);
            body.run::<Fr, _>(pcs, choice.id(), start.elapsed().as_secs_f64())
        }
    }
}

fn read_config(dir: &Path) -> Result<RunConfig, Error> {
    let path = artifact_path(dir, "run", None);
    let a = artifact::read(&path)?;
    let bad = |reason: String| Error::Artifact {
        path: path.clone(),
        reason,
    };
    if a.kind != Kind::Run {
        return Err(bad(format!(
            "a {}, expected the run configuration",
            a.kind.name()
        )));
    }
    let v: Value = serde_json::from_slice(&a.payload).map_err(|e| bad(e.to_string()))?;
    let config = RunConfig::from_json(&v).map_err(bad)?;
    if config.pcs.id() != a.backend {
        return Err(bad("backend byte does not match the configured PCS".into()));
    }
    // The PCS is set up for the size the configuration implies, never for a size read from the
    // file: a forged `pcs_vars` would make the verifier build keys of any size.
    let vars = commitment_vars(&config.architecture, &config.hyper, config.samples)?;
    if config.pcs_vars != vars {
        return Err(bad(format!(
            "sets the commitment scheme up for {} variables; this run needs {vars}",
            config.pcs_vars
        )));
    }
    Ok(config)
}

fn read_step<F: KaizenField, S: MultilinearPcs<F>>(
    dir: &Path,
    i: u64,
    id: u8,
) -> Result<Step<F, S>, Error> {
    artifact::read_as(&artifact_path(dir, "step", Some(i)), Kind::Step, id)
}

fn read_model<C: ark_serialize::CanonicalDeserialize>(
    dir: &Path,
    i: u64,
    id: u8,
) -> Result<C, Error> {
    let path = artifact_path(dir, "model", Some(i));
    let (step, c): (u64, C) = artifact::read_as(&path, Kind::Model, id)?;
    if step != i {
        return Err(Error::Artifact {
            path,
            reason: format!("holds the model before step {step}, expected {i}"),
        });
    }
    Ok(c)
}

/// What [`train`] did.
#[derive(Clone, Debug)]
pub struct Report {
    /// The report as written to `report.json`.
    pub json: Value,
}

struct Train<'a> {
    dir: &'a Path,
    config: RunConfig,
    data: Dataset,
    iterations: u64,
    resume: bool,
    progress: &'a mut dyn FnMut(Event),
}

impl Body for Train<'_> {
    type Out = Report;

    fn run<F: KaizenField, S: MultilinearPcs<F>>(
        self,
        pcs: S,
        id: u8,
        setup_secs: f64,
    ) -> Result<Report, Error> {
        let Train {
            dir,
            config,
            data,
            iterations,
            resume,
            progress,
        } = self;
        let hyper = config.hyper.clone();
        let initial = config
            .architecture
            .build(hyper.fixed.scale(), config.seed)?;
        let accuracy_before = initial.accuracy(&data, &hyper)?;
        let start = Instant::now();
        let mut prover = Prover::new(pcs, config.architecture.clone(), hyper.clone())?;
        let (mut done, mut last) = (0u64, None);
        if resume {
            while done < iterations {
                match (
                    read_step::<F, S>(dir, done, id),
                    read_model::<S::Commitment>(dir, done + 1, id),
                ) {
                    (Ok(step), Ok(_)) => last = Some(step),
                    _ => break,
                }
                done += 1;
            }
            progress(Event::Resumed { steps: done });
        }
        let exp = exp_table(hyper.fixed.scale());
        let model = initial.train(&data, &hyper, &exp, 0, done as usize)?;
        let samples = data.len();
        let c_d = prover.commit_dataset(data)?;
        let c_w = prover.load_model(model, done)?;
        match last {
            Some(last) => {
                if last.statement.new_weights != c_w {
                    return Err(Error::Artifact {
                        path: artifact_path(dir, "step", Some(done - 1)),
                        reason: "its new model commitment is not the replayed training's".into(),
                    });
                }
            }
            None => {
                artifact::write(
                    &artifact_path(dir, "run", None),
                    Kind::Run,
                    id,
                    config.to_json().to_string().as_bytes(),
                )?;
                artifact::write_value(
                    &artifact_path(dir, "dataset", None),
                    Kind::Dataset,
                    id,
                    &(c_d, samples as u64),
                )?;
                artifact::write_value(
                    &artifact_path(dir, "model", Some(0)),
                    Kind::Model,
                    id,
                    &(0u64, c_w),
                )?;
            }
        }
        remove_from(dir, done)?;
        let commit_secs = start.elapsed().as_secs_f64();
        progress(Event::Committed { secs: commit_secs });
        let mut steps = Vec::new();
        for i in done..iterations {
            let t = Instant::now();
            let step = prover.step()?;
            artifact::write_value(&artifact_path(dir, "step", Some(i)), Kind::Step, id, &step)?;
            artifact::write_value(
                &artifact_path(dir, "model", Some(i + 1)),
                Kind::Model,
                id,
                &(i + 1, step.statement.new_weights.clone()),
            )?;
            let secs = t.elapsed().as_secs_f64();
            let bytes = step.proof.compressed_size();
            progress(Event::Step {
                index: i,
                of: iterations,
                secs,
                bytes,
            });
            steps.push(json!({"step": i, "prove_s": secs, "proof_bytes": bytes}));
        }
        let (Some(model), Some(data)) = (prover.model(), prover.dataset()) else {
            return Err(Error::State("no model or dataset".into()));
        };
        let weights = model.to_safetensors(hyper.fixed)?;
        artifact::write_atomic(&dir.join("final.safetensors"), &weights)?;
        let gap = float_gap(model, data, &hyper)?;
        let json = json!({
            "config": config.to_json(),
            "resumed_after_steps": done,
            "iterations": iterations,
            "dataset_samples": samples,
            "parameters": model.parameters(),
            "pcs_setup_s": setup_secs,
            "commit_s": commit_secs,
            "steps": steps,
            "total_s": start.elapsed().as_secs_f64(),
            "peak_rss_bytes": peak_rss_bytes(),
            "accuracy_before": accuracy_before,
            "accuracy_after": gap.fixed_accuracy,
            "float_vs_fixed": {
                "fixed_point_accuracy": gap.fixed_accuracy,
                "float_accuracy": gap.float_accuracy,
                "max_logit_gap": gap.max_logit_gap,
            },
        });
        let text = serde_json::to_string_pretty(&json).unwrap_or_default();
        artifact::write_atomic(&dir.join("report.json"), text.as_bytes())?;
        Ok(Report { json })
    }
}

/// Removes the artifacts of steps `from..` (and the models after them): an incomplete tail.
fn remove_from(dir: &Path, from: u64) -> Result<(), Error> {
    let mut i = from;
    loop {
        let step = artifact_path(dir, "step", Some(i));
        let model = artifact_path(dir, "model", Some(i + 1));
        if !step.exists() && !model.exists() {
            return Ok(());
        }
        for p in [step, model] {
            if p.exists() {
                fs::remove_file(&p).map_err(|source| Error::Io { path: p, source })?;
            }
        }
        i += 1;
    }
}

/// How [`train`] starts.
pub enum Start {
    /// A fresh run of `config` on `data` (from [`configure`]).
    New {
        /// The configuration.
        config: Box<RunConfig>,
        /// Its dataset, already loaded.
        data: Dataset,
    },
    /// Continue the run in the directory after its last complete step, with its own
    /// configuration.
    Resume,
}

/// Trains proven steps into `dir` (created if missing) until `iterations` steps exist.
pub fn train(
    dir: &Path,
    start: Start,
    iterations: u64,
    progress: &mut dyn FnMut(Event),
) -> Result<Report, Error> {
    fs::create_dir_all(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let (config, data, resume) = match start {
        Start::New { config, data } => (*config, data, false),
        Start::Resume => {
            let config = read_config(dir)?;
            let data = config
                .data
                .load_for(&config.architecture, Some(config.samples))?;
            (config, data, true)
        }
    };
    let (pcs, vars) = (config.pcs, config.pcs_vars);
    let body = Train {
        dir,
        config,
        data,
        iterations,
        resume,
        progress,
    };
    with_pcs(pcs, vars, body)
}

/// A configuration for `architecture` on `data` (loaded from `source`) with the PCS sized for it.
pub fn configure(
    architecture: Architecture,
    hyper: Hyper,
    source: DataSource,
    data: &Dataset,
    seed: u64,
    pcs: PcsChoice,
) -> Result<RunConfig, Error> {
    Ok(RunConfig {
        pcs_vars: commitment_vars(&architecture, &hyper, data.len())?,
        architecture,
        hyper,
        samples: data.len(),
        data: source,
        seed,
        pcs,
    })
}

/// What [`verify`] checks besides the step proofs and their links.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// Weights (safetensors, as `final.safetensors`) that must be the model committed after the
    /// last verified step. Verifying a whole run directory checks its own `final.safetensors`
    /// when there is one and no other file is named here.
    pub weights: Option<PathBuf>,
    /// The data that must be the committed dataset.
    pub data: DataCheck,
}

/// Which data [`verify`] checks against the dataset commitment: loaded as the run loaded its own
/// (the same number of samples, fitted to the architecture) and committed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum DataCheck {
    /// No data is checked.
    #[default]
    Skip,
    /// The run's own data source, as `run.kzn` records it.
    Recorded,
    /// Another source (a copy of the data elsewhere, or in another format).
    Source(DataSource),
}

/// What [`verify`] checked.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Steps verified.
    pub steps: u64,
    /// The weights file found to be the committed model after the last step, if one was checked.
    pub weights: Option<PathBuf>,
    /// The data source found to be the committed dataset, if it was checked.
    pub data: Option<DataSource>,
    /// Seconds spent.
    pub secs: f64,
}

struct Verify<'a> {
    dir: &'a Path,
    only: Option<u64>,
    config: RunConfig,
    checks: Checks,
    progress: &'a mut dyn FnMut(Event),
}

impl Body for Verify<'_> {
    type Out = Verdict;

    fn run<F: KaizenField, S: MultilinearPcs<F>>(
        self,
        pcs: S,
        id: u8,
        _: f64,
    ) -> Result<Verdict, Error> {
        let start = Instant::now();
        let Verify {
            dir,
            only,
            config,
            checks,
            progress,
        } = self;
        let dataset_path = artifact_path(dir, "dataset", None);
        let (c_d, n): (S::Commitment, u64) = artifact::read_as(&dataset_path, Kind::Dataset, id)?;
        if n != config.samples as u64 {
            return Err(Error::Artifact {
                path: dataset_path,
                reason: format!("{n} samples; run.kzn has {}", config.samples),
            });
        }
        let shape = plan_of(&config.architecture, &config.hyper)?.model;
        let verifier = Verifier::new(pcs);
        let indices: Vec<u64> = match only {
            Some(i) => vec![i],
            None => (0..)
                .take_while(|&i| artifact_path(dir, "step", Some(i)).exists())
                .collect(),
        };
        if indices.is_empty() {
            return Err(Error::State(format!("{}: no step proofs", dir.display())));
        }
        let total = indices.len() as u64;
        let mut current: S::Commitment = read_model(dir, indices[0], id)?;
        for &i in &indices {
            let path = artifact_path(dir, "step", Some(i));
            let step = read_step::<F, S>(dir, i, id)?;
            let st = &step.statement;
            let broken = |reason: &str| Error::Artifact {
                path: path.clone(),
                reason: reason.into(),
            };
            if st.step != i {
                return Err(broken("proves another step index"));
            }
            if st.model != shape || st.hyper != config.hyper {
                return Err(broken(
                    "architecture or hyper-parameters differ from run.kzn",
                ));
            }
            if st.dataset != c_d || st.dataset_len as u64 != n {
                return Err(broken("another dataset commitment than dataset.kzn"));
            }
            if st.weights != current {
                return Err(broken("C_W_i is not the previous model commitment"));
            }
            if let Err(e) = verifier.verify(&step) {
                return Err(match e {
                    Error::Prove(source) => Error::Rejected { path, source },
                    other => other,
                });
            }
            let next: S::Commitment = read_model(dir, i + 1, id)?;
            if next != st.new_weights {
                return Err(Error::Artifact {
                    path: artifact_path(dir, "model", Some(i + 1)),
                    reason: "differs from the step's C_W_{i+1}".into(),
                });
            }
            current = next;
            progress(Event::Verified {
                index: i,
                of: total,
            });
        }
        let last = indices[indices.len() - 1] + 1;
        let weights = checks.weights.or_else(|| {
            let own = dir.join("final.safetensors");
            (only.is_none() && own.exists()).then_some(own)
        });
        if let Some(path) = &weights {
            let bytes = fs::read(path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let fixed = config.hyper.fixed;
            let arch = &config.architecture;
            let model = Model::zeros(&arch.input(), &arch.layers())?
                .load_safetensors(&bytes, fixed)
                .map_err(|e| Error::Artifact {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            if !verifier.commits_model(&current, &model, &config.hyper)? {
                return Err(Error::Artifact {
                    path: path.clone(),
                    reason: format!(
                        "not the model committed in {} (the weights after step {})",
                        artifact_path(dir, "model", Some(last)).display(),
                        last - 1
                    ),
                });
            }
        }
        let source = match checks.data {
            DataCheck::Skip => None,
            DataCheck::Recorded => Some(config.data.clone()),
            DataCheck::Source(source) => Some(source),
        };
        if let Some(source) = &source {
            let data = source.load_for(&config.architecture, Some(config.samples))?;
            if !verifier.commits_dataset(&c_d, &data, &config.architecture, &config.hyper)? {
                return Err(Error::Artifact {
                    path: dataset_path,
                    reason: format!(
                        "not the commitment to {} ({} samples)",
                        source.describe(),
                        config.samples
                    ),
                });
            }
        }
        Ok(Verdict {
            steps: total,
            weights,
            data: source,
            secs: start.elapsed().as_secs_f64(),
        })
    }
}

/// Verifies a run directory (every step, linked from `model-0000.kzn`), or one `step-NNNN.kzn`
/// file (against the run files beside it), and what `checks` asks for: that weights and data
/// are the committed ones.
pub fn verify(
    path: &Path,
    checks: Checks,
    progress: &mut dyn FnMut(Event),
) -> Result<Verdict, Error> {
    let (dir, only) = if path.is_dir() {
        (path.to_path_buf(), None)
    } else {
        let index = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("step-"))
            .and_then(|n| n.strip_suffix(".kzn"))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| Error::Artifact {
                path: path.to_path_buf(),
                reason: "not a run directory or a step-NNNN.kzn file".into(),
            })?;
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        (dir, Some(index))
    };
    let config = read_config(&dir)?;
    let (pcs, vars) = (config.pcs, config.pcs_vars);
    let body = Verify {
        dir: &dir,
        only,
        config,
        checks,
        progress,
    };
    with_pcs(pcs, vars, body)
}

fn digest<T: CanonicalSerialize>(c: &T) -> String {
    blake3::hash(&to_bytes(c)).to_hex()[..16].to_string()
}

struct Inspect<'a> {
    path: &'a Path,
    artifact: artifact::Artifact,
}

impl Body for Inspect<'_> {
    type Out = Value;

    fn run<F: KaizenField, S: MultilinearPcs<F>>(
        self,
        _: S,
        id: u8,
        _: f64,
    ) -> Result<Value, Error> {
        let (path, a) = (self.path, self.artifact);
        let mut out = json!({
            "file": path.display().to_string(),
            "kind": a.kind.name(),
            "version": a.version,
            "backend": if id == PcsChoice::Ligero.id() { "ligero" } else { "kzg" },
            "payload_bytes": a.payload.len(),
        });
        let detail = match a.kind {
            Kind::Run => serde_json::from_slice(&a.payload).map_err(|e| Error::Artifact {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?,
            Kind::Dataset => {
                let (c, n): (S::Commitment, u64) = a.parse(path, Kind::Dataset, id)?;
                json!({"samples": n, "commitment": digest(&c)})
            }
            Kind::Model => {
                let (i, c): (u64, S::Commitment) = a.parse(path, Kind::Model, id)?;
                json!({"before_step": i, "commitment": digest(&c)})
            }
            Kind::Step => {
                let Step {
                    statement: st,
                    proof,
                }: Step<F, S> = a.parse(path, Kind::Step, id)?;
                json!({
                    "step": st.step,
                    "layers": st.model.layers.iter().map(|(n, k)| format!("{n}: {k:?}")).collect::<Vec<_>>(),
                    "batch": st.hyper.batch,
                    "scale": st.hyper.fixed.scale(),
                    "dataset_samples": st.dataset_len,
                    "dataset_commitment": digest(&st.dataset),
                    "model_commitment": digest(&st.weights),
                    "new_model_commitment": digest(&st.new_weights),
                    "step_commitments": proof.step_commitments.iter().map(digest).collect::<Vec<_>>(),
                    "proof_bytes": proof.compressed_size(),
                })
            }
        };
        if let Some(map) = out.as_object_mut() {
            map.insert("content".into(), detail);
        }
        Ok(out)
    }
}

/// Describes an artifact: kind, version, backend, sizes, commitments (digests).
pub fn inspect(path: &Path) -> Result<Value, Error> {
    let artifact = artifact::read(path)?;
    let pcs = match artifact.backend {
        1 => PcsChoice::Ligero,
        2 => PcsChoice::Kzg,
        b => {
            return Err(Error::Artifact {
                path: path.to_path_buf(),
                reason: format!("unknown backend {b}"),
            })
        }
    };
    // Inspecting needs the types, not the parameters: a one-variable setup.
    with_pcs(pcs, 1, Inspect { path, artifact })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configurations_and_sources_round_trip() {
        let data = DataSource::Embedded.load(Some(256)).unwrap();
        let config = configure(
            Architecture::Mlp(vec![784, 8, 10]),
            Hyper::new(12, 0.05, 8, Loss::Mse).unwrap(),
            DataSource::Embedded,
            &data,
            9,
            PcsChoice::Kzg,
        )
        .unwrap();
        assert_eq!(config.samples, 256);
        assert_eq!(RunConfig::from_json(&config.to_json()).unwrap(), config);
        let mut v = config.to_json();
        v["loss"] = json!("hinge");
        assert!(RunConfig::from_json(&v).is_err());
        for s in [
            "embedded",
            "fashion-mnist:train",
            "idx:a.gz:b.gz",
            "npy:x.npy:y.npy",
            "csv:d.csv",
        ] {
            assert_eq!(DataSource::parse(s).unwrap().describe(), s);
        }
        for s in ["", "idx:a", "csv:", "fashion-mnist:dev", "embedded:1"] {
            assert!(DataSource::parse(s).is_err(), "{s}");
        }
        assert!(DataSource::Embedded.load(Some(2048)).is_err());
        assert_eq!(DataSource::Embedded.load(None).unwrap().len(), 1024);
    }
}
