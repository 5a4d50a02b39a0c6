//! Merkle trees over the columns of a matrix, with the hash a parameter ([`ColumnHash`]):
//! [`Blake3Columns`] for standalone proofs, [`Poseidon2Columns`] for trees whose openings a
//! circuit over `F_p`, `p = 2^61 − 1`, checks (the recursion, DESIGN §5–§6).
//!
//! The tree is binary over the columns (a power of two of them), leaf `k` the hash of column `k`
//! (its entries, one per stored row), each node the hash of its two children. A [`ColumnTree`]
//! keeps the nodes from *groups* of `2^g` columns up; the prover hashes a group with one call
//! ([`ColumnHash::groups`]) and recomputes the few in-group nodes a query needs when it opens a
//! column ([`ColumnHash::subtree`]). A [`MultiPath`] authenticates several columns at once.
//!
//! **BLAKE3** ([`Blake3Columns`]): BLAKE3's own tree mode. Each column is serialized and
//! zero-padded to a *slot* of a power-of-two number of BLAKE3 chunks (1 KiB each); the slots laid
//! end to end form one input, and the tree is BLAKE3's tree over it (derive-key mode, context
//! [`CONTEXT`]): a column's leaf is the chaining value of its slot's subtree (chunk counters give
//! its position), inner nodes are BLAKE3 parent nodes, and the root is the input's BLAKE3 hash.
//! BLAKE3's flags keep chunks, parents and the root apart, so no leaf can be passed off as a
//! node. The prover hashes groups of [`SIMD_CHUNKS`] chunks with one call, which BLAKE3 runs
//! across SIMD lanes (about 5× faster than one column at a time).
//!
//! **Poseidon2** ([`Poseidon2Columns`]): a leaf is [`kaizen_field::poseidon2::hash`] of the
//! column's base-field coordinates (width-16 sponge), a node
//! [`kaizen_field::poseidon2::compress`] of its children (width 8); digests are four elements of
//! `F_p` (244 bits: 122-bit collision resistance). Leaves and nodes use different permutations,
//! and a tree's depth is fixed by its commitment.
use std::{fmt::Debug, marker::PhantomData, ops::Range, sync::OnceLock};

use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use blake3::{
    hazmat::{
        hash_derive_key_context, merge_subtrees_non_root, merge_subtrees_root, ContextKey,
        HasherExt, Mode,
    },
    Hasher, CHUNK_LEN,
};
use kaizen_field::{
    poseidon2::{compress, compress_lanes, hash, hash_lanes, LANES},
    transcript::M61Coords,
    KaizenField, M61, PAR_MIN_LEN,
};
use rayon::prelude::*;

/// A 32-byte blake3 digest.
pub type Digest = [u8; 32];

/// The derive-key context of every BLAKE3 column tree.
pub const CONTEXT: &str = "kaizen-rs 2026-12 column tree";

/// Chunks the BLAKE3 prover hashes with one call: AVX-512 runs 16 chunks at once.
pub const SIMD_CHUNKS: usize = 16;

/// Columns the prover gathers at once when building a tree.
const GATHER_COLUMNS: usize = 64;

/// What a tree's nodes are: small, comparable, serializable values.
pub trait NodeDigest:
    Copy + Eq + Debug + Default + Send + Sync + CanonicalSerialize + CanonicalDeserialize
{
}

impl<D> NodeDigest for D where
    D: Copy + Eq + Debug + Default + Send + Sync + CanonicalSerialize + CanonicalDeserialize
{
}

