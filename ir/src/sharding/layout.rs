//! GSPMD's view of a sharding: the tile assignment array, device by device, and its iota
//! form, computed once here so the emitter (`mhlo.sharding`) and the runtime (which device
//! gets which piece of a buffer) agree on the device order.

use super::{Mesh, Sharding};

/// Where each tile of a sharded value lives, in the layout of GSPMD's tile assignment
/// (`mhlo.sharding = "{devices=[...]...}"`): an array of devices of shape
/// `tiles ++ [replicas]`, whose entry at `(t_0, ..., t_{k-1}, r)` is a device holding tile
/// `(t_0, ..., t_{k-1})` (copy `r` of it). Device numbers are positions in the mesh (row-major
/// over its axes), so entry `t` holds a device `d` with `Sharding::tile_of(mesh, d) == t`; the
/// runtime places buffers in the same order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileLayout {
    /// Pieces per dimension of the value.
    pub tiles: Vec<usize>,
    /// Copies of each tile: the product of the sizes of the mesh axes no dimension uses.
    pub replicas: usize,
    /// The tile array, row-major over `tiles ++ [replicas]`.
    pub devices: Vec<usize>,
    /// The same array as XLA's iota form `<=[reshape]T(perm)`: the devices `0..n` reshaped
    /// to `reshape` and transposed by `perm` (result dim `k` is dim `perm[k]`). Mesh axes of
    /// size 1 are left out; `perm` is the identity when no axis is out of mesh order.
    pub iota: IotaDevices,
}

/// A device array as `iota(n)` reshaped and transposed (XLA's `<=[2,2]T(1,0)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IotaDevices {
    /// The shape the devices `0..n` are first reshaped to.
    pub reshape: Vec<usize>,
    /// The transpose applied next.
    pub perm: Vec<usize>,
}

impl IotaDevices {
    /// True when the transpose changes nothing (the devices are in order).
    pub fn is_identity(&self) -> bool {
        self.perm.iter().enumerate().all(|(i, &p)| i == p)
    }
}

impl TileLayout {
    /// True when every device holds the whole value (no dimension is split).
    pub fn is_replicated(&self) -> bool {
        self.tiles.iter().all(|&t| t == 1)
    }
}

impl Sharding {
    /// The GSPMD tile assignment of this sharding on `mesh` (check the sharding against the
    /// mesh first: axes the mesh lacks count as size 1 and are left out).
    pub fn tile_layout(&self, mesh: &Mesh) -> TileLayout {
        let tiles: Vec<usize> = (0..self.dims.len()).map(|d| self.parts(mesh, d)).collect();
        let used: Vec<usize> = self
            .dims
            .iter()
            .flatten()
            .filter_map(|a| mesh.axis(a).map(|(i, _)| i))
            .collect();
        let unused: Vec<usize> = (0..mesh.axes.len()).filter(|i| !used.contains(i)).collect();
        let replicas = unused.iter().map(|&i| mesh.axes[i].size).product();
        let order: Vec<usize> = used.into_iter().chain(unused).collect();
        TileLayout {
            tiles,
            replicas,
            devices: transposed_devices(mesh, &order),
            iota: iota_without_unit_axes(mesh, &order),
        }
    }
}

/// The devices of `mesh` listed row-major over its axes taken in `order`.
fn transposed_devices(mesh: &Mesh, order: &[usize]) -> Vec<usize> {
    let sizes: Vec<usize> = order.iter().map(|&i| mesh.axes[i].size).collect();
    (0..mesh.device_count())
        .map(|pos| {
            let mut coords = vec![0; mesh.axes.len()];
            let mut rest = pos;
            for (k, &size) in sizes.iter().enumerate().rev() {
                coords[order[k]] = rest % size;
                rest /= size;
            }
            coords
                .iter()
                .zip(&mesh.axes)
                .fold(0, |d, (c, a)| d * a.size + c)
        })
        .collect()
}

