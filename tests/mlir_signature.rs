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
}
