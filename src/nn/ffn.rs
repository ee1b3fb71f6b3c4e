//! Feed-forward layers (without the norm and residual, see [`super::block`]):
//!
//! - [`Ffn`]: `act(x w_1 + b_1) w_2 + b_2`, inner width f (4d), GELU, ReLU or SiLU;
//! - [`Glu`]: the SiLU-gated GLU of Transformer++, `(silu(x w_gate) * (x w_up)) w_down`,
//!   without biases (three `d x f` matrices, about 8d^2 parameters for f = 8d/3).

use super::dense::Dense;
use super::params::Params;
use crate::config::Activation;
use crate::dsl::Tensor;

/// The two-layer feed-forward network.
#[derive(Clone, Debug)]
pub struct Ffn {
    up: Dense,
    down: Dense,
    act: Activation,
}

impl Ffn {
    /// Creates `w_1`, `b_1` (`[d, f]`, `[f]`) and `w_2`, `b_2` (`[f, d]`, `[d]`).
    pub fn new(p: &Params, d: usize, f: usize, act: Activation) -> Ffn {
        Ffn {
            up: Dense::new(p, "1", d, f, true),
            down: Dense::new(p, "2", f, d, true),
            act,
        }
    }

    /// Applies the network to the last axis of `x`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.up.forward(x);
        let h = match self.act {
            Activation::Gelu => h.gelu(),
            Activation::Relu => h.relu(),
            Activation::Silu => h.silu(),
        };
        self.down.forward(&h)
    }
}

/// The SiLU-gated linear unit.
#[derive(Clone, Debug)]
pub struct Glu {
    gate: Dense,
    up: Dense,
    down: Dense,
}

impl Glu {
    /// Creates `w_gate`, `w_up` (`[d, f]`) and `w_down` (`[f, d]`).
    pub fn new(p: &Params, d: usize, f: usize) -> Glu {
        Glu {
            gate: Dense::new(p, "gate", d, f, false),
            up: Dense::new(p, "up", d, f, false),
            down: Dense::new(p, "down", f, d, false),
        }
    }

    /// Applies the unit to the last axis of `x`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.down
            .forward(&(self.gate.forward(x).silu() * self.up.forward(x)))
    }
}
