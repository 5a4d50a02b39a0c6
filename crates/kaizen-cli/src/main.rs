//! `kaizen`: train a model with a proof per SGD step, verify a run, inspect an artifact.
use std::{
    io::IsTerminal,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kaizen::{
    run::{self, DataCheck, DataSource, Event, PcsChoice, Start},
    Architecture, Error, Hyper, Loss,
};
use serde_json::json;

#[derive(Parser)]
#[command(
    name = "kaizen",
    version,
    about = "Zero-knowledge proofs of training (Kaizen)"
)]
struct Cli {
    /// Machine-readable JSON on stdout instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LossArg {
    /// Softmax cross-entropy.
    Ce,
    /// Mean squared error.
    Mse,
}

#[derive(Clone, Copy, ValueEnum)]
enum PcsArg {
    /// Ligero over M61² (transparent).
    Ligero,
    /// Multilinear KZG over BLS12-381, seeded setup (insecure; for comparison).
    Kzg,
}

#[derive(Args)]
struct TrainArgs {
    /// Architecture: lenet5, mlp:784-128-10, paper-lenet, paper-malexnet, paper-vgg, alexnet,
    /// vgg11 (grey images are centred on the model's input side and repeated in every channel of
    /// a colour input).
    #[arg(long, default_value = "lenet5")]
    model: String,
    /// Batch size (a power of two).
    #[arg(long, default_value_t = 16)]
    batch: usize,
    /// Number of SGD steps.
    #[arg(long, default_value_t = 4)]
    iterations: u64,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    /// Fixed-point fractional bits.
    #[arg(long, default_value_t = 16)]
    scale: u32,
    /// Loss.
    #[arg(long, value_enum, default_value = "ce")]
    loss: LossArg,
    /// Commitment scheme.
    #[arg(long, value_enum, default_value = "ligero")]
    pcs: PcsArg,
    /// Data: embedded, fashion-mnist:train|test, idx:IMAGES:LABELS, npy:IMAGES:LABELS, csv:PATH.
    #[arg(long, default_value = "embedded")]
    data: String,
    /// Samples to commit (a power of two; default: the largest power of two available).
    #[arg(long)]
    samples: Option<usize>,
    /// Seed of the initial weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Run directory.
    #[arg(long, short, default_value = "kaizen-run")]
    out: PathBuf,
    /// Continue the run in this directory after its last complete step (its own
    /// configuration is used; --iterations is the total).
    #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
    resume: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Train with a proof per step and write a run directory.
    Train(TrainArgs),
    /// Verify a run directory (or one step-NNNN.kzn file); exit code 1 if anything is wrong.
    Verify {
        /// Run directory or step file.
        path: PathBuf,
        /// Weights (safetensors) that must be the committed model after the last verified step
        /// [default for a run directory: its final.safetensors, if present].
        #[arg(long, value_name = "FILE")]
        weights: Option<PathBuf>,
        /// Check that the data is the committed dataset: the run's own data source (as recorded
        /// in run.kzn), or SOURCE (as `train --data` takes it).
        #[arg(long, value_name = "SOURCE", num_args = 0..=1, default_missing_value = "")]
        data: Option<String>,
    },
    /// Describe an artifact file.
    Inspect {
        /// The file.
        file: PathBuf,
    },
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if std::io::stdout().is_terminal() {
        if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} ({elapsed})")
        {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// A progress line: above the bar on a terminal, plain otherwise.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        println!("{line}");
    } else {
        bar.println(line);
    }
}

fn on_event(bar: &ProgressBar, json: bool) -> impl FnMut(Event) + '_ {
    move |event| {
        tracing::info!(?event);
        match event {
            Event::Committed { secs } => {
                if !json {
                    say(bar, format!("committed dataset and model in {secs:.2} s"));
                }
            }
            Event::Resumed { steps } => {
                bar.set_position(steps);
                if !json {
                    say(bar, format!("resuming after {steps} complete steps"));
                }
            }
            Event::Step {
                index,
                of,
                secs,
                bytes,
            } => {
                bar.set_length(of);
                bar.set_position(index + 1);
                if !json {
                    say(
                        bar,
                        format!(
                            "step {index}: trained and proven in {secs:.2} s, proof {} KiB",
                            bytes / 1024
                        ),
                    );
                }
            }
            Event::Verified { index, of } => {
                bar.set_length(of);
                bar.set_position(index + 1);
            }
        }
    }
}

