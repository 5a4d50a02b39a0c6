//! Datasets of labelled images.
//!
//! IDX files (the MNIST format: big-endian header `0x00 0x00 0x08 ndim`, `ndim` u32 sizes, then
//! unsigned bytes), gzip-compressed or raw — detected from the gzip magic. Every malformed input
//! (bad magic, wrong element type or rank, truncated or trailing data, mismatched counts, labels out
//! of range) is an [`NnError::Data`] naming the file and the problem.
use std::{
    io::Read,
    path::{Path, PathBuf},
};

use crate::NnError;

/// Where Debian's `dataset-fashion-mnist` installs the full Fashion-MNIST.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Number of classes of (Fashion-)MNIST.
pub const CLASSES: usize = 10;

const EMBEDDED_IMAGES: &[u8] =
    include_bytes!("../data/fashion-mnist/t10k-1024-images-idx3-ubyte.gz");
const EMBEDDED_LABELS: &[u8] =
    include_bytes!("../data/fashion-mnist/t10k-1024-labels-idx1-ubyte.gz");

/// A labelled image dataset (grey-scale bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dataset {
    /// `len × rows × cols` pixel bytes.
    pub images: Vec<u8>,
    /// One class index per image.
    pub labels: Vec<u8>,
    /// Image height.
    pub rows: usize,
    /// Image width.
    pub cols: usize,
    /// Number of classes (labels are below it).
    pub classes: usize,
}

/// Which part of a dataset to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// Training set.
    Train,
    /// Test set.
    Test,
}

fn data_error(path: &Path, reason: impl Into<String>) -> NnError {
    NnError::Data {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn decompress(bytes: &[u8], path: &Path) -> Result<Vec<u8>, NnError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| data_error(path, format!("corrupt gzip data: {e}")))?;
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

/// Parses an IDX file of unsigned bytes with `rank` dimensions; returns the sizes and the data.
fn parse_idx(bytes: &[u8], rank: u8, path: &Path) -> Result<(Vec<usize>, Vec<u8>), NnError> {
    let header = 4 + 4 * rank as usize;
    if bytes.len() < 4 {
        return Err(data_error(path, "truncated: no IDX header"));
    }
    if bytes[0] != 0 || bytes[1] != 0 {
        return Err(data_error(
            path,
            format!(
                "bad magic {:02x}{:02x}: not an IDX file",
                bytes[0], bytes[1]
            ),
        ));
    }
    if bytes[2] != 0x08 {
        return Err(data_error(
            path,
            format!(
                "element type 0x{:02x}, expected unsigned bytes (0x08)",
                bytes[2]
            ),
        ));
    }
    if bytes[3] != rank {
        return Err(data_error(
            path,
            format!("rank {}, expected {rank}", bytes[3]),
        ));
    }
    if bytes.len() < header {
        return Err(data_error(path, "truncated IDX header"));
    }
    let dims: Vec<usize> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as usize)
        .collect();
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| data_error(path, "dimensions overflow"))?;
    let payload = &bytes[header..];
    if payload.len() < count {
        return Err(data_error(
            path,
            format!(
                "truncated: {} data bytes, header says {count}",
                payload.len()
            ),
        ));
    }
    if payload.len() > count {
        return Err(data_error(
            path,
            format!("{} trailing bytes after the data", payload.len() - count),
        ));
    }
    Ok((dims, payload.to_vec()))
}

impl Dataset {
    /// Parses an images file and a labels file (IDX, gzip or raw); the paths label errors.
    pub fn from_idx_bytes(
        images: &[u8],
        labels: &[u8],
        image_path: &Path,
        label_path: &Path,
    ) -> Result<Self, NnError> {
        let (dims, pixels) = parse_idx(&decompress(images, image_path)?, 3, image_path)?;
        let (ldims, labels) = parse_idx(&decompress(labels, label_path)?, 1, label_path)?;
        if dims[0] != ldims[0] {
            return Err(data_error(
                label_path,
                format!(
                    "{} labels for {} images in {}",
                    ldims[0],
                    dims[0],
                    image_path.display()
                ),
            ));
        }
        if dims[1] == 0 || dims[2] == 0 {
            return Err(data_error(image_path, "empty image dimensions"));
        }
        if let Some((i, &l)) = labels
            .iter()
            .enumerate()
            .find(|(_, &l)| l as usize >= CLASSES)
        {
            return Err(data_error(
                label_path,
                format!("label {l} at index {i} is not below {CLASSES}"),
            ));
        }
        Ok(Self {
            images: pixels,
            labels,
            rows: dims[1],
            cols: dims[2],
            classes: CLASSES,
        })
    }

