//! Shape and dtype inference: one rule per op, used by the builder, the verifier and the
//! interpreter. Each failure names the constraint from the op's documentation.

use crate::dtype::{DType, TensorType};
use crate::error::InferError;
use crate::op::{BinaryOp, DotDims, Literal, Op, UnaryOp};
use crate::sharding::Sharding;

type InferResult = Result<TensorType, InferError>;

/// The result type of `op` applied to operands of types `operands`; a result larger than
/// StableHLO and XLA accept is refused (constraint `size`), so no count on a graph's types
/// wraps.
pub fn infer(op: &Op, operands: &[&TensorType]) -> InferResult {
    let ty = infer_rule(op, operands)?;
    ty.byte_count()
        .map_err(|e| InferError::new("size", e.to_string()))?;
    Ok(ty)
}

/// The op's own rule, before the size check.
fn infer_rule(op: &Op, operands: &[&TensorType]) -> InferResult {
    let arity = expected_arity(op);
    if let Some(n) = arity {
        if operands.len() != n {
            return Err(InferError::new(
                "operands",
                format!("expects {n} operand(s), got {}", operands.len()),
            ));
        }
    }
    match op {
        Op::Parameter { ty, .. } => Ok(ty.clone()),
        Op::Constant { value, ty } => infer_constant(value, ty),
        Op::Iota { dim, ty } => infer_iota(*dim, ty),
        Op::Unary(u) => infer_unary(*u, operands[0]),
        Op::Binary(b) => infer_binary(*b, operands[0], operands[1]),
        Op::Compare(_) => {
            same_type("C1", operands[0], operands[1]).map(|t| t.with_dtype(DType::Bool))
        }
        Op::Select => infer_select(operands[0], operands[1], operands[2]),
        Op::Convert { to } => Ok(operands[0].with_dtype(*to)),
        Op::BroadcastInDim { shape, dims } => infer_broadcast(operands[0], shape, dims),
        Op::Reshape { shape } => infer_reshape(operands[0], shape),
        Op::Transpose { perm } => infer_transpose(operands[0], perm),
        Op::Slice {
            start,
            limit,
            stride,
        } => infer_slice(operands[0], start, limit, stride),
        Op::DynamicSlice { sizes } => infer_dynamic_slice(operands, sizes),
        Op::DynamicUpdateSlice => infer_dynamic_update_slice(operands),
        Op::Concatenate { dim } => infer_concat(operands, *dim),
        Op::Pad {
            low,
            high,
            interior,
        } => infer_pad(operands[0], operands[1], low, high, interior),
        Op::Reduce { dims, .. } => infer_reduce(operands[0], dims),
        Op::ReduceWindow {
            window,
            strides,
            padding,
            ..
        } => infer_reduce_window(operands[0], window, strides, padding),
        Op::DotGeneral(d) => infer_dot(operands[0], operands[1], d),
        Op::Gather => infer_gather(operands[0], operands[1]),
        Op::ScatterAdd => infer_scatter_add(operands[0], operands[1], operands[2]),
        Op::ShardingConstraint { sharding } => infer_sharding_constraint(operands[0], sharding),
        Op::Cumsum { dim, .. } => {
            check_dim("C1", *dim, operands[0].rank())?;
            numeric("C2", operands[0])?;
            Ok(operands[0].clone())
        }
        Op::ChunkAttention(a) => infer_chunk_attention(operands, a.chunk),
    }
}

/// Number of operands an op takes, or `None` for variadic ops (the op's declared arity).
pub fn expected_arity(op: &Op) -> Option<usize> {
    op.spec().arity.fixed()
}

fn err<T>(constraint: &'static str, message: String) -> Result<T, InferError> {
    Err(InferError::new(constraint, message))
}

fn check_dim(c: &'static str, dim: usize, rank: usize) -> Result<(), InferError> {
    if dim >= rank {
        return err(
            c,
            format!("dimension {dim} is out of range for rank {rank}"),
        );
    }
    Ok(())
}

fn numeric(c: &'static str, t: &TensorType) -> Result<(), InferError> {
    if t.dtype == DType::Bool {
        return err(c, format!("expects a numeric dtype, got {t}"));
    }
    Ok(())
}

fn same_type(c: &'static str, a: &TensorType, b: &TensorType) -> InferResult {
    if a != b {
        return err(c, format!("operand types differ: {a} vs {b}"));
    }
    Ok(a.clone())
}

