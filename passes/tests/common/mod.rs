//! Helpers shared by the pass tests: parse IR text, run a pass, print the before/after text
//! for a snapshot, and check with the reference interpreter that the values did not change.
#![allow(dead_code)]

use flash_interp::{evaluate, Array};
use flash_ir::text::{parse_graph, print_graph};
use flash_ir::verify::verify;
use flash_ir::{DType, Graph, TensorType};
use flash_passes::{Pass, PassOptions};

/// A bf16 x bf16 -> f32 dot (which `upcast_mixed_dots` widens) and a bf16 x bf16 -> bf16 one.
pub const MIXED_DOTS: &str = r#"graph @main {
  %0 = parameter {index = 0, name = "a"} : bf16[2,4]
  %1 = parameter {index = 1, name = "b"} : bf16[4,5]
  %2 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [1], rhs_contract = [0], out = f32} : f32[2,5]
  %3 = dot_general(%0, %1) {lhs_batch = [], rhs_batch = [], lhs_contract = [1], rhs_contract = [0], out = bf16} : bf16[2,5]
  return %2, %3
}
"#;

/// Parses `src`, which must verify.
pub fn parse(src: &str) -> Graph {
    let g = parse_graph(src).unwrap_or_else(|e| panic!("parse error {e} in\n{src}"));
    verify(&g).unwrap_or_else(|e| panic!("input does not verify: {e}\n{src}"));
    g
}

/// Runs `pass` on `src` with default options; checks the result verifies and computes what
/// the input computes (bit for bit), and returns the before/after text for a snapshot.
pub fn apply(pass: &dyn Pass, src: &str) -> String {
    apply_with(pass, src, &PassOptions::default(), 0.0)
}

/// [`apply`] with options, comparing values with relative tolerance `rel` (see
/// [`assert_same_values`]).
pub fn apply_with(pass: &dyn Pass, src: &str, opts: &PassOptions, rel: f64) -> String {
    let before = parse(src);
    let after = pass
        .run(before.clone(), opts)
        .unwrap_or_else(|e| panic!("{e}"));
    verify(&after).unwrap_or_else(|e| panic!("output does not verify: {e}"));
    assert_same_values(&before, &after, rel);
    format!(
        "{}// after {}:\n{}",
        print_graph(&before),
        pass.name(),
        print_graph(&after)
    )
}

/// Deterministic inputs for `g`'s parameters: floats in [-2, 2) (quarters and odd values),
/// integers in [-5, 5], bools alternating.
pub fn inputs(g: &Graph) -> Vec<Array> {
    g.params()
        .iter()
        .enumerate()
        .map(|(p, &v)| sample(g.ty(v), p as u64 + 1))
        .collect()
}

/// Pseudo-random values of type `ty` from `seed`.
pub fn sample(ty: &TensorType, seed: u64) -> Array {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let data = (0..ty.num_elements())
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            match ty.dtype {
                DType::Bool => (u < 0.5) as u8 as f64,
                DType::I32 | DType::I64 => (u * 11.0).floor() - 5.0,
                DType::F32 | DType::F64 | DType::BF16 | DType::F16 => u * 4.0 - 2.0,
            }
        })
        .collect();
    Array::new(ty.clone(), data).expect("sample has the right length")
}

/// Evaluates both graphs on the same inputs and compares the outputs: equal (NaN equal to
/// NaN) when `rel` is 0, else `|a - b| <= rel * max(1, |b|)`.
pub fn assert_same_values(before: &Graph, after: &Graph, rel: f64) {
    let xs = inputs(before);
    let want = evaluate(before, &xs).unwrap_or_else(|e| panic!("before: {e}"));
    let got = evaluate(after, &xs).unwrap_or_else(|e| panic!("after: {e}"));
    assert_eq!(want.len(), got.len());
    for (k, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w.ty, g.ty, "output {k} type");
        for (i, (a, b)) in g.data.iter().zip(&w.data).enumerate() {
            let ok = if rel == 0.0 {
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
            } else {
                (a - b).abs() <= rel * b.abs().max(1.0)
            };
            assert!(ok, "output {k} element {i}: got {a}, want {b}");
        }
    }
}