/// `order` as an iota transpose over the mesh's axes of size above 1.
fn iota_without_unit_axes(mesh: &Mesh, order: &[usize]) -> IotaDevices {
    let kept: Vec<usize> = (0..mesh.axes.len())
        .filter(|&i| mesh.axes[i].size > 1)
        .collect();
    let reshape = kept.iter().map(|&i| mesh.axes[i].size).collect();
    let perm = order
        .iter()
        .filter_map(|i| kept.iter().position(|k| k == i))
        .collect();
    IotaDevices { reshape, perm }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The devices of an iota form, computed the way XLA defines it: `iota(n)` reshaped to
    /// `reshape`, transposed by `perm`, flattened row-major.
    fn expand(iota: &IotaDevices) -> Vec<usize> {
        let n: usize = iota.reshape.iter().product();
        let out_shape: Vec<usize> = iota.perm.iter().map(|&p| iota.reshape[p]).collect();
        (0..n)
            .map(|pos| {
                let mut src = vec![0; iota.reshape.len()];
                let mut rest = pos;
                for k in (0..out_shape.len()).rev() {
                    src[iota.perm[k]] = rest % out_shape[k];
                    rest /= out_shape[k];
                }
                src.iter().zip(&iota.reshape).fold(0, |d, (c, s)| d * s + c)
            })
            .collect()
    }

    /// Every entry of the tile array holds a device whose tile is the entry's position.
    fn assert_consistent(s: &Sharding, mesh: &Mesh) -> TileLayout {
        let layout = s.tile_layout(mesh);
        let mut shape = layout.tiles.clone();
        shape.push(layout.replicas);
        assert_eq!(shape.iter().product::<usize>(), mesh.device_count());
        for (pos, &device) in layout.devices.iter().enumerate() {
            let mut tile = vec![0; layout.tiles.len()];
            let mut rest = pos / layout.replicas;
            for d in (0..tile.len()).rev() {
                tile[d] = rest % layout.tiles[d];
                rest /= layout.tiles[d];
            }
            assert_eq!(s.tile_of(mesh, device), tile, "{s} on {mesh}, entry {pos}");
        }
        let mut sorted = layout.devices.clone();
        sorted.sort();
        assert_eq!(sorted, (0..mesh.device_count()).collect::<Vec<_>>());
        assert_eq!(expand(&layout.iota), layout.devices, "{s} on {mesh}");
        layout
    }

    fn sharding(dims: &[&[&str]]) -> Sharding {
        Sharding {
            dims: dims
                .iter()
                .map(|axes| axes.iter().map(|a| a.to_string()).collect())
                .collect(),
        }
    }

    #[test]
    fn axes_in_mesh_order_need_no_transpose() {
        let mesh = Mesh::new([("data", 2), ("model", 2)]).unwrap();
        let l = assert_consistent(&sharding(&[&["data"], &["model"]]), &mesh);
        assert_eq!((l.tiles.clone(), l.replicas), (vec![2, 2], 1));
        assert_eq!(l.devices, vec![0, 1, 2, 3]);
        assert!(l.iota.is_identity());
        let l = assert_consistent(&sharding(&[&["data"], &[]]), &mesh);
        assert_eq!((l.tiles.clone(), l.replicas), (vec![2, 1], 2));
        assert!(l.iota.is_identity());
    }

    #[test]
    fn permuted_axes_transpose_the_device_list() {
        let mesh = Mesh::new([("data", 2), ("model", 2)]).unwrap();
        let l = assert_consistent(&sharding(&[&["model"], &[]]), &mesh);
        assert_eq!((l.tiles.clone(), l.replicas), (vec![2, 1], 2));
        assert_eq!(l.devices, vec![0, 2, 1, 3]);
        assert_eq!(l.iota.reshape, vec![2, 2]);
        assert_eq!(l.iota.perm, vec![1, 0]);
        let l = assert_consistent(&sharding(&[&["model"], &["data"]]), &mesh);
        assert_eq!(l.devices, vec![0, 2, 1, 3]);
        let l = assert_consistent(&sharding(&[&["model", "data"]]), &mesh);
        assert_eq!(l.devices, vec![0, 2, 1, 3]);
    }

    #[test]
    fn three_axes_and_unit_axes() {
        let mesh = Mesh::new([("a", 2), ("one", 1), ("b", 3), ("c", 2)]).unwrap();
        for dims in [
            &[&["c"][..], &["a"][..]][..],
            &[&["b", "a"][..], &[][..]][..],
            &[&["one"][..], &["c", "b"][..]][..],
            &[&[][..], &[][..]][..],
        ] {
            let l = assert_consistent(&sharding(dims), &mesh);
            assert_eq!(l.iota.reshape, vec![2, 3, 2]);
        }
    }
}
