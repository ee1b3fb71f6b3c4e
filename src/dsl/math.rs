//! Elementwise math on [`Tensor`]: unary functions, binary functions with NumPy broadcasting
//! and scalar operands, comparisons (bool results), `select`/[`where_`] and `cast`.

use super::error::ErrorKind;
use super::tensor::{Elementwise, Operand, Tensor};
use flash_ir::{BinaryOp, CmpDir, DType, Location, UnaryOp};

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                #[track_caller]
                pub fn $name(&self) -> Tensor {
                    self.unary_at(&Location::caller(), stringify!($name), UnaryOp::$op)
                }
            )*
        }
    };
}

unary_methods! {
    /// `e^x`.
    exp => Exp;
    /// Natural logarithm.
    log => Log;
    /// Hyperbolic tangent.
    tanh => Tanh;
    /// `1 / (1 + e^-x)`.
    sigmoid => Logistic;
    /// `1 / (1 + e^-x)` (the IR's name for [`Tensor::sigmoid`]).
    logistic => Logistic;
    /// Square root.
    sqrt => Sqrt;
    /// `1 / sqrt(x)`.
    rsqrt => Rsqrt;
    /// Sine.
    sin => Sin;
    /// Cosine.
    cos => Cos;
    /// `|x|`.
    abs => Abs;
    /// `-x`.
    neg => Neg;
}

macro_rules! binary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                #[track_caller]
                pub fn $name(&self, rhs: impl Into<Operand>) -> Tensor {
                    let loc = Location::caller();
                    self.binary_at(&loc, stringify!($name), BinaryOp::$op, rhs.into(), false)
                }
            )*
        }
    };
}

binary_methods! {
    /// `self ^ rhs` (floats only), broadcasting.
    pow => Pow;
    /// Elementwise maximum, broadcasting.
    maximum => Max;
    /// Elementwise minimum, broadcasting.
    minimum => Min;
}

macro_rules! compare_methods {
    ($($(#[$doc:meta])* $name:ident => $dir:ident;)*) => {
        impl Tensor {
            $(
                $(#[$doc])*
                #[track_caller]
                pub fn $name(&self, rhs: impl Into<Operand>) -> Tensor {
                    let loc = Location::caller();
                    self.compare_at(&loc, stringify!($name), CmpDir::$dir, rhs.into())
                }
            )*
        }
    };
}

compare_methods! {
    /// `self < rhs`, a bool tensor (broadcasting).
    lt => Lt;
    /// `self <= rhs`, a bool tensor (broadcasting).
    le => Le;
    /// `self > rhs`, a bool tensor (broadcasting).
    gt => Gt;
    /// `self >= rhs`, a bool tensor (broadcasting).
    ge => Ge;
    /// `self == rhs`, a bool tensor (broadcasting).
    eq => Eq;
    /// `self != rhs`, a bool tensor (broadcasting).
    ne => Ne;
}

impl Tensor {
    /// `x * x`.
    #[track_caller]
    pub fn square(&self) -> Tensor {
        let loc = Location::caller();
        self.binary_at(&loc, "square", BinaryOp::Mul, self.into(), false)
    }

    /// Converts to `dtype` (no op if already that dtype).
    #[track_caller]
    pub fn cast(&self, dtype: DType) -> Tensor {
        let loc = Location::caller();
        self.apply(&loc, "cast", |b, v| Ok(b.convert(v, dtype)?))
    }

    /// Elementwise `self ? on_true : on_false` for a bool `self`; the three broadcast together
    /// and a scalar branch takes the other branch's dtype.
    #[track_caller]
    pub fn select(&self, on_true: impl Into<Operand>, on_false: impl Into<Operand>) -> Tensor {
        let loc = Location::caller();
        let operands = [Operand::from(self), on_true.into(), on_false.into()];
        if operands[1].tensor().is_none() && operands[2].tensor().is_none() {
            let msg = "select needs at least one tensor branch to take the dtype from";
            self.ctx()
                .record(&loc, "select", ErrorKind::Argument(msg.into()));
            return self.poisoned();
        }
        let dtype_from = if operands[1].tensor().is_some() { 1 } else { 2 };
        let ew = Elementwise {
            op: "select",
            dtype_from,
            same_dtype_from: 1,
            operands: &operands,
        };
        ew.emit(self.ctx(), &loc, |b, v| b.select(v[0], v[1], v[2]))
    }

    pub(crate) fn unary_at(&self, loc: &Location, name: &'static str, op: UnaryOp) -> Tensor {
        self.apply(loc, name, |b, v| Ok(b.unary(op, v)?))
    }

    /// `self op rhs` (or `rhs op self` when `swapped`), broadcasting.
    pub(crate) fn binary_at(
        &self,
        loc: &Location,
        name: &'static str,
        op: BinaryOp,
        rhs: Operand,
        swapped: bool,
    ) -> Tensor {
        let lhs = Operand::from(self);
        let (operands, dtype_from) = if swapped {
            ([rhs, lhs], 1)
        } else {
            ([lhs, rhs], 0)
        };
        let ew = Elementwise {
            op: name,
            dtype_from,
            same_dtype_from: 0,
            operands: &operands,
        };
        ew.emit(self.ctx(), loc, |b, v| b.binary(op, v[0], v[1]))
    }

    fn compare_at(&self, loc: &Location, name: &'static str, dir: CmpDir, rhs: Operand) -> Tensor {
        let operands = [Operand::from(self), rhs];
        let ew = Elementwise {
            op: name,
            dtype_from: 0,
            same_dtype_from: 0,
            operands: &operands,
        };
        ew.emit(self.ctx(), loc, |b, v| b.compare(dir, v[0], v[1]))
    }
}

/// `cond ? on_true : on_false`, elementwise with broadcasting (see [`Tensor::select`]).
#[track_caller]
pub fn where_(cond: &Tensor, on_true: impl Into<Operand>, on_false: impl Into<Operand>) -> Tensor {
    cond.select(on_true, on_false)
}
