//! How freed host memory is kept: [`keep_freed_host_memory`], and given back between
//! workloads: [`release_freed_host_memory`].
//!
//! XLA's CPU runtime allocates each execution's temporaries with `malloc` and frees them when
//! it ends: for a FLASH train step at width 256 and 8192 tokens that is about 840 MB, every
//! step. glibc serves blocks that large with fresh `mmap`s (and, from threads other than the
//! main one, from per-thread arenas that do the same) and unmaps them on `free`, so every step
//! page-faults its whole working set in again: about 500K minor faults per step, a fifth of
//! the step's time on the 2-core CPU machine (BENCHMARKS.md). Keeping freed memory in one
//! heap turns that into a one-time cost, as the tcmalloc that XLA usually ships with does.
//!
//! The price is resident memory: the heap stays at its high-water mark (for one program, its
//! temporaries plus the fragmentation of the first few steps: a process running a FLASH
//! train step with 845 MB of temporaries peaked at 2.0-5.5 GB, against 1.4 GB with glibc's
//! defaults, and grew no further from 8 steps to 20). A process
//! that moves from one program to another (`flash bench`) calls
//! [`release_freed_host_memory`] in between. `FLASH_KEEP_HOST_MEMORY=0` keeps glibc's
//! defaults. Elsewhere than Linux with glibc both functions do nothing.

/// The environment variable that turns the policy off (a switch: `0`; `1` or unset: on).
pub const KEEP_HOST_MEMORY_ENV: &str = "FLASH_KEEP_HOST_MEMORY";

/// What `FLASH_KEEP_HOST_MEMORY` asks for (a switch, on by default): `Ok(true)` to keep
/// freed memory, `Ok(false)` for glibc's defaults, or the error naming the values it takes
/// (the policy then stays on).
pub fn keep_host_memory_setting() -> crate::Result<bool> {
    crate::env::switch(KEEP_HOST_MEMORY_ENV, true)
}

/// Tells the C allocator to keep freed memory for reuse instead of returning it to the
/// operating system (glibc: no `mmap` for large blocks, no trimming of the heap, one arena
/// for all threads so that XLA's worker threads share the retained heap). Process-wide; call
/// it before other threads start allocating (the CLI does so first thing, and
/// [`crate::Client::create`] before the plugin starts its threads). Idempotent. Returns
/// whether the policy is in force.
pub fn keep_freed_host_memory() -> bool {
    static APPLIED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *APPLIED.get_or_init(|| keep_host_memory_setting().unwrap_or(true) && apply())
}

/// Returns the free pages of the heap to the operating system (glibc's `malloc_trim`), for a
/// process about to run a different program whose buffers will not fit the old holes.
pub fn release_freed_host_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory, under the allocator's locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn apply() -> bool {
    // SAFETY: mallopt only changes allocator parameters; glibc serialises it with the
    // allocator's own locks, so it is safe to call at any time from any thread.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1) == 1
            && libc::mallopt(libc::M_MMAP_MAX, 0) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX) == 1
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn apply() -> bool {
    false
}
