//! Device meshes and shardings: how a program's values are split over devices.
//!
//! A [`Mesh`] names axes with sizes (`data=2, model=2`); its devices are numbered row-major
//! over the axes (the last axis varies fastest), device `i` being the `i`-th device of the
//! program's device assignment. A [`Sharding`] says, per tensor dimension, which mesh axes
//! split it (major to minor); a dimension with no axes is whole on every device, and a mesh
//! axis used by no dimension replicates the value along that axis. XLA's SPMD partitioner
//! reads these annotations and inserts the collectives; nothing here moves data.

use std::fmt;

mod layout;
pub use layout::{IotaDevices, TileLayout};

/// One named mesh axis.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MeshAxis {
    /// The axis name: an identifier (`data`, `model`).
    pub name: String,
    /// The number of devices along it; at least 1.
    pub size: usize,
}

/// A logical device mesh: axes in order, devices numbered row-major over them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Mesh {
    /// The axes, major to minor.
    pub axes: Vec<MeshAxis>,
}

/// A mesh that is not well formed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MeshError {
    /// An axis name is not an identifier.
    #[error("mesh axis name `{0}` is not an identifier (letters, digits and `_`, not starting with a digit)")]
    BadName(String),
    /// An axis has size 0.
    #[error("mesh axis `{0}` has size 0; sizes are at least 1")]
    ZeroSize(String),
    /// An axis name appears twice.
    #[error("mesh axis `{0}` appears twice")]
    Duplicate(String),
    /// The device count is above [`MAX_MESH_DEVICES`].
    #[error(
        "the mesh has too many devices: the product of its axis sizes is above {MAX_MESH_DEVICES} \
         (a program's device count, mhlo.num_partitions, is an i32)"
    )]
    TooLarge,
}

/// A sharding that does not fit its mesh or value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardingError {
    /// The sharding lists a different number of dimensions than the value has.
    #[error("sharding {sharding} has {got} dimensions but the value has rank {rank}")]
    Rank {
        /// The sharding.
        sharding: Sharding,
        /// Its dimension count.
        got: usize,
        /// The value's rank.
        rank: usize,
    },
    /// An axis is not in the mesh.
    #[error("sharding {sharding} names axis `{axis}`, which the mesh {mesh} does not have")]
    UnknownAxis {
        /// The sharding.
        sharding: Sharding,
        /// The unknown axis.
        axis: String,
        /// The mesh.
        mesh: Mesh,
    },
    /// An axis is used twice.
    #[error("sharding {sharding} uses axis `{axis}` twice")]
    RepeatedAxis {
        /// The sharding.
        sharding: Sharding,
        /// The repeated axis.
        axis: String,
    },
    /// A dimension's size is not a multiple of the devices splitting it.
    #[error(
        "dimension {dim} of size {size} is split {parts} ways by {axes}, which does not divide it"
    )]
    Indivisible {
        /// The dimension.
        dim: usize,
        /// Its size.
        size: usize,
        /// The product of the sizes of the axes splitting it.
        parts: usize,
        /// The axes, as written (`{data}`).
        axes: String,
    },
}

/// The most devices a mesh may have: a program's device count (`mhlo.num_partitions`) and
/// device ids are `i32`s in StableHLO and PJRT.
pub const MAX_MESH_DEVICES: usize = i32::MAX as usize;

impl Mesh {
    /// A mesh from `(name, size)` pairs, checked.
    pub fn new<S: Into<String>>(
        axes: impl IntoIterator<Item = (S, usize)>,
    ) -> Result<Mesh, MeshError> {
        let mesh = Mesh {
            axes: axes
                .into_iter()
                .map(|(name, size)| MeshAxis {
                    name: name.into(),
                    size,
                })
                .collect(),
        };
        mesh.check()?;
        Ok(mesh)
    }

