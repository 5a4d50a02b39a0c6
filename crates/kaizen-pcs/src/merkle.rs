//! Merkle trees over the columns of a matrix, in BLAKE3's own tree mode.
//!
//! Each column is serialized and zero-padded to a *slot* of a power-of-two number of BLAKE3
//! chunks (1 KiB each); the slots laid end to end form one input, and the tree is BLAKE3's tree
//! over it (derive-key mode, context [`CONTEXT`]): a column's leaf is the chaining value of its
//! slot's subtree (chunk counters give its position), inner nodes are BLAKE3 parent nodes, and
//! the root is the input's BLAKE3 hash. BLAKE3's flags keep chunks, parents and the root apart,
//! so no leaf can be passed off as a node. What this buys: the prover hashes groups of
//! [`SIMD_CHUNKS`] chunks with one call, which BLAKE3 runs across SIMD lanes (about 5× faster
//! than one column at a time), keeps the tree from the groups up, and recomputes the few
//! in-group siblings a query needs when it opens a column.
//!
//! Kaizen-rs hashes standalone proofs with blake3; the Poseidon2 variant for in-circuit checking
//! (DESIGN §5–§6) comes with the recursion milestone.
use std::sync::OnceLock;

use ark_serialize::CanonicalSerialize;
use blake3::{
    hazmat::{
        hash_derive_key_context, merge_subtrees_non_root, merge_subtrees_root, ContextKey,
        HasherExt, Mode,
    },
    Hasher, CHUNK_LEN,
};
use kaizen_field::PAR_MIN_LEN;
use rayon::prelude::*;

/// A 32-byte blake3 digest.
pub type Digest = [u8; 32];

/// The derive-key context of every column tree.
pub const CONTEXT: &str = "kaizen-rs 2026-12 column tree";

/// Chunks the prover hashes with one call: AVX-512 runs 16 chunks at once.
pub const SIMD_CHUNKS: usize = 16;

/// Columns the prover gathers at once when building a tree.
const GATHER_COLUMNS: usize = 64;

fn context_key() -> &'static ContextKey {
    static KEY: OnceLock<ContextKey> = OnceLock::new();
    KEY.get_or_init(|| hash_derive_key_context(CONTEXT))
}

fn merge(left: &Digest, right: &Digest) -> Digest {
    merge_subtrees_non_root(left, right, Mode::DeriveKeyMaterial(context_key()))
}

fn merge_root(left: &Digest, right: &Digest) -> Digest {
    *merge_subtrees_root(left, right, Mode::DeriveKeyMaterial(context_key())).as_bytes()
}

/// The hasher of the subtree whose slots start at column `first`, fed `bytes` and then zeros up
/// to `len` bytes; finalized as a chaining value, or as the root when `first` is 0 and the subtree
/// is the whole input.
fn subtree(first: usize, slot: usize, bytes: &[u8], len: usize) -> Hasher {
    const ZEROS: [u8; CHUNK_LEN] = [0; CHUNK_LEN];
    let mut h = Hasher::new_from_context_key(context_key());
    h.set_input_offset((first * slot) as u64);
    h.update(bytes);
    let mut pad = len - bytes.len();
    while pad > 0 {
        let k = pad.min(CHUNK_LEN);
        h.update(&ZEROS[..k]);
        pad -= k;
    }
    h
}

/// The slot of a column of `bytes` bytes: the least power-of-two number of chunks holding it,
/// in bytes.
pub fn slot_len(bytes: usize) -> usize {
    bytes.div_ceil(CHUNK_LEN).max(1).next_power_of_two() * CHUNK_LEN
}

/// The tree over a matrix's columns: the layers from the groups of columns hashed together up to
/// the root's two children (leaves and in-group nodes are recomputed at opening).
#[derive(Clone, Debug)]
pub struct ColumnTree {
    columns: usize,
    column_bytes: usize,
    /// log2 of the columns per group.
    group_log: usize,
    /// Group chaining values first (at least two groups); the last layer has two nodes. Empty
    /// for a one-column tree.
    layers: Vec<Vec<Digest>>,
    root: Digest,
}