/// The hash of a column tree: leaves from columns of `F` entries, parents from two nodes.
pub trait ColumnHash<F: KaizenField>:
    Clone + Copy + Debug + Default + PartialEq + Send + Sync + 'static
{
    /// A node, and the root (a commitment's).
    type Digest: NodeDigest;

    /// log2 of the columns of `rows` entries worth hashing in one call ([`ColumnHash::groups`]).
    fn group_log(_rows: usize) -> usize {
        0
    }

    /// The leaf of column `index`; with `root`, the root of a one-column tree.
    fn leaf(index: usize, column: &[F], root: bool) -> Self::Digest;

    /// The parent of two nodes; with `root`, the tree's root.
    fn merge(left: &Self::Digest, right: &Self::Digest, root: bool) -> Self::Digest;

    /// The parents of the pairs of `nodes` (an even number of them, below the root), in
    /// parallel.
    fn merge_layer(nodes: &[Self::Digest]) -> Vec<Self::Digest> {
        nodes
            .par_chunks_exact(2)
            .with_min_len(PAR_MIN_LEN)
            .map(|p| Self::merge(&p[0], &p[1], false))
            .collect()
    }

    /// The leaves of `columns[k]` at `indices[k]` (below the root), in parallel.
    fn leaves(indices: &[usize], columns: &[&[F]]) -> Vec<Self::Digest> {
        indices
            .par_iter()
            .zip(columns)
            .map(|(&i, c)| Self::leaf(i, c, false))
            .collect()
    }

    /// The node over the columns `first..first + columns.len()` (a power of two of them, `first`
    /// a multiple of their number), below the root.
    fn subtree(first: usize, columns: &[Vec<F>]) -> Self::Digest {
        let mut layer: Vec<Self::Digest> = columns
            .iter()
            .enumerate()
            .map(|(k, c)| Self::leaf(first + k, c, false))
            .collect();
        while layer.len() > 1 {
            layer = Self::merge_layer(&layer);
        }
        layer[0]
    }

    /// The nodes over the groups of `2^group_log` columns of the row-major `rows × len` matrix
    /// `encoded` (`len` a power of two, at least two groups), in order.
    fn groups(encoded: &[F], rows: usize, len: usize, group_log: usize) -> Vec<Self::Digest> {
        subtree_groups::<F, Self>(encoded, rows, len, group_log)
    }
}

/// [`ColumnHash::groups`] by [`ColumnHash::subtree`] on the columns of each group, gathered in
/// blocks of at least [`GATHER_COLUMNS`].
fn subtree_groups<F: KaizenField, H: ColumnHash<F>>(
    encoded: &[F],
    rows: usize,
    len: usize,
    group_log: usize,
) -> Vec<H::Digest> {
    let group = 1 << group_log;
    let block = group.max(GATHER_COLUMNS).min(len);
    let mut out = vec![H::Digest::default(); len / group];
    out.par_chunks_mut(block / group)
        .enumerate()
        .for_each(|(b, out)| {
            let columns = gather(encoded, rows, len, b * block..(b + 1) * block);
            for (g, (node, cols)) in out.iter_mut().zip(columns.chunks(group)).enumerate() {
                *node = H::subtree(b * block + g * group, cols);
            }
        });
    out
}

/// The columns `range` of the row-major `rows × len` matrix `encoded`, each row read in one run.
fn gather<F: Copy>(encoded: &[F], rows: usize, len: usize, range: Range<usize>) -> Vec<Vec<F>> {
    let mut columns: Vec<Vec<F>> = range.clone().map(|_| Vec::with_capacity(rows)).collect();
    for r in 0..rows {
        let run = &encoded[r * len + range.start..r * len + range.end];
        columns.iter_mut().zip(run).for_each(|(c, &x)| c.push(x));
    }
    columns
}

/// BLAKE3 in its own tree mode (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Blake3Columns;

fn context_key() -> &'static ContextKey {
    static KEY: OnceLock<ContextKey> = OnceLock::new();
    KEY.get_or_init(|| hash_derive_key_context(CONTEXT))
}

