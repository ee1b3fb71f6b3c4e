//! Compiling StableHLO text (`PJRT_Client_Compile`, program format `mlir`) through two
//! caches: the client's in-memory map keyed by program text and serialized options, then
//! the persistent [`DiskCache`] of serialized executables (see `crate::disk_cache`).
//! A disk entry that is missing, corrupt or refused by the plugin is compiled afresh; a
//! plugin that cannot serialize is reported once and the program still compiles.

use crate::client::Client;
use crate::compile_options::CompileOptions;
use crate::disk_cache::{key, log, DiskCache};
use crate::error::Result;
use crate::executable::LoadedExecutable;
use crate::ffi;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Cache key: the program text and the serialized compile options.
type CacheKey = (String, Vec<u8>);

/// How compiles were served, since the client was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Served from the in-memory map.
    pub memory_hits: u64,
    /// Loaded from the disk cache (no XLA compile).
    pub disk_hits: u64,
    /// Compiled by XLA.
    pub compiles: u64,
    /// Written to the disk cache.
    pub disk_stores: u64,
}

/// Compiled executables of one client, in memory and (optionally) on disk.
#[derive(Default)]
pub(crate) struct ExecutableCache {
    map: Mutex<HashMap<CacheKey, Arc<LoadedExecutable>>>,
    disk: Option<DiskCache>,
    /// The plugin's fingerprint, part of every disk key.
    fingerprint: String,
    /// Set when the plugin failed to serialize once; later stores are skipped.
    cannot_serialize: AtomicBool,
    counters: [AtomicU64; 4],
}

impl ExecutableCache {
    /// A cache over `disk` for the plugin identified by `fingerprint`.
    pub(crate) fn new(disk: Option<DiskCache>, fingerprint: String) -> Self {
        ExecutableCache {
            disk,
            fingerprint,
            ..Default::default()
        }
    }

    /// The cached executable for a key.
    fn get(&self, key: &CacheKey) -> Option<Arc<LoadedExecutable>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Inserts unless another thread got there first; returns the cached value.
    fn insert(&self, key: CacheKey, exe: Arc<LoadedExecutable>) -> Arc<LoadedExecutable> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(key).or_insert(exe).clone()
    }

    /// Number of cached executables.
    fn len(&self) -> usize {
        self.map.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Counts one event (index into `counters`: memory, disk, compile, store).
    fn count(&self, which: usize) {
        self.counters[which].fetch_add(1, Ordering::Relaxed);
    }

    /// The counters.
    fn stats(&self) -> CacheStats {
        let c = |i: usize| self.counters[i].load(Ordering::Relaxed);
        CacheStats {
            memory_hits: c(0),
            disk_hits: c(1),
            compiles: c(2),
            disk_stores: c(3),
        }
    }
}

impl Client {
    /// Compiles StableHLO text for one device (one replica, one partition). Compiling the
    /// same text again returns the same executable from the cache.
    pub fn compile(&self, mlir: &str) -> Result<Arc<LoadedExecutable>> {
        self.compile_with(mlir, &CompileOptions::default())
    }

    /// Compiles StableHLO text with explicit options, through the caches.
    pub fn compile_with(
        &self,
        mlir: &str,
        options: &CompileOptions,
    ) -> Result<Arc<LoadedExecutable>> {
        let key = (mlir.to_string(), options.to_bytes()?);
        if let Some(exe) = self.cache.get(&key) {
            self.cache.count(0);
            return Ok(exe);
        }
        // Compiled outside the lock so that different programs compile in parallel.
        let exe = Arc::new(self.compile_persistent(mlir, &key.1)?);
        Ok(self.cache.insert(key, exe))
    }

    /// Number of executables in this client's in-memory compile cache.
    pub fn cached_executables(&self) -> usize {
        self.cache.len()
    }