fn infer_constant(value: &Literal, ty: &TensorType) -> InferResult {
    if let Literal::Dense(v) = value {
        if v.len() != ty.num_elements() {
            return err(
                "C1",
                format!(
                    "dense literal has {} values but {ty} has {}",
                    v.len(),
                    ty.num_elements()
                ),
            );
        }
    }
    Ok(ty.clone())
}

fn infer_sharding_constraint(x: &TensorType, sharding: &Sharding) -> InferResult {
    if sharding.dims.len() != x.rank() {
        return err(
            "C1",
            format!(
                "sharding {sharding} has {} dimension(s) but the operand {x} has rank {}",
                sharding.dims.len(),
                x.rank()
            ),
        );
    }
    Ok(x.clone())
}

fn infer_iota(dim: usize, ty: &TensorType) -> InferResult {
    check_dim("C1", dim, ty.rank())?;
    Ok(ty.clone())
}

fn infer_unary(u: UnaryOp, t: &TensorType) -> InferResult {
    let ok = t.dtype.is_float() || (matches!(u, UnaryOp::Neg | UnaryOp::Abs) && t.dtype.is_int());
    if !ok {
        return err("C1", format!("{} does not accept {t}", u.name()));
    }
    Ok(t.clone())
}

fn infer_binary(b: BinaryOp, x: &TensorType, y: &TensorType) -> InferResult {
    let t = same_type("C1", x, y)?;
    numeric("C2", &t)?;
    if b == BinaryOp::Pow && !t.dtype.is_float() {
        return err("C2", format!("pow needs a float dtype, got {t}"));
    }
    Ok(t)
}

fn infer_select(p: &TensorType, a: &TensorType, b: &TensorType) -> InferResult {
    if p.dtype != DType::Bool || p.shape != a.shape {
        return err(
            "C1",
            format!("predicate must be bool{:?}, got {p}", a.shape),
        );
    }
    same_type("C2", a, b)
}

fn infer_broadcast(x: &TensorType, shape: &[usize], dims: &[usize]) -> InferResult {
    if dims.len() != x.rank() {
        return err(
            "C1",
            format!("{} dims for an operand of rank {}", dims.len(), x.rank()),
        );
    }
    for (i, &d) in dims.iter().enumerate() {
        if d >= shape.len() || (i > 0 && dims[i - 1] >= d) {
            return err(
                "C2",
                format!("dims {dims:?} must increase and be < {}", shape.len()),
            );
        }
        if x.shape[i] != 1 && x.shape[i] != shape[d] {
            return err(
                "C3",
                format!(
                    "operand dim {i} of size {} cannot broadcast to {}",
                    x.shape[i], shape[d]
                ),
            );
        }
    }
    Ok(TensorType::new(x.dtype, shape))
}

fn infer_reshape(x: &TensorType, shape: &[usize]) -> InferResult {
    let n = TensorType::new(x.dtype, shape).num_elements();
    if n != x.num_elements() {
        return err(
            "C1",
            format!(
                "cannot reshape {x} ({} elements) to {shape:?}",
                x.num_elements()
            ),
        );
    }
    Ok(TensorType::new(x.dtype, shape))
}

fn infer_transpose(x: &TensorType, perm: &[usize]) -> InferResult {
    let mut seen = vec![false; x.rank()];
    let valid = perm.len() == x.rank()
        && perm
            .iter()
            .all(|&p| p < x.rank() && !std::mem::replace(&mut seen[p], true));
    if !valid {
        return err(
            "C1",
            format!("{perm:?} is not a permutation of the dims of {x}"),
        );
    }
    Ok(TensorType::new(
        x.dtype,
        perm.iter().map(|&p| x.shape[p]).collect::<Vec<_>>(),
    ))
}

fn infer_slice(x: &TensorType, start: &[usize], limit: &[usize], stride: &[usize]) -> InferResult {
    let r = x.rank();
    if start.len() != r || limit.len() != r || stride.len() != r {
        return err(
            "C1",
            format!("start/limit/stride must each have {r} entries"),
        );
    }
    let mut shape = Vec::with_capacity(r);
    for i in 0..r {
        if start[i] > limit[i] || limit[i] > x.shape[i] || stride[i] == 0 {
            return err(
                "C2",
                format!(
                    "dim {i}: need start <= limit <= {} and stride >= 1, got {}..{} step {}",
                    x.shape[i], start[i], limit[i], stride[i]
                ),
            );
        }
        shape.push((limit[i] - start[i]).div_ceil(stride[i]));
    }
    Ok(TensorType::new(x.dtype, shape))
}

