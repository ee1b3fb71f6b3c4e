//! With `FLASH_OFFLINE=1` and an empty cache, resolving `cpu` either finds the plugin in the
//! user's Python packages or fails with a clear error naming the places it looked and how
//! to get the plugin. (Its own test binary: it sets environment variables.)

use flash_runtime::{locate, PluginSpec, RuntimeError};

#[test]
fn offline_missing_cpu_plugin_says_where_and_how() {
    let cache = std::env::temp_dir().join(format!("flash-offline-test-{}", std::process::id()));
    std::env::set_var("FLASH_CACHE_DIR", &cache);
    std::env::set_var(locate::OFFLINE_ENV, "1");
    match PluginSpec::Cpu.resolve() {
        Ok(found) => assert!(!found.starts_with(&cache), "{}", found.display()),
        Err(err) => {
            assert!(matches!(
                err,
                RuntimeError::PluginMissing {
                    platform: "cpu",
                    ..
                }
            ));
            let text = err.to_string();
            assert!(text.contains(&cache.display().to_string()), "{text}");
            assert!(text.contains("flash setup cpu"), "{text}");
            assert!(text.contains("pip install xla-cpu-pjrt"), "{text}");
        }
    }
    assert!(
        !cache.exists(),
        "offline resolution must not create the cache"
    );
}
