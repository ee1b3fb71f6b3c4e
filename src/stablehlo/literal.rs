//! Literal values as MLIR text: scalars per dtype and nested dense lists.
//!
//! Finite floats are printed in the shortest decimal form that MLIR's parser maps back to the
//! same value of the target dtype (`1.5e+00`). MLIR reads a decimal as an `f64` and then
//! rounds it to the element type (to nearest even, as [`flash_ir::round`] does), so each
//! candidate is checked by taking that same path here; non-finite values, and any value the
//! check rejects, are printed as the hexadecimal bit pattern of the target dtype (`0x7F800000`
//! is +inf in f32). Integers print as integers and bools as `true`/`false`.

use half::{bf16, f16};

use flash_ir::round::{to_bf16, to_f16};
use flash_ir::{DType, Literal, TensorType};

/// A value its dtype cannot represent (see [`scalar`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BadValue(pub f64);

/// The text of one element of dtype `dtype` holding `value`.
pub fn scalar(value: f64, dtype: DType) -> Result<String, BadValue> {
    match dtype {
        DType::F64 => Ok(f64_text(value)),
        DType::F32 => Ok(f32_text(value as f32)),
        DType::BF16 => Ok(bf16_text(to_bf16(value))),
        DType::F16 => Ok(f16_text(to_f16(value))),
        DType::I32 => int_text(value, 31),
        DType::I64 => int_text(value, 63),
        DType::Bool => bool_text(value),
    }
}

/// The payload of a `dense<...>` attribute for `value` of type `ty`: one element for a
/// splat, nested bracketed lists (one level per dimension) for a dense literal. A tensor
/// without elements is written as a splat of zero: MLIR infers `[]` as shape `[0]` and
/// would reject it for any other empty shape (`tensor<0x3xf32>`).
pub fn dense(value: &Literal, ty: &TensorType) -> Result<String, BadValue> {
    if ty.num_elements() == 0 {
        return scalar(0.0, ty.dtype);
    }
    match value {
        Literal::Splat(v) => scalar(*v, ty.dtype),
        Literal::Dense(vs) => {
            let items = vs
                .iter()
                .map(|v| scalar(*v, ty.dtype))
                .collect::<Result<Vec<_>, _>>()?;
            let mut out = String::new();
            nest(&items, &ty.shape, &mut out);
            Ok(out)
        }
    }
}

/// Writes `items` (row-major) as nested lists following `shape`.
fn nest(items: &[String], shape: &[usize], out: &mut String) {
    let Some((&first, rest)) = shape.split_first() else {
        if let Some(item) = items.first() {
            out.push_str(item);
        }
        return;
    };
    let inner: usize = rest.iter().product();
    out.push('[');
    for i in 0..first {
        if i > 0 {
            out.push_str(", ");
        }
        let lo = (i * inner).min(items.len());
        let hi = ((i + 1) * inner).min(items.len());
        nest(&items[lo..hi], rest, out);
    }
    out.push(']');
}

/// Rewrites Rust's `{:e}` output (`1e0`, `-2.5e-3`) into MLIR's float literal syntax, which
/// needs a decimal point (`1.0e+00`, `-2.5e-03`).
fn mlir_float(rust_exp: &str) -> String {
    let (mantissa, exp) = rust_exp.split_once('e').unwrap_or((rust_exp, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let point = if mantissa.contains('.') { "" } else { ".0" };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}{point}e{sign}{:02}", exp.unsigned_abs())
}

/// A decimal candidate and what MLIR would read it as (an `f64`), if it parses.
fn candidate(rust_exp: String) -> (String, Option<f64>) {
    let text = mlir_float(&rust_exp);
    let parsed = text.parse::<f64>().ok();
    (text, parsed)
}

fn f64_text(x: f64) -> String {
    if !x.is_finite() {
        return format!("0x{:016X}", x.to_bits());
    }
    match candidate(format!("{x:e}")) {
        (text, Some(p)) if p.to_bits() == x.to_bits() => text,
        _ => format!("0x{:016X}", x.to_bits()),
    }
}

fn f32_text(x: f32) -> String {
    if !x.is_finite() {
        return format!("0x{:08X}", x.to_bits());
    }
    match candidate(format!("{x:e}")) {
        (text, Some(p)) if (p as f32).to_bits() == x.to_bits() => text,
        _ => format!("0x{:08X}", x.to_bits()),
    }
}

fn bf16_text(x: bf16) -> String {
    let hex = format!("0x{:04X}", x.to_bits());
    if !x.is_finite() {
        return hex;
    }
    shortest(x.to_f64(), |p| to_bf16(p).to_bits() == x.to_bits()).unwrap_or(hex)
}

fn f16_text(x: f16) -> String {
    let hex = format!("0x{:04X}", x.to_bits());
    if !x.is_finite() {
        return hex;
    }
    shortest(x.to_f64(), |p| to_f16(p).to_bits() == x.to_bits()).unwrap_or(hex)
}

/// The decimal with the fewest digits (at most 9) that `reads_back` accepts after MLIR's
/// parse to `f64`; used for the 16-bit floats, whose shortest forms Rust does not print.
fn shortest(x: f64, reads_back: impl Fn(f64) -> bool) -> Option<String> {
    (0..9).find_map(|digits| match candidate(format!("{x:.digits$e}")) {
        (text, Some(p)) if reads_back(p) => Some(text),
        _ => None,
    })
}

/// An integer in `[-2^bits, 2^bits)` (a signed integer of `bits + 1` bits); fractions,
/// non-finite and out-of-range values are rejected.
fn int_text(value: f64, bits: i32) -> Result<String, BadValue> {
    let bound = 2f64.powi(bits);
    let in_range = value >= -bound && value < bound;
    if !value.is_finite() || value.fract() != 0.0 || !in_range {
        return Err(BadValue(value));
    }
    Ok(format!("{}", value as i64))
}

fn bool_text(value: f64) -> Result<String, BadValue> {
    if value == 0.0 {
        Ok("false".into())
    } else if value == 1.0 {
        Ok("true".into())
    } else {
        Err(BadValue(value))
    }
}
