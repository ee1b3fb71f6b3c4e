//! Helpers of the layer tests: build one layer in f64 through the DSL, evaluate it with the
//! reference interpreter on seeded random parameters, and naive f64 reference math (plain
//! loops over row-major matrices).
#![allow(dead_code)]

use flash::dsl::{Ctx, DType, Tensor};
use flash::interp::{evaluate, Array};
use flash::ir::TensorType;
use flash::nn::Params;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use std::collections::HashMap;

/// A row-major matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct M {
    /// Rows.
    pub r: usize,
    /// Columns.
    pub c: usize,
    /// Values.
    pub d: Vec<f64>,
}

impl M {
    /// A matrix from values.
    pub fn new(r: usize, c: usize, d: Vec<f64>) -> M {
        assert_eq!(d.len(), r * c);
        M { r, c, d }
    }
    /// Element (i, j).
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.d[i * self.c + j]
    }
    /// A matrix with elements `f(i, j)`.
    pub fn from_fn(r: usize, c: usize, f: impl Fn(usize, usize) -> f64) -> M {
        M::new(r, c, (0..r * c).map(|x| f(x / c, x % c)).collect())
    }
    /// The matrix product.
    pub fn matmul(&self, o: &M) -> M {
        M::from_fn(self.r, o.c, |i, j| {
            (0..self.c).map(|k| self.at(i, k) * o.at(k, j)).sum()
        })
    }
    /// Columns `a..b`.
    pub fn cols(&self, a: usize, b: usize) -> M {
        M::from_fn(self.r, b - a, |i, j| self.at(i, a + j))
    }
    /// `f` applied to every element.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> M {
        M::new(self.r, self.c, self.d.iter().map(|&x| f(x)).collect())
    }
    /// Elementwise combination with `o` (broadcasting a one-row `o` over rows).
    pub fn zip(&self, o: &M, f: impl Fn(f64, f64) -> f64) -> M {
        M::from_fn(self.r, self.c, |i, j| {
            f(self.at(i, j), o.at(if o.r == 1 { 0 } else { i }, j))
        })
    }
    /// The transpose.
    pub fn t(&self) -> M {
        M::from_fn(self.c, self.r, |i, j| self.at(j, i))
    }
}

/// `x * sigmoid(x)`.
pub fn silu(x: f64) -> f64 {
    x / (1.0 + (-x).exp())
}

/// Naive RoPE ("rotate half", base 10000) of the rows of `x` at positions `start + row`.
pub fn rope_ref(x: &M, start: usize) -> M {
    let half = x.c / 2;
    M::from_fn(x.r, x.c, |t, i| {
        let f = i % half;
        let angle = (t + start) as f64 * 10000f64.powf(-2.0 * f as f64 / x.c as f64);
        let other = if i < half {
            -x.at(t, i + half)
        } else {
            x.at(t, i - half)
        };
        x.at(t, i) * angle.cos() + other * angle.sin()
    })
}

/// Naive ScaleNorm of the rows of `x` with scalar gain `g`.
pub fn scale_norm_ref(x: &M, g: f64) -> M {
    M::from_fn(x.r, x.c, |i, j| {
        let ms = (0..x.c).map(|k| x.at(i, k).powi(2)).sum::<f64>() / x.c as f64;
        x.at(i, j) / (ms + 1e-5).sqrt() * g
    })
}

/// A layer built in f64 and its parameter values.
pub struct Layer {
    /// The graph: parameters first, then the input `x`.
    pub graph: flash::ir::Graph,
    /// Every parameter's values, by full name.
    pub values: HashMap<String, Vec<f64>>,
    names: Vec<String>,
}

/// Builds `apply(make(params), x)` in f64 for an input `x` of `x_shape`, with parameters
/// drawn N(0, std) from `seed`.
pub fn build<L>(
    x_shape: &[usize],
    std: f64,
    seed: u64,
    make: impl FnOnce(&Params) -> L,
    apply: impl FnOnce(&L, &Tensor) -> Tensor,
) -> Layer {
    let ctx = Ctx::new("layer");
    let p = Params::new(&ctx, DType::F64, DType::F64);
    let layer = make(&p);
    let x = ctx.input("x", DType::F64, x_shape);
    let y = apply(&layer, &x);
    let graph = ctx.finish(&[y]).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, std).unwrap();
    let specs = p.specs();
    let values = specs
        .iter()
        .map(|s| {
            (
                s.name.clone(),
                (0..s.ty.num_elements())
                    .map(|_| normal.sample(&mut rng))
                    .collect(),
            )
        })
        .collect();
    Layer {
        graph,
        values,
        names: specs.into_iter().map(|s| s.name).collect(),
    }
}

impl Layer {
    /// The values of parameter `name` as a matrix of `r` rows.
    pub fn mat(&self, name: &str, r: usize) -> M {
        let d = self
            .values
            .get(name)
            .unwrap_or_else(|| panic!("no parameter {name}"))
            .clone();
        M::new(r, d.len() / r, d)
    }

    /// Evaluates the layer on `x` (values of the input's shape) with the interpreter.
    pub fn run(&self, x: &[f64]) -> Vec<f64> {
        let g = &self.graph;
        let mut inputs: Vec<Array> = self
            .names
            .iter()
            .zip(g.params())
            .map(|(n, p)| array(g.ty(p), &self.values[n]))
            .collect();
        let xp = g.params()[self.names.len()];
        inputs.push(array(g.ty(xp), x));
        evaluate(g, &inputs)
            .unwrap_or_else(|e| panic!("{e}"))
            .remove(0)
            .data
    }
}

fn array(ty: &TensorType, v: &[f64]) -> Array {
    Array::new(ty.clone(), v.to_vec()).unwrap()
}

/// `n` seeded N(0, 1) values.
pub fn randn(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| Normal::new(0.0, 1.0).unwrap().sample(&mut rng))
        .collect()
}

/// Asserts `|a - b| <= tol` elementwise.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let worst = got
        .iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst <= tol, "{what}: max difference {worst}");
}
