//! Test helpers: a tiny graph builder and one-output evaluation.
#![allow(dead_code)]

use flash_interp::{evaluate, Array};
use flash_ir::{DType, Graph, Location, Op, TensorType, ValueId};
use std::sync::Arc;

/// A graph under construction.
pub struct B {
    /// The graph.
    pub g: Graph,
    params: usize,
}

impl B {
    pub fn new() -> B {
        B {
            g: Graph::new("test"),
            params: 0,
        }
    }

    /// A new parameter `p<k>` of type `ty`.
    pub fn param(&mut self, ty: TensorType) -> ValueId {
        let (index, name) = (self.params, format!("p{}", self.params));
        self.params += 1;
        self.op(Op::Parameter { index, name, ty }, &[])
    }

    /// Appends `op` (panics on an inference error: tests build valid graphs).
    pub fn op(&mut self, op: Op, operands: &[ValueId]) -> ValueId {
        self.g
            .add(op, operands.to_vec(), Location::unknown(), Arc::from(""))
            .unwrap()
    }

    /// Sets the single output and evaluates.
    pub fn run(mut self, out: ValueId, inputs: &[Array]) -> Array {
        self.g.outputs = vec![out];
        evaluate(&self.g, inputs).unwrap().remove(0)
    }
}

pub fn t(dtype: DType, shape: &[usize]) -> TensorType {
    TensorType::new(dtype, shape)
}

pub fn arr(dtype: DType, shape: &[usize], data: &[f64]) -> Array {
    Array::new(t(dtype, shape), data.to_vec()).unwrap()
}

pub fn f32a(shape: &[usize], data: &[f64]) -> Array {
    arr(DType::F32, shape, data)
}

/// Evaluates `op` applied to parameters holding `inputs`.
pub fn apply(op: Op, inputs: &[Array]) -> Array {
    let mut b = B::new();
    let ps: Vec<ValueId> = inputs.iter().map(|x| b.param(x.ty.clone())).collect();
    let out = b.op(op, &ps);
    b.run(out, inputs)
}