    /// Loads an images file and a labels file.
    pub fn from_idx_files(images: &Path, labels: &Path) -> Result<Self, NnError> {
        let read = |p: &Path| {
            std::fs::read(p).map_err(|source| NnError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        Self::from_idx_bytes(&read(images)?, &read(labels)?, images, labels)
    }

    /// The embedded default: the first 1,024 Fashion-MNIST test images (MIT licence, see
    /// `data/fashion-mnist/README.md`).
    pub fn embedded() -> Result<Self, NnError> {
        let path = PathBuf::from("<embedded fashion-mnist>");
        Self::from_idx_bytes(EMBEDDED_IMAGES, EMBEDDED_LABELS, &path, &path)
    }

    /// The full Fashion-MNIST from Debian's `dataset-fashion-mnist` package.
    pub fn fashion_mnist(split: Split) -> Result<Self, NnError> {
        let prefix = match split {
            Split::Train => "train",
            Split::Test => "t10k",
        };
        let dir = Path::new(FASHION_MNIST_DIR);
        Self::from_idx_files(
            &dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
            &dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
        )
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dataset is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.rows * self.cols;
        &self.images[i * size..(i + 1) * size]
    }

    /// The first `at` images, and the rest.
    pub fn split_at(&self, at: usize) -> (Self, Self) {
        let at = at.min(self.len());
        let size = self.rows * self.cols;
        let part = |images: &[u8], labels: &[u8]| Self {
            images: images.to_vec(),
            labels: labels.to_vec(),
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        };
        (
            part(&self.images[..at * size], &self.labels[..at]),
            part(&self.images[at * size..], &self.labels[at..]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx(rank: u8, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut v = vec![0, 0, 8, rank];
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn embedded_set_loads() {
        let d = Dataset::embedded().unwrap();
        assert_eq!((d.len(), d.rows, d.cols), (1024, 28, 28));
        assert!(d.labels.iter().all(|&l| l < 10));
        // Every class occurs (the counts are 91..=115).
        for c in 0..10u8 {
            assert!(d.labels.iter().filter(|&&l| l == c).count() > 80);
        }
    }

    #[test]
    fn malformed_files_name_the_file_and_problem() {
        let p = Path::new("imgs.idx");
        let l = Path::new("labels.idx");
        let good_i = idx(3, &[2, 2, 2], &[0; 8]);
        let good_l = idx(1, &[2], &[1, 9]);
        assert!(Dataset::from_idx_bytes(&good_i, &good_l, p, l).is_ok());
        let cases: Vec<(Vec<u8>, Vec<u8>, &str)> = vec![
            (vec![1, 2, 8, 3], good_l.clone(), "bad magic"),
            (idx(3, &[2, 2, 2], &[0; 7]), good_l.clone(), "truncated"),
            (idx(3, &[2, 2, 2], &[0; 9]), good_l.clone(), "trailing"),
            (idx(2, &[2, 4], &[0; 8]), good_l.clone(), "rank"),
            (
                good_i.clone(),
                idx(1, &[3], &[1, 2, 3]),
                "3 labels for 2 images",
            ),
            (
                good_i.clone(),
                idx(1, &[2], &[1, 10]),
                "label 10 at index 1",
            ),
            (vec![0, 0], good_l.clone(), "truncated"),
            (vec![0x1f, 0x8b, 0, 0], good_l.clone(), "corrupt gzip"),
        ];
        for (images, labels, expected) in cases {
            let err = Dataset::from_idx_bytes(&images, &labels, p, l)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{err} (wanted {expected})");
            assert!(
                err.contains("imgs.idx") || err.contains("labels.idx"),
                "{err}"
            );
        }
        let err = Dataset::from_idx_files(Path::new("/nonexistent/x"), l).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/x"));
    }
}