fn infer_dynamic_slice(xs: &[&TensorType], sizes: &[usize]) -> InferResult {
    let Some((x, indices)) = xs.split_first() else {
        return err("C1", "dynamic_slice needs an operand".into());
    };
    start_indices("C1", x, indices)?;
    let fits = sizes.len() == x.rank() && sizes.iter().zip(&x.shape).all(|(s, d)| s <= d);
    if !fits {
        return err(
            "C2",
            format!("sizes {sizes:?} do not fit in {x} (one size per dim, each at most the dim)"),
        );
    }
    Ok(TensorType::new(x.dtype, sizes))
}

fn infer_dynamic_update_slice(xs: &[&TensorType]) -> InferResult {
    let [x, update, indices @ ..] = xs else {
        return err(
            "C1",
            "dynamic_update_slice needs an operand and an update".into(),
        );
    };
    let fits = update.dtype == x.dtype
        && update.rank() == x.rank()
        && update.shape.iter().zip(&x.shape).all(|(u, d)| u <= d);
    if !fits {
        return err("C1", format!("update {update} does not fit in {x}"));
    }
    start_indices("C2", x, indices)?;
    Ok((*x).clone())
}

/// Checks that `indices` are one scalar per dim of `x`, of one integer dtype.
fn start_indices(
    c: &'static str,
    x: &TensorType,
    indices: &[&TensorType],
) -> Result<(), InferError> {
    if indices.len() != x.rank() {
        return err(
            c,
            format!(
                "{} start indices for an operand of rank {}",
                indices.len(),
                x.rank()
            ),
        );
    }
    let first = indices.first().map(|t| t.dtype);
    for t in indices {
        if t.rank() != 0 || !t.dtype.is_int() || Some(t.dtype) != first {
            return err(
                c,
                format!("start indices must be integer scalars of one dtype, got {t}"),
            );
        }
    }
    Ok(())
}

fn infer_concat(xs: &[&TensorType], dim: usize) -> InferResult {
    let Some(first) = xs.first() else {
        return err("C1", "concatenate needs at least one operand".into());
    };
    check_dim("C3", dim, first.rank())?;
    let mut shape = first.shape.clone();
    for x in &xs[1..] {
        let compatible = x.dtype == first.dtype
            && x.rank() == first.rank()
            && (0..x.rank()).all(|i| i == dim || x.shape[i] == first.shape[i]);
        if !compatible {
            return err(
                "C2",
                format!("{x} does not match {first} outside dimension {dim}"),
            );
        }
        shape[dim] += x.shape[dim];
    }
    Ok(TensorType::new(first.dtype, shape))
}

fn infer_pad(
    x: &TensorType,
    value: &TensorType,
    low: &[i64],
    high: &[i64],
    interior: &[usize],
) -> InferResult {
    if value.rank() != 0 || value.dtype != x.dtype {
        return err(
            "C1",
            format!("padding value must be a {} scalar, got {value}", x.dtype),
        );
    }
    let r = x.rank();
    if low.len() != r || high.len() != r || interior.len() != r {
        return err(
            "C2",
            format!("low/high/interior must each have {r} entries"),
        );
    }
    let mut shape = Vec::with_capacity(r);
    for i in 0..r {
        let n = x.shape[i] as i64;
        let inner = if n == 0 {
            0
        } else {
            n + (n - 1) * interior[i] as i64
        };
        let d = low[i] + inner + high[i];
        if d < 0 {
            return err("C3", format!("dim {i} would have negative size {d}"));
        }
        shape.push(d as usize);
    }
    Ok(TensorType::new(x.dtype, shape))
}

fn infer_reduce(x: &TensorType, dims: &[usize]) -> InferResult {
    let mut seen = vec![false; x.rank()];
    for &d in dims {
        check_dim("C1", d, x.rank())?;
        if std::mem::replace(&mut seen[d], true) {
            return err("C1", format!("dimension {d} listed twice"));
        }
    }
    numeric("C2", x)?;
    let shape: Vec<usize> = (0..x.rank())
        .filter(|i| !seen[*i])
        .map(|i| x.shape[i])
        .collect();
    Ok(TensorType::new(x.dtype, shape))
}

fn infer_reduce_window(
    x: &TensorType,
    window: &[usize],
    strides: &[usize],
    padding: &[(usize, usize)],
) -> InferResult {
    let r = x.rank();
    if window.len() != r || strides.len() != r || padding.len() != r {
        return err(
            "C1",
            format!("window/strides/padding must each have {r} entries"),
        );
    }
    let mut shape = Vec::with_capacity(r);
    for i in 0..r {
        let padded = x.shape[i] + padding[i].0 + padding[i].1;
        if window[i] == 0 || strides[i] == 0 || padded < window[i] {
            return err(
                "C2",
                format!("dim {i}: window {} does not fit {padded}", window[i]),
            );
        }
        shape.push((padded - window[i]) / strides[i] + 1);
    }
    numeric("C2", x)?;
    Ok(TensorType::new(x.dtype, shape))
}

