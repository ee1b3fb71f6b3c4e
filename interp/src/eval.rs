//! [`evaluate`]: runs a graph node by node in definition order, releasing each value after
//! its last use, and dispatches every op (matched exhaustively) to its family's module.

use crate::array::Array;
use crate::error::InterpError;
use crate::ops::{attention, dot, elementwise, gather, layout, reduce, source};
use crate::round::round;
use flash_ir::verify::verify;
use flash_ir::{Graph, Node, Op, ValueId};

/// Evaluates `g` on `inputs` (matched to parameters by index) and returns its outputs.
///
/// The graph is verified first. Each input must have its parameter's exact type and the
/// matching number of values; its values are rounded to the dtype on entry (a no-op for
/// values that came from that dtype).
pub fn evaluate(g: &Graph, inputs: &[Array]) -> Result<Vec<Array>, InterpError> {
    verify(g)?;
    check_inputs(g, inputs)?;
    let mut remaining = g.use_counts();
    let mut values: Vec<Option<Array>> = Vec::with_capacity(g.nodes.len());
    for (id, node) in g.nodes.iter().enumerate() {
        let result = {
            let operands = node
                .operands
                .iter()
                .map(|&v| lookup(&values, v, id))
                .collect::<Result<Vec<&Array>, InterpError>>()?;
            eval_node(id as u32, node, &operands, inputs)?
        };
        values.push(Some(result));
        release(&mut values, &mut remaining, &node.operands);
        if remaining[id] == 0 {
            values[id] = None; // never used
        }
    }
    g.outputs
        .iter()
        .map(|&v| lookup(&values, v, g.nodes.len()).cloned())
        .collect()
}

/// Checks the number of inputs, and each one's type and value count against its parameter.
fn check_inputs(g: &Graph, inputs: &[Array]) -> Result<(), InterpError> {
    let params = g.params();
    let name = |p: ValueId| g.param_name(p).unwrap_or_default().to_string();
    if params.len() != inputs.len() {
        return Err(InterpError::InputCount {
            expected: params.len(),
            got: inputs.len(),
            missing: params.get(inputs.len()).map(|&p| name(p)),
        });
    }
    for (index, (&p, x)) in params.iter().zip(inputs).enumerate() {
        let expected = g.ty(p);
        if &x.ty != expected {
            let (expected, got) = (expected.clone(), x.ty.clone());
            return Err(InterpError::InputType {
                index,
                name: name(p),
                expected,
                got,
            });
        }
        if x.data.len() != expected.num_elements() {
            return Err(InterpError::InputLength {
                index,
                name: name(p),
                ty: x.ty.clone(),
                expected: expected.num_elements(),
                got: x.data.len(),
            });
        }
    }
    Ok(())
}

fn lookup(values: &[Option<Array>], v: ValueId, node: usize) -> Result<&Array, InterpError> {
    values
        .get(v.index())
        .and_then(Option::as_ref)
        .ok_or(InterpError::Released {
            value: v.0,
            node: node as u32,
        })
}

/// Counts one use of each of `used` and drops the values with no uses left (outputs count as
/// uses, so they are kept).
fn release(values: &mut [Option<Array>], remaining: &mut [usize], used: &[ValueId]) {
    for v in used {
        remaining[v.index()] = remaining[v.index()].saturating_sub(1);
        if remaining[v.index()] == 0 {
            values[v.index()] = None;
        }
    }
}

/// The value of one node from its operands' values.
fn eval_node(id: u32, node: &Node, x: &[&Array], inputs: &[Array]) -> Result<Array, InterpError> {
    let ty = &node.ty;
    Ok(match &node.op {
        Op::Parameter { index, name, .. } => {
            inputs
                .get(*index)
                .map(parameter)
                .ok_or_else(|| InterpError::InputCount {
                    expected: index + 1,
                    got: inputs.len(),
                    missing: Some(name.clone()),
                })?
        }
        Op::Constant { value, ty } => source::constant(value, ty),
        Op::Iota { dim, ty } => source::iota(*dim, ty),
        Op::Unary(u) => elementwise::unary(*u, x[0]),
        Op::Binary(b) => elementwise::binary(*b, x[0], x[1]),
        Op::Compare(dir) => elementwise::compare(*dir, x[0], x[1]),
        Op::Select => elementwise::select(x[0], x[1], x[2]),
        Op::Convert { to } => elementwise::convert(x[0], *to),
        Op::BroadcastInDim { dims, .. } => layout::broadcast_in_dim(x[0], ty, dims),
        Op::Reshape { .. } => layout::reshape(x[0], ty),
        Op::Transpose { perm } => layout::transpose(x[0], perm),
        Op::Slice { start, stride, .. } => layout::slice(x[0], ty, start, stride),
        Op::DynamicSlice { .. } => layout::dynamic_slice(x[0], &x[1..], ty),
        Op::DynamicUpdateSlice => layout::dynamic_update_slice(x[0], x[1], &x[2..]),
        Op::Concatenate { dim } => layout::concatenate(x, ty, *dim),
        Op::Pad { low, interior, .. } => layout::pad(x[0], x[1], ty, low, interior),
        Op::Reduce { kind, dims } => reduce::reduce(*kind, x[0], dims, ty),
        Op::ReduceWindow {
            kind,
            window,
            strides,
            padding,
        } => reduce::reduce_window(*kind, x[0], ty, window, strides, padding),
        Op::DotGeneral(d) => dot::dot_general(x[0], x[1], d, ty),
        Op::Gather => gather::gather(x[0], x[1], ty).ok_or(InterpError::EmptyGatherTable {
            node: id,
            count: x[1].data.len(),
        })?,
        Op::ScatterAdd => gather::scatter_add(x[0], x[1], x[2]),
        Op::ShardingConstraint { .. } => x[0].clone(),
        Op::Cumsum {
            dim,
            exclusive,
            reverse,
        } => reduce::cumsum(x[0], *dim, *exclusive, *reverse),
        Op::ChunkAttention(a) => attention::chunk_attention(x, a, ty),
    })
}

/// A parameter's value: its input, rounded to the dtype.
fn parameter(input: &Array) -> Array {
    let data = input
        .data
        .iter()
        .map(|&v| round(input.ty.dtype, v))
        .collect();
    Array {
        ty: input.ty.clone(),
        data,
    }
}