    /// Checks names (identifiers, unique) and sizes (at least 1, product fits).
    pub fn check(&self) -> Result<(), MeshError> {
        for (i, a) in self.axes.iter().enumerate() {
            if !is_identifier(&a.name) {
                return Err(MeshError::BadName(a.name.clone()));
            }
            if a.size == 0 {
                return Err(MeshError::ZeroSize(a.name.clone()));
            }
            if self.axes[..i].iter().any(|b| b.name == a.name) {
                return Err(MeshError::Duplicate(a.name.clone()));
            }
        }
        self.axes
            .iter()
            .try_fold(1usize, |n, a| n.checked_mul(a.size))
            .filter(|&n| n <= MAX_MESH_DEVICES)
            .ok_or(MeshError::TooLarge)?;
        Ok(())
    }

    /// The number of devices (the product of the axis sizes; 1 for no axes).
    pub fn device_count(&self) -> usize {
        self.axes.iter().map(|a| a.size).product()
    }

    /// The axis called `name`, with its position.
    pub fn axis(&self, name: &str) -> Option<(usize, &MeshAxis)> {
        self.axes.iter().enumerate().find(|(_, a)| a.name == name)
    }

    /// The size of axis `name` (1 when the mesh has no such axis).
    pub fn size_of(&self, name: &str) -> usize {
        self.axis(name).map_or(1, |(_, a)| a.size)
    }

    /// The coordinates of device `device` along each axis (row-major, last axis fastest).
    pub fn coords(&self, device: usize) -> Vec<usize> {
        let mut rest = device;
        let mut coords = vec![0; self.axes.len()];
        for (i, a) in self.axes.iter().enumerate().rev() {
            coords[i] = rest % a.size;
            rest /= a.size;
        }
        coords
    }
}

impl fmt::Display for Mesh {
    /// `data=2, model=2` (the text form and the CLI's `--mesh` use this spelling).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.axes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={}", a.name, a.size)?;
        }
        Ok(())
    }
}

/// How one value is split over a mesh: the axes splitting each dimension, major to minor.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sharding {
    /// One entry per dimension of the value; an empty entry leaves the dimension whole.
    pub dims: Vec<Vec<String>>,
}

impl Sharding {
    /// Whole on every device, for a value of rank `rank`.
    pub fn replicated(rank: usize) -> Sharding {
        Sharding {
            dims: vec![Vec::new(); rank],
        }
    }

    /// Split along dimension `dim` by axis `axis`, whole along the others.
    pub fn split(rank: usize, dim: usize, axis: &str) -> Sharding {
        let mut s = Sharding::replicated(rank);
        s.dims[dim].push(axis.to_string());
        s
    }

    /// True when no dimension is split.
    pub fn is_replicated(&self) -> bool {
        self.dims.iter().all(Vec::is_empty)
    }

    /// Checks the sharding against a value of shape `shape` on `mesh`: rank, known and
    /// unrepeated axes, and dimensions divisible by the devices splitting them.
    pub fn check(&self, mesh: &Mesh, shape: &[usize]) -> Result<(), ShardingError> {
        if self.dims.len() != shape.len() {
            return Err(ShardingError::Rank {
                sharding: self.clone(),
                got: self.dims.len(),
                rank: shape.len(),
            });
        }
        let mut seen: Vec<&str> = Vec::new();
        for (dim, axes) in self.dims.iter().enumerate() {
            for axis in axes {
                if mesh.axis(axis).is_none() {
                    return Err(ShardingError::UnknownAxis {
                        sharding: self.clone(),
                        axis: axis.clone(),
                        mesh: mesh.clone(),
                    });
                }
                if seen.contains(&axis.as_str()) {
                    return Err(ShardingError::RepeatedAxis {
                        sharding: self.clone(),
                        axis: axis.clone(),
                    });
                }
                seen.push(axis);
            }
            let parts = self.parts(mesh, dim);
            if !shape[dim].is_multiple_of(parts) {
                return Err(ShardingError::Indivisible {
                    dim,
                    size: shape[dim],
                    parts,
                    axes: dim_text(axes),
                });
            }
        }
        Ok(())
    }

