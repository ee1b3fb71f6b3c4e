//! VJP rules of the data-movement ops: `broadcast_in_dim`, `reshape`, `transpose`, `slice`,
//! `dynamic_slice`, `dynamic_update_slice`, `concatenate` and `pad`. Each moves the cotangent
//! back to where the operand's elements came from; elements the forward op dropped get zeros,
//! duplicated ones are summed. Also `sharding_constraint`, which moves nothing.

use super::{pad_zeros, sum_all, Ctx, RuleResult};
use flash_ir::{Op, Sharding, ValueId};

/// Sums the cotangent over the dims the broadcast created (new dims, and size-1 operand dims
/// that were expanded), then reshapes to the operand's shape (restoring the size-1 dims).
pub(super) fn broadcast_in_dim(c: &mut Ctx<'_, '_>, dims: &[usize]) -> RuleResult {
    let (x, ct) = (c.x(0), c.ct);
    let xs = c.b.shape(x);
    let out = c.b.shape(ct);
    let summed: Vec<usize> = (0..out.len())
        .filter(|&d| match dims.iter().position(|&e| e == d) {
            None => true,
            Some(i) => xs[i] == 1 && out[d] != 1,
        })
        .collect();
    let reduced = if summed.is_empty() {
        ct
    } else {
        c.b.reduce_sum(ct, &summed)?
    };
    Ok(vec![Some(c.b.reshape(reduced, &xs)?)])
}

/// Reshapes the cotangent back to the operand's shape.
pub(super) fn reshape(c: &mut Ctx<'_, '_>) -> RuleResult {
    let xs = c.b.shape(c.x(0));
    Ok(vec![Some(c.b.reshape(c.ct, &xs)?)])
}

/// The cotangent under the same constraint as the forward value (as JAX does), so the
/// backward pass is partitioned like the forward one.
pub(super) fn sharding_constraint(c: &mut Ctx<'_, '_>, sharding: &Sharding) -> RuleResult {
    let ct = c.ct;
    Ok(vec![c.when(0, |b| b.with_sharding(ct, sharding))?])
}

/// Transposes the cotangent by the inverse permutation.
pub(super) fn transpose(c: &mut Ctx<'_, '_>, perm: &[usize]) -> RuleResult {
    let mut inverse = vec![0; perm.len()];
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    Ok(vec![Some(c.b.transpose(c.ct, &inverse)?)])
}

/// Scatters the cotangent back with a zero pad: `low = start`, `interior = stride - 1`, and
/// `high` whatever remains after the last taken element.
pub(super) fn slice(c: &mut Ctx<'_, '_>, start: &[usize], stride: &[usize]) -> RuleResult {
    let (xs, out) = (c.b.shape(c.x(0)), c.b.shape(c.ct));
    let low: Vec<i64> = start.iter().map(|&s| s as i64).collect();
    let interior: Vec<usize> = stride.iter().map(|&s| s - 1).collect();
    let high: Vec<i64> = (0..xs.len())
        .map(|i| xs[i] as i64 - start[i] as i64 - ((out[i] as i64 - 1) * stride[i] as i64 + 1))
        .collect();
    Ok(vec![Some(pad_zeros(
        &mut c.b, c.ct, &low, &high, &interior,
    )?)])
}

/// `dynamic_slice(x, i...)`: the cotangent written into zeros at the same (clamped) start;
/// the integer indices get none.
pub(super) fn dynamic_slice(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (x, ct) = (c.x(0), c.ct);
    let indices = c.node.operands[1..].to_vec();
    let mut grads = vec![c.when(0, |b| {
        let zeros = b.splat_like(0.0, x)?;
        b.op(Op::DynamicUpdateSlice, [vec![zeros, ct], indices].concat())
    })?];
    grads.resize(c.node.operands.len(), None);
    Ok(grads)
}

/// `dynamic_update_slice(x, u, i...)`: x gets the cotangent with the updated block zeroed, u
/// gets the cotangent's block at the same (clamped) start; the indices get none.
pub(super) fn dynamic_update_slice(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (update, ct) = (c.x(1), c.ct);
    let indices = c.node.operands[2..].to_vec();
    let sizes = c.b.shape(update);
    let at = |operands: Vec<ValueId>| [operands, indices.clone()].concat();
    let dx = c.when(0, |b| {
        let zeros = b.splat_like(0.0, update)?;
        b.op(Op::DynamicUpdateSlice, at(vec![ct, zeros]))
    })?;
    let du = c.when(1, |b| b.op(Op::DynamicSlice { sizes }, at(vec![ct])))?;
    let mut grads = vec![dx, du];
    grads.resize(c.node.operands.len(), None);
    Ok(grads)
}

/// Slices each operand's part out of the cotangent.
pub(super) fn concatenate(c: &mut Ctx<'_, '_>, dim: usize) -> RuleResult {
    let mut grads = Vec::with_capacity(c.node.operands.len());
    let mut offset = 0;
    for k in 0..c.node.operands.len() {
        let len = c.b.shape(c.x(k))[dim];
        let ct = c.ct;
        grads.push(c.when(k, |b| b.slice_dim(ct, dim, offset, offset + len))?);
        offset += len;
    }
    Ok(grads)
}

/// `pad(x, v)`: `x` gets the cotangent at its elements' positions (a strided slice, after
/// padding the cotangent back with zeros where negative padding cropped); the scalar `v`
/// gets the sum over the padding positions, `sum(ct) - sum(grad x)`.
pub(super) fn pad(
    c: &mut Ctx<'_, '_>,
    low: &[i64],
    high: &[i64],
    interior: &[usize],
) -> RuleResult {
    let (x, ct) = (c.x(0), c.ct);
    let xs = c.b.shape(x);
    if xs.contains(&0) {
        let gv = c.when(1, |b| sum_all(b, ct))?;
        return Ok(vec![None, gv]);
    }
    let uncrop_low: Vec<i64> = low.iter().map(|&l| (-l).max(0)).collect();
    let uncrop_high: Vec<i64> = high.iter().map(|&h| (-h).max(0)).collect();
    let full = if uncrop_low.iter().chain(&uncrop_high).any(|&p| p > 0) {
        pad_zeros(&mut c.b, ct, &uncrop_low, &uncrop_high, &vec![0; xs.len()])?
    } else {
        ct
    };
    let start: Vec<usize> = low.iter().map(|&l| l.max(0) as usize).collect();
    let stride: Vec<usize> = interior.iter().map(|&i| i + 1).collect();
    let limit: Vec<usize> = (0..xs.len())
        .map(|i| start[i] + (xs[i] - 1) * stride[i] + 1)
        .collect();
    let gx = c.b.slice(full, &start, &limit, &stride)?;
    let gv = c.when(1, |b| {
        let total = sum_all(b, ct)?;
        let inside = sum_all(b, gx)?;
        b.sub(total, inside)
    })?;
    Ok(vec![Some(gx).filter(|_| c.want(0)), gv])
}
