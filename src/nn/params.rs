//! The parameter registry [`Params`]: every learned parameter of a layer is created through
//! it, so its scoped name, type and initialiser ([`Init`]) are recorded as a [`ParamSpec`] in
//! creation order, which is also the order of the graph's parameters.
//!
//! Parameters are stored in the registry's parameter dtype (f32 master weights) and handed to
//! the layer converted to the compute dtype (bf16 under mixed precision; no op when equal).

use crate::dsl::{Ctx, DType, Tensor};
use crate::ir::TensorType;
use std::cell::RefCell;

/// The standard deviation of the normal initialiser of weights, embeddings and GAU gammas.
pub const INIT_STD: f64 = 0.02;

/// How a parameter is initialised.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Normal with mean 0 and this standard deviation.
    Normal {
        /// The standard deviation.
        std: f64,
    },
    /// All zeros.
    Zeros,
    /// All ones.
    Ones,
    /// Every element equal to the value.
    Constant(f64),
}

impl Init {
    /// `Normal { std: INIT_STD }`, the initialiser of every weight matrix.
    pub fn weight() -> Init {
        Init::Normal { std: INIT_STD }
    }
}

/// One parameter: its full scoped name, its type and its initialiser.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamSpec {
    /// Full scoped name, e.g. `layers.3.gau.w_in`.
    pub name: String,
    /// Stored dtype and shape.
    pub ty: TensorType,
    /// Initialiser.
    pub init: Init,
}

/// Creates scoped parameters in a graph context and records their specs.
#[derive(Debug)]
pub struct Params {
    ctx: Ctx,
    param_dtype: DType,
    compute: DType,
    specs: RefCell<Vec<ParamSpec>>,
}

impl Params {
    /// A registry over `ctx` storing parameters as `param_dtype` and computing in `compute`.
    pub fn new(ctx: &Ctx, param_dtype: DType, compute: DType) -> Params {
        let specs = RefCell::new(Vec::new());
        Params {
            ctx: ctx.clone(),
            param_dtype,
            compute,
            specs,
        }
    }

    /// The graph context.
    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// The dtype layers compute in.
    pub fn compute_dtype(&self) -> DType {
        self.compute
    }

    /// Runs `f` inside scope `name` of the context.
    pub fn scope<R>(&self, name: &str, f: impl FnOnce(&Params) -> R) -> R {
        let _guard = self.ctx.push_scope(name);
        f(self)
    }

    /// A parameter `<scope>.<name>` of `shape`, initialised by `init`, converted to the
    /// compute dtype.
    pub fn param(&self, name: &str, shape: &[usize], init: Init) -> Tensor {
        let scope = self.ctx.scope_path();
        let full = if scope.is_empty() {
            name.to_string()
        } else {
            format!("{scope}.{name}")
        };
        let ty = TensorType::new(self.param_dtype, shape);
        self.specs.borrow_mut().push(ParamSpec {
            name: full,
            ty,
            init,
        });
        self.ctx
            .param(name, self.param_dtype, shape)
            .cast(self.compute)
    }

    /// The specs of every parameter created so far, in creation order.
    pub fn specs(&self) -> Vec<ParamSpec> {
        self.specs.borrow().clone()
    }
}
