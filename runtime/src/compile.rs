//! Compiling StableHLO text (`PJRT_Client_Compile`, program format `mlir`) and the
//! client's in-memory cache of compiled executables, keyed by program text and serialized
//! options.

use crate::client::Client;
use crate::compile_options::CompileOptions;
use crate::error::Result;
use crate::executable::LoadedExecutable;
use crate::ffi;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Cache key: the program text and the serialized compile options.
type CacheKey = (String, Vec<u8>);

/// Compiled executables of one client.
#[derive(Default)]
pub(crate) struct ExecutableCache {
    map: Mutex<HashMap<CacheKey, Arc<LoadedExecutable>>>,
}

impl ExecutableCache {
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
}

impl Client {
    /// Compiles StableHLO text for one device (one replica, one partition). Compiling the
    /// same text again returns the same executable from the cache.
    pub fn compile(&self, mlir: &str) -> Result<Arc<LoadedExecutable>> {
        self.compile_with(mlir, &CompileOptions::default())
    }

    /// Compiles StableHLO text with explicit options, through the cache.
    pub fn compile_with(
        &self,
        mlir: &str,
        options: &CompileOptions,
    ) -> Result<Arc<LoadedExecutable>> {
        let key = (mlir.to_string(), options.to_bytes()?);
        if let Some(exe) = self.cache.get(&key) {
            return Ok(exe);
        }
        // Compiled outside the lock so that different programs compile in parallel.
        let exe = Arc::new(self.compile_uncached(mlir, &key.1)?);
        Ok(self.cache.insert(key, exe))
    }

    /// Number of executables in this client's compile cache.
    pub fn cached_executables(&self) -> usize {
        self.cache.len()
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
