//! `keep_freed_host_memory` in a process of its own (the policy is process-wide) and on the
//! main thread, as the `flash` command applies it (no test harness: `main` is the test): a
//! large block freed and allocated again is served from retained memory without page faults,
//! until `release_freed_host_memory` gives it back.

use flash_runtime::{keep_freed_host_memory, release_freed_host_memory, KEEP_HOST_MEMORY_ENV};

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn main() {
    if std::env::var(KEEP_HOST_MEMORY_ENV).is_ok_and(|v| v.trim() == "0") {
        assert!(
            !keep_freed_host_memory(),
            "{KEEP_HOST_MEMORY_ENV}=0 must turn it off"
        );
        return;
    }
    assert!(keep_freed_host_memory(), "mallopt refused the policy");
    // Compared with the first use rather than with a page count, so that transparent huge
    // pages (a fault per 2 MB) do not matter.
    let first = glibc::touch_a_fresh_block();
    assert!(first > 0, "the first use maps fresh pages");
    let again = glibc::touch_a_fresh_block();
    assert!(
        again * 10 <= first,
        "the second use took {again} page faults against {first}: freed memory went back to the system"
    );
    release_freed_host_memory();
    let released = glibc::touch_a_fresh_block();
    assert!(
        released * 2 >= first,
        "after release_freed_host_memory the block faulted {released} times against {first}"
    );
    println!(
        "host_memory: ok (page faults: first use {first}, reuse {again}, after release {released})"
    );
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn main() {
    assert!(!keep_freed_host_memory(), "only glibc has the policy");
    release_freed_host_memory();
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod glibc {
    /// A block that glibc's defaults serve with a fresh mmap and unmap again on free (its
    /// second use then faults every page in again: checked by turning the policy off).
    pub const BLOCK: usize = 24 << 20;
    /// The smallest page size: one write per page touches them all.
    pub const PAGE: usize = 4096;

    /// Minor page faults of the calling thread so far.
    fn minor_faults() -> i64 {
        // SAFETY: getrusage writes one rusage struct, which we own.
        unsafe {
            let mut usage: libc::rusage = std::mem::zeroed();
            assert_eq!(libc::getrusage(libc::RUSAGE_THREAD, &mut usage), 0);
            usage.ru_minflt
        }
    }

    /// Allocates a block, touches every page, frees it; returns the page faults it took.
    pub fn touch_a_fresh_block() -> i64 {
        let before = minor_faults();
        // SAFETY: the block is BLOCK bytes, written only inside, freed once.
        unsafe {
            let p = libc::malloc(BLOCK) as *mut u8;
            assert!(!p.is_null());
            for offset in (0..BLOCK).step_by(PAGE) {
                std::ptr::write_volatile(p.add(offset), 1);
            }
            libc::free(p as *mut libc::c_void);
        }
        minor_faults() - before
    }
}
