//! The graph context [`Ctx`]: the graph under construction, the scope stack and the first
//! error. Cheap to clone (an `Rc`); every [`Tensor`] holds one.
//!
//! All node creation goes through [`Ctx::emit`], which stamps the user's call site and the
//! current scope on new nodes, and turns a failure into the context's first error. Once an
//! error is recorded every later op is a no-op returning a poisoned tensor, so one mistake
//! yields exactly one error.

use super::error::{DslError, ErrorKind};
use super::tensor::{DimArg, Tensor};
use flash_ir::{Builder, DType, Graph, Location, Mesh, Op, TensorType, ValueId};
use std::cell::RefCell;
use std::ops::Range;
use std::rc::Rc;
use std::sync::Arc;

/// A graph under construction. Clones share the same graph.
#[derive(Clone)]
pub struct Ctx {
    state: Rc<RefCell<State>>,
}

struct State {
    graph: Graph,
    scopes: Vec<String>,
    scope: Arc<str>,
    error: Option<DslError>,
    finished: bool,
    regions: Vec<Region>,
}

/// A named range of the graph's nodes, recorded by [`Ctx::region`]: what a
/// rematerialisation policy may recompute in the backward pass (as `jax.checkpoint` is
/// applied to a named part of a model).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The region's name (the models record [`crate::nn::LAYER_REGION`] and
    /// [`crate::nn::ATTENTION_REGION`]).
    pub name: &'static str,
    /// The indices of the nodes it added, contiguous and non-empty.
    pub nodes: Range<usize>,
}

/// Pops the scope pushed by [`Ctx::push_scope`] when dropped.
#[must_use = "the scope is popped when the guard is dropped"]
pub struct ScopeGuard {
    ctx: Ctx,
    depth: usize,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let mut st = self.ctx.state.borrow_mut();
        st.scopes.truncate(self.depth);
        st.scope = Arc::from(st.scopes.join("."));
    }
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.state.borrow();
        write!(f, "Ctx({}, {} nodes)", st.graph.name, st.graph.nodes.len())
    }
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx::new("main")
    }
}

impl Ctx {
    /// A context building an empty graph called `name`.
    #[track_caller]
    pub fn new(name: &str) -> Ctx {
        let state = State {
            graph: Graph::new(name),
            scopes: Vec::new(),
            scope: Arc::from(""),
            error: None,
            finished: false,
            regions: Vec::new(),
        };
        Ctx {
            state: Rc::new(RefCell::new(state)),
        }
    }

    /// Runs `f` inside scope `name` (which may itself contain dots, `layers.0`).
    #[track_caller]
    pub fn scope<R>(&self, name: &str, f: impl FnOnce(&Ctx) -> R) -> R {
        let _guard = self.push_scope(name);
        f(self)
    }

    /// Enters scope `name` until the returned guard is dropped.
    #[track_caller]
    pub fn push_scope(&self, name: &str) -> ScopeGuard {
        let mut st = self.state.borrow_mut();
        let depth = st.scopes.len();
        st.scopes.push(name.to_string());
        st.scope = Arc::from(st.scopes.join("."));
        ScopeGuard {
            ctx: self.clone(),
            depth,
        }
    }

    /// The current scope path (`layers.0.attn`), empty at top level.
    #[track_caller]
    pub fn scope_path(&self) -> String {
        self.state.borrow().scope.to_string()
    }

    /// A learned parameter named `<scope>.<name>`. Duplicate names are an error.
    #[track_caller]
    pub fn param(&self, name: &str, dtype: DType, shape: &[usize]) -> Tensor {
        let scope = self.scope_path();
        let full = if scope.is_empty() {
            name.to_string()
        } else {
            format!("{scope}.{name}")
        };
        self.parameter("param", full, TensorType::new(dtype, shape))
    }

    /// A graph input named exactly `name` (not prefixed by the scope). Duplicate names are
    /// an error.
    #[track_caller]
    pub fn input(&self, name: &str, dtype: DType, shape: &[usize]) -> Tensor {
        self.parameter("input", name.to_string(), TensorType::new(dtype, shape))
    }

    #[track_caller]
    fn parameter(&self, op: &'static str, name: String, ty: TensorType) -> Tensor {
        let loc = Location::caller();
        self.emit(&loc, op, &[], |b, _| {
            if let Some(first) = find_param(b.graph, &name) {
                return Err(ErrorKind::DuplicateParam { name, first });
            }
            Ok(b.param(&name, ty)?)
        })
    }

    /// Records a custom error for `op` at the caller's line (for layers validating their own
    /// configuration). Ignored if an error is already recorded.
    #[track_caller]
    pub fn fail(&self, op: &'static str, message: impl Into<String>) {
        let loc = Location::caller();
        self.record(&loc, op, ErrorKind::Argument(message.into()));
    }

    /// The first error recorded so far, if any.
    #[track_caller]
    pub fn error(&self) -> Option<DslError> {
        self.state.borrow().error.clone()
    }

    /// Sets the device mesh the graph is partitioned over (what [`Tensor::with_sharding`]
    /// and the graph's parameter and result shardings name axes of).
    pub fn set_mesh(&self, mesh: Mesh) {
        self.state.borrow_mut().graph.set_mesh(mesh);
    }

    /// Number of nodes in the graph so far.
    #[track_caller]
    pub fn num_nodes(&self) -> usize {
        self.state.borrow().graph.nodes.len()
    }