    /// Into how many pieces dimension `dim` is split (the product of its axes' sizes).
    pub fn parts(&self, mesh: &Mesh, dim: usize) -> usize {
        self.dims[dim].iter().map(|a| mesh.size_of(a)).product()
    }

    /// The shape of one device's piece of a value of shape `shape`.
    pub fn shard_shape(&self, mesh: &Mesh, shape: &[usize]) -> Vec<usize> {
        shape
            .iter()
            .enumerate()
            .map(|(d, &n)| n / self.parts(mesh, d))
            .collect()
    }

    /// Which piece of each dimension device `device` holds (its tile coordinates).
    pub fn tile_of(&self, mesh: &Mesh, device: usize) -> Vec<usize> {
        let coords = mesh.coords(device);
        self.dims
            .iter()
            .map(|axes| {
                // An axis the mesh lacks (refused by `check`) splits nothing.
                axes.iter().fold(0, |tile, a| match mesh.axis(a) {
                    Some((i, axis)) => tile * axis.size + coords[i],
                    None => tile,
                })
            })
            .collect()
    }
}

impl fmt::Display for Sharding {
    /// `[{data}, {}]`: per dimension, the axes splitting it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, axes) in self.dims.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&dim_text(axes))?;
        }
        f.write_str("]")
    }
}

/// `{data, model}` for one dimension.
fn dim_text(axes: &[String]) -> String {
    format!("{{{}}}", axes.join(", "))
}

/// Letters, digits and `_`, not starting with a digit.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mesh22() -> Mesh {
        Mesh::new([("data", 2), ("model", 2)]).unwrap()
    }

    #[test]
    fn devices_are_row_major_over_the_axes() {
        let m = mesh22();
        assert_eq!(m.device_count(), 4);
        assert_eq!(m.coords(1), vec![0, 1]);
        assert_eq!(m.coords(2), vec![1, 0]);
        assert_eq!(m.to_string(), "data=2, model=2");
    }

    #[test]
    fn tiles_follow_the_axes_of_each_dimension() {
        let m = mesh22();
        let s = Sharding {
            dims: vec![vec!["model".into()], vec![]],
        };
        s.check(&m, &[8, 3]).unwrap();
        assert_eq!(s.shard_shape(&m, &[8, 3]), vec![4, 3]);
        let tiles: Vec<_> = (0..4).map(|d| s.tile_of(&m, d)).collect();
        assert_eq!(tiles, vec![vec![0, 0], vec![1, 0], vec![0, 0], vec![1, 0]]);
        let both = Sharding {
            dims: vec![vec!["data".into(), "model".into()]],
        };
        let tiles: Vec<_> = (0..4).map(|d| both.tile_of(&m, d)[0]).collect();
        assert_eq!(tiles, vec![0, 1, 2, 3]);
        assert_eq!(both.to_string(), "[{data, model}]");
    }

    #[test]
    fn bad_meshes_and_shardings_are_refused() {
        assert!(matches!(
            Mesh::new([("data", 0)]),
            Err(MeshError::ZeroSize(_))
        ));
        assert!(matches!(
            Mesh::new([("a", 2), ("a", 2)]),
            Err(MeshError::Duplicate(_))
        ));
        assert!(matches!(Mesh::new([("1x", 2)]), Err(MeshError::BadName(_))));
        let big = [("data", 65536), ("model", 32768)];
        assert!(matches!(Mesh::new(big), Err(MeshError::TooLarge)));
        assert!(Mesh::new([("data", 65536), ("model", 32767)]).is_ok());
        let m = Mesh::new([("data", 4)]).unwrap();
        let err = Sharding::split(2, 0, "data")
            .check(&m, &[6, 2])
            .unwrap_err();
        assert!(err.to_string().contains("size 6 is split 4 ways"), "{err}");
        let err = Sharding::split(1, 0, "model").check(&m, &[8]).unwrap_err();
        assert!(matches!(err, ShardingError::UnknownAxis { .. }), "{err}");
        let err = Sharding::replicated(1).check(&m, &[8, 8]).unwrap_err();
        assert!(matches!(err, ShardingError::Rank { .. }), "{err}");
    }
}
