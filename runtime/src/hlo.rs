//! What XLA compiled: the optimized program of an executable
//! (`PJRT_Executable_OptimizedProgram`: a serialized `xla.HloModuleProto`, format `hlo`, or
//! as the CPU plugin returns it, an `xla.HloModuleProtoWithConfig`, format
//! `hlo_with_config`) and the opcodes of its instructions, read by a small protobuf reader
//! (no protoc).
//!
//! Fields read (XLA's `xla/service/hlo.proto`):
//! `HloModuleProtoWithConfig { 1: hlo_module }`, `HloModuleProto { 3: computations }`,
//! `HloComputationProto { 2: instructions }`, `HloInstructionProto { 2: opcode (string) }`.
//! The opcodes are HLO's spellings, e.g. `all-reduce`, `all-gather`, `dot`, `fusion`; the
//! bodies of fusions are computations of their own, so their instructions are listed too.

use crate::error::{Result, RuntimeError};
use crate::executable::LoadedExecutable;
use crate::ffi;

/// The program format of a serialized `HloModuleProto`.
const HLO_FORMAT: &str = "hlo";
/// The program format of a serialized `HloModuleProtoWithConfig`.
const HLO_WITH_CONFIG_FORMAT: &str = "hlo_with_config";

impl LoadedExecutable {
    /// The optimized program XLA compiled, a serialized `xla.HloModuleProto` (after SPMD
    /// partitioning: the per-device program with its collectives). A module the plugin
    /// returns with its config is unwrapped.
    pub fn optimized_hlo(&self) -> Result<Vec<u8>> {
        self.with_executable(|api, e| {
            let mut program = ffi::Program::default();
            let mut args = ffi::ExecutableOptimizedProgramArgs {
                executable: e,
                program: &mut program,
                ..Default::default()
            };
            pjrt_call!(api, PJRT_Executable_OptimizedProgram, &mut args)?;
            let mut code = vec![0u8; program.code_size];
            program.code = code.as_mut_ptr().cast();
            pjrt_call!(api, PJRT_Executable_OptimizedProgram, &mut args)?;
            code.truncate(program.code_size);
            // SAFETY: the plugin set `format` to a string it owns, of `format_size` bytes.
            let format = unsafe { crate::api::string_from(program.format, program.format_size) };
            match format.as_str() {
                HLO_FORMAT => Ok(code),
                HLO_WITH_CONFIG_FORMAT => match fields(&code, 1)?.first() {
                    Some(module) => Ok(module.to_vec()),
                    None => Err(RuntimeError::MalformedHlo { offset: 0 }),
                },
                _ => Err(RuntimeError::UnexpectedProgramFormat { format }),
            }
        })
    }

    /// The opcode of every instruction of the optimized program, computation by
    /// computation, in the module's order.
    pub fn optimized_opcodes(&self) -> Result<Vec<String>> {
        opcodes(&self.optimized_hlo()?)
    }

    /// Whether the optimized program holds an instruction with this opcode, e.g.
    /// `all-reduce` in a data-parallel gradient step.
    pub fn has_opcode(&self, opcode: &str) -> Result<bool> {
        Ok(self.optimized_opcodes()?.iter().any(|o| o == opcode))
    }
}

/// The instruction opcodes of a serialized `HloModuleProto`.
pub(crate) fn opcodes(module: &[u8]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for computation in fields(module, 3)? {
        for instruction in fields(computation, 2)? {
            for opcode in fields(instruction, 2)? {
                out.push(String::from_utf8_lossy(opcode).into_owned());
            }
        }
    }
    Ok(out)
}

/// Protobuf wire types.
const VARINT: u64 = 0;
const FIXED64: u64 = 1;
const LEN: u64 = 2;
const FIXED32: u64 = 5;

/// The payloads of the length-delimited fields numbered `wanted` in a message; other
/// fields are skipped.
fn fields(message: &[u8], wanted: u64) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < message.len() {
        let tag = varint(message, &mut at)?;
        let len = match tag & 7 {
            VARINT => {
                varint(message, &mut at)?;
                continue;
            }
            FIXED64 => 8,
            FIXED32 => 4,
            LEN => varint(message, &mut at)? as usize,
            _ => return Err(RuntimeError::MalformedHlo { offset: at }),
        };
        let end = at
            .checked_add(len)
            .filter(|&e| e <= message.len())
            .ok_or(RuntimeError::MalformedHlo { offset: at })?;
        if tag >> 3 == wanted && tag & 7 == LEN {
            out.push(&message[at..end]);
        }
        at = end;
    }
    Ok(out)
}

/// Reads a base-128 varint at `*at`, advancing it.
fn varint(bytes: &[u8], at: &mut usize) -> Result<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes
            .get(*at)
            .ok_or(RuntimeError::MalformedHlo { offset: *at })?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Ok(value);
        }
    }
    Err(RuntimeError::MalformedHlo { offset: *at })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A length-delimited field.
    fn len_field(field: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![(field << 3) | 2, body.len() as u8];
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn opcodes_of_nested_messages_skipping_other_fields() {
        let mut add = len_field(1, b"add.1");
        add.extend(len_field(2, b"add"));
        add.extend([3 << 3, 7]); // a varint field 3
        let reduce = len_field(2, b"all-reduce");
        let mut computation = len_field(1, b"main");
        computation.extend(len_field(2, &add));
        computation.extend(len_field(2, &reduce));
        let mut module = len_field(1, b"module");
        module.extend(len_field(3, &computation));
        module.extend([0x31, 1, 2, 3, 4, 5, 6, 7, 8]); // a fixed64 field 6
        assert_eq!(opcodes(&module).unwrap(), ["add", "all-reduce"]);
    }

    #[test]
    fn truncated_bytes_are_an_error_not_a_panic() {
        let module = len_field(3, &len_field(2, &len_field(2, b"dot")));
        for cut in 1..module.len() {
            let err = opcodes(&module[..cut]).unwrap_err();
            assert!(matches!(err, RuntimeError::MalformedHlo { .. }), "{err}");
        }
    }
}