    /// Runs `build` and records the nodes it added as a [`Region`] called `name` (nothing
    /// is recorded when it added none).
    pub fn region<R>(&self, name: &'static str, build: impl FnOnce() -> R) -> R {
        let start = self.num_nodes();
        let result = build();
        let end = self.num_nodes();
        if end > start {
            let nodes = start..end;
            self.state.borrow_mut().regions.push(Region { name, nodes });
        }
        result
    }

    /// The node ranges of the regions called `name`, ascending.
    pub fn regions(&self, name: &str) -> Vec<Range<usize>> {
        let st = self.state.borrow();
        let mut ranges: Vec<Range<usize>> = st
            .regions
            .iter()
            .filter(|r| r.name == name)
            .map(|r| r.nodes.clone())
            .collect();
        ranges.sort_by_key(|r| r.start);
        ranges
    }

    /// Sets `outputs` as the graph's results, verifies it and returns it, or returns the
    /// first error recorded while building.
    #[track_caller]
    pub fn finish<T: std::borrow::Borrow<Tensor>>(self, outputs: &[T]) -> Result<Graph, DslError> {
        let loc = Location::caller();
        let inputs: Vec<&Tensor> = outputs.iter().map(std::borrow::Borrow::borrow).collect();
        let ids = self.operand_ids(&loc, "finish", &inputs);
        let mut st = self.state.borrow_mut();
        if let Some(e) = &st.error {
            return Err(e.clone());
        }
        let ids = ids.unwrap_or_default();
        st.finished = true;
        let mut graph = std::mem::take(&mut st.graph);
        graph.outputs = ids;
        flash_ir::verify::verify(&graph).map_err(|e| DslError {
            loc,
            scope: st.scope.clone(),
            op: "finish",
            kind: ErrorKind::Verify(Box::new(e)),
        })?;
        Ok(graph)
    }

    /// Appends nodes through `f`, stamped with `loc` and the current scope, and returns the
    /// value `f` produces as a tensor of this context. Returns a poisoned tensor (recording
    /// the error if it is the first) when an input is poisoned or foreign or `f` fails.
    pub(crate) fn emit(
        &self,
        loc: &Location,
        op: &'static str,
        inputs: &[&Tensor],
        f: impl FnOnce(&mut Builder<'_>, &[ValueId]) -> Result<ValueId, ErrorKind>,
    ) -> Tensor {
        let Some(ids) = self.operand_ids(loc, op, inputs) else {
            return Tensor::from_parts(self.clone(), None);
        };
        let result = {
            let mut st = self.state.borrow_mut();
            let scope = st.scope.clone();
            let mut b = Builder::at(&mut st.graph, loc.clone(), scope);
            f(&mut b, &ids)
        };
        match result {
            Ok(id) => Tensor::from_parts(self.clone(), Some(id)),
            Err(kind) => {
                self.record(loc, op, kind);
                Tensor::from_parts(self.clone(), None)
            }
        }
    }

    /// The ids of `inputs`, or `None` if the context is poisoned or finished, or an input is
    /// poisoned or foreign (recording the error if it is the first).
    fn operand_ids(
        &self,
        loc: &Location,
        op: &'static str,
        inputs: &[&Tensor],
    ) -> Option<Vec<ValueId>> {
        let (poisoned, finished) = {
            let st = self.state.borrow();
            (st.error.is_some(), st.finished)
        };
        if poisoned {
            return None;
        }
        if finished {
            self.record(loc, op, ErrorKind::Finished);
            return None;
        }
        if inputs.iter().any(|t| !t.ctx().same(self)) {
            self.record(loc, op, ErrorKind::ForeignTensor);
            return None;
        }
        inputs.iter().map(|t| t.id()).collect()
    }

    /// Records `kind` as the first error, unless one is already recorded.
    pub(crate) fn record(&self, loc: &Location, op: &'static str, kind: ErrorKind) {
        let mut st = self.state.borrow_mut();
        if st.error.is_none() {
            let scope = st.scope.clone();
            st.error = Some(DslError {
                loc: loc.clone(),
                scope,
                op,
                kind,
            });
        }
    }

    /// The type of `v`, if it is defined (the graph is gone after `finish`).
    pub(crate) fn type_of(&self, v: ValueId) -> Option<TensorType> {
        self.state
            .borrow()
            .graph
            .nodes
            .get(v.index())
            .map(|n| n.ty.clone())
    }

    /// True if both handles share one graph.
    pub(crate) fn same(&self, other: &Ctx) -> bool {
        Rc::ptr_eq(&self.state, &other.state)
    }

    /// Normalises a possibly negative axis for `rank`, recording an error at `loc` if it is
    /// out of range.
    pub(crate) fn axis(
        &self,
        loc: &Location,
        op: &'static str,
        axis: impl DimArg,
        rank: usize,
    ) -> Option<usize> {
        let a = axis.to_i64();
        let r = rank as i64;
        let n = if a < 0 { a + r } else { a };
        if (0..r).contains(&n) {
            return Some(n as usize);
        }
        self.record(loc, op, ErrorKind::Axis { axis: a, rank });
        None
    }
}

fn find_param(g: &Graph, name: &str) -> Option<Location> {
    g.nodes.iter().find_map(|n| match &n.op {
        Op::Parameter { name: p, .. } if p == name => Some(n.loc.clone()),
        _ => None,
    })
}