    /// How this client's compiles were served (the test hook of the caches).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// The persistent cache this client uses, if any.
    pub fn disk_cache(&self) -> Option<&DiskCache> {
        self.cache.disk.as_ref()
    }

    /// Loads the program from the disk cache, or compiles it and stores it there.
    fn compile_persistent(&self, mlir: &str, options: &[u8]) -> Result<LoadedExecutable> {
        let Some(disk) = &self.cache.disk else {
            self.cache.count(2);
            return self.compile_uncached(mlir, options);
        };
        let key = key::entry_key(&self.cache.fingerprint, mlir, options);
        if let Some(exe) = self.load_from_disk(disk, &key) {
            return Ok(exe);
        }
        let start = Instant::now();
        let exe = self.compile_uncached(mlir, options)?;
        self.cache.count(2);
        log(&format!(
            "miss {}: compiled in {:.2?}",
            &key[..12],
            start.elapsed()
        ));
        self.store_to_disk(disk, &key, &exe);
        Ok(exe)
    }

    /// The executable of a valid entry the plugin accepts; refused entries are removed.
    fn load_from_disk(&self, disk: &DiskCache, key: &str) -> Option<LoadedExecutable> {
        let start = Instant::now();
        let bytes = disk.load(key)?;
        match self.deserialize(&bytes) {
            Ok(exe) => {
                self.cache.count(1);
                log(&format!(
                    "hit {}: loaded in {:.2?}",
                    &key[..12],
                    start.elapsed()
                ));
                Some(exe)
            }
            Err(e) => {
                log(&format!("entry {} refused, recompiling: {e}", &key[..12]));
                disk.remove(key);
                None
            }
        }
    }

    /// Serializes and writes an executable; failures are reported (serialization once per
    /// client) and otherwise ignored.
    fn store_to_disk(&self, disk: &DiskCache, key: &str, exe: &LoadedExecutable) {
        if self.cache.cannot_serialize.load(Ordering::Relaxed) {
            return;
        }
        let bytes = match exe.serialize() {
            Ok(b) => b,
            Err(e) => {
                if !self.cache.cannot_serialize.swap(true, Ordering::Relaxed) {
                    crate::note_stderr!("flash: the executable cache is off for this plugin: {e}");
                }
                return;
            }
        };
        match disk.store(key, &bytes) {
            Ok(()) => self.cache.count(3),
            Err(e) => log(&format!("could not write {}: {e}", disk.dir().display())),
        }
    }

    /// Calls `PJRT_Executable_DeserializeAndLoad` (with the serialized options).
    fn deserialize(&self, bytes: &[u8]) -> Result<LoadedExecutable> {
        let mut args = ffi::ExecutableDeserializeAndLoadArgs {
            client: self.handle.raw(),
            serialized_executable: bytes.as_ptr().cast(),
            serialized_executable_size: bytes.len(),
            ..Default::default()
        };
        pjrt_call!(
            self.handle.api(),
            PJRT_Executable_DeserializeAndLoad,
            &mut args
        )?;
        LoadedExecutable::new(args.loaded_executable, self.handle.clone())
    }

    /// Calls `PJRT_Client_Compile`.
    fn compile_uncached(&self, mlir: &str, options: &[u8]) -> Result<LoadedExecutable> {
        let format = "mlir";
        let program = ffi::Program {
            // The plugin only reads the code; the field is `char*` for other calls.
            code: mlir.as_ptr().cast_mut().cast(),
            code_size: mlir.len(),
            format: format.as_ptr().cast(),
            format_size: format.len(),
            ..Default::default()
        };
        let mut args = ffi::ClientCompileArgs {
            client: self.handle.raw(),
            program: &program,
            compile_options: options.as_ptr().cast(),
            compile_options_size: options.len(),
            ..Default::default()
        };
        pjrt_call!(self.handle.api(), PJRT_Client_Compile, &mut args)?;
        LoadedExecutable::new(args.executable, self.handle.clone())
    }
}
