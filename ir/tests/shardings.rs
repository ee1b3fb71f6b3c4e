//! Shardings in the IR: the text form's `mesh` and `shard` lines round-trip (for random
//! meshes and shardings too), and the verifier refuses shardings that do not fit, naming the
//! parameter, result or node that carries them.

use flash_ir::verify::verify;
use flash_ir::{parse_graph, print_graph, IrError, ShardingError};
use proptest::prelude::*;

/// A graph with a `[12, 6]` parameter, a constraint on it and the given trailer lines.
fn graph(constraint: &str, trailer: &str) -> String {
    format!(
        "graph @main {{\n  %0 = parameter {{index = 0, name = \"x\"}} : f32[12,6]\n  \
         %1 = sharding_constraint(%0) {{sharding = {constraint}}} : f32[12,6] loc(\"m.rs\":4:2)\n  \
         return %1\n{trailer}}}\n"
    )
}

const GOOD_TRAILER: &str = "  mesh data=2, model=3\n  shard param 0 [{data}, {model}]\n  \
                            shard result 0 [{}, {model}]\n";

#[test]
fn annotations_round_trip_and_verify() {
    let text = graph("[{model, data}, {}]", GOOD_TRAILER);
    let g = parse_graph(&text).unwrap();
    verify(&g).unwrap();
    assert_eq!(print_graph(&g), text);
    assert_eq!(g.mesh.as_ref().unwrap().device_count(), 6);
    assert_eq!(
        g.param_sharding(0).unwrap().to_string(),
        "[{data}, {model}]"
    );
    assert_eq!(g.result_sharding(0).unwrap().to_string(), "[{}, {model}]");
    assert!(g.result_sharding(1).is_none());
}

#[test]
fn setters_replace_an_existing_entry() {
    let mut g = parse_graph(&graph("[{}, {}]", GOOD_TRAILER)).unwrap();
    g.shard_param(0, flash_ir::Sharding::replicated(2));
    g.shard_result(0, flash_ir::Sharding::split(2, 0, "data"));
    assert_eq!(g.param_shardings.len(), 1);
    assert_eq!(g.result_shardings.len(), 1);
    assert!(g.param_sharding(0).unwrap().is_replicated());
    verify(&g).unwrap();
}

/// The verifier's error for `text`, whose message must contain `needle`.
fn refused(text: &str, needle: &str) -> IrError {
    let g = parse_graph(text).unwrap();
    let e = verify(&g).unwrap_err();
    assert!(e.to_string().contains(needle), "{e:?} lacks {needle:?}");
    e
}

#[test]
fn a_sharding_without_a_mesh_is_refused() {
    let e = refused(
        &graph("[{data}, {}]", ""),
        "node %1 (sharding_constraint) at m.rs:4:2",
    );
    assert!(matches!(e, IrError::NoMesh { .. }));
    let e = refused(
        &graph("[{}, {}]", "  shard param 0 [{data}, {}]\n"),
        "parameter 0 (\"x\")",
    );
    assert!(e.to_string().contains("has no mesh"), "{e}");
}

/// The sharding error inside an [`IrError::Sharding`].
fn source_of(e: &IrError) -> &ShardingError {
    match e {
        IrError::Sharding { source, .. } => source,
        other => panic!("expected a sharding error, got {other:?}"),
    }
}

#[test]
fn unknown_repeated_rank_and_indivisible_shardings_name_their_site() {
    let mesh = "  mesh data=2, model=4\n";
    let e = refused(&graph("[{expert}, {}]", mesh), "node %1");
    assert!(matches!(source_of(&e), ShardingError::UnknownAxis { .. }));
    let e = refused(&graph("[{data}, {data}]", mesh), "uses axis `data` twice");
    assert!(matches!(source_of(&e), ShardingError::RepeatedAxis { .. }));
    let trailer = format!("{mesh}  shard result 0 [{{}}, {{model}}]\n");
    let e = refused(
        &graph("[{}, {}]", &trailer),
        "output 0: dimension 1 of size 6 is split 4 ways",
    );
    assert!(matches!(source_of(&e), ShardingError::Indivisible { .. }));
    let trailer = format!("{mesh}  shard param 0 [{{}}]\n");
    let e = refused(
        &graph("[{}, {}]", &trailer),
        "parameter 0 (\"x\"): sharding [{}] has 1 dimensions but the value has rank 2",
    );
    assert!(matches!(source_of(&e), ShardingError::Rank { .. }));
}

#[test]
fn out_of_range_indices_are_refused() {
    let mesh = "  mesh data=2\n";
    refused(
        &graph("[{}, {}]", &format!("{mesh}  shard param 1 [{{}}]\n")),
        "parameter 1 is sharded but the graph has only 1",
    );
    refused(
        &graph("[{}, {}]", &format!("{mesh}  shard result 3 [{{}}]\n")),
        "output 3 is sharded but the graph has only 1",
    );
}

proptest! {
    /// Any mesh and any sharding over it print and parse back to the same graph (1296 =
    /// 2^4 3^4 is divisible by every product of up to four axis sizes below 4).
    #[test]
    fn random_annotations_round_trip(
        sizes in prop::collection::vec(1usize..4, 0..4),
        picks in prop::collection::vec((0usize..4, 0usize..3), 0..6),
    ) {
        let names = ["a", "b_2", "model", "data"];
        let axes: Vec<String> = sizes.iter().enumerate().map(|(i, s)| format!("{}={s}", names[i])).collect();
        let mut dims = vec![Vec::new(); 3];
        for &(axis, dim) in &picks {
            if axis < sizes.len() && !dims.iter().flatten().any(|a: &&str| *a == names[axis]) {
                dims[dim].push(names[axis]);
            }
        }
        let sharding: Vec<String> = dims.iter().map(|d| format!("{{{}}}", d.join(", "))).collect();
        let sharding = format!("[{}]", sharding.join(", "));
        let text = format!(
            "graph @main {{\n  %0 = parameter {{index = 0, name = \"x\"}} : f32[1296,1296,1296]\n  \
             %1 = sharding_constraint(%0) {{sharding = {sharding}}} : f32[1296,1296,1296]\n  \
             return %1\n  mesh{}\n  shard param 0 {sharding}\n  shard result 0 {sharding}\n}}\n",
            axes.iter().map(|a| format!(" {a}")).collect::<Vec<_>>().join(",")
        );
        let g = parse_graph(&text).unwrap();
        verify(&g).unwrap();
        prop_assert_eq!(print_graph(&g), text);
    }
}
