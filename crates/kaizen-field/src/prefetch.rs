//! Software prefetch: a hint that a table entry will be read soon.
//!
//! Sumcheck passes read several long tables side by side (a table's two halves, for every table of
//! a product): four or more sequential streams, which the hardware prefetchers follow too late on
//! the benchmark machine (2 cores, AMD EPYC with AVX-512). A pass that asks for its entries a
//! kilobyte ahead ran faster at `2^22` entries (`kaizen-sumcheck` README).

/// Bytes of a cache line.
const LINE_BYTES: usize = 64;

/// How far ahead of its reads an in-order pass asks for a table ([`prefetch_ahead`]).
const AHEAD_BYTES: usize = 1024;

/// Bytes a pass reads from below which it does not ask ahead: tables that fit in the last-level
/// cache (32 MiB on the benchmark machine) come from there in time, and the hints only cost
/// instructions (a first sumcheck round over `2 × 2^20` M61² entries, 32 MiB: 1.12× the inner
/// product without hints, 1.19× with; over `2 × 2^22`, 128 MiB: 1.40× without, 1.05–1.08× with).
pub const PREFETCH_MIN_BYTES: usize = 48 << 20;

/// Entries of `T` per cache line (at least one).
#[inline(always)]
pub const fn line_entries<T>() -> usize {
    let size = std::mem::size_of::<T>();
    if size == 0 || size >= LINE_BYTES {
        1
    } else {
        LINE_BYTES / size
    }
}

/// Asks the processor to bring the cache line holding `table[index]` into the L1 cache. A hint
/// only: nothing is read, and an `index` past the end does nothing.
#[inline(always)]
pub fn prefetch<T>(table: &[T], index: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(entry) = table.get(index) {
        // SAFETY: the instruction never dereferences its address and cannot fault; the address is
        // a live element's, and SSE (the instruction's feature) is in every x86-64 target.
        #[allow(unsafe_code)]
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                std::ptr::from_ref(entry).cast(),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (table, index);
}

/// For a pass that reads `table` in order and calls this at every `index`: at the first entry of
/// each cache line, asks for the line a kilobyte further on.
#[inline(always)]
pub fn prefetch_ahead<T>(table: &[T], index: usize) {
    if index % line_entries::<T>() == 0 {
        prefetch(
            table,
            index.saturating_add(AHEAD_BYTES / std::mem::size_of::<T>().max(1)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_entries_by_size() {
        assert_eq!(line_entries::<u8>(), 64);
        assert_eq!(line_entries::<[u64; 2]>(), 4);
        assert_eq!(line_entries::<[u64; 8]>(), 1);
        assert_eq!(line_entries::<[u64; 16]>(), 1);
        assert_eq!(line_entries::<()>(), 1);
    }

    /// A hint at any index, in range or not, of any table (empty, of zero-sized entries) reads
    /// nothing and changes nothing.
    #[test]
    fn prefetch_past_the_end_does_nothing() {
        let table: Vec<u64> = (0..1000).collect();
        for i in [0, 1, 999, 1000, 5000, usize::MAX - 63, usize::MAX] {
            prefetch(&table, i);
            prefetch_ahead(&table, i);
        }
        prefetch::<u64>(&[], 0);
        prefetch_ahead::<u64>(&[], 0);
        prefetch(&[(); 3], 7);
        prefetch_ahead(&[(); 3], 0);
        assert_eq!(table, (0..1000).collect::<Vec<u64>>());
    }
}
