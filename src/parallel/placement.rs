//! [`Placement`]: which devices of a client one program runs on, laid out as a mesh, and the
//! moves between whole host tensors and the per-device buffers of a sharded value. One
//! device with no mesh is the ordinary case: the same code runs it, with XLA's default
//! (unpartitioned) compile options.

use super::error::ParallelError;
use super::mesh_flag::check_devices;
use super::tiles;
use crate::exec::{from_host_data, to_host_data};
use crate::ir::{Mesh, Sharding, TensorType};
#[cfg(doc)]
use crate::runtime::LoadedExecutable;
use crate::runtime::{Buffer, Client, CompileOptions, RuntimeError};
use crate::tensor::HostTensor;
use std::sync::Arc;

/// A client and the mesh of its devices one program uses (device `i` of the mesh is the
/// client's `i`-th addressable device).
#[derive(Clone)]
pub struct Placement {
    client: Arc<Client>,
    mesh: Mesh,
}

impl Placement {
    /// The client's first device alone.
    pub fn single(client: Arc<Client>) -> Placement {
        Placement {
            client,
            mesh: Mesh::default(),
        }
    }

    /// The first `mesh.device_count()` devices of `client`, laid out as `mesh`; `None`
    /// is [`Placement::single`].
    pub fn new(client: Arc<Client>, mesh: Option<&Mesh>) -> Result<Placement, ParallelError> {
        let Some(mesh) = mesh else {
            return Ok(Placement::single(client));
        };
        check_devices(mesh, client.devices().len())?;
        Ok(Placement {
            client,
            mesh: mesh.clone(),
        })
    }

    /// The client.
    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The mesh, or `None` on one device without one.
    pub fn mesh(&self) -> Option<&Mesh> {
        (!self.mesh.axes.is_empty()).then_some(&self.mesh)
    }

    /// How many devices the program runs on.
    pub fn device_count(&self) -> usize {
        self.mesh.device_count()
    }

    /// XLA's compile options: SPMD-partitioned over the mesh's devices, or the default.
    pub fn compile_options(&self) -> Result<CompileOptions, RuntimeError> {
        if self.mesh().is_none() {
            return Ok(CompileOptions::default());
        }
        let ids = (self.client.devices().iter().take(self.device_count()))
            .map(|d| i64::from(d.id()))
            .collect();
        CompileOptions::spmd(self.device_count(), ids)
    }

    /// Uploads each device's piece of `t` (replicated when `sharding` is `None`), in
    /// device order.
    pub fn upload(
        &self,
        t: &HostTensor,
        sharding: Option<&Sharding>,
    ) -> Result<Vec<Buffer>, RuntimeError> {
        let devices: Vec<_> = self
            .client
            .devices()
            .iter()
            .take(self.device_count())
            .collect();
        let Some(sharding) = sharding.filter(|s| !s.is_replicated()) else {
            // Whole on every device: no pieces to cut, one host copy.
            let data = to_host_data(t)?;
            return devices
                .iter()
                .map(|d| self.client.upload(&data, d))
                .collect();
        };
        let pieces = tiles::split(t, &self.mesh, sharding);
        (pieces.iter().zip(devices))
            .map(|(piece, device)| self.client.upload(&to_host_data(piece)?, device))
            .collect()
    }

    /// Uploads several tensors, each with its sharding, as per-device argument lists
    /// (`[device][tensor]`, the order [`LoadedExecutable::execute_sharded`] takes).
    pub fn upload_args(
        &self,
        tensors: &[(&HostTensor, Option<&Sharding>)],
    ) -> Result<Vec<Vec<Buffer>>, RuntimeError> {
        let mut lists: Vec<Vec<Buffer>> = (0..self.device_count()).map(|_| Vec::new()).collect();
        for (t, sharding) in tensors {
            for (list, buffer) in lists.iter_mut().zip(self.upload(t, *sharding)?) {
                list.push(buffer);
            }
        }
        Ok(lists)
    }

    /// The whole host tensor of type `ty` from its per-device buffers.
    pub fn download(
        &self,
        ty: &TensorType,
        sharding: Option<&Sharding>,
        shards: &[&Buffer],
    ) -> Result<HostTensor, RuntimeError> {
        let replicated = Sharding::replicated(ty.shape.len());
        let sharding = sharding.unwrap_or(&replicated);
        if sharding.is_replicated() {
            return from_host_data(shards[0].to_host()?);
        }
        let pieces = shards
            .iter()
            .map(|b| from_host_data(b.to_host()?))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(tiles::gather(ty, &self.mesh, sharding, &pieces))
    }
}
