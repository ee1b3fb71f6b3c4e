//! Running StableHLO programs on a PJRT client with host tensors: conversion between
//! [`HostTensor`] and the runtime's [`HostData`], upload, execution and download.

use crate::ir::{DType, TensorType};
use crate::runtime::{Client, ElementType, HostData, LoadedExecutable, RuntimeError};
use crate::target::{Target, TargetOf};
use crate::tensor::{check_available_memory, HostTensor, TensorError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The runtime element type of an IR dtype.
pub fn element_type(d: DType) -> ElementType {
    match d {
        DType::F32 => ElementType::F32,
        DType::F64 => ElementType::F64,
        DType::BF16 => ElementType::Bf16,
        DType::F16 => ElementType::F16,
        DType::I32 => ElementType::S32,
        DType::I64 => ElementType::S64,
        DType::Bool => ElementType::Pred,
    }
}

/// The IR dtype of a runtime element type, if the IR has one.
pub fn dtype_of(e: ElementType) -> Option<DType> {
    DType::ALL.into_iter().find(|&d| element_type(d) == e)
}

/// Host tensor to runtime host data.
pub fn to_host_data(t: &HostTensor) -> Result<HostData, RuntimeError> {
    let dims: Vec<i64> = t.ty.shape.iter().map(|&d| d as i64).collect();
    HostData::new(element_type(t.ty.dtype), &dims, t.bytes.clone())
}

/// Runtime host data to a host tensor.
pub fn from_host_data(h: HostData) -> Result<HostTensor, RuntimeError> {
    let dtype =
        dtype_of(h.ty).ok_or(RuntimeError::UnsupportedElementType { raw: h.ty.to_raw() })?;
    let shape = h.dims.iter().map(|&d| d as usize).collect::<Vec<_>>();
    Ok(HostTensor {
        ty: TensorType::new(dtype, shape),
        bytes: h.bytes,
    })
}

/// A compiled program and how long XLA took to compile it.
pub struct Compiled {
    /// The executable (shared with the client's cache).
    pub executable: Arc<LoadedExecutable>,
    /// XLA's compile time (wall clock around the PJRT call; near zero on a cache hit).
    pub compile_time: Duration,
}

/// Compiles StableHLO text on `client`.
pub fn compile(client: &Client, mlir: &str) -> Result<Compiled, RuntimeError> {
    let start = Instant::now();
    let executable = client.compile(mlir)?;
    Ok(Compiled {
        executable,
        compile_time: start.elapsed(),
    })
}

/// Refuses to run `exe` on a CPU client when the memory its compiled statistics ask for
/// (arguments, outputs and temporaries, less what outputs reuse) is more than the system has
/// available: XLA would otherwise fail inside the plugin (a `bad_alloc` that aborts the
/// process) or be killed by the out-of-memory killer. Other platforms' memory is the device's
/// and is not checked here. Plugins without the statistics pass. A program partitioned over
/// several CPU devices needs its (per-device) figures once per device.
pub fn check_memory(client: &Client, exe: &LoadedExecutable) -> Result<(), TensorError> {
    if Target::of(client) != Target::Cpu {
        return Ok(());
    }
    let Ok(Some(m)) = exe.memory_stats() else {
        return Ok(());
    };
    let part = |device: i64, host: i64| device.max(host).max(0) as u128;
    let needed = part(m.argument_bytes, m.host_argument_bytes)
        + part(m.output_bytes, m.host_output_bytes)
        + part(m.temp_bytes, m.host_temp_bytes)
        - part(m.alias_bytes, m.host_alias_bytes).min(part(m.output_bytes, m.host_output_bytes));
    let devices = exe.devices().len().max(1) as u128;
    check_available_memory(
        needed * devices,
        "the program's arguments, outputs and temporaries",
    )
}

/// Uploads `inputs`, runs `exe` once on the default device and downloads every output.
pub fn execute(
    client: &Client,
    exe: &LoadedExecutable,
    inputs: &[HostTensor],
) -> Result<Vec<HostTensor>, RuntimeError> {
    let device = client.default_device()?;
    let buffers = inputs
        .iter()
        .map(|t| client.upload(&to_host_data(t)?, device))
        .collect::<Result<Vec<_>, _>>()?;
    let refs: Vec<_> = buffers.iter().collect();
    exe.execute(&refs)?
        .iter()
        .map(|b| from_host_data(b.to_host()?))
        .collect()
}

/// Compiles and runs `mlir` once.
pub fn run_mlir(
    client: &Client,
    mlir: &str,
    inputs: &[HostTensor],
) -> Result<Vec<HostTensor>, RuntimeError> {
    let compiled = compile(client, mlir)?;
    execute(client, &compiled.executable, inputs)
}
