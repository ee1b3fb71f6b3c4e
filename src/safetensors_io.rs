//! Reading and writing named tensors as safetensors files, with errors that name the file and
//! the tensor, written through [`crate::atomic_write`] (a failed write never leaves a
//! half-written file, and a device, FIFO or symbolic link target is not replaced).

use crate::ir::{DType, TensorType};
use crate::tensor::HostTensor;
use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensorError;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A safetensors problem, naming the file and, where it applies, the tensor.
#[derive(Debug, Error)]
pub enum TensorFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid safetensors.
    #[error("{path}: not a valid safetensors file: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        message: String,
    },
    /// A tensor has a dtype this project does not use.
    #[error("{path}: tensor {name:?} has unsupported dtype {dtype}")]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its dtype as safetensors names it.
        dtype: String,
    },
    /// A required tensor is absent.
    #[error("{path}: no tensor named {name} (the file has: {available})")]
    Missing {
        /// The file.
        path: PathBuf,
        /// The missing name and its alternatives, quoted.
        name: String,
        /// Names present in the file.
        available: String,
    },
    /// A tensor has the wrong dtype or shape.
    #[error("{path}: tensor {name:?} is {found} but {expected} is expected")]
    WrongType {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its type in the file.
        found: TensorType,
        /// The type the program needs.
        expected: TensorType,
    },
}

/// What a safetensors error means, in words (the library prints its variant names).
pub fn describe_safetensors_error(e: &SafeTensorError) -> String {
    use SafeTensorError as E;
    match e {
        E::InvalidHeader => "the header is not UTF-8 text".into(),
        E::InvalidHeaderStart => "the header does not start with `{`".into(),
        E::InvalidHeaderDeserialization => "the header is not valid JSON".into(),
        E::JsonError(e) => format!("the header is not valid JSON: {e}"),
        E::HeaderTooLarge => "the header is larger than 100 MB".into(),
        E::HeaderTooSmall => "the file is shorter than the 8-byte header length".into(),
        E::InvalidHeaderLength => "the header length is larger than the file".into(),
        E::TensorNotFound(name) => format!("no tensor named {name:?}"),
        E::TensorInvalidInfo => "a tensor's shape, dtype and offsets disagree".into(),
        E::InvalidOffset(name) => format!("tensor {name:?} has invalid data offsets"),
        E::IoError(e) => e.to_string(),
        E::InvalidTensorView(dtype, shape, len) => {
            format!("{len} bytes do not hold a {dtype:?} tensor of shape {shape:?}")
        }
        E::MetadataIncompleteBuffer => {
            "the tensors' data offsets do not cover the data (truncated or padded file)".into()
        }
        E::ValidationOverflow => "a tensor's shape or size overflows".into(),
    }
}

/// The tensor names of a safetensors header in file order (duplicates kept), if the header
/// parses as a JSON object (`__metadata__` left out).
fn header_keys(bytes: &[u8]) -> Option<Vec<String>> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a JSON object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut m: A,
                ) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(Visit)
        }
    }
    let len = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
    let header = bytes.get(8..8usize.checked_add(len)?)?;
    let Keys(keys) = serde_json::from_slice(header).ok()?;
    Some(keys.into_iter().filter(|k| k != "__metadata__").collect())
}

/// Fails if the header of `bytes` names a tensor twice (the library keeps the last).
fn check_unique_keys(path: &Path, bytes: &[u8]) -> Result<(), TensorFileError> {
    let mut keys = header_keys(bytes).unwrap_or_default();
    keys.sort();
    match keys.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(TensorFileError::Format {
            path: path.into(),
            message: format!("the header names tensor {:?} twice", w[0]),
        }),
        None => Ok(()),
    }
}

/// Named tensors in file order.
pub type NamedTensors = Vec<(String, HostTensor)>;

fn to_st_dtype(d: DType) -> Dtype {
    match d {
        DType::F32 => Dtype::F32,
        DType::F64 => Dtype::F64,
        DType::BF16 => Dtype::BF16,
        DType::F16 => Dtype::F16,
        DType::I32 => Dtype::I32,
        DType::I64 => Dtype::I64,
        DType::Bool => Dtype::BOOL,
    }
}

fn from_st_dtype(d: Dtype) -> Option<DType> {
    DType::ALL
        .into_iter()
        .find(|&dtype| to_st_dtype(dtype) == d)
}

