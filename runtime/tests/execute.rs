//! Compiling and running hand-written StableHLO on the real plugin: numbers, XLA's
//! diagnostics for bad text, the compile cache, donation and memory statistics.

mod common;

use common::{client, download, upload};
use flash_runtime::{Client, ExecuteOptions, RuntimeError};
use std::sync::Arc;

const ADD: &str = r#"
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = stablehlo.add %a, %b : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
"#;

const MATMUL: &str = r#"
module @matmul attributes {mhlo.num_partitions = 1 : i32, mhlo.num_replicas = 1 : i32} {
  func.func public @main(%x: tensor<2x3xf32>, %w: tensor<3x2xf32>) -> tensor<2x2xf32> {
    %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
    return %0 : tensor<2x2xf32>
  }
}
"#;

/// Adds one in place: the input is donated to the output.
const DONATE: &str = r#"
func.func @main(%a: tensor<4xf32> {tf.aliasing_output = 0 : i32}) -> tensor<4xf32> {
  %one = stablehlo.constant dense<1.0> : tensor<4xf32>
  %0 = stablehlo.add %a, %one : tensor<4xf32>
  return %0 : tensor<4xf32>
}
"#;

#[test]
fn add_two_matrices() {
    let c = client();
    let exe = c.compile(ADD).unwrap();
    assert_eq!(exe.num_outputs(), 1);
    let a = upload(&c, &[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let b = upload(&c, &[2, 3], &[10.0f32, 20.0, 30.0, 40.0, 50.0, 60.0]);
    let out = exe.execute(&[&a, &b]).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dims().unwrap(), [2, 3]);
    assert_eq!(
        download::<f32>(&out[0]),
        [11.0, 22.0, 33.0, 44.0, 55.0, 66.0]
    );
}

#[test]
fn dot_general_matrix_product() {
    let c = client();
    let exe = c.compile(MATMUL).unwrap();
    let x = upload(&c, &[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let w = upload(&c, &[3, 2], &[1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0]);
    let out = exe.execute(&[&x, &w]).unwrap();
    // [[1,2,3],[4,5,6]] x [[1,0],[0,1],[1,1]] = [[4,5],[10,11]]
    assert_eq!(download::<f32>(&out[0]), [4.0, 5.0, 10.0, 11.0]);
}

#[test]
fn invalid_mlir_returns_xla_diagnostic() {
    let c = client();
    let bad = "func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n  \
               %0 = stablehlo.add %a, %a : tensor<3xf32>\n  return %0 : tensor<2xf32>\n}";
    let err = c.compile(bad).unwrap_err();
    match &err {
        RuntimeError::Xla { call, message } => {
            assert_eq!(*call, "PJRT_Client_Compile");
            assert!(message.contains("error:"), "{message}");
        }
        other => panic!("expected an XLA error, got {other}"),
    }
}

#[test]
fn wrong_argument_count_is_an_error_not_a_crash() {
    let c = client();
    let exe = c.compile(ADD).unwrap();
    let a = upload(&c, &[2, 3], &[0.0f32; 6]);
    let err = exe.execute(&[&a]).unwrap_err();
    assert!(matches!(err, RuntimeError::Xla { .. }), "{err}");
}

#[test]
fn compiling_the_same_text_twice_hits_the_cache() {
    let c = client();
    let first = c.compile(MATMUL).unwrap();
    let second = c.compile(MATMUL).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
}

#[test]
fn donated_input_is_deleted_and_reading_it_is_an_error() {
    let c = client();
    let exe = c.compile(DONATE).unwrap();
    let a = upload(&c, &[4], &[1.0f32, 2.0, 3.0, 4.0]);
    let out = exe.execute(&[&a]).unwrap();
    assert_eq!(download::<f32>(&out[0]), [2.0, 3.0, 4.0, 5.0]);
    assert!(a.is_deleted().unwrap());
    let err = a.to_host().unwrap_err();
    assert!(matches!(err, RuntimeError::Xla { .. }), "{err}");
}

#[test]
fn non_donatable_input_survives() {
    let c = client();
    let exe = c.compile(DONATE).unwrap();
    let a = upload(&c, &[4], &[1.0f32, 2.0, 3.0, 4.0]);
    let keep = ExecuteOptions {
        non_donatable_input_indices: vec![0],
    };
    let out = exe.execute_with(&[&a], &keep).unwrap();
    assert_eq!(download::<f32>(&out[0]), [2.0, 3.0, 4.0, 5.0]);
    assert!(!a.is_deleted().unwrap());
    assert_eq!(download::<f32>(&a), [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn execute_donating_takes_inputs_by_value() {
    let c = client();
    let exe = c.compile(DONATE).unwrap();
    let mut x = upload(&c, &[4], &[0.0f32; 4]);
    for _ in 0..3 {
        x = exe.execute_donating(vec![x]).unwrap().remove(0);
    }
    assert_eq!(download::<f32>(&x), [3.0; 4]);
}

#[test]
fn memory_stats_when_supported() {
    let c = client();
    let exe = c.compile(MATMUL).unwrap();
    let stats = exe.memory_stats().unwrap();
    if c.platform_name() == "cpu" {
        assert!(
            stats.is_some(),
            "the CPU plugin of API 0.81 reports memory stats"
        );
    }
    if let Some(stats) = stats {
        // 2x3 + 3x2 f32 arguments, 2x2 f32 output.
        assert_eq!(stats.argument_bytes, 48, "{stats:?}");
        assert_eq!(stats.output_bytes, 16, "{stats:?}");
    }
}

#[test]
fn device_of_another_client_is_refused() {
    let c = client();
    let other = Client::create(c.plugin().clone()).unwrap();
    let foreign = other.default_device().unwrap();
    let err = c.buffer_from_host(&[0; 4], flash_runtime::ElementType::F32, &[1], foreign);
    assert!(
        matches!(err, Err(RuntimeError::ForeignDevice { .. })),
        "{err:?}"
    );
}

#[test]
fn runs_from_many_threads() {
    let c = client();
    let exe = c.compile(ADD).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (c, exe) = (&c, &exe);
            s.spawn(move || {
                let v = t as f32;
                let a = upload(c, &[2, 3], &[v; 6]);
                let out = exe.execute(&[&a, &a]).unwrap();
                assert_eq!(download::<f32>(&out[0]), [2.0 * v; 6]);
            });
        }
    });
}

#[test]
fn several_outputs_and_a_transpose_come_back_row_major() {
    let c = client();
    let text = r#"
func.func @main(%a: tensor<2x3xi32>) -> (tensor<3x2xi32>, tensor<i32>) {
  %t = stablehlo.transpose %a, dims = [1, 0] : (tensor<2x3xi32>) -> tensor<3x2xi32>
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %s = stablehlo.reduce(%a init: %zero) applies stablehlo.add across dimensions = [0, 1] : (tensor<2x3xi32>, tensor<i32>) -> tensor<i32>
  return %t, %s : tensor<3x2xi32>, tensor<i32>
}
"#;
    let exe = c.compile(text).unwrap();
    assert_eq!(exe.num_outputs(), 2);
    let a = upload(&c, &[2, 3], &[1i32, 2, 3, 4, 5, 6]);
    let out = exe.execute(&[&a]).unwrap();
    assert_eq!(out[0].dims().unwrap(), [3, 2]);
    assert_eq!(download::<i32>(&out[0]), [1, 4, 2, 5, 3, 6]);
    assert_eq!(download::<i32>(&out[1]), [21]);
}
