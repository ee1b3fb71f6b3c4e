//! Running on several devices: donation per device, the device order a device assignment
//! sets, and clear errors for argument lists that do not fit the program's devices.

mod common;

use common::client_with_devices;
use common::spmd::*;
use flash_runtime::RuntimeError;
use flash_runtime::{Buffer, Client, CompileOptions, ExecuteOptions, LoadedExecutable};
use std::sync::Arc;

/// `a + 1` in place (`a` donated to the result), a's rows split over `data=4`.
fn add_one_in_place() -> String {
    let attr = Shardy.attr(ROWS_ON_DATA4);
    let main = format!(
        "  func.func public @main(%a: tensor<8x2xf32> {{{attr}, tf.aliasing_output = 0 : i32}})
      -> (tensor<8x2xf32> {{{attr}}}) {{
    %one = stablehlo.constant dense<1.0> : tensor<8x2xf32>
    %0 = stablehlo.add %a, %one : tensor<8x2xf32>
    return %0 : tensor<8x2xf32>
  }}"
    );
    Shardy.module(4, r#"["data"=4]"#, &main)
}

/// Compiles [`add_one_in_place`] for `device_ids` (partition `p` on `device_ids[p]`).
fn compile_on(c: &Client, device_ids: Vec<i64>) -> Arc<LoadedExecutable> {
    let options = CompileOptions::spmd(4, device_ids).unwrap();
    c.compile_with(&add_one_in_place(), &options).unwrap()
}

/// Device `p` of `exe` gets block `p` of `a`.
fn shards(c: &Client, exe: &LoadedExecutable, a: &[f32]) -> Vec<Vec<Buffer>> {
    exe.devices()
        .iter()
        .enumerate()
        .map(|(p, dev)| {
            let shard = block(a, (8, 2), (4, 1), (p, 0));
            vec![common::upload_to(c, dev, &[2, 2], &shard)]
        })
        .collect()
}

#[test]
fn donation_deletes_every_devices_input() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let a = matrix(8, 2, 1);
    let inputs = shards(&c, &exe, &a);
    let refs: Vec<Vec<&Buffer>> = inputs.iter().map(|l| l.iter().collect()).collect();
    let outputs = exe
        .execute_sharded(&refs, &ExecuteOptions::default())
        .unwrap();
    for (p, list) in inputs.iter().enumerate() {
        assert!(list[0].is_deleted().unwrap(), "input on device {p} kept");
        let want: Vec<f32> = block(&a, (8, 2), (4, 1), (p, 0))
            .iter()
            .map(|v| v + 1.0)
            .collect();
        assert_eq!(common::download::<f32>(&outputs[p][0]), want);
    }
}

#[test]
fn non_donatable_inputs_survive_on_every_device() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let inputs = shards(&c, &exe, &matrix(8, 2, 2));
    let refs: Vec<Vec<&Buffer>> = inputs.iter().map(|l| l.iter().collect()).collect();
    let keep = ExecuteOptions {
        non_donatable_input_indices: vec![0],
    };
    exe.execute_sharded(&refs, &keep).unwrap();
    assert!(inputs.iter().all(|l| !l[0].is_deleted().unwrap()));
}

#[test]
fn donating_loop_updates_every_shard_in_place() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let mut state = shards(&c, &exe, &[0.0; 16]);
    for _ in 0..3 {
        state = exe.execute_sharded_donating(state).unwrap();
    }
    for list in &state {
        assert_eq!(common::download::<f32>(&list[0]), [3.0; 4]);
    }
}

#[test]
fn device_assignment_orders_the_devices_and_partitions() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![3, 1, 0, 2]);
    let ids: Vec<i32> = exe.devices().iter().map(|d| d.id()).collect();
    assert_eq!(ids, [3, 1, 0, 2], "devices() follows the assignment");
    let a = matrix(8, 2, 3);
    let outputs = exe.execute_sharded_donating(shards(&c, &exe, &a)).unwrap();
    let all: Vec<f32> = outputs
        .iter()
        .flat_map(|l| common::download::<f32>(&l[0]))
        .collect();
    let want: Vec<f32> = a.iter().map(|v| v + 1.0).collect();
    assert_eq!(all, want, "output p is partition p's block");
}

#[test]
fn wrong_number_of_device_lists_is_an_error() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let mut inputs = shards(&c, &exe, &matrix(8, 2, 4));
    inputs.pop();
    let err = exe.execute_sharded_donating(inputs).unwrap_err();
    let want = RuntimeError::DeviceListCount {
        devices: 4,
        lists: 3,
    };
    assert_eq!(err.to_string(), want.to_string());
    let one = common::upload_to(&c, &c.devices()[0], &[2, 2], &[0.0f32; 4]);
    let err = exe.execute(&[&one]).unwrap_err();
    assert!(
        matches!(err, RuntimeError::DeviceListCount { lists: 1, .. }),
        "{err}"
    );
}

#[test]
fn unequal_argument_lists_are_an_error() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let mut inputs = shards(&c, &exe, &matrix(8, 2, 5));
    inputs[2].clear();
    let err = exe.execute_sharded_donating(inputs).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::ArgumentListLength {
                position: 2,
                len: 0,
                first: 1
            }
        ),
        "{err}"
    );
}

#[test]
fn buffer_on_another_device_is_an_error() {
    let c = client_with_devices(4);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let mut inputs = shards(&c, &exe, &matrix(8, 2, 6));
    inputs.swap(0, 1);
    let err = exe.execute_sharded_donating(inputs).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::WrongDevice {
                position: 0,
                index: 0,
                expected: 0,
                actual: Some(1)
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("upload it to that device"),
        "{err}"
    );
}

#[test]
fn buffer_of_another_client_is_an_error() {
    let c = client_with_devices(4);
    let other = client_with_devices(2);
    let exe = compile_on(&c, vec![0, 1, 2, 3]);
    let mut inputs = shards(&c, &exe, &matrix(8, 2, 7));
    inputs[3][0] = common::upload_to(&other, &other.devices()[1], &[2, 2], &[0.0f32; 4]);
    let err = exe.execute_sharded_donating(inputs).unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::ForeignBuffer {
                position: 3,
                index: 0
            }
        ),
        "{err}"
    );
}