/// Reads every tensor of a safetensors file.
pub fn read_tensors(path: &Path) -> Result<NamedTensors, TensorFileError> {
    let bytes = std::fs::read(path).map_err(|source| TensorFileError::Io {
        path: path.into(),
        source,
    })?;
    let st =
        safetensors::SafeTensors::deserialize(&bytes).map_err(|e| TensorFileError::Format {
            path: path.into(),
            message: describe_safetensors_error(&e),
        })?;
    check_unique_keys(path, &bytes)?;
    let mut out = Vec::new();
    for (name, view) in st.tensors() {
        let dtype =
            from_st_dtype(view.dtype()).ok_or_else(|| TensorFileError::UnsupportedDtype {
                path: path.into(),
                name: name.clone(),
                dtype: format!("{:?}", view.dtype()),
            })?;
        let ty = TensorType::new(dtype, view.shape().to_vec());
        out.push((
            name,
            HostTensor {
                ty,
                bytes: view.data().to_vec(),
            },
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Writes tensors to `path` atomically (temporary file in the same folder, then rename).
pub fn write_tensors(
    path: &Path,
    tensors: &[(String, HostTensor)],
    metadata: Option<std::collections::HashMap<String, String>>,
) -> Result<(), TensorFileError> {
    let io = |source| TensorFileError::Io {
        path: path.into(),
        source,
    };
    let views = tensors
        .iter()
        .map(|(n, t)| {
            TensorView::new(to_st_dtype(t.ty.dtype), t.ty.shape.clone(), &t.bytes)
                .map(|v| (n.clone(), v))
                .map_err(|e| TensorFileError::Format {
                    path: path.into(),
                    message: describe_safetensors_error(&e),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = safetensors::serialize(views, &metadata)
        .map_err(|e| describe_safetensors_error(&e))
        .and_then(sorted_header)
        .map_err(|message| TensorFileError::Format {
            path: path.into(),
            message,
        })?;
    write_atomically(path, &bytes).map_err(io)
}

/// A safetensors header with its entries in a fixed order.
#[derive(serde::Serialize, serde::Deserialize)]
struct SortedHeader {
    #[serde(
        rename = "__metadata__",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    metadata: Option<std::collections::BTreeMap<String, String>>,
    #[serde(flatten)]
    tensors: std::collections::BTreeMap<String, serde_json::Value>,
}

/// `file` (serialized safetensors) with its header's metadata and tensors sorted by name, so
/// the same tensors and metadata always give the same bytes (the `safetensors` crate writes
/// the metadata in hash-map order).
fn sorted_header(file: Vec<u8>) -> Result<Vec<u8>, String> {
    let malformed = || "the serialized header is malformed".to_string();
    let len_bytes: [u8; 8] = file
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(malformed)?;
    let start = usize::try_from(u64::from_le_bytes(len_bytes))
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= file.len())
        .ok_or_else(malformed)?;
    let header: SortedHeader =
        serde_json::from_slice(&file[8..start]).map_err(|e| e.to_string())?;
    let mut text = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    text.resize(text.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + text.len() + file.len() - start);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&file[start..]);
    Ok(out)
}

/// The one output-file writer, re-exported where it was first defined (see
/// [`crate::atomic_write`]).
pub use crate::atomic_write::write_atomically;

/// Picks the tensor for a program argument: by any of `names` (tried in order), checking its
/// type against `expected`.
pub fn take_input(
    path: &Path,
    tensors: &NamedTensors,
    names: &[String],
    expected: &TensorType,
) -> Result<HostTensor, TensorFileError> {
    let found = names
        .iter()
        .find_map(|n| tensors.iter().find(|(k, _)| k == n));
    let Some((name, t)) = found else {
        let available: Vec<&str> = tensors.iter().map(|(k, _)| k.as_str()).collect();
        return Err(TensorFileError::Missing {
            path: path.into(),
            name: names
                .iter()
                .map(|n| format!("{n:?}"))
                .collect::<Vec<_>>()
                .join(" or "),
            available: if available.is_empty() {
                "nothing".into()
            } else {
                available.join(", ")
            },
        });
    };
    if &t.ty != expected {
        return Err(TensorFileError::WrongType {
            path: path.into(),
            name: name.clone(),
            found: t.ty.clone(),
            expected: expected.clone(),
        });
    }
    Ok(t.clone())
}
