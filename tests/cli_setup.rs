//! `flash setup cuda` and `--plugin cuda` where they cannot succeed: offline, with pip
//! failing (a `python3` on PATH that exits 1), and with no CUDA plugin anywhere. Each gives
//! one clear message and a non-zero exit, and leaves no half-installed plugin behind. (The
//! multi-GB CUDA wheels are never downloaded here.)

mod cli_support;

use cli_support::{flash_command, temp_dir};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A folder holding only a `python3` that fails, and an empty cache folder.
fn failing_python(name: &str) -> (PathBuf, PathBuf) {
    let dir = temp_dir(name);
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let python = bin.join("python3");
    std::fs::write(
        &python,
        "#!/bin/sh\necho 'fake pip: no network' >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    (bin, dir.join("cache"))
}

/// Runs `flash ARGS` with that PATH and cache; it must fail with one `error:` message.
fn fails_with(bin: &Path, cache: &Path, offline: bool, args: &[&str]) -> String {
    let mut cmd = flash_command();
    cmd.args(args)
        .env("PATH", bin)
        .env("FLASH_CACHE_DIR", cache)
        .env_remove("FLASH_PJRT_PLUGIN")
        .env_remove("FLASH_OFFLINE");
    if offline {
        cmd.env("FLASH_OFFLINE", "1");
    }
    let out = cmd.output().expect("run flash");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "flash {args:?} should fail");
    let errors = stderr.lines().filter(|l| l.starts_with("error: ")).count();
    assert!(errors == 1 && !stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn setup_cuda_offline_refuses() {
    let (bin, cache) = failing_python("setup-cuda-offline");
    let e = fails_with(&bin, &cache, true, &["setup", "cuda"]);
    assert!(
        e.contains("FLASH_OFFLINE=1 forbids installing the CUDA plugin"),
        "{e}"
    );
    assert!(!cache.exists(), "offline set-up must not create the cache");
}

#[test]
fn setup_cuda_with_pip_failing_says_so_and_leaves_nothing() {
    let (bin, cache) = failing_python("setup-cuda-pip");
    let e = fails_with(&bin, &cache, false, &["setup", "cuda"]);
    assert!(
        e.contains("pip failed") && e.contains("fake pip: no network"),
        "{e}"
    );
    let left: Vec<_> = std::fs::read_dir(cache.join("plugins"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "leftovers: {left:?}");
}

#[test]
fn plugin_cuda_without_a_plugin_names_the_places_and_the_fix() {
    let (bin, cache) = failing_python("plugin-cuda-missing");
    let e = fails_with(&bin, &cache, true, &["info", "--plugin", "cuda"]);
    assert!(e.contains("the cuda PJRT plugin is missing"), "{e}");
    assert!(e.contains("plugins/cuda/jax_plugins/xla_cuda13"), "{e}");
    assert!(e.contains("flash setup cuda"), "{e}");
}

/// The real CPU plugin's install folder (the tests' default cache).
fn real_install() -> PathBuf {
    let so = flash::runtime::locate::cpu_plugin_in_cache().expect("a cache folder");
    assert!(
        so.is_file(),
        "the CPU plugin must be installed: {}",
        so.display()
    );
    so.ancestors().nth(3).unwrap().to_path_buf()
}

/// A cache whose CPU plugin folder holds the real RECORD and the first `keep` bytes of the
/// real plugin (a new file, never a link to the real one).
fn cache_with_truncated_plugin(name: &str, keep: usize) -> (PathBuf, PathBuf) {
    let (bin, cache) = failing_python(name);
    let real = real_install();
    let install = cache.join("plugins/cpu");
    let so = install.join("xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so");
    std::fs::create_dir_all(so.parent().unwrap()).unwrap();
    let info = "xla_cpu_pjrt-0.0.1.dist-info";
    std::fs::create_dir_all(install.join(info)).unwrap();
    std::fs::copy(
        real.join(info).join("RECORD"),
        install.join(info).join("RECORD"),
    )
    .unwrap();
    let mut head = vec![0u8; keep];
    let mut real_so =
        std::fs::File::open(real.join("xla_plugins/xla_cpu_pjrt/xla_cpu_pjrt.so")).unwrap();
    std::io::Read::read_exact(&mut real_so, &mut head).unwrap();
    std::fs::write(&so, head).unwrap();
    (bin, cache)
}

#[test]
fn truncated_plugin_is_reported_before_loading_it() {
    let (bin, cache) = cache_with_truncated_plugin("plugin-truncated", 4 << 20);
    let e = fails_with(&bin, &cache, true, &["info"]);
    assert!(
        e.contains("xla_cpu_pjrt.so is damaged: it is 4194304 bytes but"),
        "{e}"
    );
    assert!(e.contains("records 259284552 bytes"), "{e}");
    assert!(
        e.contains("repair it with `flash setup cpu --force`"),
        "{e}"
    );
}

#[test]
fn truncated_plugin_without_a_record_is_caught_by_its_elf_headers() {
    let (bin, cache) = cache_with_truncated_plugin("plugin-truncated-elf", 1 << 20);
    std::fs::remove_dir_all(cache.join("plugins/cpu/xla_cpu_pjrt-0.0.1.dist-info")).unwrap();
    let e = fails_with(&bin, &cache, true, &["info"]);
    assert!(e.contains("its ELF headers describe"), "{e}");
    assert!(e.contains("(truncated)"), "{e}");
}

#[test]
fn setup_cpu_on_a_truncated_plugin_says_it_is_damaged_not_ready() {
    let (bin, cache) = cache_with_truncated_plugin("setup-truncated", 4 << 20);
    let e = fails_with(&bin, &cache, true, &["setup", "cpu"]);
    assert!(e.contains("is damaged") && !e.contains("ready"), "{e}");
}

/// A `python3` whose `-m pip install ... --target DIR` copies (hard-links where it can) the
/// real plugin's install folder into DIR, and that fails anything else.
fn copying_pip(bin: &Path) {
    let script = format!(
        "#!/bin/sh\n[ \"$1\" = -m ] || exit 1\nwhile [ \"$1\" != --target ]; do shift; done\n\
         /bin/mkdir -p \"$2\"\n/bin/cp -rl {src}/. \"$2\" 2>/dev/null || /bin/cp -r {src}/. \"$2\"\n",
        src = real_install().display()
    );
    let python = bin.join("python3");
    std::fs::write(&python, script).unwrap();
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn setup_cpu_force_repairs_a_truncated_plugin() {
    let (bin, cache) = cache_with_truncated_plugin("setup-force", 4 << 20);
    copying_pip(&bin);
    let run = |args: &[&str]| {
        flash_command()
            .args(args)
            .env("PATH", &bin)
            .env("FLASH_CACHE_DIR", &cache)
            .env_remove("FLASH_PJRT_PLUGIN")
            .env_remove("FLASH_OFFLINE")
            .output()
            .expect("run flash")
    };
    let out = run(&["setup", "cpu", "--force"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("CPU plugin ready (freshly installed, sha256 matches its RECORD)"),
        "{stdout}"
    );
    let again = run(&["setup", "cpu"]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("(installed, sha256 matches its RECORD)"),
        "{stdout}"
    );
    let info = run(&["info"]);
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let _ = std::fs::remove_dir_all(cache);
}
