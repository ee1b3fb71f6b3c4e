//! `xla.CompileOptionsProto`, serialized by a tiny protobuf writer (no protoc, no prost):
//! the one place the project writes it.
//!
//! Only the fields the project needs are written, with the numbers of XLA's
//! `xla/pjrt/proto/compile_options.proto` and `xla/xla_data.proto`:
//!
//! ```text
//! CompileOptionsProto { 3: executable_build_options: ExecutableBuildOptionsProto {
//!     4: num_replicas (int64), 5: num_partitions (int64), 6: use_spmd_partitioning (bool),
//!     9: device_assignment: DeviceAssignmentProto {
//!         1: replica_count (int32), 2: computation_count (int32),
//!         3: computation_devices (repeated ComputationDevice {
//!             1: replica_device_ids (repeated int64) }) },
//!     19: use_shardy_partitioner (bool) } }
//! ```
//!
//! `computation_devices[p].replica_device_ids[r]` is the device of replica `r`, partition
//! `p`. Empty options abort the CPU plugin (a CHECK on `replica_count > 0`), so the replica
//! and partition counts are always written and must be at least 1.

use crate::error::{Result, RuntimeError};
use std::collections::HashSet;

/// Which device runs each (replica, partition) of a program: `device_ids` is row-major
/// replica x partition. Checked on construction: at least one replica and partition, one
/// id per pair, ids unique and not negative.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceAssignment {
    replicas: usize,
    partitions: usize,
    device_ids: Vec<i64>,
}

impl DeviceAssignment {
    /// Checks and builds an assignment of `replicas x partitions` devices.
    pub fn new(replicas: usize, partitions: usize, device_ids: Vec<i64>) -> Result<Self> {
        if replicas < 1 || partitions < 1 {
            return Err(RuntimeError::InvalidCompileOptions {
                num_replicas: replicas as i64,
                num_partitions: partitions as i64,
            });
        }
        if device_ids.len() != replicas * partitions {
            return Err(RuntimeError::DeviceAssignmentSize {
                replicas,
                partitions,
                ids: device_ids.len(),
            });
        }
        let mut seen = HashSet::new();
        if let Some(&id) = device_ids.iter().find(|&&id| id < 0 || !seen.insert(id)) {
            return Err(RuntimeError::BadDeviceId { id, device_ids });
        }
        Ok(DeviceAssignment {
            replicas,
            partitions,
            device_ids,
        })
    }

    /// Number of replicas.
    pub fn replicas(&self) -> usize {
        self.replicas
    }

    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.partitions
    }

    /// The device ids, row-major replica x partition.
    pub fn device_ids(&self) -> &[i64] {
        &self.device_ids
    }

    /// The serialized `DeviceAssignmentProto`.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        write_int(&mut out, 1, self.replicas as u64);
        write_int(&mut out, 2, self.partitions as u64);
        for partition in 0..self.partitions {
            let mut computation = Vec::new();
            for replica in 0..self.replicas {
                let id = self.device_ids[replica * self.partitions + partition];
                write_int(&mut computation, 1, id as u64);
            }
            write_message(&mut out, 3, &computation);
        }
        out
    }
}

/// Options for compiling one program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompileOptions {
    /// Number of replicas (data-parallel copies); at least 1.
    pub num_replicas: i64,
    /// Number of partitions (model-parallel shards); at least 1.
    pub num_partitions: i64,
    /// Let XLA's SPMD partitioner split a program annotated with shardings.
    pub use_spmd_partitioning: bool,
    /// Partition with Shardy (`sdy.sharding` attributes) instead of GSPMD.
    pub use_shardy_partitioner: bool,
    /// The devices to run on; `None`: the plugin's default assignment.
    pub device_assignment: Option<DeviceAssignment>,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            num_replicas: 1,
            num_partitions: 1,
            use_spmd_partitioning: false,
            use_shardy_partitioner: false,
            device_assignment: None,
        }
    }
}

impl CompileOptions {
    /// One replica split by the SPMD partitioner into `num_partitions` partitions,
    /// partition `p` on device `device_ids[p]` (one id per partition), partitioned by
    /// Shardy, which reads both `sdy.sharding` and `mhlo.sharding` programs (see
    /// ARCHITECTURE.md).
    pub fn spmd(num_partitions: usize, device_ids: Vec<i64>) -> Result<Self> {
        let assignment = DeviceAssignment::new(1, num_partitions, device_ids)?;
        Ok(CompileOptions {
            num_replicas: 1,
            num_partitions: assignment.partitions() as i64,
            use_spmd_partitioning: true,
            use_shardy_partitioner: true,
            device_assignment: Some(assignment),
        })
    }

    /// The serialized `CompileOptionsProto`; refuses counts below 1, which would abort
    /// the plugin, and a device assignment of other counts.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        if self.num_replicas < 1 || self.num_partitions < 1 {
            return Err(RuntimeError::InvalidCompileOptions {
                num_replicas: self.num_replicas,
                num_partitions: self.num_partitions,
            });
        }
        let mut build = Vec::new();
        write_int(&mut build, 4, self.num_replicas as u64);
        write_int(&mut build, 5, self.num_partitions as u64);
        write_bool(&mut build, 6, self.use_spmd_partitioning);
        if let Some(a) = &self.device_assignment {
            self.check_counts(a)?;
            write_message(&mut build, 9, &a.to_bytes());
        }
        write_bool(&mut build, 19, self.use_shardy_partitioner);
        let mut out = Vec::new();
        write_message(&mut out, 3, &build);
        Ok(out)
    }

    /// Checks that the assignment has this program's replica and partition counts.
    fn check_counts(&self, a: &DeviceAssignment) -> Result<()> {
        if a.replicas as i64 == self.num_replicas && a.partitions as i64 == self.num_partitions {
            return Ok(());
        }
        Err(RuntimeError::DeviceAssignmentCounts {
            replicas: a.replicas,
            partitions: a.partitions,
            num_replicas: self.num_replicas,
            num_partitions: self.num_partitions,
        })
    }
}

