//! The persistent executable cache on the real plugin: a second client loads from disk and
//! computes the same; changed programs and options miss; truncated or garbage entries are
//! recompiled; an entry copied over another program's name is a miss; two processes filling one cache leave only whole, loadable entries.

mod common;

use common::{download, upload};
use flash_runtime::{Client, CompileOptions, DiskCache, Plugin, PluginSpec};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The child-process mode of [`child_fills_cache`]: the directory to fill.
const CHILD_ENV: &str = "FLASH_TEST_CACHE_CHILD_DIR";

/// `x * w + k` with a constant `k` that makes each program's text differ.
fn program(k: u32) -> String {
    format!(
        r#"func.func @main(%x: tensor<2x3xf32>, %w: tensor<3x2xf32>) -> tensor<2x2xf32> {{
  %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %k = stablehlo.constant dense<{k}.0> : tensor<2x2xf32>
  %1 = stablehlo.add %0, %k : tensor<2x2xf32>
  return %1 : tensor<2x2xf32>
}}
"#
    )
}

/// A fresh client (empty in-memory cache) over a disk cache in `dir`.
fn client_on(dir: &Path) -> Client {
    let path = PluginSpec::choose(None).and_then(|s| s.resolve());
    let plugin = Plugin::load(&path.expect("a PJRT plugin")).expect("plugin loads");
    let disk = DiskCache::new(dir, 1 << 30);
    Client::create_with_cache(plugin, Some(disk)).expect("client")
}

/// A new empty directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("flash-cache-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Compiles `program(k)` on `c` and runs it on fixed inputs.
fn run(c: &Client, k: u32) -> Vec<f32> {
    let exe = c.compile(&program(k)).expect("compiles");
    let x = upload(c, &[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let w = upload(c, &[3, 2], &[1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]);
    download::<f32>(&exe.execute(&[&x, &w]).expect("runs")[0])
}

#[test]
fn second_client_loads_from_disk_with_identical_outputs() {
    let dir = temp_dir("second");
    let first = client_on(&dir);
    let a = run(&first, 1);
    assert_eq!(a, [5.0, 6.0, 11.0, 12.0]);
    let s = first.cache_stats();
    assert_eq!((s.compiles, s.disk_hits, s.disk_stores), (1, 0, 1), "{s:?}");
    let second = client_on(&dir);
    assert_eq!(run(&second, 1), a);
    let s = second.cache_stats();
    assert_eq!((s.compiles, s.disk_hits), (0, 1), "{s:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn changed_program_or_options_miss() {
    let dir = temp_dir("miss");
    run(&client_on(&dir), 1);
    let c = client_on(&dir);
    assert_eq!(run(&c, 2), [6.0, 7.0, 12.0, 13.0]);
    assert_eq!(c.cache_stats().compiles, 1);
    let spmd = CompileOptions {
        use_spmd_partitioning: true,
        ..Default::default()
    };
    c.compile_with(&program(1), &spmd).expect("compiles");
    assert_eq!(c.cache_stats().compiles, 2, "other options must miss");
    assert_eq!(DiskCache::new(&dir, 1 << 30).usage().entries, 3);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn truncated_or_garbage_entries_are_recompiled() {
    let dir = temp_dir("corrupt");
    let want = run(&client_on(&dir), 3);
    let entry = only_entry(&dir);
    let whole = std::fs::read(&entry).unwrap();
    for bad in [whole[..whole.len() / 2].to_vec(), b"garbage".to_vec()] {
        std::fs::write(&entry, bad).unwrap();
        let c = client_on(&dir);
        assert_eq!(run(&c, 3), want);
        assert_eq!(
            c.cache_stats().compiles,
            1,
            "a bad entry is compiled afresh"
        );
    }
    let c = client_on(&dir);
    assert_eq!(run(&c, 3), want);
    assert_eq!(c.cache_stats().disk_hits, 1, "the rewritten entry loads");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_entry_copied_over_another_programs_name_is_a_miss_not_its_result() {
    let dir = temp_dir("copied");
    let four = run(&client_on(&dir), 4);
    let entry_four = only_entry(&dir);
    let five = run(&client_on(&dir), 5);
    assert_eq!((four[0], five[0]), (8.0, 9.0));
    let entry_five = entry_names(&dir)
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| *p != entry_four)
        .unwrap();
    std::fs::copy(&entry_four, &entry_five).unwrap();
    let c = client_on(&dir);
    assert_eq!(run(&c, 5), five, "program 5 gets its own result");
    let s = c.cache_stats();
    assert_eq!(
        (s.compiles, s.disk_hits),
        (1, 0),
        "the copy is a miss: {s:?}"
    );
    let c = client_on(&dir);
    assert_eq!((run(&c, 4), run(&c, 5)), (four, five));
    assert_eq!(c.cache_stats().disk_hits, 2, "both entries load again");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The one entry file in a cache directory.
fn only_entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    entries[0].clone()
}

/// Fills a cache with programs 0..6 and checks their results; run as a plain test on a
/// directory of its own, and as the child process of [`two_processes_fill_one_cache`].
#[test]
fn child_fills_cache() {
    let child = std::env::var_os(CHILD_ENV);
    let dir = child
        .clone()
        .map_or_else(|| temp_dir("child"), PathBuf::from);
    let c = client_on(&dir);
    for k in 0..6 {
        assert_eq!(run(&c, k)[0], 4.0 + k as f32);
    }
    let s = c.cache_stats();
    assert_eq!(s.compiles + s.disk_hits, 6, "{s:?}");
    if child.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn two_processes_fill_one_cache() {
    let dir = temp_dir("two");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(&exe)
                .args(["--exact", "child_fills_cache", "--test-threads", "1"])
                .env(CHILD_ENV, &dir)
                .spawn()
                .expect("spawns the test binary")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success(), "a child process failed");
    }
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 6, "six entries, no temporaries: {names:?}");
    let c = client_on(&dir);
    for k in 0..6 {
        assert_eq!(run(&c, k)[0], 4.0 + k as f32);
    }
    assert_eq!(
        c.cache_stats().disk_hits,
        6,
        "every entry is whole and loads"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A constant no other program of the tests uses: this process's id and the time.
fn unique_constant() -> u32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    (std::process::id() ^ nanos) % 1_000_000 + 1_000_000
}

/// The entry files of a cache directory.
fn entry_names(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let names = entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned());
    names.filter(|n| n.ends_with(".xla")).collect()
}

#[test]
fn clients_of_the_tests_cache_in_the_target_folder_not_the_users() {
    let test_dir = flash_runtime::test_cache_dir(env!("CARGO_TARGET_TMPDIR"));
    assert_eq!(common::use_test_cache(), test_dir);
    let plugin = common::client().plugin().clone();
    let fresh = Client::create(plugin).expect("client");
    let Some(disk) = fresh.disk_cache() else {
        assert!(!flash_runtime::cache_enabled_by_env(), "no disk cache");
        return; // FLASH_CACHE=0: nothing is written anywhere
    };
    assert_eq!(disk.dir(), test_dir);
    let before = entry_names(&test_dir);
    let k = unique_constant();
    assert_eq!(run(&fresh, k)[0], 4.0 + k as f32);
    assert_eq!(
        fresh.cache_stats().disk_stores,
        1,
        "{:?}",
        fresh.cache_stats()
    );
    let after = entry_names(&test_dir);
    assert!(
        after.iter().any(|n| !before.contains(n)),
        "no new entry in {}",
        test_dir.display()
    );
}
