//! Hand-written SPMD programs in both sharding dialects (GSPMD's `mhlo.sharding` and
//! Shardy's `sdy.sharding`) and host-side helpers to cut arrays into per-device blocks.

use flash_runtime::{Buffer, Client, CompileOptions, LoadedExecutable};
use std::sync::Arc;

/// One sharding, spelled in both dialects.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// GSPMD's `mhlo.sharding` text, e.g. `{devices=[4,1]<=[4]}`.
    pub gspmd: &'static str,
    /// Shardy's dimension shardings, e.g. `[{"data"}, {}]`.
    pub sdy: &'static str,
}

/// Replicated on every device (2-D).
pub const REPLICATED_2D: Spec = Spec {
    gspmd: "{replicated}",
    sdy: "[{}, {}]",
};

/// The rows split over a 4-device `data` axis.
pub const ROWS_ON_DATA4: Spec = Spec {
    gspmd: "{devices=[4,1]<=[4]}",
    sdy: r#"[{"data"}, {}]"#,
};

/// How shardings are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `mhlo.sharding` attributes and `custom_call @Sharding`.
    Gspmd,
    /// `sdy.mesh`, `sdy.sharding` attributes and `sdy.sharding_constraint`.
    Shardy,
}

pub use Dialect::{Gspmd, Shardy};

impl Dialect {
    /// The argument or result attribute for a sharding.
    pub fn attr(self, spec: Spec) -> String {
        match self {
            Gspmd => format!("mhlo.sharding = \"{}\"", spec.gspmd),
            Shardy => format!("sdy.sharding = #sdy.sharding<@mesh, {}>", spec.sdy),
        }
    }

    /// `%name = <constraint of value to spec> : ty`.
    pub fn constraint(self, name: &str, value: &str, ty: &str, spec: Spec) -> String {
        match self {
            Gspmd => format!(
                "{name} = stablehlo.custom_call @Sharding({value}) {{{}}} : ({ty}) -> {ty}",
                self.attr(spec)
            ),
            Shardy => format!(
                "{name} = sdy.sharding_constraint {value} <@mesh, {}> : {ty}",
                spec.sdy
            ),
        }
    }

    /// A module of `partitions` partitions over `mesh` (Shardy's axes, e.g.
    /// `["data"=4]`) holding `main`.
    pub fn module(self, partitions: usize, mesh: &str, main: &str) -> String {
        let mesh = match self {
            Gspmd => String::new(),
            Shardy => format!("  sdy.mesh @mesh = <{mesh}>\n"),
        };
        format!(
            "module @spmd attributes {{mhlo.num_partitions = {partitions} : i32, \
             mhlo.num_replicas = 1 : i32}} {{\n{mesh}{main}\n}}\n"
        )
    }
}

/// Compiles `program` for devices `0..n` with the SPMD partitioner (Shardy on or off).
pub fn compile_spmd(
    client: &Client,
    program: &str,
    n: usize,
    shardy: bool,
) -> flash_runtime::Result<Arc<LoadedExecutable>> {
    let mut options = CompileOptions::spmd(n, (0..n as i64).collect())?;
    options.use_shardy_partitioner = shardy;
    client.compile_with(program, &options)
}

/// A row-major `[rows, cols]` array with small integer values (exact in f32 sums).
pub fn matrix(rows: usize, cols: usize, seed: usize) -> Vec<f32> {
    (0..rows * cols)
        .map(|i| ((i * 7 + seed * 3) % 11) as f32 - 5.0)
        .collect()
}

/// Block `(r, c)` of a row-major `[rows, cols]` array cut into `parts.0 x parts.1` blocks.
pub fn block(
    values: &[f32],
    (rows, cols): (usize, usize),
    parts: (usize, usize),
    (r, c): (usize, usize),
) -> Vec<f32> {
    let (br, bc) = (rows / parts.0, cols / parts.1);
    let mut out = Vec::with_capacity(br * bc);
    for i in r * br..(r + 1) * br {
        out.extend_from_slice(&values[i * cols + c * bc..i * cols + (c + 1) * bc]);
    }
    out
}

/// `a [n, k] @ b [k, m]`, row-major.
pub fn matmul(a: &[f32], b: &[f32], n: usize, k: usize, m: usize) -> Vec<f32> {
    let mut out = vec![0.0; n * m];
    for i in 0..n {
        for j in 0..m {
            out[i * m + j] = (0..k).map(|t| a[i * k + t] * b[t * m + j]).sum();
        }
    }
    out
}

/// Column sums of a row-major `[rows, cols]` array.
pub fn column_sums(a: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    (0..cols)
        .map(|j| (0..rows).map(|i| a[i * cols + j]).sum())
        .collect()
}

/// Downloads every device's outputs: `[device][output]` as (dims, values).
pub fn download_all(outputs: &[Vec<Buffer>]) -> Vec<Vec<(Vec<i64>, Vec<f32>)>> {
    outputs
        .iter()
        .map(|list| {
            list.iter()
                .map(|b| (b.dims().unwrap(), super::download::<f32>(b)))
                .collect()
        })
        .collect()
}