fn train(args: &TrainArgs, json: bool) -> Result<(), Error> {
    let (start, dir) = match &args.resume {
        Some(dir) => (Start::Resume, dir),
        None => {
            let loss = match args.loss {
                LossArg::Ce => Loss::SoftmaxCrossEntropy,
                LossArg::Mse => Loss::Mse,
            };
            let pcs = match args.pcs {
                PcsArg::Ligero => PcsChoice::Ligero,
                PcsArg::Kzg => PcsChoice::Kzg,
            };
            let source = DataSource::parse(&args.data)?;
            let architecture = args.model.parse::<Architecture>()?;
            let data = source.load_for(&architecture, args.samples)?;
            let config = Box::new(run::configure(
                architecture,
                Hyper::new(args.scale, args.lr, args.batch, loss)?,
                source,
                &data,
                args.seed,
                pcs,
            )?);
            (Start::New { config, data }, &args.out)
        }
    };
    let iterations = args.iterations;
    let bar = bar(iterations, "proving");
    let report = run::train(dir, start, iterations, &mut on_event(&bar, json))?;
    bar.finish_and_clear();
    let r = &report.json;
    if json {
        println!("{r}");
    } else {
        println!(
            "{} steps proven into {} in {:.1} s (peak memory {} MiB); accuracy on the committed \
             data {:.3} -> {:.3} (f64 with the same weights: {:.3})",
            iterations - r["resumed_after_steps"].as_u64().unwrap_or(0),
            dir.display(),
            r["total_s"].as_f64().unwrap_or(0.0),
            r["peak_rss_bytes"].as_u64().unwrap_or(0) >> 20,
            r["accuracy_before"].as_f64().unwrap_or(0.0),
            r["accuracy_after"].as_f64().unwrap_or(0.0),
            r["float_vs_fixed"]["float_accuracy"]
                .as_f64()
                .unwrap_or(0.0),
        );
    }
    Ok(())
}

/// `verify`'s extra checks: `--weights FILE`, and `--data [SOURCE]` (an empty SOURCE: the run's
/// own, read from its configuration).
fn checks(weights: Option<PathBuf>, data: Option<&str>) -> Result<run::Checks, Error> {
    let data = match data {
        None => DataCheck::Skip,
        Some("") => DataCheck::Recorded,
        Some(s) => DataCheck::Source(DataSource::parse(s)?),
    };
    Ok(run::Checks { weights, data })
}

/// `kaizen verify`: prints the verdict; exit code 1 if anything was rejected or unreadable.
fn verify(path: &Path, checks: run::Checks, json: bool) -> ExitCode {
    let bar = bar(0, "verifying");
    let verdict = run::verify(path, checks, &mut on_event(&bar, json));
    bar.finish_and_clear();
    match verdict {
        Ok(v) => {
            let weights = v.weights.as_ref().map(|p| p.display().to_string());
            let data = v.data.as_ref().map(DataSource::describe);
            if json {
                println!(
                    "{}",
                    json!({"verified": true, "steps": v.steps, "weights": weights, "data": data,
                           "seconds": v.secs})
                );
            } else {
                let mut also = String::new();
                if let Some(w) = weights {
                    also += &format!("; {w} is the committed final model");
                }
                if let Some(d) = data {
                    also += &format!("; {d} is the committed dataset");
                }
                println!(
                    "OK: {} verified ({} step proofs{also}; {:.0} ms)",
                    path.display(),
                    v.steps,
                    v.secs * 1e3
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if json {
                println!("{}", json!({"verified": false, "error": e.to_string()}));
            } else {
                println!("REJECTED: {}: {e}", path.display());
            }
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    // `RUST_LOG=kaizen_nn=debug,kaizen_pcs=debug,kaizen_gkr=debug` also times every phase of a
    // step proof (a line as each span closes).
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let json = cli.json;
    let result = match cli.command {
        Command::Train(args) => train(&args, json),
        Command::Verify {
            path,
            weights,
            data,
        } => match checks(weights, data.as_deref()) {
            Ok(checks) => return verify(&path, checks, json),
            Err(e) => Err(e),
        },
        Command::Inspect { file } => run::inspect(&file).map(|v| {
            if json {
                println!("{v}");
            } else {
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!("{}", json!({"error": e.to_string()}));
            } else {
                eprintln!("error: {e}");
            }
            ExitCode::FAILURE
        }
    }
}