fn infer_dot(l: &TensorType, r: &TensorType, d: &DotDims) -> InferResult {
    if d.lhs_batch.len() != d.rhs_batch.len() || d.lhs_contract.len() != d.rhs_contract.len() {
        return err(
            "C1",
            "batch and contracting dimension lists must pair up".into(),
        );
    }
    let lhs_dims: Vec<usize> = d.lhs_batch.iter().chain(&d.lhs_contract).copied().collect();
    let rhs_dims: Vec<usize> = d.rhs_batch.iter().chain(&d.rhs_contract).copied().collect();
    distinct_in_range("C2", &lhs_dims, l)?;
    distinct_in_range("C2", &rhs_dims, r)?;
    for (a, b) in lhs_dims.iter().zip(&rhs_dims) {
        if l.shape[*a] != r.shape[*b] {
            return err(
                "C1",
                format!(
                    "lhs dim {a} ({}) pairs with rhs dim {b} ({})",
                    l.shape[*a], r.shape[*b]
                ),
            );
        }
    }
    let floats = l.dtype.is_float() && l.dtype == r.dtype;
    let ints = l.dtype.is_int() && r.dtype.is_int();
    if !(floats || ints) {
        return err(
            "C3",
            format!(
                "operand dtypes {} and {} cannot be multiplied",
                l.dtype, r.dtype
            ),
        );
    }
    if floats && !d.out.is_float() {
        return err(
            "C4",
            format!("float operands need a float result, got {}", d.out),
        );
    }
    let mut shape: Vec<usize> = d.lhs_batch.iter().map(|&i| l.shape[i]).collect();
    shape.extend(
        (0..l.rank())
            .filter(|i| !lhs_dims.contains(i))
            .map(|i| l.shape[i]),
    );
    shape.extend(
        (0..r.rank())
            .filter(|i| !rhs_dims.contains(i))
            .map(|i| r.shape[i]),
    );
    Ok(TensorType::new(d.out, shape))
}

fn distinct_in_range(c: &'static str, dims: &[usize], t: &TensorType) -> Result<(), InferError> {
    for (i, &d) in dims.iter().enumerate() {
        check_dim(c, d, t.rank())?;
        if dims[..i].contains(&d) {
            return err(c, format!("dimension {d} listed twice"));
        }
    }
    Ok(())
}

fn infer_gather(table: &TensorType, idx: &TensorType) -> InferResult {
    if !idx.dtype.is_int() {
        return err("C1", format!("indices must be i32 or i64, got {idx}"));
    }
    if table.rank() == 0 {
        return err("C2", "the table must have rank >= 1".into());
    }
    let mut shape = idx.shape.clone();
    shape.extend_from_slice(&table.shape[1..]);
    Ok(TensorType::new(table.dtype, shape))
}

fn infer_scatter_add(operand: &TensorType, idx: &TensorType, upd: &TensorType) -> InferResult {
    if !idx.dtype.is_int() {
        return err("C1", format!("indices must be i32 or i64, got {idx}"));
    }
    if operand.rank() == 0 {
        return err("C2", "the operand must have rank >= 1".into());
    }
    let mut shape = idx.shape.clone();
    shape.extend_from_slice(&operand.shape[1..]);
    if upd.dtype != operand.dtype || upd.shape != shape {
        let want = TensorType::new(operand.dtype, shape);
        return err("C3", format!("updates must be {want}, got {upd}"));
    }
    Ok(operand.clone())
}

fn infer_chunk_attention(xs: &[&TensorType], chunk: usize) -> InferResult {
    let (qq, v) = (xs[0], xs[4]);
    let ok = xs.iter().all(|t| {
        t.rank() == 3 && t.dtype == qq.dtype && t.shape[..2] == qq.shape[..2] && t.dtype.is_float()
    }) && xs[..4].iter().all(|t| t.shape[2] == qq.shape[2]);
    if !ok {
        let listed: Vec<String> = xs.iter().map(|t| t.to_string()).collect();
        return err(
            "C1",
            format!(
                "operands must be [B,T,s] x4 and [B,T,e], got {}",
                listed.join(", ")
            ),
        );
    }
    if chunk == 0 {
        return err("C2", "chunk size must be >= 1".into());
    }
    Ok(v.clone())
}
