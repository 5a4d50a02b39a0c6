//! Power-of-two blocks packed into one hypercube.
//!
//! Several vectors of `2^{l_i}` entries are placed in one vector of `2^n` entries, largest first, so
//! each block starts at a multiple of its own size. Block `i` is then the sub-cube whose high
//! `n − l_i` variables equal the bits of `offset_i / 2^{l_i}`: a claim `P_i(r) = v` is the claim
//! `P(r, bits) = v` on the whole vector, and the block's indicator MLE is `eq(x_high, bits)`. Used for
//! segmented commitments (many tensors, one commitment).
use rayon::prelude::*;

use crate::{mle::index_bits, KaizenField, PAR_MIN_LEN};

/// One block: where it starts and its log-length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// First index in the whole vector (a multiple of `2^log_len`).
    pub offset: usize,
    /// log2 of the block's length.
    pub log_len: usize,
}

/// The placement of blocks (in caller order) in a vector of `2^num_vars` entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockLayout {
    num_vars: usize,
    blocks: Vec<Block>,
}

impl BlockLayout {
    /// Places blocks of `2^log_lens[i]` entries, largest first (ties in caller order), in the
    /// smallest hypercube that holds them.
    pub fn new(log_lens: &[usize]) -> Self {
        let mut order: Vec<usize> = (0..log_lens.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(log_lens[i]));
        let mut blocks = vec![
            Block {
                offset: 0,
                log_len: 0
            };
            log_lens.len()
        ];
        let mut offset = 0usize;
        for i in order {
            blocks[i] = Block {
                offset,
                log_len: log_lens[i],
            };
            offset += 1 << log_lens[i];
        }
        let num_vars = offset.max(1).next_power_of_two().trailing_zeros() as usize;
        Self { num_vars, blocks }
    }

    /// Variables of the whole vector.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// The blocks, in caller order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The high coordinates that select block `i`, as field bits.
    fn high_bits<F: KaizenField>(&self, i: usize) -> Vec<F> {
        let b = self.blocks[i];
        index_bits(b.offset >> b.log_len, self.num_vars - b.log_len)
    }

    /// The point on the whole vector equivalent to `point` on block `i`: `(point, bits)`.
    pub fn embed_point<F: KaizenField>(&self, i: usize, point: &[F]) -> Vec<F> {
        let mut p = point.to_vec();
        p.extend(self.high_bits::<F>(i));
        p
    }

    /// The whole vector: each block's values (zero-padded to its length) at its offset, zeros
    /// elsewhere. `values[i]` must not exceed block `i`'s length.
    pub fn assemble<F: KaizenField>(&self, values: &[&[F]]) -> Vec<F> {
        let mut out: Vec<F> = (0..1usize << self.num_vars)
            .into_par_iter()
            .with_min_len(PAR_MIN_LEN)
            .map(|_| F::ZERO)
            .collect();
        for (b, v) in self.blocks.iter().zip(values) {
            let n = v.len().min(1 << b.log_len);
            out[b.offset..b.offset + n]
                .par_iter_mut()
                .zip(&v[..n])
                .with_min_len(PAR_MIN_LEN)
                .for_each(|(o, &x)| *o = x);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{M61Ext2, MultilinearPoly};
    use ark_std::UniformRand;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn blocks_are_aligned_sub_cubes() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let logs = [3usize, 5, 0, 5, 2];
        let layout = BlockLayout::new(&logs);
        assert_eq!(layout.num_vars(), 7); // 8 + 32 + 1 + 32 + 4 = 77 → 128
        let values: Vec<Vec<M61Ext2>> = logs
            .iter()
            .map(|&l| (0..1 << l).map(|_| M61Ext2::rand(&mut rng)).collect())
            .collect();
        let refs: Vec<&[M61Ext2]> = values.iter().map(Vec::as_slice).collect();
        let whole = MultilinearPoly::new(layout.assemble(&refs)).unwrap();
        let point: Vec<M61Ext2> = (0..7).map(|_| M61Ext2::rand(&mut rng)).collect();
        for (i, (b, v)) in layout.blocks().iter().zip(&values).enumerate() {
            assert_eq!(b.offset % (1 << b.log_len), 0);
            let r = &point[..b.log_len];
            let own = MultilinearPoly::new(v.clone())
                .unwrap()
                .evaluate(r)
                .unwrap();
            assert_eq!(whole.evaluate(&layout.embed_point(i, r)).unwrap(), own);
        }
        assert_eq!(BlockLayout::new(&[4, 4]).num_vars(), 5);
        assert_eq!(BlockLayout::new(&[0]).num_vars(), 0);
        assert_eq!(BlockLayout::new(&[]).num_vars(), 0);
    }
}
