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
    /// `len × channels × rows × cols` pixel bytes (each image channel-major).
    pub images: Vec<u8>,
    /// One class index per image.
    pub labels: Vec<u8>,
    /// Channels per image (1: grey-scale).
    pub channels: usize,
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

fn read_file(path: &Path) -> Result<Vec<u8>, NnError> {
    std::fs::read(path).map_err(|source| NnError::Io {
        path: path.to_path_buf(),
        source,
    })
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

/// Parses a version 1–3 `.npy` file: `(descr, shape, data)`; the data length must match.
fn parse_npy(bytes: &[u8], path: &Path) -> Result<(String, Vec<usize>, Vec<u8>), NnError> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(data_error(path, "bad magic: not a .npy file"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(data_error(path, format!("unsupported .npy version {v}"))),
    };
    let header = bytes
        .get(start..start + len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| data_error(path, "truncated or non-text .npy header"))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        Some(
            header[at..]
                .trim_start()
                .trim_start_matches(':')
                .trim_start(),
        )
    };
    let descr = field("descr")
        .and_then(|v| v.strip_prefix('\'').and_then(|v| v.split('\'').next()))
        .ok_or_else(|| data_error(path, "no descr in .npy header"))?
        .to_string();
    if field("fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err(data_error(path, "Fortran-order arrays are not supported"));
    }
    let shape_text = field("shape")
        .and_then(|v| v.strip_prefix('(').and_then(|v| v.split(')').next()))
        .ok_or_else(|| data_error(path, "no shape in .npy header"))?;
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>()
                .map_err(|_| data_error(path, format!("bad shape entry {s:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let elem = match descr.as_str() {
        "|u1" => 1,
        "<i4" => 4,
        "<i8" => 8,
        other => return Err(data_error(path, format!("unsupported dtype {other}"))),
    };
    let count = shape
        .iter()
        .try_fold(elem, |a: usize, &d| a.checked_mul(d))
        .ok_or_else(|| data_error(path, "shape overflows"))?;
    let data = &bytes[start + len..];
    if data.len() != count {
        return Err(data_error(
            path,
            format!("{} data bytes, shape {shape:?} needs {count}", data.len()),
        ));
    }
    Ok((descr, shape, data.to_vec()))
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
            channels: 1,
            rows: dims[1],
            cols: dims[2],
            classes: CLASSES,
        })
    }

    /// Loads an images file and a labels file.
    pub fn from_idx_files(images: &Path, labels: &Path) -> Result<Self, NnError> {
        Self::from_idx_bytes(&read_file(images)?, &read_file(labels)?, images, labels)
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

    /// Loads a CSV file: one image per line, `label,p_0,…,p_{rows·cols−1}` with pixels in 0..=255;
    /// a first line that does not start with a number is a header and is skipped.
    pub fn from_csv(path: &Path, rows: usize, cols: usize) -> Result<Self, NnError> {
        let bytes = read_file(path)?;
        let text = String::from_utf8_lossy(&bytes);
        Self::from_csv_str(&text, rows, cols, path)
    }

    /// Parses CSV text (see [`Dataset::from_csv`]); `path` labels errors.
    pub fn from_csv_str(
        text: &str,
        rows: usize,
        cols: usize,
        path: &Path,
    ) -> Result<Self, NnError> {
        let size = rows * cols;
        if size == 0 {
            return Err(data_error(path, "empty image dimensions"));
        }
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            let first = line.split(',').next().unwrap_or("").trim();
            if line.is_empty() || (n == 0 && first.parse::<u64>().is_err()) {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != size + 1 {
                return Err(data_error(
                    path,
                    format!(
                        "line {}: {} fields, expected {}",
                        n + 1,
                        fields.len(),
                        size + 1
                    ),
                ));
            }
            for (c, f) in fields.iter().enumerate() {
                let v: u8 = f.parse().map_err(|_| {
                    data_error(
                        path,
                        format!("line {}, column {}: {f:?} is not in 0..=255", n + 1, c + 1),
                    )
                })?;
                if c == 0 {
                    if v as usize >= CLASSES {
                        return Err(data_error(
                            path,
                            format!("line {}: label {v} is not below {CLASSES}", n + 1),
                        ));
                    }
                    labels.push(v);
                } else {
                    images.push(v);
                }
            }
        }
        if labels.is_empty() {
            return Err(data_error(path, "no data rows"));
        }
        Ok(Self {
            images,
            labels,
            channels: 1,
            rows,
            cols,
            classes: CLASSES,
        })
    }

    /// Loads NumPy `.npy` arrays: images `uint8` of shape `(N, H, W)` and labels `uint8`/`int32`/
    /// `int64` of shape `(N,)` (little-endian, C order).
    pub fn from_npy(images: &Path, labels: &Path) -> Result<Self, NnError> {
        let (idescr, ishape, idata) = parse_npy(&read_file(images)?, images)?;
        let (ldescr, lshape, ldata) = parse_npy(&read_file(labels)?, labels)?;
        if idescr != "|u1" || ishape.len() != 3 {
            return Err(data_error(
                images,
                format!("need uint8 (N, H, W) images, found {idescr} {ishape:?}"),
            ));
        }
        let width = match ldescr.as_str() {
            "|u1" => 1,
            "<i4" => 4,
            "<i8" => 8,
            other => {
                return Err(data_error(
                    labels,
                    format!("unsupported label dtype {other}"),
                ))
            }
        };
        if lshape.len() != 1 || lshape[0] != ishape[0] {
            return Err(data_error(
                labels,
                format!("labels of shape {lshape:?} for {} images", ishape[0]),
            ));
        }
        let labels_v: Vec<u8> = ldata
            .chunks_exact(width)
            .enumerate()
            .map(|(i, c)| {
                let mut b = [0u8; 8];
                b[..width].copy_from_slice(c);
                let v = i64::from_le_bytes(b);
                if width < 8 && c[width - 1] & 0x80 != 0 || !(0..CLASSES as i64).contains(&v) {
                    return Err(data_error(
                        labels,
                        format!("label at index {i} is not in 0..{CLASSES}"),
                    ));
                }
                Ok(v as u8)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            images: idata,
            labels: labels_v,
            channels: 1,
            rows: ishape[1],
            cols: ishape[2],
            classes: CLASSES,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the dataset is empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes per image: `channels × rows × cols`.
    pub fn pixels(&self) -> usize {
        self.channels * self.rows * self.cols
    }

    /// Pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.pixels();
        &self.images[i * size..(i + 1) * size]
    }

    /// A grey-scale dataset as `channels` identical channels (for models with colour input; the
    /// embedded Fashion-MNIST is grey). An error if the dataset already has several channels.
    pub fn with_channels(&self, channels: usize) -> Result<Self, NnError> {
        if self.channels != 1 || channels == 0 {
            return Err(NnError::Shape(format!(
                "cannot turn {}-channel images into {channels} channels",
                self.channels
            )));
        }
        let size = self.rows * self.cols;
        let images = self
            .images
            .chunks(size)
            .flat_map(|image| std::iter::repeat_n(image, channels).flatten().copied())
            .collect();
        Ok(Self {
            images,
            channels,
            ..self.clone()
        })
    }

    /// The first `at` images, and the rest.
    pub fn split_at(&self, at: usize) -> (Self, Self) {
        let at = at.min(self.len());
        let size = self.pixels();
        let part = |images: &[u8], labels: &[u8]| Self {
            images: images.to_vec(),
            labels: labels.to_vec(),
            channels: self.channels,
            rows: self.rows,
            cols: self.cols,
            classes: self.classes,
        };
        (
            part(&self.images[..at * size], &self.labels[..at]),
            part(&self.images[at * size..], &self.labels[at..]),
        )
    }

    /// The images centred on a `side × side` canvas with a zero border (LeNet's 32×32 input, or the
    /// 64×64 of the authors' larger shapes, from 28×28 images); an error if `side` is smaller.
    pub fn pad_to(&self, side: usize) -> Result<Self, NnError> {
        if side < self.rows || side < self.cols || self.channels != 1 {
            return Err(NnError::Shape(format!(
                "cannot pad {}×{} images to {side}×{side}",
                self.rows, self.cols
            )));
        }
        let (top, left) = ((side - self.rows) / 2, (side - self.cols) / 2);
        let mut images = vec![0u8; self.len() * side * side];
        for (i, canvas) in images.chunks_mut(side * side).enumerate() {
            for (r, row) in self.image(i).chunks(self.cols).enumerate() {
                let at = (top + r) * side + left;
                canvas[at..at + self.cols].copy_from_slice(row);
            }
        }
        Ok(Self {
            images,
            labels: self.labels.clone(),
            channels: 1,
            rows: side,
            cols: side,
            classes: self.classes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_centres_the_images() {
        let d = Dataset::embedded().unwrap().split_at(3).0;
        let p = d.pad_to(32).unwrap();
        assert_eq!((p.rows, p.cols, p.len()), (32, 32, 3));
        for i in 0..3 {
            let img = p.image(i);
            assert_eq!(&img[2 * 32 + 2..2 * 32 + 30], &d.image(i)[..28]);
            assert_eq!(
                img.iter().map(|&v| u64::from(v)).sum::<u64>(),
                d.image(i).iter().map(|&v| u64::from(v)).sum::<u64>()
            );
        }
        assert!(d.pad_to(27).is_err());
    }

    /// Grey images repeated in three channels, as AlexNet and VGG-11 read them.
    #[test]
    fn channels_repeat_the_grey_image() {
        let d = Dataset::embedded().unwrap().split_at(2).0;
        let c = d.pad_to(32).unwrap().with_channels(3).unwrap();
        assert_eq!((c.channels, c.pixels(), c.len()), (3, 3 * 32 * 32, 2));
        for i in 0..2 {
            let grey = d.pad_to(32).unwrap().image(i).to_vec();
            assert!(c.image(i).chunks(32 * 32).all(|ch| ch == grey));
        }
        assert!(c.with_channels(3).is_err(), "already colour");
        assert!(c.pad_to(64).is_err());
        let fit = crate::arch::Architecture::Vgg11.fit(&d).unwrap();
        assert_eq!((fit.channels, fit.rows, fit.cols), (3, 32, 32));
        assert_eq!(fit.images, c.images);
    }

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

    #[test]
    fn csv_loads_and_rejects_bad_rows() {
        let p = Path::new("d.csv");
        let d = Dataset::from_csv_str("label,a,b,c,d\n3,0,255,1,2\n9,4,5,6,7\n", 2, 2, p).unwrap();
        assert_eq!(
            (d.len(), d.labels.clone(), d.image(1).to_vec()),
            (2, vec![3, 9], vec![4, 5, 6, 7])
        );
        for (text, expected) in [
            ("3,0,255,1\n", "line 1: 4 fields, expected 5"),
            ("3,0,256,1,2\n", "line 1, column 3"),
            ("10,0,0,1,2\n", "label 10"),
            ("3,0,x,1,2\n", "column 3"),
            ("label,a\n", "no data rows"),
        ] {
            let err = Dataset::from_csv_str(text, 2, 2, p)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected) && err.contains("d.csv"), "{err}");
        }
    }

    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        v.extend((h.len() as u16).to_le_bytes());
        v.extend(h.as_bytes());
        v.extend_from_slice(data);
        v
    }

    #[test]
    fn npy_loads_and_rejects_bad_files() {
        let dir = std::env::temp_dir().join(format!("kaizen-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, bytes: Vec<u8>| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let imgs = write("i.npy", npy("|u1", "(2, 2, 2)", &[1, 2, 3, 4, 5, 6, 7, 8]));
        let labs = write(
            "l.npy",
            npy(
                "<i8",
                "(2,)",
                &[3, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0],
            ),
        );
        let d = Dataset::from_npy(&imgs, &labs).unwrap();
        assert_eq!(
            (d.labels.clone(), d.rows, d.image(1).to_vec()),
            (vec![3, 9], 2, vec![5, 6, 7, 8])
        );
        let cases = [
            (write("a.npy", b"NOTNPY0000".to_vec()), "bad magic"),
            (
                write("b.npy", npy("|u1", "(2, 2, 2)", &[1, 2, 3])),
                "data bytes",
            ),
            (
                write("c.npy", npy("<f4", "(2, 2, 2)", &[0; 32])),
                "unsupported dtype",
            ),
        ];
        for (path, expected) in cases {
            let err = Dataset::from_npy(&path, &labs).unwrap_err().to_string();
            assert!(
                err.contains(expected) && err.contains(path.to_str().unwrap()),
                "{err}"
            );
        }
        let bad_label = write(
            "m.npy",
            npy(
                "<i8",
                "(2,)",
                &[3, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0],
            ),
        );
        assert!(Dataset::from_npy(&imgs, &bad_label)
            .unwrap_err()
            .to_string()
            .contains("index 1"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
