//! Reading and writing named tensors as safetensors files, with errors that name the file and
//! the tensor, written through [`crate::atomic_write`] (a failed write never leaves a
//! half-written file, and a device, FIFO or symbolic link target is not replaced).

use crate::ir::{DType, TensorType};
use crate::tensor::HostTensor;
use safetensors::tensor::{Dtype, TensorView};
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
            message: e.to_string(),
        })?;
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
                    message: e.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = safetensors::serialize(views, &metadata).map_err(|e| TensorFileError::Format {
        path: path.into(),
        message: e.to_string(),
    })?;
    write_atomically(path, &bytes).map_err(io)
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