impl ColumnTree {
    /// Builds the tree over `columns` (a power of two) columns of `column_bytes` bytes each;
    /// `fill(first, slots)` writes the columns `first..` into consecutive slots of
    /// [`slot_len`]`(column_bytes)` bytes (zeroed on entry; each column at its slot's start).
    pub fn new(
        columns: usize,
        column_bytes: usize,
        fill: impl Fn(usize, &mut [u8]) + Sync,
    ) -> Self {
        debug_assert!(columns.is_power_of_two());
        let slot = slot_len(column_bytes);
        let per_group = (SIMD_CHUNKS * CHUNK_LEN / slot).max(1);
        // At least two groups, so the root is a merge of stored nodes.
        let group = per_group.min(columns / 2).max(1);
        let group_log = group.trailing_zeros() as usize;
        if columns == 1 {
            let mut bytes = vec![0u8; slot];
            fill(0, &mut bytes);
            return Self {
                columns,
                column_bytes,
                group_log,
                layers: Vec::new(),
                root: *subtree(0, slot, &bytes, slot).finalize().as_bytes(),
            };
        }
        // Columns are gathered in blocks of at least `GATHER_COLUMNS`, so `fill` reads every row
        // in runs of that many entries, and each block's groups are hashed from its buffer.
        let block = group.max(GATHER_COLUMNS).min(columns);
        let mut groups = vec![Digest::default(); columns / group];
        groups
            .par_chunks_mut(block / group)
            .enumerate()
            .for_each_init(
                || vec![0u8; block * slot],
                |bytes, (b, out)| {
                    bytes.iter_mut().for_each(|x| *x = 0);
                    fill(b * block, bytes);
                    for (g, (cv, chunk)) in
                        out.iter_mut().zip(bytes.chunks(group * slot)).enumerate()
                    {
                        let first = b * block + g * group;
                        *cv = subtree(first, slot, chunk, chunk.len()).finalize_non_root();
                    }
                },
            );
        let mut layers = vec![groups];
        while let Some(last) = layers.last().filter(|l| l.len() > 2) {
            let next = last
                .par_chunks_exact(2)
                .with_min_len(PAR_MIN_LEN)
                .map(|p| merge(&p[0], &p[1]))
                .collect();
            layers.push(next);
        }
        let top = &layers[layers.len() - 1];
        let root = merge_root(&top[0], &top[1]);
        Self {
            columns,
            column_bytes,
            group_log,
            layers,
            root,
        }
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.root
    }

    /// Number of levels above the leaves.
    pub fn depth(&self) -> usize {
        self.columns.trailing_zeros() as usize
    }

    /// The columns of the group holding column `index`: what [`ColumnTree::open_many`] reads.
    pub fn group_of(&self, index: usize) -> std::ops::Range<usize> {
        let first = index >> self.group_log << self.group_log;
        first..first + (1 << self.group_log)
    }
}

/// The authentication of several columns of one tree at once: the sibling digests that the
/// opened columns do not determine, level by level from the leaves (within a level, in increasing
/// position). Shared upper nodes are sent once: 148 queries into a tree of depth 20 need about
/// `148·(20 − 7)` digests instead of `148·20`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct MultiPath {
    /// The digests, in the order [`MultiPath::verify`] consumes them.
    pub siblings: Vec<Digest>,
}

