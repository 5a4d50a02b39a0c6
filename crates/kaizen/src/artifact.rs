//! The artifact file format. Every file is
//!
//! ```text
//! magic "KAIZENRS" | version u16 | kind u8 | backend u8 | payload length u64 | payload | blake3(all before)
//! ```
//!
//! (integers little-endian). Readers check each field in that order and name the file and the
//! field in the error; a truncated or corrupted file, a wrong kind, or a newer format version is
//! an [`Error::Artifact`], never a panic. Writes go to a temporary file in the same directory and
//! are renamed into place, so an interrupted run never leaves a half-written artifact.
use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
};

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use kaizen_field::serialize::{from_bytes, to_bytes};

use crate::Error;

/// The first bytes of every artifact.
pub const MAGIC: &[u8; 8] = b"KAIZENRS";

/// The format version this build writes and reads (2 since 2026-12-06: a step proof's openings
/// are one batched proof; 3 since 2026-12-06, tenth session: Ligero openings send row values
/// and commit long proximity rows; 4 since the eleventh session: they read only the rows of
/// nonzero weight).
pub const FORMAT_VERSION: u16 = 4;

const HEADER: usize = 8 + 2 + 1 + 1 + 8;
const CHECKSUM: usize = 32;

/// What an artifact holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A run's configuration (JSON payload).
    Run = 1,
    /// A dataset commitment `C_D` and its length `N`.
    Dataset = 2,
    /// A model commitment `C_W_i` and its step index `i`.
    Model = 3,
    /// A step statement and its proof.
    Step = 4,
}

impl Kind {
    fn from_byte(b: u8) -> Option<Self> {
        Some(match b {
            1 => Self::Run,
            2 => Self::Dataset,
            3 => Self::Model,
            4 => Self::Step,
            _ => return None,
        })
    }

    /// A short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Run => "run configuration",
            Self::Dataset => "dataset commitment",
            Self::Model => "model commitment",
            Self::Step => "step proof",
        }
    }
}

/// A decoded artifact header and its payload.
#[derive(Clone, Debug)]
pub struct Artifact {
    /// What it holds.
    pub kind: Kind,
    /// Which commitment backend its commitments and proofs belong to.
    pub backend: u8,
    /// Format version.
    pub version: u16,
    /// The payload bytes.
    pub payload: Vec<u8>,
}

fn bad(path: &Path, reason: impl Into<String>) -> Error {
    Error::Artifact {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Encodes an artifact.
pub fn encode(kind: Kind, backend: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + payload.len() + CHECKSUM);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(kind as u8);
    out.push(backend);
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(payload);
    let sum = blake3::hash(&out);
    out.extend_from_slice(sum.as_bytes());
    out
}

/// Decodes the bytes of the artifact file `path`.
pub fn decode(path: &Path, bytes: &[u8]) -> Result<Artifact, Error> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(bad(path, "not a Kaizen-rs artifact (wrong magic number)"));
    }
    if bytes.len() < HEADER {
        return Err(bad(path, "truncated header"));
    }
    let version = u16::from_le_bytes([bytes[8], bytes[9]]);
    if version != FORMAT_VERSION {
        return Err(bad(
            path,
            format!("format version {version}; this build reads version {FORMAT_VERSION}"),
        ));
    }
    let kind = Kind::from_byte(bytes[10])
        .ok_or_else(|| bad(path, format!("unknown artifact kind {}", bytes[10])))?;
    let mut len = [0u8; 8];
    len.copy_from_slice(&bytes[12..20]);
    let len = u64::from_le_bytes(len);
    let expected = (HEADER as u64)
        .checked_add(len)
        .and_then(|n| n.checked_add(CHECKSUM as u64));
    if expected != Some(bytes.len() as u64) {
        return Err(bad(
            path,
            format!(
                "{} bytes, the header announces a {len}-byte payload (truncated or corrupted)",
                bytes.len()
            ),
        ));
    }
    let end = bytes.len() - CHECKSUM;
    if blake3::hash(&bytes[..end]).as_bytes() != &bytes[end..] {
        return Err(bad(path, "checksum mismatch (the file is corrupted)"));
    }
    Ok(Artifact {
        kind,
        backend: bytes[11],
        version,
        payload: bytes[HEADER..end].to_vec(),
    })
}

