//! The signature reader of `flash run`: argument types and names, results, errors.

use flash::ir::{DType, TensorType};
use flash::mlir_signature::parse_signature;

#[test]
fn reads_types_names_and_results() {
    let text = r#"module @m {
  func.func public @main(%arg0: tensor<2x3xf32> {flash.name = "x"} loc("x"), %b: tensor<i32>, %c: tensor<4xbf16> loc("cee")) -> (tensor<2x3xf32>, tensor<i1>) {
    return %arg0 : tensor<2x3xf32>
  }
}"#;
    let sig = parse_signature(text).unwrap();
    assert_eq!(sig.args.len(), 3);
    assert_eq!(sig.args[0].ty, TensorType::new(DType::F32, vec![2, 3]));
    assert_eq!(sig.args[0].name.as_deref(), Some("x"));
    assert_eq!(sig.args[1].name, None);
    assert_eq!(sig.args[1].ty, TensorType::scalar(DType::I32));
    assert_eq!(sig.args[2].name.as_deref(), Some("cee"));
    assert_eq!(
        sig.results,
        vec![
            TensorType::new(DType::F32, vec![2, 3]),
            TensorType::scalar(DType::Bool)
        ]
    );
}

#[test]
fn single_unparenthesised_result() {
    let sig = parse_signature("func.func @main(%a: tensor<3xf64>) -> tensor<3xf64> {").unwrap();
    assert_eq!(sig.results, vec![TensorType::new(DType::F64, vec![3])]);
}

#[test]
fn dynamic_dims_and_missing_main_are_errors() {
    let e = parse_signature("func.func @main(%a: tensor<?x3xf32>) -> tensor<3xf32>").unwrap_err();
    assert!(e.message.contains("not static"), "{e}");
    let e = parse_signature("func.func @other() -> ()").unwrap_err();
    assert!(e.message.contains("@main"), "{e}");
    let e = parse_signature("func.func @main(%a: tensor<3xui8>) -> ()").unwrap_err();
    assert!(e.message.contains("ui8"), "{e}");
    // An element type with an `x` in it is named as written, not cut at its `x`.
    let e = parse_signature("func.func @main(%a: tensor<2xcomplex<f32>>) -> ()").unwrap_err();
    assert!(e.message.contains("element type `complex<f32>`"), "{e}");
}

/// A program whose comments, string attributes and nested attribute dictionaries all hold
/// decoy signatures; only the real `@main`'s must come back.
const DECOYS: &str = r#"// func.func @main(%a: tensor<4xi32>) -> tensor<4xi32>
module @m attributes {mhlo.note = "func.func @main(%q: tensor<2xi32>) -> tensor<2xi32> {", x = {y = "}"}} {
  func.func private @main_helper(%h: tensor<3xi8>) -> tensor<3xi8> {
    return %h : tensor<3xi8>
  }
  func.func public @main(%x: tensor<4xf32> {mhlo.frontend_attributes = {flash.name = "decoy", s = "a\"b), %z: tensor<9xi32>"}, flash.name = "x"} loc("ignored"), // %c: tensor<1xi64>,
      %arg1: tensor<2x2xbf16> {flash.bound = 7 : i64, tag = "flash.bound = 99 : i64"} loc("w\22q")) -> (tensor<4xf32> {jax.result_info = "->(tensor<1xi8>)"}, tensor<i1>) {
    // return %arg1 : tensor<2x2xbf16>
    return %x, %x : tensor<4xf32>, tensor<i1>
  }
}
"#;

#[test]
fn comments_strings_and_nested_attribute_dictionaries_are_skipped() {
    let sig = parse_signature(DECOYS).unwrap();
    assert_eq!(sig.args.len(), 2, "{sig:?}");
    assert_eq!(sig.args[0].ty, TensorType::new(DType::F32, vec![4]));
    assert_eq!(sig.args[0].name.as_deref(), Some("x"));
    assert_eq!(sig.args[0].bound, None);
    assert_eq!(sig.args[1].ty, TensorType::new(DType::BF16, vec![2, 2]));
    assert_eq!(sig.args[1].name.as_deref(), Some("w\"q"), "escapes decode");
    assert_eq!(sig.args[1].bound, Some(7));
    assert_eq!(
        sig.results,
        vec![
            TensorType::new(DType::F32, vec![4]),
            TensorType::scalar(DType::Bool)
        ]
    );
}

#[test]
fn a_main_only_in_comments_or_strings_is_not_found() {
    for text in [
        "// func.func @main(%a: tensor<4xf32>) -> ()\nmodule {}",
        "module attributes {n = \"func.func @main(%a: tensor<4xf32>)\"} {}",
        "module attributes {n = {func.func @main(%a: tensor<4xf32>)}} {}",
        "func.func @mainly(%a: tensor<4xf32>) -> ()",
    ] {
        let e = parse_signature(text).unwrap_err();
        assert!(e.message.contains("no function @main"), "{text}: {e}");
    }
}

#[test]
fn unreadable_signatures_are_errors_never_guesses() {
    for (text, expected) in [
        (
            "func.func @main(%a: tensor<4xf32>) -> ()\nfunc.func @main(%b: tensor<4xi32>) -> ()",
            "line 2: a second function @main (the first is on line 1)",
        ),
        (
            "func.func @main(%a: tensor<4xf32>",
            "line 1: `(` is never closed",
        ),
        ("func.func @main(%a: tensor<4xf32]) -> ()", "does not close"),
        (
            "func.func @main(%a tensor<4xf32>) -> ()",
            "is not `%name: type`",
        ),
        (
            "func.func @main(%a: tensor<4xf32>, ) -> ()",
            "empty argument",
        ),
        (
            "func.func @main(%a: tensor<4xf32> junk) -> ()",
            "unexpected `junk`",
        ),
        (
            "func.func @main(%a: tensor<4xi32> {flash.bound = 7.5 : f32}) -> ()",
            "`flash.bound` must be a whole number",
        ),
        (
            "func.func @main(%a: tensor<4xi32> {flash.name = x}) -> ()",
            "`flash.name` must be a string",
        ),
        (
            "func.func @main(%a: tensor<4xf32> {n = \"open}) -> ()",
            "string literal is not closed",
        ),
        (
            "func.func @main(%a: tensor<4xf32>) -> (tensor<4xf32> garbage)",
            "unexpected `garbage` in result",
        ),
        (
            "func.func @main(%a: !stablehlo.token) -> ()",
            "not a ranked tensor type",
        ),
    ] {
        let e = parse_signature(text).unwrap_err();
        assert!(e.to_string().contains(expected), "{text}: {e}");
    }
}
