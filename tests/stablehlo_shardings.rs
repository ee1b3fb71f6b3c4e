//! Shardings in the emitted StableHLO: snapshots of a tiny sharded graph in both formats
//! (Shardy's `sdy` attributes and GSPMD's `mhlo.sharding` strings), the GSPMD device order for
//! axes taken out of mesh order, and the errors for shardings the emitter cannot print.

use flash::stablehlo::{emit, emit_with, EmitError, EmitOptions, ShardingFormat};
use flash_ir::{parse_graph, Graph, Mesh, Sharding};

/// A data- and tensor-parallel matmul on a 2 x 2 mesh: rows of x over `data`, columns of w
/// over `model`, the product constrained to both, and x constrained with the axes swapped.
const TINY: &str = r#"graph @sharded {
  %0 = parameter {index = 0, name = "x"} : f32[8,4]
  %1 = parameter {index = 1, name = "w"} : f32[4,6]
  %2 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [1], rhs_contract = [0], out = f32} : f32[8,6]
  %3 = sharding_constraint(%2) {sharding = [{data}, {model}]} : f32[8,6]
  %4 = tanh(%3) : f32[8,6]
  %5 = sharding_constraint(%0) {sharding = [{model}, {}]} : f32[8,4]
  return %4, %5
  mesh data=2, model=2
  shard param 0 [{data}, {}]
  shard param 1 [{}, {model}]
  shard result 0 [{data}, {model}]
}
"#;

fn tiny() -> Graph {
    parse_graph(TINY).unwrap()
}

fn emit_as(g: &Graph, sharding_format: ShardingFormat) -> Result<String, EmitError> {
    emit_with(g, &EmitOptions { sharding_format })
}

#[test]
fn shardy_attributes_of_a_tiny_sharded_graph() {
    let text = emit_as(&tiny(), ShardingFormat::Shardy).unwrap();
    assert_eq!(text, emit(&tiny()).unwrap(), "Shardy is the default");
    insta::assert_snapshot!(text);
}

#[test]
fn gspmd_attributes_of_a_tiny_sharded_graph() {
    insta::assert_snapshot!(emit_as(&tiny(), ShardingFormat::Gspmd).unwrap());
}

#[test]
fn gspmd_lists_devices_so_that_each_holds_its_tile() {
    let mesh = Mesh::new([("data", 2), ("model", 2)]).unwrap();
    let cases = [
        (
            Sharding::split(2, 0, "data"),
            "{devices=[2,1,2]<=[4] last_tile_dim_replicate}",
        ),
        (
            Sharding::split(2, 1, "model"),
            "{devices=[1,2,2]<=[2,2]T(1,0) last_tile_dim_replicate}",
        ),
        (
            Sharding::split(2, 0, "model"),
            "{devices=[2,1,2]<=[2,2]T(1,0) last_tile_dim_replicate}",
        ),
        (
            Sharding {
                dims: vec![vec!["model".into()], vec!["data".into()]],
            },
            "{devices=[2,2]<=[2,2]T(1,0)}",
        ),
        (
            Sharding {
                dims: vec![vec!["data".into()], vec!["model".into()]],
            },
            "{devices=[2,2]<=[4]}",
        ),
        (Sharding::replicated(2), "{replicated}"),
    ];
    for (s, want) in cases {
        assert_eq!(
            flash::stablehlo::sharding::gspmd_sharding(&mesh, &s),
            want,
            "{s}"
        );
    }
}

#[test]
fn one_device_programs_are_unchanged_and_a_mesh_sets_the_partitions() {
    let mut g = tiny();
    assert!(emit(&g).unwrap().contains("mhlo.num_partitions = 4 : i32"));
    g.set_mesh(Mesh::new([("data", 3), ("model", 2)]).unwrap());
    let e = emit(&g).unwrap_err();
    assert!(matches!(e, EmitError::Sharding { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("parameter 0: dimension 0 of size 8 is split 3 ways"),
        "{e}"
    );
}

#[test]
fn a_sharding_without_a_mesh_is_an_error_naming_it() {
    let mut g = tiny();
    g.mesh = None;
    let e = emit(&g).unwrap_err();
    assert_eq!(
        e.to_string(),
        "parameter 0 is sharded but the graph has no mesh; set one (`Graph::set_mesh`)"
    );
    g.param_shardings.clear();
    g.result_shardings.clear();
    let e = emit(&g).unwrap_err();
    assert!(e.to_string().starts_with("node %3 at unknown"), "{e}");
}

#[test]
fn sharding_formats_have_one_spelling_each() {
    assert_eq!(
        "gspmd".parse::<ShardingFormat>().unwrap(),
        ShardingFormat::Gspmd
    );
    assert_eq!(ShardingFormat::default().to_string(), "shardy");
    let e = "xla".parse::<ShardingFormat>().unwrap_err();
    assert!(e.to_string().contains("valid: shardy, gspmd"), "{e}");
}
