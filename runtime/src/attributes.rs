//! Plugin attributes (`PJRT_Plugin_Attributes`): named values such as `xla_version` and
//! `stablehlo_current_version`, copied out of the plugin into owned Rust values.

use crate::api::{string_from, Api};
use crate::error::Result;
use crate::ffi::{self, named_value_type as nv};

/// The value of one plugin attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
    /// A 64-bit integer.
    Int64(i64),
    /// A list of 64-bit integers (e.g. a version `[1, 13, 3]`).
    Int64List(Vec<i64>),
    /// A 32-bit float.
    Float(f32),
}

/// Reads all attributes of a plugin, in the plugin's order. Values of a type this crate
/// does not know are left out.
pub(crate) fn read(api: Api) -> Result<Vec<(String, AttrValue)>> {
    let mut args = ffi::PluginAttributesArgs::default();
    pjrt_call!(api, PJRT_Plugin_Attributes, &mut args)?;
    if args.attributes.is_null() {
        return Ok(Vec::new());
    }
    // SAFETY: the plugin returned `num_attributes` values that live for the whole process.
    let values = unsafe { std::slice::from_raw_parts(args.attributes, args.num_attributes) };
    Ok(values.iter().filter_map(convert).collect())
}

/// Copies one named value; `None` for an unknown value type.
fn convert(v: &ffi::NamedValue) -> Option<(String, AttrValue)> {
    // SAFETY: the plugin guarantees `name` has `name_size` bytes, and the union member read
    // is the one `value_type` selects, with `value_size` elements for strings and lists.
    unsafe {
        let name = string_from(v.name, v.name_size);
        let value = match v.value_type {
            nv::STRING => AttrValue::String(string_from(v.value.string_value, v.value_size)),
            nv::INT64 => AttrValue::Int64(v.value.int64_value),
            nv::INT64_LIST => AttrValue::Int64List(list(v.value.int64_array_value, v.value_size)),
            nv::FLOAT => AttrValue::Float(v.value.float_value),
            nv::BOOL => AttrValue::Bool(v.value.bool_value),
            _ => return None,
        };
        Some((name, value))
    }
}

/// Copies an `int64_t` array; null gives an empty list.
///
/// # Safety
/// `ptr` must be null or point to `len` readable values.
unsafe fn list(ptr: *const i64, len: usize) -> Vec<i64> {
    if ptr.is_null() {
        return Vec::new();
    }
    std::slice::from_raw_parts(ptr, len).to_vec()
}
