//! Shared helpers of the StableHLO emitter tests: a small graph builder with deterministic
//! locations, the graphs the snapshot tests print, and (for the compile tests) a client of
//! the real XLA CPU plugin.
#![allow(dead_code)]

use std::sync::Arc;

use flash_ir::{
    BinaryOp, DType, DotDims, Graph, Literal, Location, Op, ReduceKind, TensorType, UnaryOp,
    ValueId,
};

/// Builds graphs through `Graph::add`, giving node N the location `<file>:<N + 1>:5` unless
/// told otherwise, so snapshots do not depend on where the test code sits.
pub struct Builder {
    /// The graph being built.
    pub g: Graph,
    file: Arc<str>,
    scope: Arc<str>,
    next_param: usize,
    unknown: bool,
}

impl Builder {
    /// A builder for a graph called `name`, locations in `src/<name>.rs`.
    pub fn new(name: &str) -> Self {
        Builder {
            g: Graph::new(name),
            file: Arc::from(format!("src/{name}.rs")),
            scope: Arc::from(""),
            next_param: 0,
            unknown: false,
        }
    }

    /// Later nodes get this scope path (`""` for top level).
    pub fn scope(&mut self, scope: &str) -> &mut Self {
        self.scope = Arc::from(scope);
        self
    }

    /// Later nodes get unknown locations (`true`) or file locations (`false`).
    pub fn unknown_locations(&mut self, unknown: bool) -> &mut Self {
        self.unknown = unknown;
        self
    }

    fn loc(&self) -> Location {
        if self.unknown {
            return Location::unknown();
        }
        Location {
            file: self.file.clone(),
            line: self.g.nodes.len() as u32 + 1,
            col: 5,
        }
    }

    /// Adds `op` on `operands` at the next location; panics with the IR error if invalid.
    pub fn op(&mut self, op: Op, operands: &[ValueId]) -> ValueId {
        self.try_op(op, operands)
            .unwrap_or_else(|e| panic!("invalid test graph: {e}"))
    }

    /// Adds `op` on `operands`, or returns the IR's error.
    pub fn try_op(&mut self, op: Op, operands: &[ValueId]) -> Result<ValueId, flash_ir::IrError> {
        let loc = self.loc();
        self.g.add(op, operands.to_vec(), loc, self.scope.clone())
    }

    /// Adds a node at an explicit location.
    pub fn op_at(&mut self, op: Op, operands: &[ValueId], loc: Location) -> ValueId {
        self.g
            .add(op, operands.to_vec(), loc, self.scope.clone())
            .expect("valid node")
    }

    /// The next parameter, called `name`.
    pub fn param(&mut self, name: &str, dtype: DType, shape: &[usize]) -> ValueId {
        let index = self.next_param;
        self.next_param += 1;
        let ty = TensorType::new(dtype, shape);
        self.op(
            Op::Parameter {
                index,
                name: name.into(),
                ty,
            },
            &[],
        )
    }

    /// A splat constant.
    pub fn splat(&mut self, value: f64, dtype: DType, shape: &[usize]) -> ValueId {
        self.op(
            Op::Constant {
                value: Literal::Splat(value),
                ty: TensorType::new(dtype, shape),
            },
            &[],
        )
    }

    /// A dense constant.
    pub fn dense(&mut self, values: &[f64], dtype: DType, shape: &[usize]) -> ValueId {
        self.op(
            Op::Constant {
                value: Literal::Dense(values.to_vec()),
                ty: TensorType::new(dtype, shape),
            },
            &[],
        )
    }

    /// Appends graph outputs.
    pub fn outputs(&mut self, vs: &[ValueId]) -> &mut Self {
        self.g.outputs.extend_from_slice(vs);
        self
    }

    /// The finished graph.
    pub fn finish(&self) -> Graph {
        self.g.clone()
    }
}

/// Matrix-product dimension numbers `lhs[.., k] x rhs[k, ..]` with result dtype `out`.
pub fn matmul_dims(lhs_contract: usize, rhs_contract: usize, out: DType) -> DotDims {
    DotDims {
        lhs_batch: vec![],
        rhs_batch: vec![],
        lhs_contract: vec![lhs_contract],
        rhs_contract: vec![rhs_contract],
        out,
    }
}

