//! Host-side tiling: cutting a [`HostTensor`] into the piece each device of a mesh holds under
//! a [`Sharding`], and putting the pieces back together. Device `i` holds the tile
//! [`Sharding::tile_of`]`(mesh, i)`; devices that differ only along axes the sharding does
//! not use hold equal copies, and gathering reads the first device holding each tile.

use crate::ir::{Mesh, Sharding, TensorType};
use crate::tensor::HostTensor;

/// One tile of a row-major tensor: its shape and the element offset of its first element
/// along each dimension.
struct Tile<'a> {
    full: &'a [usize],
    shape: Vec<usize>,
    start: Vec<usize>,
    elem_bytes: usize,
}

impl Tile<'_> {
    /// Calls `f(full_offset, tile_offset, run_len)` (all in bytes) for each contiguous run of
    /// the tile: a run is one row of the last dimension.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        let rank = self.full.len();
        if rank == 0 {
            f(0, 0, self.elem_bytes);
            return;
        }
        let rows: usize = self.shape[..rank - 1].iter().product();
        let run = self.shape[rank - 1] * self.elem_bytes;
        let mut index = vec![0usize; rank - 1];
        for row in 0..rows {
            let within = index.iter().chain(std::iter::once(&0));
            let offset = (self.full.iter().zip(&self.start).zip(within))
                .fold(0, |acc, ((n, s), i)| acc * n + s + i);
            f(offset * self.elem_bytes, row * run, run);
            for d in (0..rank - 1).rev() {
                index[d] += 1;
                if index[d] < self.shape[d] {
                    break;
                }
                index[d] = 0;
            }
        }
    }
}

/// The tile of device `device`.
fn tile_for<'a>(ty: &'a TensorType, mesh: &Mesh, sharding: &Sharding, device: usize) -> Tile<'a> {
    let shape = sharding.shard_shape(mesh, &ty.shape);
    let start = sharding
        .tile_of(mesh, device)
        .iter()
        .zip(&shape)
        .map(|(t, n)| t * n)
        .collect();
    Tile {
        full: &ty.shape,
        shape,
        start,
        elem_bytes: ty.dtype.size_bytes(),
    }
}

/// The piece of `t` each of the mesh's devices holds, in device order. The sharding must
/// have been checked against the mesh and `t`'s shape.
pub fn split(t: &HostTensor, mesh: &Mesh, sharding: &Sharding) -> Vec<HostTensor> {
    (0..mesh.device_count())
        .map(|device| {
            let tile = tile_for(&t.ty, mesh, sharding, device);
            let ty = TensorType::new(t.ty.dtype, tile.shape.clone());
            let mut bytes = vec![0u8; ty.num_elements() * tile.elem_bytes];
            tile.for_each_run(|full, part, len| {
                bytes[part..part + len].copy_from_slice(&t.bytes[full..full + len]);
            });
            HostTensor { ty, bytes }
        })
        .collect()
}

/// The whole tensor of type `ty` from its pieces, one per device in device order (as
/// [`split`] makes them).
pub fn gather(
    ty: &TensorType,
    mesh: &Mesh,
    sharding: &Sharding,
    pieces: &[HostTensor],
) -> HostTensor {
    let mut bytes = vec![0u8; ty.num_elements() * ty.dtype.size_bytes()];
    let mut done: Vec<Vec<usize>> = Vec::new();
    for (device, piece) in pieces.iter().enumerate() {
        let coords = sharding.tile_of(mesh, device);
        if done.contains(&coords) {
            continue;
        }
        let tile = tile_for(ty, mesh, sharding, device);
        tile.for_each_run(|full, part, len| {
            bytes[full..full + len].copy_from_slice(&piece.bytes[part..part + len]);
        });
        done.push(coords);
    }
    HostTensor {
        ty: ty.clone(),
        bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::DType;

    fn iota(shape: &[usize]) -> HostTensor {
        let ty = TensorType::new(DType::F32, shape.to_vec());
        let values: Vec<f64> = (0..ty.num_elements()).map(|i| i as f64).collect();
        HostTensor::from_f64(ty, &values)
    }

    #[test]
    fn rows_and_columns_split_where_the_axes_say() {
        let mesh = Mesh::new([("data", 2), ("model", 2)]).unwrap();
        let t = iota(&[4, 6]);
        let s = Sharding {
            dims: vec![vec!["data".into()], vec!["model".into()]],
        };
        let pieces = split(&t, &mesh, &s);
        assert_eq!(pieces[0].ty.shape, vec![2, 3]);
        assert_eq!(pieces[0].to_f64(), vec![0.0, 1.0, 2.0, 6.0, 7.0, 8.0]);
        assert_eq!(pieces[1].to_f64(), vec![3.0, 4.0, 5.0, 9.0, 10.0, 11.0]);
        assert_eq!(pieces[2].to_f64(), vec![12.0, 13.0, 14.0, 18.0, 19.0, 20.0]);
        assert_eq!(gather(&t.ty, &mesh, &s, &pieces), t);
    }

    #[test]
    fn replicated_axes_copy_and_gather_round_trips() {
        let mesh = Mesh::new([("data", 2), ("model", 2)]).unwrap();
        let t = iota(&[2, 4, 2]);
        for s in [
            Sharding::replicated(3),
            Sharding::split(3, 1, "model"),
            Sharding::split(3, 0, "data"),
            Sharding {
                dims: vec![vec![], vec!["model".into(), "data".into()], vec![]],
            },
        ] {
            let pieces = split(&t, &mesh, &s);
            assert_eq!(gather(&t.ty, &mesh, &s, &pieces), t, "{s}");
        }
        let pieces = split(&t, &mesh, &Sharding::split(3, 1, "model"));
        assert_eq!(pieces[0], pieces[2]);
        let scalar = iota(&[]);
        let pieces = split(&scalar, &mesh, &Sharding::replicated(0));
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces[3], scalar);
    }
}
