//! Binary Merkle trees over blake3. Leaves and inner nodes are hashed in blake3's derive-key mode
//! under two different contexts, so no leaf can be passed off as a node (and leaf data stays
//! aligned for blake3's SIMD path).
//!
//! Kaizen-rs hashes standalone proofs with blake3; the Poseidon2 variant for in-circuit checking
//! (DESIGN §5–§6) comes with the recursion milestone.
use ark_serialize::CanonicalSerialize;
use kaizen_field::PAR_MIN_LEN;
use rayon::prelude::*;

/// A 32-byte blake3 digest.
pub type Digest = [u8; 32];

const LEAF_CONTEXT: &str = "kaizen-rs 2026-11 merkle leaf";
const NODE_CONTEXT: &str = "kaizen-rs 2026-11 merkle node";

/// Hashes one leaf's bytes.
pub fn hash_leaf(bytes: &[u8]) -> Digest {
    *blake3::Hasher::new_derive_key(LEAF_CONTEXT)
        .update(bytes)
        .finalize()
        .as_bytes()
}

/// Hashes two children.
pub fn hash_node(left: &Digest, right: &Digest) -> Digest {
    let mut h = blake3::Hasher::new_derive_key(NODE_CONTEXT);
    h.update(left);
    h.update(right);
    *h.finalize().as_bytes()
}

/// A Merkle tree, all layers kept (leaves first).
#[derive(Clone, Debug)]
pub struct MerkleTree {
    layers: Vec<Vec<Digest>>,
}

/// The sibling digests from a leaf up to the root.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize)]
pub struct MerklePath {
    /// Siblings, leaf level first.
    pub siblings: Vec<Digest>,
}

impl MerkleTree {
    /// Builds the tree over `leaves` (a power-of-two count, at least one).
    pub fn new(leaves: Vec<Digest>) -> Self {
        debug_assert!(leaves.len().is_power_of_two());
        let mut layers = vec![leaves];
        while let Some(last) = layers.last().filter(|l| l.len() > 1) {
            let next = last
                .par_chunks_exact(2)
                .with_min_len(PAR_MIN_LEN)
                .map(|p| hash_node(&p[0], &p[1]))
                .collect();
            layers.push(next);
        }
        Self { layers }
    }

    /// The root.
    pub fn root(&self) -> Digest {
        self.layers
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or_default()
    }

    /// Number of levels above the leaves.
    pub fn depth(&self) -> usize {
        self.layers.len() - 1
    }

    /// The authentication path of leaf `index` (must be in range).
    pub fn open(&self, index: usize) -> MerklePath {
        let siblings = self.layers[..self.depth()]
            .iter()
            .enumerate()
            .map(|(level, layer)| layer[(index >> level) ^ 1])
            .collect();
        MerklePath { siblings }
    }
}

impl MerklePath {
    /// Whether `leaf` sits at `index` under `root` in a tree of `depth` levels.
    pub fn verify(&self, root: &Digest, index: usize, leaf: Digest, depth: usize) -> bool {
        if self.siblings.len() != depth || index >> depth != 0 {
            return false;
        }
        let top = self
            .siblings
            .iter()
            .enumerate()
            .fold(leaf, |node, (level, sib)| {
                if (index >> level) & 1 == 0 {
                    hash_node(&node, sib)
                } else {
                    hash_node(sib, &node)
                }
            });
        &top == root
    }
}

kaizen_field::impl_bounded_deserialize!(impl[] MerklePath { siblings: vec });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_verify_and_tampering_fails() {
        let leaves: Vec<Digest> = (0u8..16).map(|i| hash_leaf(&[i])).collect();
        let tree = MerkleTree::new(leaves.clone());
        let root = tree.root();
        for (i, &leaf) in leaves.iter().enumerate() {
            let path = tree.open(i);
            assert!(path.verify(&root, i, leaf, 4));
            assert!(!path.verify(&root, i ^ 1, leaf, 4), "wrong index");
            assert!(!path.verify(&root, i, hash_leaf(&[99]), 4), "wrong leaf");
            assert!(!path.verify(&root, i, leaf, 3), "wrong depth");
            let mut bad = path.clone();
            bad.siblings[2][0] ^= 1;
            assert!(!bad.verify(&root, i, leaf, 4), "tampered sibling");
        }
        assert!(
            !tree.open(0).verify(&root, 16, leaves[0], 4),
            "index out of range"
        );
        // A node is not a leaf.
        assert_ne!(
            hash_leaf(&[leaves[0], leaves[1]].concat()),
            hash_node(&leaves[0], &leaves[1])
        );
        let single = MerkleTree::new(vec![leaves[3]]);
        assert_eq!(single.root(), leaves[3]);
        assert!(single.open(0).verify(&leaves[3], 0, leaves[3], 0));
    }
}
