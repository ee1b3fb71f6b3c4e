//! Options for creating a PJRT client, passed to `PJRT_Client_Create` as a list of
//! `PJRT_NamedValue`s.
//!
//! The only option so far is the CPU plugin's int64 `cpu_device_count`: how many CPU
//! "devices" the client exposes (4 when unset). Measured on the CPU plugin (XLA
//! `xla_cpu_pjrt`, PJRT C API 0.81): 1, 2 and 4 give that many addressable devices; 0 and
//! an unknown option name are refused by `PJRT_Client_Create` with an error, never an abort.
//! Other plugins may refuse the name too, so the client sends it only on a CPU plugin (see
//! [`crate::Client::create_with_options`]).

use crate::ffi::{self, named_value_type};

/// The create option naming the CPU plugin's device count.
pub(crate) const CPU_DEVICE_COUNT: &str = "cpu_device_count";

/// How to create a client. `Default` is the plugin's own defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ClientOptions {
    /// Number of CPU devices of a CPU client (`None`: the plugin's default, 4 on the XLA
    /// CPU plugin). Ignored by other platforms.
    pub cpu_device_count: Option<usize>,
}

/// The most CPU devices a client may ask for (`--cpu-devices` and [`CPU_DEVICES_ENV`]):
/// the CPU plugin makes a device, with its threads, for each, so a count far beyond any
/// machine would take minutes to create.
pub const MAX_CPU_DEVICES: usize = 4096;

/// The device counts a CPU client may ask for.
pub const CPU_DEVICES: std::ops::RangeInclusive<usize> = 1..=MAX_CPU_DEVICES;

/// The environment variable setting the CPU plugin's device count (`FLASH_CPU_DEVICES=8`).
pub const CPU_DEVICES_ENV: &str = "FLASH_CPU_DEVICES";

impl ClientOptions {
    /// The options the environment asks for: [`CPU_DEVICES_ENV`] (unset or empty: the
    /// plugin's default). A value that is not a whole number in [`CPU_DEVICES`] is an error
    /// naming the variable.
    pub fn from_env() -> crate::Result<Self> {
        let range = 1..=MAX_CPU_DEVICES as u64;
        let count = crate::env::whole_number(CPU_DEVICES_ENV, range)?;
        // In range, so it fits a usize.
        Ok(count.map_or_else(ClientOptions::default, |n| {
            ClientOptions::cpu_devices(n as usize)
        }))
    }

    /// Options asking a CPU client for `count` devices.
    pub fn cpu_devices(count: usize) -> Self {
        ClientOptions {
            cpu_device_count: Some(count),
        }
    }

    /// Whether any option is set (an empty list is what every plugin accepts).
    pub(crate) fn is_empty(&self) -> bool {
        self.cpu_device_count.is_none()
    }

    /// The options as named values. They point into `'static` names only, so the list may
    /// outlive `self`.
    pub(crate) fn named_values(&self) -> Vec<ffi::NamedValue> {
        let mut values = Vec::new();
        if let Some(count) = self.cpu_device_count {
            values.push(int64_value(CPU_DEVICE_COUNT, count as i64));
        }
        values
    }
}

/// An int64 `PJRT_NamedValue`.
fn int64_value(name: &'static str, value: i64) -> ffi::NamedValue {
    ffi::NamedValue {
        name: name.as_ptr().cast(),
        name_size: name.len(),
        value_type: named_value_type::INT64,
        value: ffi::NamedValueUnion { int64_value: value },
        value_size: 1,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_send_nothing() {
        assert!(ClientOptions::default().named_values().is_empty());
        assert!(ClientOptions::default().is_empty());
    }

    #[test]
    fn device_count_is_one_int64_value() {
        let values = ClientOptions::cpu_devices(3).named_values();
        assert_eq!(values.len(), 1);
        let v = &values[0];
        assert_eq!(v.value_type, named_value_type::INT64);
        assert_eq!(v.name_size, CPU_DEVICE_COUNT.len());
        // SAFETY: the union member written is `int64_value`.
        assert_eq!(unsafe { v.value.int64_value }, 3);
    }
}
