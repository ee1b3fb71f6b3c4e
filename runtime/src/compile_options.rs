//! `xla.CompileOptionsProto`, serialized by a tiny protobuf writer (no protoc, no prost).
//!
//! Only the fields the project needs are written:
//! CompileOptionsProto { 3: executable_build_options: ExecutableBuildOptionsProto {
//! 4: num_replicas, 5: num_partitions, 6: use_spmd_partitioning } }.
//! Empty options abort the CPU plugin (a CHECK on `replica_count > 0`), so the replica and
//! partition counts are always written and must be at least 1.

use crate::error::{Result, RuntimeError};

/// Options for compiling one program.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CompileOptions {
    /// Number of replicas (data-parallel copies); at least 1.
    pub num_replicas: i64,
    /// Number of partitions (model-parallel shards); at least 1.
    pub num_partitions: i64,
    /// Let XLA's SPMD partitioner split a program annotated with shardings.
    pub use_spmd_partitioning: bool,
}

impl Default for CompileOptions {
    fn default() -> Self {
        CompileOptions {
            num_replicas: 1,
            num_partitions: 1,
            use_spmd_partitioning: false,
        }
    }
}

impl CompileOptions {
    /// The serialized `CompileOptionsProto`; refuses counts below 1, which would abort
    /// the plugin.
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
        if self.use_spmd_partitioning {
            write_int(&mut build, 6, 1);
        }
        let mut out = Vec::new();
        write_message(&mut out, 3, &build);
        Ok(out)
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
            num_replicas: 1,
            num_partitions: 300,
            use_spmd_partitioning: true,
        };
        let bytes = opts.to_bytes().unwrap();
        assert_eq!(
            bytes,
            [0x1a, 0x07, 0x20, 0x01, 0x28, 0xac, 0x02, 0x30, 0x01]
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