/// Writes `bytes` to `path` atomically (temporary file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp"));
    let mut file = fs::File::create(&tmp).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)
}

/// Writes an artifact of `kind` holding `payload` to `path`.
pub fn write(path: &Path, kind: Kind, backend: u8, payload: &[u8]) -> Result<(), Error> {
    write_atomic(path, &encode(kind, backend, payload))
}

/// Reads and checks the artifact `path`.
pub fn read(path: &Path) -> Result<Artifact, Error> {
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    decode(path, &bytes)
}

impl Artifact {
    /// Requires `kind` and `backend` and deserializes the payload (`path` names the file in
    /// errors).
    pub fn parse<T: CanonicalDeserialize>(
        &self,
        path: &Path,
        kind: Kind,
        backend: u8,
    ) -> Result<T, Error> {
        if self.kind != kind {
            return Err(bad(
                path,
                format!("a {}, expected a {}", self.kind.name(), kind.name()),
            ));
        }
        if self.backend != backend {
            return Err(bad(
                path,
                format!("made with backend {}, expected {backend}", self.backend),
            ));
        }
        from_bytes(&self.payload).map_err(|e| {
            let why = match e {
                // A payload in memory fails to read only where it ends.
                SerializationError::IoError(_) => "the payload ends early".into(),
                SerializationError::InvalidData => {
                    "invalid data (a value out of range, an impossible length or trailing bytes)"
                        .into()
                }
                other => other.to_string(),
            };
            bad(path, format!("malformed {}: {why}", kind.name()))
        })
    }
}

/// Reads the artifact `path`, requires `kind` and `backend`, and deserializes its payload.
pub fn read_as<T: CanonicalDeserialize>(path: &Path, kind: Kind, backend: u8) -> Result<T, Error> {
    read(path)?.parse(path, kind, backend)
}

/// Writes a serializable value as an artifact.
pub fn write_value<T: CanonicalSerialize>(
    path: &Path,
    kind: Kind,
    backend: u8,
    value: &T,
) -> Result<(), Error> {
    write(path, kind, backend, &to_bytes(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_round_trip_and_reject_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.kzn");
        write_value(&path, Kind::Model, 1, &(3u64, 77u64)).unwrap();
        let v: (u64, u64) = read_as(&path, Kind::Model, 1).unwrap();
        assert_eq!(v, (3, 77));
        assert!(read_as::<(u64, u64)>(&path, Kind::Step, 1).is_err());
        assert!(read_as::<(u64, u64)>(&path, Kind::Model, 2).is_err());
        let good = fs::read(&path).unwrap();
        let reason = |bytes: &[u8]| match decode(&path, bytes) {
            Err(Error::Artifact { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        assert!(reason(&good[..good.len() - 1]).contains("truncated"));
        assert!(reason(&good[..5]).contains("magic"));
        assert!(reason(&good[..12]).contains("truncated header"));
        let mut next = good.clone();
        next[8] = FORMAT_VERSION as u8 + 1;
        assert!(reason(&next).contains(&format!("version {}", FORMAT_VERSION + 1)));
        let mut flipped = good.clone();
        flipped[HEADER + 3] ^= 1;
        assert!(reason(&flipped).contains("checksum"));
        let mut kind = good.clone();
        kind[10] = 9;
        assert!(reason(&kind).contains("kind 9"));
        assert!(!dir.path().join(".x.kzn.tmp").exists());
        // Payloads that do not deserialize: cut short, with bytes left over.
        let parsed = |payload: &[u8]| {
            let a = decode(&path, &encode(Kind::Model, 1, payload)).unwrap();
            match a.parse::<(u64, u64)>(&path, Kind::Model, 1) {
                Err(Error::Artifact { reason, .. }) => reason,
                other => panic!("{other:?}"),
            }
        };
        let payload = to_bytes(&(3u64, 77u64));
        assert!(parsed(&payload[..11]).contains("ends early"));
        assert!(parsed(&[payload.as_slice(), &[0]].concat()).contains("trailing bytes"));
    }
}
