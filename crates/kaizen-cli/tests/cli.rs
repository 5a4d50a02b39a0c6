//! End-to-end tests of the `kaizen` binary: train → verify, damaged and tampered artifacts,
//! resume, bad options.
#![allow(clippy::unwrap_used)]
use std::{
    fs,
    path::Path,
    process::{Command, Output},
};

use kaizen::artifact;

fn kaizen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kaizen"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn train(dir: &Path, iterations: u32, seed: u32) -> Output {
    train_on(dir, iterations, seed, "embedded")
}

fn train_on(dir: &Path, iterations: u32, seed: u32, data: &str) -> Output {
    train_with(dir, iterations, seed, &["--data", data])
}

fn train_with(dir: &Path, iterations: u32, seed: u32, options: &[&str]) -> Output {
    let iterations = iterations.to_string();
    let seed = seed.to_string();
    let mut args = vec![
        "train",
        "--model",
        "mlp:784-16-10",
        "--batch",
        "4",
        "--samples",
        "64",
        "--iterations",
        &iterations,
        "--seed",
        &seed,
        "--out",
        dir.to_str().unwrap(),
    ];
    args.extend(options);
    kaizen(&args)
}

fn verify(path: &Path) -> Output {
    verify_with(path, &[])
}

fn verify_with(path: &Path, options: &[&str]) -> Output {
    let mut args = vec!["verify", path.to_str().unwrap()];
    args.extend(options);
    kaizen(&args)
}

/// Asserts `verify` fails with exit code 1 and a message containing `needle`.
fn rejected(path: &Path, needle: &str) {
    rejected_with(path, &[], needle);
}

fn rejected_with(path: &Path, options: &[&str], needle: &str) {
    let out = verify_with(path, options);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("REJECTED"), "{}", text(&out));
    assert!(text(&out).contains(needle), "{}", text(&out));
}

/// Asserts `verify` succeeds and says `needle`.
fn verified_with(path: &Path, options: &[&str], needle: &str) {
    let out = verify_with(path, options);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains(needle), "{needle}: {}", text(&out));
}

/// Writes the artifact `good` to `path` with the middle byte of its payload flipped and the
/// checksum recomputed (so only the verifier can catch it).
fn write_flipped_payload(path: &Path, good: &[u8]) {
    let a = artifact::decode(path, good).unwrap();
    let mut payload = a.payload.clone();
    let mid = payload.len() / 2;
    payload[mid] ^= 1;
    fs::write(path, artifact::encode(a.kind, a.backend, &payload)).unwrap();
}

#[test]
fn train_verify_inspect_and_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let out = train(&dir, 2, 1);
    assert!(out.status.success(), "{}", text(&out));
    for f in [
        "run.kzn",
        "dataset.kzn",
        "model-0000.kzn",
        "model-0002.kzn",
        "step-0001.kzn",
        "final.safetensors",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["steps"].as_array().unwrap().len(), 2);
    assert!(report["float_vs_fixed"]["max_logit_gap"].as_f64().unwrap() < 0.01);
    let out = verify(&dir);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("OK"));
    assert!(verify(&dir.join("step-0001.kzn")).status.success());
    let out = kaizen(&[
        "--json",
        "inspect",
        dir.join("step-0001.kzn").to_str().unwrap(),
    ]);
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["kind"], "step proof");
    assert_eq!(info["content"]["step"], 1);

    let step = dir.join("step-0001.kzn");
    let good = fs::read(&step).unwrap();
    // One flipped byte: caught by the checksum.
    let mut bad = good.clone();
    bad[good.len() / 2] ^= 1;
    fs::write(&step, &bad).unwrap();
    rejected(&dir, "checksum");
    // The same byte flipped with a recomputed checksum: caught by the verifier.
    write_flipped_payload(&step, &good);
    rejected(&dir, "step-0001");
    // Truncated, and a future format version.
    fs::write(&step, &good[..good.len() - 10]).unwrap();
    rejected(&dir, "truncated");
    let mut future = good.clone();
    future[8] = 9;
    fs::write(&step, &future).unwrap();
    rejected(&step, "format version 9");
    fs::write(&step, &good).unwrap();
    assert!(verify(&dir).status.success());
    // A step proven on another initial model does not link.
    let other = tmp.path().join("other");
    assert!(train(&other, 2, 2).status.success());
    fs::copy(other.join("step-0001.kzn"), &step).unwrap();
    rejected(&dir, "C_W_i");
    fs::write(&step, &good).unwrap();
    // A missing model commitment file.
    fs::remove_file(dir.join("model-0002.kzn")).unwrap();
    rejected(&dir, "model-0002.kzn");
    // A configuration (valid checksum) asking for keys of another size than the run's.
    let run = dir.join("run.kzn");
    let a = artifact::decode(&run, &fs::read(&run).unwrap()).unwrap();
    let mut config: serde_json::Value = serde_json::from_slice(&a.payload).unwrap();
    config["pcs_vars"] = serde_json::json!(40);
    let forged = artifact::encode(a.kind, a.backend, config.to_string().as_bytes());
    fs::write(&run, forged).unwrap();
    rejected(&dir, "40 variables");
    fs::write(&run, artifact::encode(a.kind, a.backend, &a.payload)).unwrap();
    assert!(verify(&dir.join("step-0000.kzn")).status.success());
    // A dataset commitment file announcing another number of samples.
    let data = dir.join("dataset.kzn");
    let d = artifact::decode(&data, &fs::read(&data).unwrap()).unwrap();
    let mut payload = d.payload.clone();
    let len = payload.len();
    payload[len - 8..].copy_from_slice(&128u64.to_le_bytes());
    fs::write(&data, artifact::encode(d.kind, d.backend, &payload)).unwrap();
    rejected(&dir, "128 samples; run.kzn has 64");
}

