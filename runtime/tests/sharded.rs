//! SPMD programs partitioned by XLA on 4 CPU devices, in both sharding dialects: what
//! compiles, what each device receives and returns (its shard), the collectives XLA
//! inserts, and results checked against host-computed values. The findings are the
//! dialect table in ARCHITECTURE.md.

mod common;

use common::client_with_devices;
use common::spmd::*;
use flash_runtime::{Client, ExecuteOptions, LoadedExecutable, RuntimeError};

/// `y = x[8,4] @ w[4,2]` with x's rows over `data=4`, w replicated, y sharded like x, and
/// `s = sum over the batch of y` replicated, which needs an all-reduce.
fn data_parallel(d: Dialect) -> String {
    let rep1 = Spec {
        gspmd: "{replicated}",
        sdy: "[{}]",
    };
    let main = format!(
        "  func.func public @main(%x: tensor<8x4xf32> {{{x}}}, %w: tensor<4x2xf32> {{{w}}})
      -> (tensor<8x2xf32> {{{x}}}, tensor<2xf32> {{{s}}}) {{
    %y = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
    %zero = stablehlo.constant dense<0.0> : tensor<f32>
    %s = stablehlo.reduce(%y init: %zero) applies stablehlo.add across dimensions = [0] : (tensor<8x2xf32>, tensor<f32>) -> tensor<2xf32>
    return %y, %s : tensor<8x2xf32>, tensor<2xf32>
  }}",
        x = d.attr(ROWS_ON_DATA4),
        w = d.attr(REPLICATED_2D),
        s = d.attr(rep1),
    );
    d.module(4, r#"["data"=4]"#, &main)
}

/// Uploads the data-parallel inputs: device `p` gets rows `2p..2p+2` of x and all of w.
fn data_parallel_inputs(
    c: &Client,
    exe: &LoadedExecutable,
    x: &[f32],
    w: &[f32],
) -> Vec<Vec<flash_runtime::Buffer>> {
    exe.devices()
        .iter()
        .enumerate()
        .map(|(p, dev)| {
            let shard = block(x, (8, 4), (4, 1), (p, 0));
            vec![
                common::upload_to(c, dev, &[2, 4], &shard),
                common::upload_to(c, dev, &[4, 2], w),
            ]
        })
        .collect()
}

/// Runs the data-parallel program and checks every device's shard of y and its copy of s.
fn check_data_parallel(d: Dialect) {
    let c = client_with_devices(4);
    let exe = compile_spmd(&c, &data_parallel(d), 4, d == Shardy).unwrap();
    assert_eq!(exe.num_partitions().unwrap(), 4);
    assert_eq!(exe.num_replicas().unwrap(), 1);
    let ids: Vec<i32> = exe.devices().iter().map(|d| d.id()).collect();
    assert_eq!(ids, [0, 1, 2, 3]);
    let (x, w) = (matrix(8, 4, 1), matrix(4, 2, 2));
    let args = data_parallel_inputs(&c, &exe, &x, &w);
    let outputs = exe.execute_sharded_donating(args).unwrap();
    let y = matmul(&x, &w, 8, 4, 2);
    let s = column_sums(&y, 8, 2);
    for (p, out) in download_all(&outputs).into_iter().enumerate() {
        assert_eq!(
            out[0],
            (vec![2, 2], block(&y, (8, 2), (4, 1), (p, 0))),
            "{d:?} y@{p}"
        );
        assert_eq!(out[1], (vec![2], s.clone()), "{d:?} s@{p}");
    }
    assert!(
        exe.has_opcode("all-reduce").unwrap(),
        "{d:?}: no all-reduce"
    );
}

#[test]
fn data_parallel_gspmd_shards_rows_and_all_reduces_the_sum() {
    check_data_parallel(Gspmd);
}

#[test]
fn data_parallel_shardy_shards_rows_and_all_reduces_the_sum() {
    check_data_parallel(Shardy);
}

#[test]
fn gspmd_program_also_compiles_with_the_shardy_flag() {
    // XLA warns "Module has GSPMD attrs or ops, but Shardy is enabled" and uses GSPMD.
    let c = client_with_devices(4);
    let exe = compile_spmd(&c, &data_parallel(Gspmd), 4, true).unwrap();
    assert!(exe.has_opcode("all-reduce").unwrap());
}

#[test]
fn shardy_program_without_the_shardy_flag_is_an_error() {
    let c = client_with_devices(4);
    let err = compile_spmd(&c, &data_parallel(Shardy), 4, false).unwrap_err();
    assert!(
        matches!(&err, RuntimeError::Xla { message, .. } if message.contains("xla.sdy")),
        "{err}"
    );
}

/// GSPMD and Shardy spellings of the 2x2 mesh's shardings (device `2d + m` holds
/// data index `d`, model index `m`).
const ROWS_ON_DATA: Spec = Spec {
    gspmd: "{devices=[2,1,2]<=[4] last_tile_dim_replicate}",
    sdy: r#"[{"data"}, {}]"#,
};
const COLS_ON_MODEL: Spec = Spec {
    gspmd: "{devices=[1,2,2]<=[2,2]T(1,0) last_tile_dim_replicate}",
    sdy: r#"[{}, {"model"}]"#,
};
const ON_BOTH_AXES: Spec = Spec {
    gspmd: "{devices=[4]<=[4]}",
    sdy: r#"[{"data", "model"}]"#,
};
const ROWS_DATA_COLS_MODEL: Spec = Spec {
    gspmd: "{devices=[2,2]<=[4]}",
    sdy: r#"[{"data"}, {"model"}]"#,
};
const VECTOR_ON_MODEL: Spec = Spec {
    gspmd: "{devices=[2,2]<=[2,2]T(1,0) last_tile_dim_replicate}",
    sdy: r#"[{"model"}]"#,
};

/// On `data=2, model=2`: `y = x[8,4] @ w[4,6]` (x rows on data, w columns on model, both
/// partly replicated), `s = column sums of y` (on model), `t = 2 b` (b[8] split over both
/// axes).
fn mesh_2x2(d: Dialect) -> String {
    let main = format!(
        "  func.func public @main(%x: tensor<8x4xf32> {{{x}}}, %w: tensor<4x6xf32> {{{w}}},
      %b: tensor<8xf32> {{{b}}})
      -> (tensor<8x6xf32> {{{y}}}, tensor<6xf32> {{{s}}}, tensor<8xf32> {{{b}}}) {{
    %y = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<8x4xf32>, tensor<4x6xf32>) -> tensor<8x6xf32>
    %zero = stablehlo.constant dense<0.0> : tensor<f32>
    %s = stablehlo.reduce(%y init: %zero) applies stablehlo.add across dimensions = [0] : (tensor<8x6xf32>, tensor<f32>) -> tensor<6xf32>
    %t = stablehlo.add %b, %b : tensor<8xf32>
    return %y, %s, %t : tensor<8x6xf32>, tensor<6xf32>, tensor<8xf32>
  }}",
        x = d.attr(ROWS_ON_DATA),
        w = d.attr(COLS_ON_MODEL),
        b = d.attr(ON_BOTH_AXES),
        y = d.attr(ROWS_DATA_COLS_MODEL),
        s = d.attr(VECTOR_ON_MODEL),
    );
    d.module(4, r#"["data"=2, "model"=2]"#, &main)
}

