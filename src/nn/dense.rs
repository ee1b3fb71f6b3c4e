//! Dense (affine) layers and embedding tables.
//!
//! Weights are initialised N(0, 0.02) ([`Init::weight`]), the same as FLASH.md's gammas and
//! the usual choice for models of this size (BERT, GPT-2); biases are zero. A fan-in scaled
//! normal was not chosen: with tied embeddings one fixed scale keeps the embedding and every
//! projection comparable, and the pre-norm layers make the forward pass scale-free.

use super::params::{Init, Params};
use crate::dsl::{DType, DotDims, Tensor};

/// `x @ w + b`: weight `w_<name>` `[in, out]`, optional bias `b_<name>` `[out]`.
#[derive(Clone, Debug)]
pub struct Dense {
    w: Tensor,
    b: Option<Tensor>,
}

impl Dense {
    /// Creates `w_<name>` (and `b_<name>` when `bias`) in the current scope.
    pub fn new(p: &Params, name: &str, inputs: usize, outputs: usize, bias: bool) -> Dense {
        let w = p.param(&format!("w_{name}"), &[inputs, outputs], Init::weight());
        let b = bias.then(|| p.param(&format!("b_{name}"), &[outputs], Init::Zeros));
        Dense { w, b }
    }

    /// Applies the layer to the last axis of `x`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let y = x.matmul(&self.w);
        match &self.b {
            Some(b) => y + b,
            None => y,
        }
    }
}

/// An embedding table `table` `[rows, width]`, initialised N(0, 0.02).
#[derive(Clone, Debug)]
pub struct Embedding {
    table: Tensor,
}

impl Embedding {
    /// Creates `table` in the current scope.
    pub fn new(p: &Params, rows: usize, width: usize) -> Embedding {
        Embedding {
            table: p.param("table", &[rows, width], Init::weight()),
        }
    }

    /// The rows picked by integer `ids`: `ids.shape ++ [width]`.
    pub fn lookup(&self, ids: &Tensor) -> Tensor {
        self.table.gather(ids)
    }

    /// The `[rows, width]` table.
    pub fn table(&self) -> &Tensor {
        &self.table
    }

    /// The first `n` rows (learned absolute positions 0..n-1).
    pub fn first_rows(&self, n: usize) -> Tensor {
        self.table.slice(0, 0, n)
    }

    /// The tied output layer: `h @ table^T` (`[.., width]` to `[.., rows]`), accumulated and
    /// returned in `out`.
    pub fn attend(&self, h: &Tensor, out: DType) -> Tensor {
        let dims = DotDims {
            lhs_batch: vec![],
            rhs_batch: vec![],
            lhs_contract: vec![h.rank().saturating_sub(1)],
            rhs_contract: vec![1],
            out,
        };
        h.dot_general(&self.table, dims)
    }
}