/// The same run over the multilinear KZG backend (BLS12-381 scalar field): it verifies with its
/// weights and data; a changed proof byte (checksum recomputed) and a Ligero run's step in its
/// place are rejected.
#[test]
fn kzg_runs_verify_and_reject_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("kzg");
    let out = train_with(&dir, 2, 1, &["--pcs", "kzg"]);
    assert!(out.status.success(), "{}", text(&out));
    verified_with(&dir, &["--data"], "embedded is the committed dataset");
    let step = dir.join("step-0001.kzn");
    let good = fs::read(&step).unwrap();
    write_flipped_payload(&step, &good);
    rejected(&dir, "step-0001");
    let ligero = tmp.path().join("ligero");
    assert!(train(&ligero, 2, 1).status.success());
    fs::copy(ligero.join("step-0001.kzn"), &step).unwrap();
    rejected(&dir, "expected 2");
    fs::write(&step, &good).unwrap();
    assert!(verify(&dir).status.success());
}

/// The final weights and the training data are checked against the run's commitments: the
/// run's own `final.safetensors` by default, other weights and the data on request; another
/// model's weights, the weights of an earlier step and data with one changed pixel are rejected.
#[test]
fn weights_and_data_open_the_commitments() {
    let tmp = tempfile::tempdir().unwrap();
    // 64 images of 784 pixels with labels, as CSV.
    let csv_text = |changed: Option<usize>| {
        let mut text = String::from("label,pixels\n");
        for i in 0..64usize {
            text += &(i % 10).to_string();
            for p in 0..784usize {
                let v = (i * 31 + p * 7) % 256;
                let v = if changed == Some(i * 784 + p) {
                    (v + 1) % 256
                } else {
                    v
                };
                text += &format!(",{v}");
            }
            text += "\n";
        }
        text
    };
    let csv = tmp.path().join("data.csv");
    fs::write(&csv, csv_text(None)).unwrap();
    let source = format!("csv:{}", csv.display());
    let dir = tmp.path().join("run");
    let out = train_on(&dir, 2, 1, &source);
    assert!(out.status.success(), "{}", text(&out));
    let weights = dir.join("final.safetensors");
    let w = weights.to_str().unwrap();
    verified_with(&dir, &[], "final.safetensors is the committed final model");
    verified_with(&dir, &["--data"], "is the committed dataset");
    let copy = tmp.path().join("copy.csv");
    fs::copy(&csv, &copy).unwrap();
    let other_source = format!("csv:{}", copy.display());
    verified_with(
        &dir,
        &["--data", &other_source],
        "copy.csv is the committed dataset",
    );
    // One pixel of one image changed: the proofs still verify, the data check does not.
    fs::write(&copy, csv_text(Some(40 * 784 + 300))).unwrap();
    rejected_with(&dir, &["--data", &other_source], "dataset.kzn");
    verified_with(&dir, &[], "2 step proofs");
    // A step alone checks weights only when asked, against its own new model.
    let step = dir.join("step-0001.kzn");
    let out = verify(&step);
    assert!(
        out.status.success() && !text(&out).contains("final model"),
        "{}",
        text(&out)
    );
    verified_with(&step, &["--weights", w], "final model");
    rejected_with(
        &dir.join("step-0000.kzn"),
        &["--weights", w],
        "model-0001.kzn",
    );
    // Another run's weights, here and in place of the run's own; a file that is not weights.
    let other = tmp.path().join("other");
    assert!(train_on(&other, 2, 2, &source).status.success());
    let foreign = other.join("final.safetensors");
    rejected_with(
        &dir,
        &["--weights", foreign.to_str().unwrap()],
        "not the model committed",
    );
    let good = fs::read(&weights).unwrap();
    fs::copy(&foreign, &weights).unwrap();
    rejected_with(&dir, &[], "final.safetensors: not the model committed in");
    fs::write(&weights, &good[..good.len() / 2]).unwrap();
    rejected_with(&dir, &[], "final.safetensors");
    fs::write(&weights, &good).unwrap();
    verified_with(&dir, &[], "final model");
    let out = verify_with(&dir, &["--data", "parquet:x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("unknown data source"), "{}", text(&out));
}

#[test]
fn resume_after_deleting_the_last_step() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    assert!(train(&dir, 2, 1).status.success());
    let last = fs::read(dir.join("step-0001.kzn")).unwrap();
    fs::remove_file(dir.join("step-0001.kzn")).unwrap();
    let out = kaizen(&[
        "train",
        "--resume",
        dir.to_str().unwrap(),
        "--iterations",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    // Proving is deterministic: the re-proven step is byte for byte the deleted one.
    assert_eq!(fs::read(dir.join("step-0001.kzn")).unwrap(), last);
    assert!(dir.join("step-0002.kzn").exists());
    let out = verify(&dir);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("3 step proofs"));
}

#[test]
fn bad_options_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    for (args, needle) in [
        (vec!["--model", "resnet"], "unknown model"),
        (vec!["--data", "parquet:x"], "unknown data source"),
        (vec!["--batch", "3"], "power of two"),
        (vec!["--samples", "4096"], "samples"),
        (vec!["--model", "mlp:100-10"], "do not fit"),
    ] {
        let mut all = vec!["train", "--out", dir.to_str().unwrap(), "--iterations", "1"];
        all.extend(args);
        let out = kaizen(&all);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains(needle), "{needle}: {}", text(&out));
    }
    let out = verify(&tmp.path().join("missing"));
    assert_eq!(out.status.code(), Some(1));
    let out = kaizen(&["inspect", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("magic"), "{}", text(&out));
}