/// The hasher of the subtree whose slots start at column `first`, fed `bytes` and then zeros up
/// to `len` bytes; finalized as a chaining value, or as the root when `first` is 0 and the subtree
/// is the whole input.
fn blake3_subtree(first: usize, slot: usize, bytes: &[u8], len: usize) -> Hasher {
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

/// The slot of a column of `rows` entries of `F`.
fn slot_of<F: KaizenField>(rows: usize) -> usize {
    slot_len(rows * F::ZERO.compressed_size())
}

/// Writes `columns` (serialized) into consecutive zeroed slots of `slot` bytes.
fn write_slots<F: KaizenField, C: AsRef<[F]>>(columns: &[C], slot: usize, bytes: &mut [u8]) {
    let elem = F::ZERO.compressed_size();
    for (c, s) in columns.iter().zip(bytes.chunks_mut(slot)) {
        for (x, out) in c.as_ref().iter().zip(s.chunks_exact_mut(elem)) {
            x.write_compressed(out);
        }
    }
}

impl<F: KaizenField> ColumnHash<F> for Blake3Columns {
    type Digest = Digest;

    fn group_log(rows: usize) -> usize {
        (SIMD_CHUNKS * CHUNK_LEN / slot_of::<F>(rows))
            .max(1)
            .trailing_zeros() as usize
    }

    fn leaf(index: usize, column: &[F], root: bool) -> Digest {
        Self::subtree_or_root(index, &[column], root)
    }

    fn merge(left: &Digest, right: &Digest, root: bool) -> Digest {
        let mode = Mode::DeriveKeyMaterial(context_key());
        match root {
            true => *merge_subtrees_root(left, right, mode).as_bytes(),
            false => merge_subtrees_non_root(left, right, mode),
        }
    }

    fn subtree(first: usize, columns: &[Vec<F>]) -> Digest {
        Self::subtree_or_root(first, columns, false)
    }

    fn groups(encoded: &[F], rows: usize, len: usize, group_log: usize) -> Vec<Digest> {
        // Columns are gathered in blocks of at least `GATHER_COLUMNS`, so every row is read in
        // runs of that many entries, and each block's groups are hashed from its slots.
        let elem = F::ZERO.compressed_size();
        let slot = slot_of::<F>(rows);
        let group = 1 << group_log;
        let block = group.max(GATHER_COLUMNS).min(len);
        let mut out = vec![Digest::default(); len / group];
        out.par_chunks_mut(block / group).enumerate().for_each_init(
            || vec![0u8; block * slot],
            |bytes, (b, out)| {
                bytes.iter_mut().for_each(|x| *x = 0);
                for r in 0..rows {
                    let run = &encoded[r * len + b * block..r * len + (b + 1) * block];
                    for (c, x) in run.iter().enumerate() {
                        let at = c * slot + r * elem;
                        x.write_compressed(&mut bytes[at..at + elem]);
                    }
                }
                for (g, (cv, chunk)) in out.iter_mut().zip(bytes.chunks(group * slot)).enumerate() {
                    let first = b * block + g * group;
                    *cv = blake3_subtree(first, slot, chunk, chunk.len()).finalize_non_root();
                }
            },
        );
        out
    }
}

impl Blake3Columns {
    /// BLAKE3 over the slots of `columns` from column `first` on, as a chaining value or (`root`)
    /// as the root.
    fn subtree_or_root<F: KaizenField, C: AsRef<[F]>>(
        first: usize,
        columns: &[C],
        root: bool,
    ) -> Digest {
        let rows = columns.first().map_or(0, |c| c.as_ref().len());
        let slot = slot_of::<F>(rows);
        let mut bytes = vec![0u8; columns.len() * slot];
        write_slots(columns, slot, &mut bytes);
        let h = blake3_subtree(first, slot, &bytes, bytes.len());
        match root {
            true => *h.finalize().as_bytes(),
            false => h.finalize_non_root(),
        }
    }
}

/// Poseidon2 over `F_p` (module docs): for fields whose elements are vectors over `F_p`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Poseidon2Columns;

/// A column's base-field coordinates, entry by entry: what a Poseidon2 leaf hashes.
fn coords<F: M61Coords>(column: &[F]) -> Vec<M61> {
    let mut out = Vec::with_capacity(column.len() * F::DEGREE);
    column.iter().for_each(|x| x.push_coords(&mut out));
    out
}

impl<F: M61Coords> ColumnHash<F> for Poseidon2Columns {
    type Digest = [M61; 4];

    fn leaf(_index: usize, column: &[F], _root: bool) -> [M61; 4] {
        hash(&coords(column))
    }

    fn merge(left: &[M61; 4], right: &[M61; 4], _root: bool) -> [M61; 4] {
        compress(left, right)
    }

    /// Eight pairs at a time in vector lanes ([`compress_lanes`]).
    fn merge_layer(nodes: &[[M61; 4]]) -> Vec<[M61; 4]> {
        nodes
            .par_chunks(2 * LANES)
            .with_min_len(PAR_MIN_LEN / LANES)
            .flat_map_iter(|chunk| {
                let (left, right): (Vec<[M61; 4]>, Vec<[M61; 4]>) =
                    chunk.chunks_exact(2).map(|p| (p[0], p[1])).unzip();
                match (
                    <[[M61; 4]; LANES]>::try_from(&left[..]),
                    <[[M61; 4]; LANES]>::try_from(&right[..]),
                ) {
                    (Ok(l), Ok(r)) => compress_lanes(&l, &r).to_vec(),
                    _ => left
                        .iter()
                        .zip(&right)
                        .map(|(l, r)| compress(l, r))
                        .collect(),
                }
            })
            .collect()
    }

    /// Eight columns at a time in vector lanes ([`hash_lanes`]).
    fn leaves(_indices: &[usize], columns: &[&[F]]) -> Vec<[M61; 4]> {
        columns
            .par_chunks(LANES)
            .flat_map_iter(|chunk| {
                let coords: Vec<Vec<M61>> = chunk.iter().map(|c| coords(c)).collect();
                match <&[Vec<M61>; LANES]>::try_from(&coords[..]) {
                    Ok(full) => hash_lanes(&full.each_ref().map(|c| &c[..])).to_vec(),
                    Err(_) => coords.iter().map(|c| hash(c)).collect(),
                }
            })
            .collect()
    }

    fn groups(encoded: &[F], rows: usize, len: usize, group_log: usize) -> Vec<[M61; 4]> {
        if group_log > 0 {
            return subtree_groups::<F, Self>(encoded, rows, len, group_log);
        }
        let block = GATHER_COLUMNS.min(len);
        (0..len / block)
            .into_par_iter()
            .flat_map_iter(|b| {
                let columns = gather(encoded, rows, len, b * block..(b + 1) * block);
                let slices: Vec<&[F]> = columns.iter().map(Vec::as_slice).collect();
                <Self as ColumnHash<F>>::leaves(&[], &slices)
            })
            .collect()
    }
}

/// The tree over a matrix's columns: the layers from the groups of columns hashed together up to
/// the root's two children (leaves and in-group nodes are recomputed at opening).
#[derive(Clone, Debug)]
pub struct ColumnTree<F, H: ColumnHash<F>>
where
    F: KaizenField,
{
    columns: usize,
    /// log2 of the columns per group.
    group_log: usize,
    /// Group nodes first (at least two groups); the last layer has two nodes. Empty for a
    /// one-column tree.
    layers: Vec<Vec<H::Digest>>,
    root: H::Digest,
    _field: PhantomData<F>,
}

impl<F: KaizenField, H: ColumnHash<F>> ColumnTree<F, H> {
    /// Builds the tree over the `len` columns (a power of two) of the row-major `rows × len`
    /// matrix `encoded`.
    pub fn new(encoded: &[F], rows: usize, len: usize) -> Self {
        debug_assert!(len.is_power_of_two() && encoded.len() >= rows * len);
        // At least two groups, so the root is a merge of stored nodes.
        let group_log = H::group_log(rows).min(len.trailing_zeros().saturating_sub(1) as usize);
        if len == 1 {
            let column: Vec<F> = (0..rows).map(|r| encoded[r]).collect();
            return Self {
                columns: len,
                group_log,
                layers: Vec::new(),
                root: H::leaf(0, &column, true),
                _field: PhantomData,
            };
        }
        let mut layers = vec![H::groups(encoded, rows, len, group_log)];
        while let Some(last) = layers.last().filter(|l| l.len() > 2) {
            layers.push(H::merge_layer(last));
        }
        let top = &layers[layers.len() - 1];
        let root = H::merge(&top[0], &top[1], true);
        Self {
            columns: len,
            group_log,
            layers,
            root,
            _field: PhantomData,
        }
    }

    /// The root.
    pub fn root(&self) -> H::Digest {
        self.root
    }

    /// Number of levels above the leaves.
    pub fn depth(&self) -> usize {
        self.columns.trailing_zeros() as usize
    }

    /// The columns of the group holding column `index`: what [`ColumnTree::open_many`] reads.
    pub fn group_of(&self, index: usize) -> Range<usize> {
        let first = index >> self.group_log << self.group_log;
        first..first + (1 << self.group_log)
    }

    /// The multi-path of the columns at `indices` (increasing, distinct, in range); `column(k)`
    /// is column `k` for every `k` in the groups ([`ColumnTree::group_of`]) of `indices`.
    pub fn open_many(
        &self,
        indices: &[usize],
        column: impl Fn(usize) -> Vec<F> + Sync,
    ) -> MultiPath<H::Digest> {
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
                let digests: Vec<H::Digest> = needed
                    .par_iter()
                    .map(|&s| {
                        let first = s << level;
                        let columns: Vec<Vec<F>> =
                            (first..first + (1 << level)).map(&column).collect();
                        H::subtree(first, &columns)
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

/// The authentication of several columns of one tree at once: the sibling digests that the
/// opened columns do not determine, level by level from the leaves (within a level, in increasing
/// position). Shared upper nodes are sent once: 148 queries into a tree of depth 20 need about
/// `148·(20 − 7)` digests instead of `148·20`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct MultiPath<D: NodeDigest = Digest> {
    /// The digests, in the order [`MultiPath::verify`] consumes them.
    pub siblings: Vec<D>,
}

impl<D: NodeDigest> MultiPath<D> {
    /// Whether `columns[k]` (all of one length) sits at `indices[k]` under `root` in an `H` tree
    /// over `2^depth` columns, for every `k`; `indices` must be increasing.
    pub fn verify<F: KaizenField, H: ColumnHash<F, Digest = D>>(
        &self,
        root: &D,
        indices: &[usize],
        columns: &[&[F]],
        depth: usize,
    ) -> bool {
        let Some(len) = columns.first().map(|c| c.len()) else {
            return false;
        };
        if indices.len() != columns.len()
            || columns.iter().any(|c| c.len() != len)
            || indices.windows(2).any(|w| w[0] >= w[1])
            || indices.last().is_some_and(|&i| i >> depth != 0)
        {
            return false;
        }
        if depth == 0 {
            return self.siblings.is_empty() && H::leaf(0, columns[0], true) == *root;
        }
        let mut known: Vec<(usize, D)> = indices
            .iter()
            .copied()
            .zip(H::leaves(indices, columns))
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
                next.push((p >> 1, H::merge(&left, &right, top)));
            }
            known = next;
        }
        siblings.next().is_none() && known.len() == 1 && known[0].1 == *root
    }
}

kaizen_field::impl_bounded_deserialize!(impl[D: NodeDigest] MultiPath<D> { siblings: vec });

#[cfg(test)]
mod tests {
    use kaizen_field::{poseidon2, M61Ext2};

    use super::*;

    type F = M61Ext2;

    /// Column `k` of `rows` entries: `1000·k + i`.
    fn column(k: usize, rows: usize) -> Vec<F> {
        (0..rows).map(|i| F::from((1000 * k + i) as u64)).collect()
    }

    /// The row-major matrix whose columns are [`column`]s.
    fn matrix(columns: usize, rows: usize) -> Vec<F> {
        (0..rows)
            .flat_map(|i| (0..columns).map(move |k| F::from((1000 * k + i) as u64)))
            .collect()
    }

    fn tree<H: ColumnHash<F>>(columns: usize, rows: usize) -> ColumnTree<F, H> {
        ColumnTree::new(&matrix(columns, rows), rows, columns)
    }

    /// The root computed leaf by leaf and node by node.
    fn naive_root<H: ColumnHash<F>>(columns: usize, rows: usize) -> H::Digest {
        if columns == 1 {
            return H::leaf(0, &column(0, rows), true);
        }
        let mut layer: Vec<H::Digest> = (0..columns)
            .map(|k| H::leaf(k, &column(k, rows), false))
            .collect();
        while layer.len() > 1 {
            let top = layer.len() == 2;
            layer = layer
                .chunks(2)
                .map(|p| H::merge(&p[0], &p[1], top))
                .collect();
        }
        layer[0]
    }

    const SHAPES: [(usize, usize); 6] = [(1, 6), (2, 64), (8, 33), (64, 64), (256, 27), (32, 187)];

    /// The BLAKE3 root is BLAKE3 (derive-key mode) of the padded slots end to end, for one-chunk
    /// and multi-chunk slots, one group and many, and a single column; so is the root built leaf
    /// by leaf.
    #[test]
    fn root_is_blake3_of_the_padded_columns() {
        for (columns, rows) in SHAPES {
            let slot = slot_of::<F>(rows);
            let mut input = vec![0u8; columns * slot];
            let cols: Vec<Vec<F>> = (0..columns).map(|k| column(k, rows)).collect();
            write_slots(&cols, slot, &mut input);
            let expected = blake3::derive_key(CONTEXT, &input);
            let root = tree::<Blake3Columns>(columns, rows).root();
            assert_eq!(root, expected, "{columns} × {rows}");
            assert_eq!(naive_root::<Blake3Columns>(columns, rows), expected);
        }
    }

    /// The Poseidon2 root is the tree of `hash` leaves and `compress` nodes.
    #[test]
    fn poseidon2_root_is_the_tree_of_its_leaves() {
        for (columns, rows) in SHAPES {
            let root = tree::<Poseidon2Columns>(columns, rows).root();
            assert_eq!(root, naive_root::<Poseidon2Columns>(columns, rows));
        }
        let leaf = <Poseidon2Columns as ColumnHash<F>>::leaf(5, &column(5, 3), false);
        let coords: Vec<M61> = column(5, 3).iter().flat_map(|x| [x.c0, x.c1]).collect();
        assert_eq!(leaf, poseidon2::hash(&coords));
        let t = tree::<Poseidon2Columns>(2, 3);
        let leaves = [0, 1].map(|k| {
            poseidon2::hash(
                &column(k, 3)
                    .iter()
                    .flat_map(|x| [x.c0, x.c1])
                    .collect::<Vec<_>>(),
            )
        });
        assert_eq!(t.root(), poseidon2::compress(&leaves[0], &leaves[1]));
    }

    /// A multi-path verifies the columns it opened (sets with shared and separate ancestors, a
    /// whole tree, one column), is no longer than their separate paths, and fails for a tampered
    /// digest or column, short columns, a missing or extra digest, other, unsorted or
    /// out-of-range positions, another depth.
    fn multi_paths<H: ColumnHash<F>>(tamper: impl Fn(&mut H::Digest)) {
        for (columns, rows) in [(1, 6), (2, 3), (64, 33), (128, 128), (1024, 16)] {
            let t = tree::<H>(columns, rows);
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
                let cols: Vec<Vec<F>> = set.iter().map(|&k| column(k, rows)).collect();
                let slices: Vec<&[F]> = cols.iter().map(Vec::as_slice).collect();
                let path = t.open_many(&set, |k| column(k, rows));
                let verify = |path: &MultiPath<H::Digest>, set: &[usize], cols: &[&[F]], depth| {
                    path.verify::<F, H>(&root, set, cols, depth)
                };
                assert!(verify(&path, &set, &slices, depth), "{columns}: {set:?}");
                assert!(path.siblings.len() <= set.len() * depth);
                if set.len() == columns {
                    assert!(path.siblings.is_empty());
                }
                if columns == 1 {
                    continue;
                }
                let mut bad_col = cols[0].clone();
                bad_col[0] += F::from(1u64);
                let mut bad_cols = slices.clone();
                bad_cols[0] = &bad_col;
                assert!(!verify(&path, &set, &bad_cols, depth), "tampered column");
                let short: Vec<&[F]> = slices.iter().map(|c| &c[..rows - 1]).collect();
                assert!(!verify(&path, &set, &short, depth), "short columns");
                let mut ragged = slices.clone();
                ragged[0] = &cols[0][..rows - 1];
                assert!(!verify(&path, &set, &ragged, depth), "a short column");
                assert!(!verify(&path, &set, &slices, depth - 1), "wrong depth");
                if let Some(last) = path.siblings.len().checked_sub(1) {
                    let mut bad = path.clone();
                    tamper(&mut bad.siblings[last]);
                    assert!(!verify(&bad, &set, &slices, depth), "tampered digest");
                    let mut bad = path.clone();
                    bad.siblings.pop();
                    assert!(!verify(&bad, &set, &slices, depth), "missing digest");
                }
                let mut bad = path.clone();
                bad.siblings.push(H::Digest::default());
                assert!(!verify(&bad, &set, &slices, depth), "extra digest");
                if set.len() >= 2 {
                    let mut swapped = set.clone();
                    swapped.swap(0, 1);
                    assert!(!verify(&path, &swapped, &slices, depth), "unsorted");
                }
                if set[0] > 0 {
                    let mut moved = set.clone();
                    moved[0] -= 1;
                    assert!(!verify(&path, &moved, &slices, depth), "other position");
                }
            }
        }
        let t = tree::<H>(64, 33);
        let col = column(3, 33);
        let path = t.open_many(&[3], |k| column(k, 33));
        assert!(path.siblings.len() == t.depth());
        assert!(
            !path.verify::<F, H>(&t.root(), &[3], &[], t.depth()),
            "no columns"
        );
        assert!(
            !path.verify::<F, H>(&t.root(), &[64], &[&col], t.depth()),
            "out of range"
        );
    }

    #[test]
    fn blake3_multi_paths_verify_and_tampering_fails() {
        multi_paths::<Blake3Columns>(|d| d[3] ^= 1);
    }

    #[test]
    fn poseidon2_multi_paths_verify_and_tampering_fails() {
        multi_paths::<Poseidon2Columns>(|d| d[3] += M61::from(1u64));
    }
}
