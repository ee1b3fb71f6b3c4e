//! Contractions and lookups: `stablehlo.dot_general` (pretty form) and the embedding-style
//! `stablehlo.gather` and its transpose `stablehlo.scatter` with an add region (generic forms).

use flash_ir::{DotDims, Node};

use crate::stablehlo::body::Body;
use crate::stablehlo::syntax::{i64_array, list};
use crate::stablehlo::types::function_type;

/// `%N = stablehlo.dot_general %a, %b, batching_dims = [..] x [..], contracting_dims = [..] x
/// [..] : (...) -> ...`; the result dtype is `dims.out` (e.g. bf16 operands, f32 result).
pub fn dot_general(b: &mut Body<'_>, node: &Node, dims: &DotDims) {
    let (x, y) = (b.operand(node, 0), b.operand(node, 1));
    let batching = if dims.lhs_batch.is_empty() && dims.rhs_batch.is_empty() {
        String::new()
    } else {
        format!(
            "batching_dims = {} x {}, ",
            list(&dims.lhs_batch),
            list(&dims.rhs_batch)
        )
    };
    let ty = function_type(&b.operand_tys(node), &node.ty);
    b.def_result(&format!(
        "stablehlo.dot_general {x}, {y}, {batching}contracting_dims = {} x {} : {ty}",
        list(&dims.lhs_contract),
        list(&dims.rhs_contract)
    ));
}

/// Embedding lookup: `table [N, rest...]`, integer `indices [idx...]` give
/// `[idx..., rest...]`. Each index picks one row (`slice_sizes = [1, rest...]`, dim 0
/// collapsed); the row's dims are the result's trailing (offset) dims, and the index vector
/// dim is the implicit trailing dim of `indices`.
pub fn gather(b: &mut Body<'_>, node: &Node) {
    let (table, indices) = (b.operand(node, 0), b.operand(node, 1));
    let table_ty = b.operand_ty(node, 0);
    let index_rank = b.operand_ty(node, 1).rank();
    let offset_dims: Vec<usize> = (index_rank..node.ty.rank()).collect();
    let mut slice_sizes = vec![1];
    slice_sizes.extend_from_slice(table_ty.shape.get(1..).unwrap_or_default());
    let ty = function_type(&b.operand_tys(node), &node.ty);
    b.def_result(&format!(
        "\"stablehlo.gather\"({table}, {indices}) {{dimension_numbers = #stablehlo.gather<\
         offset_dims = {}, collapsed_slice_dims = [0], start_index_map = [0], \
         index_vector_dim = {index_rank}>, indices_are_sorted = false, slice_sizes = {}}} : {ty}",
        list(&offset_dims),
        i64_array(&slice_sizes)
    ));
}

/// Row scatter-add, the transpose of [`gather`]: the generic `"stablehlo.scatter"` with an
/// add region. Each index of `indices [idx...]` names one row of `operand [N, rest...]`
/// (`inserted_window_dims = [0]`); the row's dims are the trailing (window) dims of
/// `updates [idx..., rest...]`; the index vector dim is the implicit trailing dim of
/// `indices`. StableHLO skips updates whose row is out of bounds, as the op's doc says.
pub fn scatter_add(b: &mut Body<'_>, node: &Node) {
    let (x, indices, updates) = (b.operand(node, 0), b.operand(node, 1), b.operand(node, 2));
    let index_rank = b.operand_ty(node, 1).rank();
    let update_rank = b.operand_ty(node, 2).rank();
    let window: Vec<usize> = (index_rank..update_rank).collect();
    let loc = b.loc().to_string();
    let head = format!("\"stablehlo.scatter\"({x}, {indices}, {updates})");
    super::reduce::region(b, &head, "stablehlo.add", node.ty.dtype);
    b.raw(&format!(
        "}}) {{indices_are_sorted = false, scatter_dimension_numbers = #stablehlo.scatter<\
         update_window_dims = {}, inserted_window_dims = [0], \
         scatter_dims_to_operand_dims = [0], index_vector_dim = {index_rank}>, \
         unique_indices = false}} : {} {loc}",
        list(&window),
        function_type(&b.operand_tys(node), &node.ty)
    ));
}