fn check_mesh_2x2(d: Dialect) {
    let c = client_with_devices(4);
    let exe = compile_spmd(&c, &mesh_2x2(d), 4, d == Shardy).unwrap();
    let (x, w, b) = (matrix(8, 4, 3), matrix(4, 6, 4), matrix(8, 1, 5));
    let args: Vec<Vec<_>> = exe
        .devices()
        .iter()
        .enumerate()
        .map(|(p, dev)| {
            let (dd, m) = (p / 2, p % 2);
            vec![
                common::upload_to(&c, dev, &[4, 4], &block(&x, (8, 4), (2, 1), (dd, 0))),
                common::upload_to(&c, dev, &[4, 3], &block(&w, (4, 6), (1, 2), (0, m))),
                common::upload_to(&c, dev, &[2], &block(&b, (8, 1), (4, 1), (p, 0))),
            ]
        })
        .collect();
    let outputs = exe.execute_sharded_donating(args).unwrap();
    let y = matmul(&x, &w, 8, 4, 6);
    let s = column_sums(&y, 8, 6);
    let t: Vec<f32> = b.iter().map(|v| 2.0 * v).collect();
    for (p, out) in download_all(&outputs).into_iter().enumerate() {
        let (dd, m) = (p / 2, p % 2);
        let y_block = block(&y, (8, 6), (2, 2), (dd, m));
        assert_eq!(out[0], (vec![4, 3], y_block), "{d:?} y@{p}");
        let s_block = block(&s, (1, 6), (1, 2), (0, m));
        assert_eq!(out[1], (vec![3], s_block), "{d:?} s@{p}");
        let t_block = block(&t, (8, 1), (4, 1), (p, 0));
        assert_eq!(out[2], (vec![2], t_block), "{d:?} t@{p}");
    }
    assert!(exe.has_opcode("all-reduce").unwrap(), "{d:?}");
}

#[test]
fn mesh_2x2_gspmd_with_partial_replication_and_two_axis_dims() {
    check_mesh_2x2(Gspmd);
}

#[test]
fn mesh_2x2_shardy_with_partial_replication_and_two_axis_dims() {
    check_mesh_2x2(Shardy);
}