impl ColumnTree {
    /// The multi-path of the columns at `indices` (increasing, distinct, in range); `column(k)`
    /// serializes column `k` for every `k` in the groups ([`ColumnTree::group_of`]) of `indices`.
    pub fn open_many(
        &self,
        indices: &[usize],
        column: impl Fn(usize) -> Vec<u8> + Sync,
    ) -> MultiPath {
        let slot = slot_len(self.column_bytes);
        let mut siblings = Vec::new();
        let mut known = indices.to_vec();
        for level in 0..self.depth() {
            let mut next = Vec::with_capacity(known.len());
            let mut needed = Vec::new();
            let mut i = 0;
            while i < known.len() {
                let p = known[i];
                if p & 1 == 0 && known.get(i + 1) == Some(&(p + 1)) {
                    i += 2;
                } else {
                    needed.push(p ^ 1);
                    i += 1;
                }
                next.push(p >> 1);
            }
            if level < self.group_log {
                // In-group siblings: subtrees of `2^level` columns, recomputed in parallel.
                let digests: Vec<Digest> = needed
                    .par_iter()
                    .map(|&s| {
                        let first = s << level;
                        let mut bytes = Vec::with_capacity(slot << level);
                        for k in first..first + (1 << level) {
                            let c = column(k);
                            bytes.extend_from_slice(&c);
                            bytes.resize(bytes.len() + slot - c.len(), 0);
                        }
                        subtree(first, slot, &bytes, bytes.len()).finalize_non_root()
                    })
                    .collect();
                siblings.extend(digests);
            } else {
                let layer = &self.layers[level - self.group_log];
                siblings.extend(needed.iter().map(|&s| layer[s]));
            }
            known = next;
        }
        MultiPath { siblings }
    }
}

impl MultiPath {
    /// Whether `columns[k]` (serialized, unpadded, all of one length) sits at `indices[k]` under
    /// `root` in a tree over `2^depth` columns, for every `k`; `indices` must be increasing.
    pub fn verify(
        &self,
        root: &Digest,
        indices: &[usize],
        columns: &[Vec<u8>],
        depth: usize,
    ) -> bool {
        let Some(len) = columns.first().map(Vec::len) else {
            return false;
        };
        if indices.len() != columns.len()
            || columns.iter().any(|c| c.len() != len)
            || indices.windows(2).any(|w| w[0] >= w[1])
            || indices.last().is_some_and(|&i| i >> depth != 0)
        {
            return false;
        }
        let slot = slot_len(len);
        if depth == 0 {
            return self.siblings.is_empty()
                && subtree(0, slot, &columns[0], slot).finalize().as_bytes() == root;
        }
        let mut known: Vec<(usize, Digest)> = indices
            .par_iter()
            .zip(columns)
            .map(|(&i, c)| (i, subtree(i, slot, c, slot).finalize_non_root()))
            .collect();
        let mut siblings = self.siblings.iter();
        for level in 0..depth {
            let top = level + 1 == depth;
            let mut next = Vec::with_capacity(known.len());
            let mut i = 0;
            while i < known.len() {
                let (p, node) = known[i];
                let (left, right) = match known.get(i + 1) {
                    Some(&(q, other)) if p & 1 == 0 && q == p + 1 => {
                        i += 2;
                        (node, other)
                    }
                    _ => {
                        let Some(&sibling) = siblings.next() else {
                            return false;
                        };
                        i += 1;
                        if p & 1 == 0 {
                            (node, sibling)
                        } else {
                            (sibling, node)
                        }
                    }
                };
                let parent = if top {
                    merge_root(&left, &right)
                } else {
                    merge(&left, &right)
                };
                next.push((p >> 1, parent));
            }
            known = next;
        }
        siblings.next().is_none() && known.len() == 1 && &known[0].1 == root
    }
}

