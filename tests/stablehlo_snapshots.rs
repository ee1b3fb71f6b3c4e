//! Snapshot tests of the StableHLO text the emitter prints for small graphs (review the
//! `.snap` files under `tests/snapshots/`). `stablehlo_compile.rs` compiles the same graphs
//! with the real plugin.

mod stablehlo_support;

use flash::stablehlo::emit;
use stablehlo_support as s;

#[test]
fn mlp_dot_broadcast_add_tanh_with_scoped_locations() {
    insta::assert_snapshot!(emit(&s::mlp()).unwrap());
}

#[test]
fn reduce_sum_and_max_with_identity_inits() {
    insta::assert_snapshot!(emit(&s::reductions()).unwrap());
}

#[test]
fn gather_embedding_lookup() {
    insta::assert_snapshot!(emit(&s::embedding()).unwrap());
}

#[test]
fn scatter_add_rows() {
    insta::assert_snapshot!(emit(&s::scatter_rows()).unwrap());
}

#[test]
fn bf16_dot_general_with_f32_result() {
    insta::assert_snapshot!(emit(&s::bf16_dot()).unwrap());
}

#[test]
fn aliases_and_unknown_locations() {
    insta::assert_snapshot!(emit(&s::sgd_step()).unwrap());
}

#[test]
fn reduce_window_generic_form_with_region() {
    insta::assert_snapshot!(emit(&s::windows()).unwrap());
}

#[test]
fn emission_is_deterministic() {
    for g in s::snapshot_graphs() {
        assert_eq!(emit(&g).unwrap(), emit(&g).unwrap());
    }
}
