//! Operator overloading: `+ - * /` for every combination of `Tensor`/`&Tensor` with
//! `Tensor`/`&Tensor`/`f64` (either side), and unary `-`. All broadcast like NumPy and record
//! the expression's call site.

use super::tensor::Tensor;
use flash_ir::{BinaryOp, Location, UnaryOp};
use std::ops::{Add, Div, Mul, Neg, Sub};

macro_rules! binary_operator {
    ($trait:ident, $method:ident, $op:ident) => {
        binary_operator!(@tensor $trait, $method, $op, Tensor, Tensor);
        binary_operator!(@tensor $trait, $method, $op, Tensor, &Tensor);
        binary_operator!(@tensor $trait, $method, $op, &Tensor, Tensor);
        binary_operator!(@tensor $trait, $method, $op, &Tensor, &Tensor);
        binary_operator!(@scalar $trait, $method, $op, Tensor);
        binary_operator!(@scalar $trait, $method, $op, &Tensor);
    };
    (@tensor $trait:ident, $method:ident, $op:ident, $lhs:ty, $rhs:ty) => {
        impl $trait<$rhs> for $lhs {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: $rhs) -> Tensor {
                let loc = Location::caller();
                let name = BinaryOp::$op.name();
                self.binary_at(&loc, name, BinaryOp::$op, rhs.into(), false)
            }
        }
    };
    (@scalar $trait:ident, $method:ident, $op:ident, $t:ty) => {
        impl $trait<f64> for $t {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: f64) -> Tensor {
                let loc = Location::caller();
                let name = BinaryOp::$op.name();
                self.binary_at(&loc, name, BinaryOp::$op, rhs.into(), false)
            }
        }

        impl $trait<$t> for f64 {
            type Output = Tensor;
            #[track_caller]
            fn $method(self, rhs: $t) -> Tensor {
                let loc = Location::caller();
                let name = BinaryOp::$op.name();
                rhs.binary_at(&loc, name, BinaryOp::$op, self.into(), true)
            }
        }
    };
}

binary_operator!(Add, add, Add);
binary_operator!(Sub, sub, Sub);
binary_operator!(Mul, mul, Mul);
binary_operator!(Div, div, Div);

impl Neg for Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        self.unary_at(&Location::caller(), "neg", UnaryOp::Neg)
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    #[track_caller]
    fn neg(self) -> Tensor {
        self.unary_at(&Location::caller(), "neg", UnaryOp::Neg)
    }
}
