//! How many heap bytes something keeps: the system allocator, counting while asked to.
//! Off by default, so that the other scenarios pay one relaxed load per allocation.
#![allow(
    unsafe_code,
    reason = "a GlobalAlloc is unsafe to implement; it only forwards"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};

/// The allocator of the benchmark binary.
pub struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; the counter is a side
// effect.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}

fn count(bytes: isize) {
    if COUNTING.load(Ordering::Relaxed) {
        LIVE.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// The heap bytes that `work`'s result keeps (allocated while it ran and not freed by
/// the time it returned), with the result. Frees of memory allocated before count
/// against it, so nothing else should run meanwhile.
pub async fn kept_by<T>(work: impl Future<Output = T>) -> (isize, T) {
    LIVE.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let result = work.await;
    COUNTING.store(false, Ordering::Relaxed);
    (LIVE.load(Ordering::Relaxed), result)
}