/// Replicated inputs, an intermediate constrained to rows on `data`, a replicated result:
/// the constraint alone makes XLA split the product and gather it back.
fn constrained(d: Dialect) -> String {
    let ty = "tensor<8x2xf32>";
    let main = format!(
        "  func.func public @main(%x: tensor<8x4xf32> {{{r}}}, %w: tensor<4x2xf32> {{{r}}})
      -> ({ty} {{{r}}}) {{
    %y = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<8x4xf32>, tensor<4x2xf32>) -> {ty}
    {c}
    %z = stablehlo.multiply %c, %c : {ty}
    return %z : {ty}
  }}",
        r = d.attr(REPLICATED_2D),
        c = d.constraint("%c", "%y", ty, ROWS_ON_DATA4),
    );
    d.module(4, r#"["data"=4]"#, &main)
}

fn check_constraint(d: Dialect) {
    let c = client_with_devices(4);
    let exe = compile_spmd(&c, &constrained(d), 4, d == Shardy).unwrap();
    let (x, w) = (matrix(8, 4, 6), matrix(4, 2, 7));
    let args: Vec<Vec<_>> = exe
        .devices()
        .iter()
        .map(|dev| {
            vec![
                common::upload_to(&c, dev, &[8, 4], &x),
                common::upload_to(&c, dev, &[4, 2], &w),
            ]
        })
        .collect();
    let refs: Vec<Vec<&_>> = args.iter().map(|l| l.iter().collect()).collect();
    let outputs = exe
        .execute_sharded(&refs, &ExecuteOptions::default())
        .unwrap();
    let z: Vec<f32> = matmul(&x, &w, 8, 4, 2).iter().map(|v| v * v).collect();
    for (p, out) in download_all(&outputs).into_iter().enumerate() {
        assert_eq!(out[0], (vec![8, 2], z.clone()), "{d:?} z@{p}");
    }
    assert!(
        exe.has_opcode("all-gather").unwrap(),
        "{d:?}: constraint ignored"
    );
}

#[test]
fn gspmd_sharding_custom_call_constrains_an_intermediate() {
    check_constraint(Gspmd);
}

#[test]
fn shardy_sharding_constraint_constrains_an_intermediate() {
    check_constraint(Shardy);
}

/// The environment variable that marks a child process of the log test below.
const LOG_CHILD_ENV: &str = "FLASH_TEST_XLA_LOG_CHILD";

/// Runs two tests of this binary that make XLA log (a GSPMD program: a deprecation warning;
/// a Shardy program without the Shardy flag: a RET_CHECK error) in a child process, with
/// `FLASH_XLA_LOG` set to `setting` (unset for `None`) and compiling afresh; gives whether
/// it passed and its stderr.
fn run_logging_tests(setting: Option<&str>) -> (bool, String) {
    let exe = std::env::current_exe().expect("this test binary");
    let mut command = std::process::Command::new(exe);
    command
        .args(["--exact", "--test-threads", "1", "--nocapture"])
        .args([
            "data_parallel_gspmd_shards_rows_and_all_reduces_the_sum",
            "shardy_program_without_the_shardy_flag_is_an_error",
        ])
        .env(LOG_CHILD_ENV, "1")
        .env("FLASH_CACHE", "0")
        .env_remove("TF_CPP_MIN_LOG_LEVEL")
        .env_remove(flash_runtime::XLA_LOG_ENV);
    if let Some(value) = setting {
        command.env(flash_runtime::XLA_LOG_ENV, value);
    }
    let out = command.output().expect("runs this test binary");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    (out.status.success(), format!("{stderr}{stdout}"))
}

/// XLA's log lines seen while those programs compile.
const XLA_NOISE: [&str; 5] = [
    "RET_CHECK",
    "E0000",
    "absl::InitializeLog",
    "GSPMD sharding propagation is going to be deprecated",
    "stack trace",
];

#[test]
fn xla_logs_stay_off_stderr_unless_flash_xla_log_asks() {
    if std::env::var_os(LOG_CHILD_ENV).is_some() {
        return; // a child runs only the two logging tests
    }
    for quiet in [None, Some("0")] {
        let (passed, output) = run_logging_tests(quiet);
        assert!(passed, "FLASH_XLA_LOG={quiet:?}: {output}");
        for noise in XLA_NOISE {
            assert!(
                !output.contains(noise),
                "FLASH_XLA_LOG={quiet:?}: {noise:?} in {output}"
            );
        }
    }
    let (passed, warnings) = run_logging_tests(Some("warning"));
    assert!(passed && warnings.contains(XLA_NOISE[3]), "{warnings}");
    let (passed, errors) = run_logging_tests(Some("error"));
    assert!(passed && errors.contains("RET_CHECK"), "{errors}");
    assert!(!errors.contains(XLA_NOISE[3]), "{errors}");
    let (passed, refused) = run_logging_tests(Some("banana"));
    assert!(!passed, "FLASH_XLA_LOG=banana was accepted: {refused}");
    assert!(
        refused.contains("FLASH_XLA_LOG=\"banana\" is not a log setting"),
        "{refused}"
    );
}
