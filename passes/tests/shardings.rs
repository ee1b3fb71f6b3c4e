//! Shardings through the passes (ARCHITECTURE.md, "Shardings"): the mesh and the parameter
//! and result shardings survive the whole pipeline, no pass drops or looks through a
//! `sharding_constraint`, CSE merges constraints only when their shardings are equal, and the
//! constraint's VJP constrains the cotangent the same way.

mod autodiff_support;
mod common;

use autodiff_support::{check_fd, default_inputs, f64t, loss_graph};
use common::{assert_same_values, parse};
use flash_interp::evaluate;
use flash_ir::{Graph, Mesh, Op, Sharding};
use flash_passes::autodiff::grad;
use flash_passes::rewrite::{rebuild, Action};
use flash_passes::{run_pipeline, Cse, Pass, PassOptions, PipelineOptions};

/// Chunk attention, a cumsum and a two-dim contraction (all rewritten by the pipeline), a
/// constraint on a constant of ones (which canonicalize must not see through), and two
/// constraints of one value that differ only in sharding plus one that repeats another.
const SHARDED: &str = r#"graph @main {
  %0 = parameter {index = 0, name = "q"} : f32[2,8,4]
  %1 = parameter {index = 1, name = "v"} : f32[2,8,4]
  %2 = parameter {index = 2, name = "w"} : f32[2,8,6]
  %3 = sharding_constraint(%0) {sharding = [{data}, {}, {}]} : f32[2,8,4]
  %4 = chunk_attention(%3, %3, %3, %3, %1) {chunk = 4, causal = true, linear_norm = mean, score = relu2} : f32[2,8,4]
  %5 = sharding_constraint(%4) {sharding = [{data}, {}, {model}]} : f32[2,8,4]
  %6 = cumsum(%5) {dim = 1, exclusive = false, reverse = false} : f32[2,8,4]
  %7 = dot_general(%6, %2) {lhs_batch = [], rhs_batch = [], lhs_contract = [0, 1], rhs_contract = [0, 1], out = f32} : f32[4,6]
  %8 = constant {value = splat(1.0)} : f32[4,6]
  %9 = sharding_constraint(%8) {sharding = [{model}, {}]} : f32[4,6]
  %10 = mul(%7, %9) : f32[4,6]
  %11 = sharding_constraint(%0) {sharding = [{data}, {}, {}]} : f32[2,8,4]
  %12 = sharding_constraint(%0) {sharding = [{}, {}, {model}]} : f32[2,8,4]
  %13 = add(%11, %12) : f32[2,8,4]
  return %10, %13
  mesh data=2, model=2
  shard param 0 [{data}, {}, {}]
  shard param 2 [{}, {}, {model}]
  shard result 0 [{model}, {}]
}
"#;

/// The shardings of the constraint nodes, sorted.
fn constraints(g: &Graph) -> Vec<String> {
    let mut out: Vec<String> = g
        .nodes
        .iter()
        .filter_map(|n| match &n.op {
            Op::ShardingConstraint { sharding } => Some(sharding.to_string()),
            _ => None,
        })
        .collect();
    out.sort();
    out
}

/// `g` with every constraint replaced by its operand and every annotation removed.
fn unsharded(g: &Graph) -> Graph {
    let mut out = rebuild(g, |_, _, node, ops| {
        Ok(match node.op {
            Op::ShardingConstraint { .. } => Action::Replace(ops[0]),
            _ => Action::Keep,
        })
    })
    .unwrap();
    out.mesh = None;
    out.param_shardings.clear();
    out.result_shardings.clear();
    out
}

#[test]
fn the_pipeline_keeps_graph_shardings_and_every_distinct_constraint() {
    let before = parse(SHARDED);
    let (after, _) = run_pipeline(before.clone(), &PipelineOptions::default()).unwrap();
    assert!(!after.nodes.iter().any(|n| n.op.is_composite()));
    assert_eq!(after.mesh, before.mesh);
    assert_eq!(after.param_shardings, before.param_shardings);
    assert_eq!(after.result_shardings, before.result_shardings);
    let mut distinct = constraints(&before);
    distinct.dedup();
    assert_eq!(
        constraints(&after),
        distinct,
        "only the repeated constraint merges"
    );
    let ones_survive = after.nodes.iter().any(|n| {
        matches!(n.op, Op::Binary(flash_ir::BinaryOp::Mul))
            && matches!(after.node(n.operands[1]).op, Op::ShardingConstraint { .. })
    });
    assert!(
        ones_survive,
        "x * constraint(1) is not simplified through the constraint"
    );
    assert_same_values(&before, &after, 1e-5);
}

#[test]
fn cse_merges_constraints_only_when_their_shardings_are_equal() {
    let g = parse(SHARDED);
    let after = Cse.run(g.clone(), &PassOptions::default()).unwrap();
    let add = after.node(after.outputs[1]);
    assert_ne!(
        add.operands[0], add.operands[1],
        "different shardings stay apart"
    );
    let same = SHARDED.replace(
        "{sharding = [{}, {}, {model}]}",
        "{sharding = [{data}, {}, {}]}",
    );
    let after = Cse.run(parse(&same), &PassOptions::default()).unwrap();
    let add = after.node(after.outputs[1]);
    assert_eq!(add.operands[0], add.operands[1], "equal constraints merge");
}

#[test]
fn constraints_are_identities_for_the_interpreter() {
    let g = parse(SHARDED);
    let plain = unsharded(&g);
    assert!(!plain.is_sharded());
    assert_same_values(&g, &plain, 0.0);
    let inputs = common::inputs(&g);
    let (lowered, _) = run_pipeline(g, &PipelineOptions::default()).unwrap();
    let want = evaluate(&plain, &inputs).unwrap();
    let got = evaluate(&lowered, &inputs).unwrap();
    for (w, x) in want.iter().zip(&got) {
        for (a, b) in w.data.iter().zip(&x.data) {
            assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
        }
    }
}

fn sharded_loss(sharding: &Sharding) -> Graph {
    let mut g = loss_graph(&[("x", f64t(&[4, 6]))], |b, p| {
        let y = b.with_sharding(p[0], sharding)?;
        b.mul(y, y)
    });
    g.set_mesh(Mesh::new([("data", 2), ("model", 3)]).unwrap());
    g.shard_param(0, Sharding::split(2, 1, "model"));
    g
}

#[test]
fn the_constraint_vjp_constrains_the_cotangent_and_matches_finite_differences() {
    let s = Sharding::split(2, 0, "data");
    let g = sharded_loss(&s);
    check_fd(&g, &default_inputs(&g), &[0]);
    let dg = grad(&g, &[0]).unwrap();
    let n_forward = g.nodes.len();
    let backward: Vec<_> = dg.nodes[n_forward..]
        .iter()
        .filter(|n| {
            n.op == Op::ShardingConstraint {
                sharding: s.clone(),
            }
        })
        .collect();
    assert_eq!(backward.len(), 1, "one constraint on the cotangent");
    assert_eq!(dg.mesh, g.mesh);
    assert_eq!(dg.param_shardings, g.param_shardings);
    assert_eq!(
        dg.result_sharding(1),
        Some(&Sharding::split(2, 1, "model")),
        "a gradient output takes its parameter's sharding"
    );
    assert_eq!(dg.result_sharding(0), None);
}