kaizen_field::impl_bounded_deserialize!(impl[] MultiPath { siblings: vec });

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns of `bytes` bytes each: column `k` is `k, k + 1, …` (mod 251).
    fn column(k: usize, bytes: usize) -> Vec<u8> {
        (0..bytes).map(|i| ((k + i) % 251) as u8).collect()
    }

    fn tree(columns: usize, bytes: usize) -> ColumnTree {
        ColumnTree::new(columns, bytes, |first, slots| {
            let slot = slot_len(bytes);
            for (k, s) in (first..).zip(slots.chunks_mut(slot)) {
                s[..bytes].copy_from_slice(&column(k, bytes));
            }
        })
    }

    /// The root is BLAKE3 (derive-key mode) of the padded slots end to end, for one-chunk and
    /// multi-chunk slots, one group and many, and a single column.
    #[test]
    fn root_is_blake3_of_the_padded_columns() {
        for (columns, bytes) in [
            (1, 100),
            (2, 1024),
            (8, 528),
            (64, 1024),
            (256, 432),
            (32, 3000),
        ] {
            let slot = slot_len(bytes);
            let mut input = vec![0u8; columns * slot];
            for (k, s) in input.chunks_mut(slot).enumerate() {
                s[..bytes].copy_from_slice(&column(k, bytes));
            }
            let expected = blake3::derive_key(CONTEXT, &input);
            assert_eq!(tree(columns, bytes).root(), expected, "{columns} × {bytes}");
        }
    }

    /// A multi-path verifies the columns it opened (sets with shared and separate ancestors, a
    /// whole tree, one column), is no longer than their separate paths, and fails for a tampered
    /// digest or column, short columns, a missing or extra digest, other, unsorted or
    /// out-of-range positions, another depth.
    #[test]
    fn multi_paths_verify_and_tampering_fails() {
        for (columns, bytes) in [(1, 100), (2, 48), (64, 528), (128, 2048), (1024, 256)] {
            let t = tree(columns, bytes);
            let (root, depth) = (t.root(), t.depth());
            let sets: Vec<Vec<usize>> = vec![
                vec![0],
                vec![columns - 1],
                (0..columns).step_by(3.min(columns)).collect(),
                (0..columns).collect(),
                vec![0, columns / 2, columns / 2 + 1, columns - 1],
            ];
            for set in sets {
                let mut set = set;
                set.retain(|&k| k < columns);
                set.sort_unstable();
                set.dedup();
                let cols: Vec<Vec<u8>> = set.iter().map(|&k| column(k, bytes)).collect();
                let path = t.open_many(&set, |k| column(k, bytes));
                assert!(path.verify(&root, &set, &cols, depth), "{columns}: {set:?}");
                assert!(path.siblings.len() <= set.len() * depth);
                if set.len() == columns {
                    assert!(path.siblings.is_empty());
                }
                if columns == 1 {
                    continue;
                }
                let mut bad_cols = cols.clone();
                bad_cols[0][0] ^= 1;
                assert!(
                    !path.verify(&root, &set, &bad_cols, depth),
                    "tampered column"
                );
                let short: Vec<Vec<u8>> = cols.iter().map(|c| c[..bytes - 1].to_vec()).collect();
                assert!(!path.verify(&root, &set, &short, depth), "short columns");
                let mut ragged = cols.clone();
                ragged[0].pop();
                assert!(!path.verify(&root, &set, &ragged, depth), "a short column");
                assert!(!path.verify(&root, &set, &cols, depth - 1), "wrong depth");
                if let Some(last) = path.siblings.len().checked_sub(1) {
                    let mut bad = path.clone();
                    bad.siblings[last][3] ^= 1;
                    assert!(!bad.verify(&root, &set, &cols, depth), "tampered digest");
                    let mut bad = path.clone();
                    bad.siblings.pop();
                    assert!(!bad.verify(&root, &set, &cols, depth), "missing digest");
                }
                let mut bad = path.clone();
                bad.siblings.push([0; 32]);
                assert!(!bad.verify(&root, &set, &cols, depth), "extra digest");
                if set.len() >= 2 {
                    let mut swapped = set.clone();
                    swapped.swap(0, 1);
                    assert!(!path.verify(&root, &swapped, &cols, depth), "unsorted");
                }
                if set[0] > 0 {
                    let mut moved = set.clone();
                    moved[0] -= 1;
                    assert!(!path.verify(&root, &moved, &cols, depth), "other position");
                }
            }
        }
        let t = tree(64, 528);
        let cols = vec![column(3, 528)];
        let path = t.open_many(&[3], |k| column(k, 528));
        assert!(path.siblings.len() == t.depth());
        assert!(!path.verify(&t.root(), &[3], &[], t.depth()), "no columns");
        assert!(
            !path.verify(&t.root(), &[64], &cols, t.depth()),
            "out of range"
        );
    }
}