/// `tanh(x . w + b)` with `x: [2, 3]`, `w: [3, 4]`, `b: [4]` broadcast over rows; the
/// matmul and bias sit in scope `layers.0.mlp`.
pub fn mlp() -> Graph {
    let mut b = Builder::new("mlp");
    let x = b.param("x", DType::F32, &[2, 3]);
    let w = b.param("layers.0.mlp.w", DType::F32, &[3, 4]);
    let bias = b.param("layers.0.mlp.b", DType::F32, &[4]);
    b.scope("layers.0.mlp");
    let xw = b.op(Op::DotGeneral(matmul_dims(1, 0, DType::F32)), &[x, w]);
    let bb = b.op(
        Op::BroadcastInDim {
            shape: vec![2, 4],
            dims: vec![1],
        },
        &[bias],
    );
    let s = b.op(Op::Binary(BinaryOp::Add), &[xw, bb]);
    b.scope("");
    let y = b.op(Op::Unary(UnaryOp::Tanh), &[s]);
    b.outputs(&[y]).finish()
}

/// Row sums and column maxima of `x: [2, 3]`, plus the maximum of an i32 vector.
pub fn reductions() -> Graph {
    let mut b = Builder::new("reductions");
    let x = b.param("x", DType::F32, &[2, 3]);
    let n = b.param("n", DType::I32, &[4]);
    let rows = b.op(
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![1],
        },
        &[x],
    );
    let cols = b.op(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0],
        },
        &[x],
    );
    let total = b.op(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0],
        },
        &[n],
    );
    b.outputs(&[rows, cols, total]).finish()
}

/// Embedding lookup: table `[5, 3]`, indices `[2, 2]` (i32) give `[2, 2, 3]`.
pub fn embedding() -> Graph {
    let mut b = Builder::new("embedding");
    let table = b.param("embed.table", DType::F32, &[5, 3]);
    let ids = b.param("ids", DType::I32, &[2, 2]);
    let rows = b.op(Op::Gather, &[table, ids]);
    b.outputs(&[rows]).finish()
}

/// The embedding gradient's form: rows of `updates` scatter-added into a table.
pub fn scatter_rows() -> Graph {
    let mut b = Builder::new("scatter_rows");
    let table = b.param("embed.table", DType::F32, &[5, 3]);
    let ids = b.param("ids", DType::I32, &[2, 2]);
    let updates = b.param("updates", DType::F32, &[2, 2, 3]);
    let out = b.op(Op::ScatterAdd, &[table, ids, updates]);
    b.outputs(&[out]).finish()
}

/// A bf16 x bf16 batched matrix product accumulated in f32.
pub fn bf16_dot() -> Graph {
    let mut b = Builder::new("bf16_dot");
    let q = b.param("q", DType::BF16, &[2, 3, 4]);
    let k = b.param("k", DType::BF16, &[2, 5, 4]);
    let dims = DotDims {
        lhs_batch: vec![0],
        rhs_batch: vec![0],
        lhs_contract: vec![2],
        rhs_contract: vec![2],
        out: DType::F32,
    };
    let s = b.op(Op::DotGeneral(dims), &[q, k]);
    b.outputs(&[s]).finish()
}

/// An optimizer-like update `w - lr * g` returning the new weight in place of `w`
/// (`aliases = [(0, 0)]`) and a step counter `step + 1` in place of `step`.
pub fn sgd_step() -> Graph {
    let mut b = Builder::new("sgd_step");
    let w = b.param("w", DType::F32, &[4]);
    let g = b.param("grad", DType::F32, &[4]);
    let step = b.param("step", DType::I64, &[]);
    b.unknown_locations(true);
    let lr = b.splat(0.5, DType::F32, &[4]);
    let d = b.op(Op::Binary(BinaryOp::Mul), &[lr, g]);
    b.unknown_locations(false).scope("optimizer");
    let w2 = b.op(Op::Binary(BinaryOp::Sub), &[w, d]);
    b.unknown_locations(true);
    let one = b.splat(1.0, DType::I64, &[]);
    let step2 = b.op(Op::Binary(BinaryOp::Add), &[step, one]);
    b.outputs(&[w2, step2]);
    b.g.aliases = vec![(0, 0), (2, 1)];
    b.finish()
}

