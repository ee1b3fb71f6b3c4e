//! Tests of `materialize_tables`: a RoPE-like table read by several consumers goes through
//! the identity product (bit-exact), and tables that depend on a parameter, have few
//! consumers or a long last dim are left alone.

mod common;

use common::{apply, parse};
use flash_passes::{MaterializeTables, Pass, PassOptions};
use insta::assert_snapshot;

#[test]
fn rope_tables_read_by_many_consumers_are_materialised_once() {
    // cos and sin of positions x frequencies, broadcast over the batch and read by three
    // rotations each (the consumers are counted through the broadcast).
    assert_snapshot!(apply(
        &MaterializeTables,
        r#"graph @main {
  %0 = parameter {index = 0, name = "q"} : f32[2,256,64]
  %1 = parameter {index = 1, name = "k"} : f32[2,256,64]
  %2 = parameter {index = 2, name = "v"} : f32[2,256,64]
  %3 = iota {dim = 0} : f32[256,64]
  %4 = constant {value = splat(0.5)} : f32[256,64]
  %5 = mul(%3, %4) : f32[256,64]
  %6 = cos(%5) : f32[256,64]
  %7 = sin(%5) : f32[256,64]
  %8 = broadcast_in_dim(%6) {shape = [2, 256, 64], dims = [1, 2]} : f32[2,256,64]
  %9 = broadcast_in_dim(%7) {shape = [2, 256, 64], dims = [1, 2]} : f32[2,256,64]
  %10 = mul(%0, %8) : f32[2,256,64]
  %11 = mul(%1, %8) : f32[2,256,64]
  %12 = mul(%2, %8) : f32[2,256,64]
  %13 = mul(%0, %9) : f32[2,256,64]
  %14 = mul(%1, %9) : f32[2,256,64]
  %15 = mul(%2, %9) : f32[2,256,64]
  return %10, %11, %12, %13, %14, %15
}"#
    ));
}

#[test]
fn parameter_dependent_rarely_read_or_small_values_are_left_alone() {
    // %3 depends on a parameter (an activation, not a table); %5 has two consumers only;
    // %10 is read three times but is too small to be worth a dot.
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[256,64]
  %1 = iota {dim = 0} : f32[256,64]
  %2 = add(%0, %1) : f32[256,64]
  %3 = exp(%2) : f32[256,64]
  %4 = mul(%3, %0) : f32[256,64]
  %5 = cos(%1) : f32[256,64]
  %6 = mul(%4, %3) : f32[256,64]
  %7 = add(%6, %3) : f32[256,64]
  %8 = mul(%7, %5) : f32[256,64]
  %9 = add(%8, %5) : f32[256,64]
  %10 = iota {dim = 0} : f32[8,4]
  %11 = sin(%10) : f32[8,4]
  %12 = mul(%11, %11) : f32[8,4]
  %13 = add(%12, %11) : f32[8,4]
  return %9, %13
}"#;
    assert_left_alone(src);
}

#[test]
fn tables_with_a_long_last_dim_are_left_alone() {
    // The identity would be 512 x 512: more work than the duplicates it saves.
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[2,512]
  %1 = iota {dim = 1} : f32[2,512]
  %2 = sin(%1) : f32[2,512]
  %3 = mul(%0, %2) : f32[2,512]
  %4 = add(%0, %2) : f32[2,512]
  %5 = sub(%0, %2) : f32[2,512]
  return %3, %4, %5
}"#;
    assert_left_alone(src);
}

/// The pass returns the graph of `src` unchanged.
fn assert_left_alone(src: &str) {
    let g = parse(src);
    let out = MaterializeTables
        .run(g.clone(), &PassOptions::default())
        .unwrap();
    assert_eq!(out, g);
}

#[test]
fn identity_products_are_recognised_for_the_cost_model() {
    use flash_passes::materialize_tables::is_identity_product;
    let src = r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[256,64]
  %1 = iota {dim = 0} : f32[256,64]
  %2 = cos(%1) : f32[256,64]
  %3 = mul(%0, %2) : f32[256,64]
  %4 = add(%3, %2) : f32[256,64]
  %5 = sub(%4, %2) : f32[256,64]
  return %5
}"#;
    let out = MaterializeTables
        .run(parse(src), &PassOptions::default())
        .unwrap();
    let dots: Vec<bool> = (0..out.nodes.len())
        .filter(|&i| out.nodes[i].op.name() == "dot_general")
        .map(|i| is_identity_product(&out, flash_ir::ValueId(i as u32)))
        .collect();
    assert_eq!(dots, [true]);
    assert!(!is_identity_product(&out, flash_ir::ValueId(0)));
}

/// RoPE's row of one decode position (an i32 scalar parameter) read by `readers` rotations.
fn position_row(readers: usize) -> String {
    let mut src = String::from(
        r#"graph @main {
  %0 = parameter {index = 0, name = "x"} : f32[1,128]
  %1 = parameter {index = 1, name = "position"} : i32[]
  %2 = convert(%1) {to = f32} : f32[]
  %3 = broadcast_in_dim(%2) {shape = [1, 128], dims = []} : f32[1,128]
  %4 = iota {dim = 1} : f32[1,128]
  %5 = mul(%3, %4) : f32[1,128]
  %6 = cos(%5) : f32[1,128]
"#,
    );
    let ids: Vec<String> = (0..readers).map(|i| format!("%{}", 7 + i)).collect();
    for id in &ids {
        src.push_str(&format!("  {id} = mul(%0, %6) : f32[1,128]\n"));
    }
    src + &format!("  return {}\n}}", ids.join(", "))
}

#[test]
fn a_decode_steps_position_row_read_by_many_heads_is_materialised_once() {
    // Small, but its duplicates would recompute 11 x 128 elements per step.
    let out = MaterializeTables
        .run(parse(&position_row(12)), &PassOptions::default())
        .unwrap();
    let dots = out
        .nodes
        .iter()
        .filter(|n| n.op.name() == "dot_general")
        .count();
    assert_eq!(dots, 1, "one identity product");
    // Read by four rotations, it would recompute 3 x 128 elements: left alone.
    assert_left_alone(&position_row(4));
}
