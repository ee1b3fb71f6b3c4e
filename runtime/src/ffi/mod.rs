//! Hand-written `#[repr(C)]` declarations of the parts of the PJRT C API (header version
//! 0.81) that this crate calls.
//!
//! Layout rules, checked against the header by `layout_tests`:
//! - every argument struct starts with `struct_size` and `extension_start`; `struct_size` is
//!   the header's `*_STRUCT_SIZE` (end of the last field, no trailing padding), computed by
//!   [`pjrt_struct!`](macros);
//! - C enums are plain integers (`i32`) here, so an unexpected value from a plugin is data,
//!   never undefined behaviour;
//! - the [`Api`] table lists every function pointer up to the last one used, in header
//!   order; unused entries are untyped placeholders.

#[macro_use]
mod macros;
mod api;
mod args_buffer;
mod args_client;
mod args_core;
mod args_exec;
#[cfg(test)]
mod layout_tests;
mod types;

pub(crate) use api::*;
pub(crate) use args_buffer::*;
pub(crate) use args_client::*;
pub(crate) use args_core::*;
pub(crate) use args_exec::*;
pub(crate) use types::*;

/// The PJRT C API major version these declarations target.
pub(crate) const API_MAJOR: i32 = 0;
/// The PJRT C API minor version of the header these declarations follow.
pub(crate) const API_MINOR: i32 = 81;