/// An inclusive prefix sum along dim 1 of `x: [2, 4]` as a padded window
/// (`reduce_window`, generic form) and a 2-wide max pool with stride 2.
pub fn windows() -> Graph {
    let mut b = Builder::new("windows");
    let x = b.param("x", DType::F32, &[2, 4]);
    let prefix = Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window: vec![1, 4],
        strides: vec![1, 1],
        padding: vec![(0, 0), (3, 0)],
    };
    let pool = Op::ReduceWindow {
        kind: ReduceKind::Max,
        window: vec![1, 2],
        strides: vec![1, 2],
        padding: vec![(0, 0), (0, 0)],
    };
    let p = b.op(prefix, &[x]);
    let m = b.op(pool, &[x]);
    b.outputs(&[p, m]).finish()
}

/// Every graph the snapshot tests print.
pub fn snapshot_graphs() -> Vec<Graph> {
    vec![
        mlp(),
        reductions(),
        embedding(),
        bf16_dot(),
        sgd_step(),
        windows(),
    ]
}

/// The process-wide client of the plugin chosen by `FLASH_PJRT_PLUGIN` (or the CPU plugin),
/// its executables in the build's target folder (never the user's cache).
pub fn client() -> Arc<flash_runtime::Client> {
    flash_runtime::use_test_cache(env!("CARGO_TARGET_TMPDIR"));
    flash_runtime::shared_client(None).unwrap_or_else(|e| panic!("no PJRT client: {e}"))
}

/// Emits `g` and compiles it with the real plugin, panicking with the program text and the
/// plugin's diagnostics if either step fails.
pub fn compile(g: &Graph) -> Arc<flash_runtime::LoadedExecutable> {
    let text = flash::stablehlo::emit(g).unwrap_or_else(|e| panic!("emit failed: {e}"));
    client()
        .compile(&text)
        .unwrap_or_else(|e| panic!("the plugin rejected:\n{text}\n{e}"))
}

/// Compiles `g`, runs it on `inputs` and returns the outputs on the host.
pub fn run(g: &Graph, inputs: &[flash_runtime::HostData]) -> Vec<flash_runtime::HostData> {
    let exe = compile(g);
    let c = client();
    let device = c.default_device().expect("a device");
    let bufs: Vec<_> = inputs
        .iter()
        .map(|h| c.upload(h, device).expect("upload"))
        .collect();
    let refs: Vec<_> = bufs.iter().collect();
    let outs = exe.execute(&refs).expect("execute");
    outs.iter()
        .map(|b| b.to_host().expect("download"))
        .collect()
}

/// Compiles every `(label, graph)` and panics listing all that the plugin (or the emitter)
/// rejected, so one run shows every failure.
pub fn compile_all(graphs: &[(String, Graph)]) {
    assert!(!graphs.is_empty(), "no graphs to compile");
    let c = client();
    let mut failures = Vec::new();
    for (label, g) in graphs {
        match flash::stablehlo::emit(g) {
            Err(e) => failures.push(format!("{label}: emit failed: {e}")),
            Ok(text) => {
                if let Err(e) = c.compile(&text) {
                    failures.push(format!("{label}: the plugin rejected\n{text}\n{e}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} programs failed:\n{}",
        failures.len(),
        graphs.len(),
        failures.join("\n\n")
    );
}

/// A graph with one parameter of type `dtype[shape]` fed to `op`, or `None` if the IR
/// rejects the op for that type.
pub fn unary_graph(name: &str, op: Op, dtype: DType, shape: &[usize]) -> Option<Graph> {
    let mut b = Builder::new(name);
    let x = b.param("x", dtype, shape);
    let y = b.try_op(op, &[x]).ok()?;
    Some(b.outputs(&[y]).finish())
}

/// A graph with two parameters of types `a` and `b` fed to `op`, or `None` if the IR
/// rejects it.
pub fn binary_graph(name: &str, op: Op, a: &TensorType, b_ty: &TensorType) -> Option<Graph> {
    let mut b = Builder::new(name);
    let x = b.param("x", a.dtype, &a.shape);
    let y = b.param("y", b_ty.dtype, &b_ty.shape);
    let z = b.try_op(op, &[x, y]).ok()?;
    Some(b.outputs(&[z]).finish())
}
