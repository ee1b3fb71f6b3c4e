//! A checked handle on a plugin's `PJRT_Api` table and the `pjrt_call!` macro that every
//! safe wrapper uses: it checks that the table reaches the entry, calls it, and turns a
//! returned `PJRT_Error` into [`RuntimeError::Xla`] (freeing the error).

use crate::error::{Result, RuntimeError};
use crate::ffi;
use std::ffi::c_char;
use std::mem::size_of;

/// A pointer to a plugin's API table. The table lives as long as the plugin library, which
/// this crate never unloads, so the pointer stays valid for the rest of the process.
#[derive(Clone, Copy)]
pub(crate) struct Api {
    raw: *const ffi::Api,
}

// SAFETY: the table is immutable after `GetPjrtApi` returns and PJRT functions may be
// called from any thread.
unsafe impl Send for Api {}
// SAFETY: as above.
unsafe impl Sync for Api {}

/// Reads a function pointer from the API table, or fails with
/// [`RuntimeError::Unsupported`] when the plugin's table is too short or the entry is null.
macro_rules! pjrt_fn {
    ($api:expr, $func:ident) => {{
        let api: $crate::api::Api = $api;
        let offset = core::mem::offset_of!($crate::ffi::Api, $func);
        if api.reaches(offset) {
            // SAFETY: the table is at least `offset + 8` bytes long (checked above); the
            // field is read through a raw pointer without forming a reference to the table.
            unsafe { core::ptr::addr_of!((*api.raw()).$func).read() }
        } else {
            None
        }
        .ok_or($crate::error::RuntimeError::Unsupported {
            call: stringify!($func),
        })
    }};
}

/// Calls a PJRT function with a pointer to its argument struct and converts the returned
/// error. Evaluates to `Result<()>`.
macro_rules! pjrt_call {
    ($api:expr, $func:ident, $args:expr) => {{
        let api: $crate::api::Api = $api;
        match pjrt_fn!(api, $func) {
            // SAFETY: the argument struct is declared as the 0.81 header declares it, its
            // `struct_size` is set, and its pointers are valid for the call.
            Ok(f) => api.check(stringify!($func), unsafe { f($args) }),
            Err(e) => Err(e),
        }
    }};
}

impl Api {
    /// Wraps a non-null table pointer returned by `GetPjrtApi`.
    ///
    /// # Safety
    /// `raw` must point to a PJRT API table that stays valid for the rest of the process.
    pub(crate) unsafe fn new(raw: *const ffi::Api) -> Self {
        Api { raw }
    }

    /// The raw table pointer.
    pub(crate) fn raw(self) -> *const ffi::Api {
        self.raw
    }

    /// The table's `struct_size`.
    fn struct_size(self) -> usize {
        // SAFETY: every table starts with `struct_size`.
        unsafe { core::ptr::addr_of!((*self.raw).struct_size).read() }
    }

    /// Whether the table holds a full function pointer at `offset`.
    pub(crate) fn reaches(self, offset: usize) -> bool {
        offset + size_of::<usize>() <= self.struct_size()
    }

    /// The plugin's `(major, minor)` API version.
    pub(crate) fn version(self) -> (i32, i32) {
        // SAFETY: `pjrt_api_version` is part of every table since version 0.1.
        let v = unsafe { &(*self.raw).pjrt_api_version };
        (v.major_version, v.minor_version)
    }

    /// Converts a returned `PJRT_Error*` into a result, freeing the error.
    pub(crate) fn check(self, call: &'static str, err: *mut ffi::Error) -> Result<()> {
        match self.take_error(err) {
            None => Ok(()),
            Some((_, message)) => Err(RuntimeError::Xla { call, message }),
        }
    }

    /// Reads the code and message of `err` and frees it; `None` for a null error.
    pub(crate) fn take_error(self, err: *mut ffi::Error) -> Option<(i32, String)> {
        if err.is_null() {
            return None;
        }
        let message = self.error_message(err);
        let code = self.error_code(err);
        if let Ok(destroy) = pjrt_fn!(self, PJRT_Error_Destroy) {
            let mut args = ffi::ErrorDestroyArgs {
                error: err,
                ..Default::default()
            };
            // SAFETY: `err` is a live error owned by us; it is not used afterwards.
            unsafe { destroy(&mut args) };
        }
        Some((code, message))
    }

    /// The text of a live error.
    fn error_message(self, err: *mut ffi::Error) -> String {
        let Ok(message) = pjrt_fn!(self, PJRT_Error_Message) else {
            return "unknown error (the plugin lacks PJRT_Error_Message)".to_string();
        };
        let mut args = ffi::ErrorMessageArgs {
            error: err,
            ..Default::default()
        };
        // SAFETY: `err` is live; the message it returns lives as long as `err`.
        unsafe {
            message(&mut args);
            string_from(args.message, args.message_size)
        }
    }

    /// The status code of a live error (2, UNKNOWN, when the plugin cannot say).
    fn error_code(self, err: *mut ffi::Error) -> i32 {
        let Ok(get_code) = pjrt_fn!(self, PJRT_Error_GetCode) else {
            return 2;
        };
        let mut args = ffi::ErrorGetCodeArgs {
            error: err,
            ..Default::default()
        };
        // SAFETY: `err` is live. GetCode's own returned error is ignored (never seen).
        let nested = unsafe { get_code(&mut args) };
        if nested.is_null() {
            args.code
        } else {
            2
        }
    }
}

/// Copies a `(pointer, length)` string returned by the plugin; null gives `""`.
///
/// # Safety
/// `ptr` must be null or point to `len` readable bytes.
pub(crate) unsafe fn string_from(ptr: *const c_char, len: usize) -> String {
    if ptr.is_null() || len == 0 {
        return String::new();
    }
    let bytes = std::slice::from_raw_parts(ptr.cast::<u8>(), len);
    String::from_utf8_lossy(bytes).into_owned()
}
