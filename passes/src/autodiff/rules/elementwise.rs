//! VJP rules of the elementwise ops: unary functions, binary arithmetic, `select` and
//! `convert`. (`compare` has no gradient; it is handled in the dispatch table.)
//!
//! Decisions at non-differentiable points:
//! - `abs` at 0: gradient 0 (the sign of 0), as JAX.
//! - `max`/`min` ties: the whole cotangent goes to the first operand (`a >= b` picks `a` for
//!   max, `a <= b` for min), none to the second.
//! - `pow(a, b)`: `d/da = b * a^(b-1)`, defined as 0 where `b == 0` (so `0^0` does not give
//!   `0 * inf`); `d/db = y * log(a)`, with `log(a)` replaced by 0 where `a <= 0` (select
//!   guard: the real power is not differentiable in `b` there, and `0^b` is flat for `b > 0`).

use super::{Ctx, RuleResult};
use flash_ir::build::BuildResult;
use flash_ir::{BinaryOp, Builder, CmpDir, UnaryOp, ValueId};

/// `x` (operand 0) receives `ct * f'(x)`, written with `y = f(x)` where that is cheaper.
pub(super) fn unary(c: &mut Ctx<'_, '_>, u: UnaryOp) -> RuleResult {
    let (x, y, ct) = (c.x(0), c.y, c.ct);
    let b = &mut c.b;
    let g = match u {
        UnaryOp::Neg => b.unary(UnaryOp::Neg, ct)?,
        UnaryOp::Abs => abs(b, x, ct)?,
        UnaryOp::Exp => b.mul(ct, y)?,
        UnaryOp::Log => b.div(ct, x)?,
        UnaryOp::Tanh => {
            let yy = b.mul(y, y)?;
            let d = one_minus(b, yy)?;
            b.mul(ct, d)?
        }
        UnaryOp::Logistic => {
            let d = one_minus(b, y)?;
            let d = b.mul(y, d)?;
            b.mul(ct, d)?
        }
        UnaryOp::Sqrt => {
            let t = b.div(ct, y)?;
            b.scale(t, 0.5)?
        }
        UnaryOp::Rsqrt => {
            let t = b.div(y, x)?;
            let t = b.mul(ct, t)?;
            b.scale(t, -0.5)?
        }
        UnaryOp::Sin => {
            let d = b.unary(UnaryOp::Cos, x)?;
            b.mul(ct, d)?
        }
        UnaryOp::Cos => {
            let d = b.unary(UnaryOp::Sin, x)?;
            let t = b.mul(ct, d)?;
            b.unary(UnaryOp::Neg, t)?
        }
    };
    Ok(vec![Some(g)])
}

/// `1 - v`.
fn one_minus(b: &mut Builder<'_>, v: ValueId) -> BuildResult {
    let one = b.splat_like(1.0, v)?;
    b.sub(one, v)
}

/// `ct * sign(x)` via two selects: `x > 0 ? ct : (x < 0 ? -ct : 0)`.
fn abs(b: &mut Builder<'_>, x: ValueId, ct: ValueId) -> BuildResult {
    let zero = b.splat_like(0.0, x)?;
    let pos = b.compare(CmpDir::Gt, x, zero)?;
    let neg = b.compare(CmpDir::Lt, x, zero)?;
    let minus = b.unary(UnaryOp::Neg, ct)?;
    let inner = b.select(neg, minus, zero)?;
    b.select(pos, ct, inner)
}

/// The binary arithmetic ops.
pub(super) fn binary(c: &mut Ctx<'_, '_>, op: BinaryOp) -> RuleResult {
    let (a, d, ct, y) = (c.x(0), c.x(1), c.ct, c.y);
    match op {
        BinaryOp::Add => Ok(vec![Some(ct), Some(ct)]),
        BinaryOp::Sub => Ok(vec![Some(ct), c.when(1, |b| b.unary(UnaryOp::Neg, ct))?]),
        BinaryOp::Mul => Ok(vec![
            c.when(0, |b| b.mul(ct, d))?,
            c.when(1, |b| b.mul(ct, a))?,
        ]),
        BinaryOp::Div => {
            let ga = c.when(0, |b| b.div(ct, d))?;
            let gd = c.when(1, |b| {
                let t = b.mul(ct, y)?;
                let t = b.div(t, d)?;
                b.unary(UnaryOp::Neg, t)
            })?;
            Ok(vec![ga, gd])
        }
        BinaryOp::Max => chooser(c, CmpDir::Ge),
        BinaryOp::Min => chooser(c, CmpDir::Le),
        BinaryOp::Pow => pow(c),
    }
}

/// max/min: the cotangent goes where `a dir b` holds to `a`, elsewhere to `b`.
fn chooser(c: &mut Ctx<'_, '_>, dir: CmpDir) -> RuleResult {
    let (a, d, ct) = (c.x(0), c.x(1), c.ct);
    let pick_a = c.b.compare(dir, a, d)?;
    let zero = c.b.splat_like(0.0, ct)?;
    let ga = c.when(0, |b| b.select(pick_a, ct, zero))?;
    let gd = c.when(1, |b| b.select(pick_a, zero, ct))?;
    Ok(vec![ga, gd])
}

/// `y = a ^ d`: see the module docs for the guards.
fn pow(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (a, d, ct, y) = (c.x(0), c.x(1), c.ct, c.y);
    let ga = c.when(0, |b| {
        let one = b.splat_like(1.0, d)?;
        let dm1 = b.sub(d, one)?;
        let p = b.binary(BinaryOp::Pow, a, dm1)?;
        let t = b.mul(d, p)?;
        let zero = b.splat_like(0.0, d)?;
        let d_is_0 = b.compare(CmpDir::Eq, d, zero)?;
        let t = b.select(d_is_0, zero, t)?;
        b.mul(ct, t)
    })?;
    let gd = c.when(1, |b| {
        let zero = b.splat_like(0.0, a)?;
        let one = b.splat_like(1.0, a)?;
        let positive = b.compare(CmpDir::Gt, a, zero)?;
        let safe = b.select(positive, a, one)?;
        let log = b.unary(UnaryOp::Log, safe)?;
        let t = b.mul(y, log)?;
        b.mul(ct, t)
    })?;
    Ok(vec![ga, gd])
}

/// `select(p, t, f)`: the cotangent goes to `t` where `p` holds, to `f` elsewhere; the
/// predicate gets nothing.
pub(super) fn select(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (p, ct) = (c.x(0), c.ct);
    let zero = c.b.splat_like(0.0, ct)?;
    let gt = c.when(1, |b| b.select(p, ct, zero))?;
    let gf = c.when(2, |b| b.select(p, zero, ct))?;
    Ok(vec![None, gt, gf])
}

/// `convert`: the cotangent converted back to the operand's (float) dtype.
pub(super) fn convert(c: &mut Ctx<'_, '_>) -> RuleResult {
    let (x, ct) = (c.x(0), c.ct);
    let to = c.b.dtype(x);
    Ok(vec![c.when(0, |b| b.convert(ct, to))?])
}