/// Protobuf wire type of varints.
const WIRE_VARINT: u64 = 0;
/// Protobuf wire type of length-delimited fields.
const WIRE_LEN: u64 = 2;

/// Appends a base-128 varint.
fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Appends an integer field.
fn write_int(out: &mut Vec<u8>, field: u64, value: u64) {
    write_varint(out, (field << 3) | WIRE_VARINT);
    write_varint(out, value);
}

/// Appends a bool field when it is true (proto3 leaves false out).
fn write_bool(out: &mut Vec<u8>, field: u64, value: bool) {
    if value {
        write_int(out, field, 1);
    }
}

/// Appends an embedded message field.
fn write_message(out: &mut Vec<u8>, field: u64, body: &[u8]) {
    write_varint(out, (field << 3) | WIRE_LEN);
    write_varint(out, body.len() as u64);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_options_are_the_six_known_bytes() {
        let bytes = CompileOptions::default().to_bytes().unwrap();
        assert_eq!(bytes, [0x1a, 0x04, 0x20, 0x01, 0x28, 0x01]);
    }

    #[test]
    fn spmd_and_large_counts_encode_as_varints() {
        let opts = CompileOptions {
            num_partitions: 300,
            use_spmd_partitioning: true,
            ..Default::default()
        };
        let bytes = opts.to_bytes().unwrap();
        assert_eq!(
            bytes,
            [0x1a, 0x07, 0x20, 0x01, 0x28, 0xac, 0x02, 0x30, 0x01]
        );
    }

    #[test]
    fn spmd_constructor_writes_assignment_and_shardy() {
        let bytes = CompileOptions::spmd(2, vec![2, 0])
            .unwrap()
            .to_bytes()
            .unwrap();
        #[rustfmt::skip]
        let want = [
            0x1a, 0x17, // executable_build_options, 23 bytes
            0x20, 0x01, 0x28, 0x02, 0x30, 0x01, // replicas 1, partitions 2, spmd
            0x4a, 0x0c, // device_assignment, 12 bytes
            0x08, 0x01, 0x10, 0x02, // replica_count 1, computation_count 2
            0x1a, 0x02, 0x08, 0x02, // partition 0: device 2
            0x1a, 0x02, 0x08, 0x00, // partition 1: device 0
            0x98, 0x01, 0x01, // use_shardy_partitioner (field 19)
        ];
        assert_eq!(bytes, want);
    }

    #[test]
    fn assignment_lists_replicas_per_partition() {
        // 2 replicas x 2 partitions, row-major: (r0,p0)=5 (r0,p1)=6 (r1,p0)=7 (r1,p1)=8.
        let a = DeviceAssignment::new(2, 2, vec![5, 6, 7, 8]).unwrap();
        #[rustfmt::skip]
        let want = [
            0x08, 0x02, 0x10, 0x02,
            0x1a, 0x04, 0x08, 0x05, 0x08, 0x07, // partition 0: replicas on 5, 7
            0x1a, 0x04, 0x08, 0x06, 0x08, 0x08, // partition 1: replicas on 6, 8
        ];
        assert_eq!(a.to_bytes(), want);
    }

    #[test]
    fn bad_assignments_are_refused() {
        let size = DeviceAssignment::new(1, 4, vec![0, 1, 2]).unwrap_err();
        assert!(
            matches!(size, RuntimeError::DeviceAssignmentSize { ids: 3, .. }),
            "{size}"
        );
        let dup = DeviceAssignment::new(1, 3, vec![0, 1, 1]).unwrap_err();
        assert!(
            matches!(dup, RuntimeError::BadDeviceId { id: 1, .. }),
            "{dup}"
        );
        let neg = DeviceAssignment::new(1, 1, vec![-1]).unwrap_err();
        assert!(
            matches!(neg, RuntimeError::BadDeviceId { id: -1, .. }),
            "{neg}"
        );
        let empty = CompileOptions::spmd(0, vec![]).unwrap_err();
        assert!(
            matches!(empty, RuntimeError::InvalidCompileOptions { .. }),
            "{empty}"
        );
    }

    #[test]
    fn assignment_of_other_counts_is_refused() {
        let opts = CompileOptions {
            num_partitions: 4,
            ..CompileOptions::spmd(2, vec![0, 1]).unwrap()
        };
        let err = opts.to_bytes().unwrap_err();
        assert!(
            matches!(err, RuntimeError::DeviceAssignmentCounts { .. }),
            "{err}"
        );
    }

    #[test]
    fn zero_replicas_are_refused_instead_of_aborting() {
        let opts = CompileOptions {
            num_replicas: 0,
            ..Default::default()
        };
        let err = opts.to_bytes().unwrap_err();
        assert!(
            matches!(err, RuntimeError::InvalidCompileOptions { .. }),
            "{err}"
        );
    }
}
