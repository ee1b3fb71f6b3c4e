//! Running compiled programs (`PJRT_LoadedExecutable_Execute`) on all of their devices at
//! once: one argument list per device in, one output list per device out. A one-device
//! call is the same call with one list.
//!
//! An SPMD program compiled for `n` partitions runs on the `n` devices of
//! [`LoadedExecutable::devices`]; list `d` holds the arguments of device `d` in that
//! order, each a buffer on that device holding that device's shard (the per-device shape:
//! a `[8, 4]` input split 4 ways over its rows is a `[2, 4]` buffer on every device; a
//! replicated input is the whole array on every device). Outputs come back the same way.
//!
//! # Donation
//! A program may donate an input buffer to an output (an argument attribute
//! `tf.aliasing_output = N : i32`, or `jax.buffer_donor = true`). After such a call the
//! donated input [`Buffer`] is deleted, on every device: PJRT reports an error (never a
//! crash) if it is read again, and [`Buffer::is_deleted`] says so. Use
//! [`LoadedExecutable::execute_donating`] (or `execute_sharded_donating`) to hand the inputs
//! over by value so they cannot be touched afterwards, or list inputs in
//! [`ExecuteOptions::non_donatable_input_indices`] to keep them (XLA then copies).

use crate::buffer::Buffer;
use crate::error::{Result, RuntimeError};
use crate::event::await_and_destroy;
use crate::executable::LoadedExecutable;
use crate::ffi;
use std::ptr;
use std::sync::Arc;

/// Per-call execution options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecuteOptions {
    /// Inputs that must not be donated even if the program asks for it (indices into
    /// each device's argument list).
    pub non_donatable_input_indices: Vec<i64>,
}

impl LoadedExecutable {
    /// Runs a one-device program and waits for it to finish. Inputs the program donates
    /// are deleted afterwards (see the module docs).
    pub fn execute(&self, args: &[&Buffer]) -> Result<Vec<Buffer>> {
        self.execute_with(args, &ExecuteOptions::default())
    }

    /// Runs a one-device program, taking the inputs by value: donated or not, they are
    /// released when the call returns, so a donated buffer can never be used again.
    pub fn execute_donating(&self, args: Vec<Buffer>) -> Result<Vec<Buffer>> {
        let mut outputs = self.execute_sharded_donating(vec![args])?;
        Ok(outputs.pop().unwrap_or_default())
    }

    /// Runs a one-device program with explicit options and waits for it to finish.
    pub fn execute_with(&self, args: &[&Buffer], options: &ExecuteOptions) -> Result<Vec<Buffer>> {
        let mut outputs = self.execute_sharded(&[args.to_vec()], options)?;
        Ok(outputs.pop().unwrap_or_default())
    }

    /// Runs the program on all of its devices and waits for every one. `args[d]` are the
    /// arguments of device `d` of [`LoadedExecutable::devices`], each a buffer on that
    /// device; the result's `[d]` are that device's outputs.
    pub fn execute_sharded(
        &self,
        args: &[Vec<&Buffer>],
        options: &ExecuteOptions,
    ) -> Result<Vec<Vec<Buffer>>> {
        self.check_arguments(args)?;
        let inputs: Vec<Vec<*mut ffi::Buffer>> = args
            .iter()
            .map(|list| list.iter().map(|b| b.raw()).collect())
            .collect();
        let input_lists: Vec<*const *mut ffi::Buffer> =
            inputs.iter().map(|list| list.as_ptr()).collect();
        let mut outputs = vec![vec![ptr::null_mut(); self.num_outputs()]; args.len()];
        let output_lists: Vec<*mut *mut ffi::Buffer> =
            outputs.iter_mut().map(|list| list.as_mut_ptr()).collect();
        let mut done: Vec<*mut ffi::Event> = vec![ptr::null_mut(); args.len()];
        let mut opts = ffi::ExecuteOptions {
            non_donatable_input_indices: options.non_donatable_input_indices.as_ptr(),
            num_non_donatable_input_indices: options.non_donatable_input_indices.len(),
            ..Default::default()
        };
        let mut call = ffi::LoadedExecutableExecuteArgs {
            executable: self.raw(),
            options: &mut opts,
            argument_lists: input_lists.as_ptr(),
            num_devices: args.len(),
            num_args: args.first().map_or(0, Vec::len),
            output_lists: output_lists.as_ptr(),
            device_complete_events: done.as_mut_ptr(),
            ..Default::default()
        };
        let api = self.client().api();
        pjrt_call!(api, PJRT_LoadedExecutable_Execute, &mut call)?;
        let results = outputs
            .into_iter()
            .map(|list| self.take_outputs(list))
            .collect();
        // Every event is awaited and freed; the first error is reported.
        let call = "PJRT_LoadedExecutable_Execute";
        let waited: Vec<Result<()>> = done
            .into_iter()
            .map(|e| await_and_destroy(api, e, call))
            .collect();
        waited.into_iter().collect::<Result<()>>()?;
        Ok(results)
    }

    /// [`LoadedExecutable::execute_sharded`] taking the inputs by value (see
    /// [`LoadedExecutable::execute_donating`]).
    pub fn execute_sharded_donating(&self, args: Vec<Vec<Buffer>>) -> Result<Vec<Vec<Buffer>>> {
        let refs: Vec<Vec<&Buffer>> = args.iter().map(|list| list.iter().collect()).collect();
        self.execute_sharded(&refs, &ExecuteOptions::default())
    }

    /// Wraps one device's output pointers.
    fn take_outputs(&self, list: Vec<*mut ffi::Buffer>) -> Vec<Buffer> {
        list.into_iter()
            .filter(|p| !p.is_null())
            .map(|p| Buffer::from_raw(p, self.client().clone()))
            .collect()
    }

    /// Checks one equally long argument list per device, each buffer of this client and
    /// on its list's device.
    fn check_arguments(&self, args: &[Vec<&Buffer>]) -> Result<()> {
        let devices = self.devices();
        if args.len() != devices.len() {
            return Err(RuntimeError::DeviceListCount {
                devices: devices.len(),
                lists: args.len(),
            });
        }
        let first = args.first().map_or(0, Vec::len);
        for (position, (list, device)) in args.iter().zip(devices).enumerate() {
            if list.len() != first {
                return Err(RuntimeError::ArgumentListLength {
                    position,
                    len: list.len(),
                    first,
                });
            }
            for (index, b) in list.iter().enumerate() {
                if !Arc::ptr_eq(b.client(), self.client()) {
                    return Err(RuntimeError::ForeignBuffer { position, index });
                }
                let on = b.device_raw()?;
                if on != device.raw() {
                    return Err(RuntimeError::WrongDevice {
                        position,
                        index,
                        expected: device.id(),
                        actual: self.device_id_of(on),
                    });
                }
            }
        }
        Ok(())
    }

    /// The id of a raw device of this client, for error messages (`None` when unreadable).
    fn device_id_of(&self, raw: *mut ffi::Device) -> Option<i32> {
        let api = self.client().api();
        crate::device::Device::query(api, self.client().raw(), raw)
            .ok()
            .map(|d| d.id())
    }
}
