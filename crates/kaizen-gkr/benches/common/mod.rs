//! Shared by the kaizen-gkr bench binaries.
use kaizen_field::M61Ext2;
use kaizen_gkr::circuit::{Circuit, Layer};

/// A circuit of `depth` layers of `2^log` gates: gate g = V(g)·V(g·7+1) + V(g) + V(g/2).
pub fn wide_circuit(log: usize, depth: usize) -> Circuit<M61Ext2> {
    let n = 1usize << log;
    let layers = (0..depth)
        .map(|_| {
            (0..n).fold(Layer::new(log), |l, g| {
                l.mul(g, g, (g * 7 + 1) % n, M61Ext2::from(1u64))
                    .add(g, g, g / 2)
            })
        })
        .collect();
    #[allow(clippy::unwrap_used)]
    Circuit::new(log, layers).unwrap()
}
