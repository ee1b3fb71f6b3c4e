//! Reads the signature of a StableHLO program's `@main` function from its MLIR text: argument
//! types and names (`flash.name` attributes, else `loc("name")`), and result types. This is
//! all `flash run` needs to feed any StableHLO program, ours or anyone's. Our programs also
//! mark integer inputs whose values must stay below a bound (`flash.bound`).

use crate::ir::{DType, TensorType};
use thiserror::Error;

/// One argument of `@main`.
#[derive(Clone, Debug, PartialEq)]
pub struct Argument {
    /// Its type.
    pub ty: TensorType,
    /// Its name, if the program gives one.
    pub name: Option<String>,
    /// The exclusive upper bound of its integer values (`flash.bound = N : i64`), if any.
    pub bound: Option<u64>,
}

/// The signature of `@main`.
#[derive(Clone, Debug, PartialEq)]
pub struct Signature {
    /// Arguments in order.
    pub args: Vec<Argument>,
    /// Result types in order.
    pub results: Vec<TensorType>,
}

/// Why a signature could not be read.
#[derive(Debug, Error, PartialEq)]
#[error("line {line}: {message}")]
pub struct SignatureError {
    /// 1-based line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses the signature of the `@main` function in `text`.
pub fn parse_signature(text: &str) -> Result<Signature, SignatureError> {
    let start = text.find("@main(").ok_or_else(|| SignatureError {
        line: 1,
        message: "no function @main found (expected `func.func @main(...)`)".into(),
    })?;
    let line_of = |pos: usize| text[..pos].matches('\n').count() + 1;
    let open = start + "@main".len();
    let close = matching_paren(text, open).ok_or_else(|| SignatureError {
        line: line_of(open),
        message: "unbalanced parentheses in @main's argument list".into(),
    })?;
    let args = split_top_level(&text[open + 1..close], ',')
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            parse_argument(a).map_err(|m| SignatureError {
                line: line_of(open),
                message: m,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let results = parse_results(&text[close + 1..]).map_err(|m| SignatureError {
        line: line_of(close),
        message: m,
    })?;
    Ok(Signature { args, results })
}

fn matching_paren(text: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, c) in text[open..].char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' | '<' | '{' | '[' if !in_string => depth += 1,
            ')' | '>' | '}' | ']' if !in_string => {
                if c == '>' && text[..open + i].ends_with('-') {
                    continue;
                }
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(open + i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The type at the start of `s`: up to the `>` matching `tensor<` (nested brackets
/// included, so an error can quote the whole type), else up to the first space or comma.
fn type_text(s: &str) -> &str {
    let end = match s.find('<') {
        Some(open) if s[..open].chars().all(|c| c.is_ascii_alphanumeric()) => {
            matching_paren(s, open).map_or(s.len(), |close| close + 1)
        }
        _ => s.find([' ', ',', ')']).unwrap_or(s.len()),
    };
    &s[..end]
}

fn split_top_level(s: &str, sep: char) -> Vec<&str> {
    let (mut parts, mut depth, mut last, mut in_string) = (Vec::new(), 0i32, 0, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_string = !in_string,
            '(' | '<' | '{' | '[' if !in_string => depth += 1,
            ')' | '>' | '}' | ']' if !in_string => depth -= 1,
            c if c == sep && depth == 0 && !in_string => {
                parts.push(&s[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[last..]);
    parts
}

fn parse_argument(arg: &str) -> Result<Argument, String> {
    let colon = arg
        .find(':')
        .ok_or_else(|| format!("argument `{}` has no type", arg.trim()))?;
    let rest = arg[colon + 1..].trim_start();
    let ty = parse_tensor_type(type_text(rest))?;
    let name = quoted_after(rest, "flash.name = ").or_else(|| quoted_after(rest, "loc("));
    let bound = rest
        .find("flash.bound = ")
        .map(|at| &rest[at + "flash.bound = ".len()..])
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok());
    Ok(Argument { ty, name, bound })
}

fn quoted_after(s: &str, key: &str) -> Option<String> {
    let at = s.find(key)? + key.len();
    let body = s[at..].strip_prefix('"')?;
    Some(body[..body.find('"')?].to_string())
}

fn parse_results(after: &str) -> Result<Vec<TensorType>, String> {
    let after = after.trim_start();
    let Some(rest) = after.strip_prefix("->") else {
        return Ok(Vec::new());
    };
    let rest = rest.trim_start();
    let list = if let Some(inner) = rest.strip_prefix('(') {
        let close = matching_paren(rest, 0).ok_or("unbalanced result list")?;
        &inner[..close - 1]
    } else {
        type_text(rest)
    };
    split_top_level(list, ',')
        .into_iter()
        .filter(|r| !r.trim().is_empty())
        .map(|r| parse_tensor_type(type_text(r.trim())))
        .collect()
}

/// Parses `tensor<2x3xf32>` / `tensor<f32>` into a [`TensorType`].
pub fn parse_tensor_type(s: &str) -> Result<TensorType, String> {
    let inner = s
        .trim()
        .strip_prefix("tensor<")
        .and_then(|r| r.strip_suffix('>'))
        .ok_or_else(|| format!("`{}` is not a ranked tensor type", s.trim()))?;
    if split_top_level(inner, ',').len() > 1 {
        return Err(format!(
            "`{}`: tensor encodings are not supported (give `tensor<DIMSxTYPE>`)",
            s.trim()
        ));
    }
    let mut parts: Vec<&str> = inner.split('x').collect();
    let elem = parts.pop().unwrap_or_default();
    let dtype = DType::from_mlir_name(elem).ok_or_else(|| {
        let supported: Vec<&str> = DType::ALL.iter().map(|d| d.mlir_name()).collect();
        format!(
            "`{}`: element type `{elem}` is not supported (valid: {})",
            s.trim(),
            supported.join(", ")
        )
    })?;
    let shape = parts
        .iter()
        .map(|d| {
            d.parse::<usize>()
                .map_err(|_| format!("dimension `{d}` in `{}` is not static", s.trim()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let ty = TensorType::new(dtype, shape);
    ty.byte_count()
        .map_err(|e| format!("`{}`: {e}", s.trim()))?;
    Ok(ty)
}
