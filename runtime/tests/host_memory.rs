//! `keep_freed_host_memory` in a process of its own (the policy is process-wide): a large
//! block freed and allocated again is served from retained memory, without page faults.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use flash_runtime::{keep_freed_host_memory, KEEP_HOST_MEMORY_ENV};

const BLOCK: usize = 24 << 20;
const PAGE: usize = 4096;

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
fn touch_a_fresh_block() -> i64 {
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

#[test]
fn a_freed_block_is_reused_without_page_faults() {
    if std::env::var(KEEP_HOST_MEMORY_ENV).is_ok_and(|v| v.trim() == "0") {
        assert!(
            !keep_freed_host_memory(),
            "{KEEP_HOST_MEMORY_ENV}=0 must turn it off"
        );
        return;
    }
    assert!(keep_freed_host_memory(), "mallopt refused the policy");
    let pages = (BLOCK / PAGE) as i64;
    let first = touch_a_fresh_block();
    assert!(
        first >= pages / 2,
        "the first use maps fresh pages ({first} faults)"
    );
    let again = touch_a_fresh_block();
    assert!(
        again < pages / 20,
        "the second use took {again} page faults of {pages} pages: freed memory went back to the system"
    );
}
