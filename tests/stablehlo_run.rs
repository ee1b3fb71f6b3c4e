//! Emitted programs run on the real XLA CPU plugin, with results checked against values
//! worked out by hand or computed independently in Rust.

mod stablehlo_support;

use flash_ir::{BinaryOp, CmpDir, DType, Op, ReduceKind, TensorType, UnaryOp};
use flash_runtime::HostData;
use half::{bf16, f16};
use stablehlo_support::{self as s, Builder};

fn host<T: flash_runtime::Element>(dims: &[i64], values: &[T]) -> HostData {
    HostData::from_slice(dims, values).expect("host data")
}

fn f32s(h: &HostData) -> Vec<f32> {
    h.to_vec::<f32>().expect("f32 output")
}

fn assert_close(got: &[f32], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "lengths differ: {got:?} vs {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (f64::from(*g) - w).abs() <= tol,
            "element {i}: got {g}, want {w}"
        );
    }
}

#[test]
fn mlp_matches_a_hand_computed_forward_pass() {
    let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
    let w: Vec<f32> = (0..12).map(|i| (i as f32 - 6.0) * 0.05).collect();
    let b = [0.1f32, -0.2, 0.3, 0.0];
    let out = s::run(
        &s::mlp(),
        &[host(&[2, 3], &x), host(&[3, 4], &w), host(&[4], &b)],
    );
    let mut want = Vec::new();
    for r in 0..2 {
        for c in 0..4 {
            let dot: f64 = (0..3)
                .map(|k| f64::from(x[r * 3 + k]) * f64::from(w[k * 4 + c]))
                .sum();
            want.push((dot + f64::from(b[c])).tanh());
        }
    }
    assert_close(&f32s(&out[0]), &want, 1e-5);
}

#[test]
fn reductions_sum_rows_and_max_columns() {
    let x = [1.0f32, -2.0, 3.0, -4.0, 5.0, -6.0];
    let n = [-7i32, -3, -9, -5];
    let out = s::run(&s::reductions(), &[host(&[2, 3], &x), host(&[4], &n)]);
    assert_close(&f32s(&out[0]), &[2.0, -5.0], 0.0);
    assert_close(&f32s(&out[1]), &[1.0, 5.0, 3.0], 0.0);
    assert_eq!(out[2].to_vec::<i32>().unwrap(), [-3]);
}

#[test]
fn max_reduction_of_all_negative_infinity_stays_negative_infinity() {
    let mut b = Builder::new("max_inf");
    let x = b.param("x", DType::F32, &[3]);
    let m = b.op(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0],
        },
        &[x],
    );
    let out = s::run(
        &b.outputs(&[m]).finish(),
        &[host(&[3], &[f32::NEG_INFINITY; 3])],
    );
    assert_eq!(f32s(&out[0]), [f32::NEG_INFINITY]);
}

#[test]
fn gather_picks_rows_and_clamps_out_of_range_indices() {
    let table: Vec<f32> = (0..15).map(|i| (i / 3 * 10 + i % 3) as f32).collect();
    let ids = [4i32, 0, 2, 7];
    let out = s::run(
        &s::embedding(),
        &[host(&[5, 3], &table), host(&[2, 2], &ids)],
    );
    let row = |r: f64| [r * 10.0, r * 10.0 + 1.0, r * 10.0 + 2.0];
    let want: Vec<f64> = [4.0, 0.0, 2.0, 4.0].iter().flat_map(|&r| row(r)).collect();
    assert_close(&f32s(&out[0]), &want, 0.0);
}

#[test]
fn scatter_add_sums_repeated_rows_and_skips_out_of_range_indices() {
    let ids = [1i32, 4, 1, 9];
    let updates: Vec<f32> = (0..12).map(|i| i as f32).collect();
    let out = s::run(
        &s::scatter_rows(),
        &[
            host(&[5, 3], &[1.0f32; 15]),
            host(&[2, 2], &ids),
            host(&[2, 2, 3], &updates),
        ],
    );
    // Row 1 gets updates 0 and 2, row 4 update 1, id 9 is skipped.
    let want = [
        1.0, 1.0, 1.0, 7.0, 9.0, 11.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 4.0, 5.0, 6.0,
    ];
    assert_close(&f32s(&out[0]), &want, 0.0);
}

#[test]
fn bf16_batched_dot_accumulates_into_f32() {
    let q: Vec<bf16> = (0..24)
        .map(|i| bf16::from_f32((i % 5) as f32 - 2.0))
        .collect();
    let k: Vec<bf16> = (0..40)
        .map(|i| bf16::from_f32((i % 3) as f32 * 0.5))
        .collect();
    let out = s::run(
        &s::bf16_dot(),
        &[host(&[2, 3, 4], &q), host(&[2, 5, 4], &k)],
    );
    let mut want = Vec::new();
    for bt in 0..2 {
        for i in 0..3 {
            for j in 0..5 {
                let dot: f64 = (0..4)
                    .map(|c| {
                        f64::from(q[bt * 12 + i * 4 + c].to_f32())
                            * f64::from(k[bt * 20 + j * 4 + c].to_f32())
                    })
                    .sum();
                want.push(dot);
            }
        }
    }
    assert_close(&f32s(&out[0]), &want, 1e-6);
}

#[test]
fn aliased_update_returns_new_weight_and_step() {
    let w = [1.0f32, 2.0, 3.0, 4.0];
    let g = [0.5f32, -1.0, 2.0, 0.0];
    let out = s::run(
        &s::sgd_step(),
        &[host(&[4], &w), host(&[4], &g), host(&[], &[41i64])],
    );
    assert_close(&f32s(&out[0]), &[0.75, 2.5, 2.0, 4.0], 0.0);
    assert_eq!(out[1].to_vec::<i64>().unwrap(), [42]);
}

#[test]
fn prefix_sum_and_max_pool_through_reduce_window() {
    let mut b = Builder::new("windows");
    let x = b.param("x", DType::F32, &[5]);
    let prefix = Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window: vec![5],
        strides: vec![1],
        padding: vec![(4, 0)],
    };
    let pool = Op::ReduceWindow {
        kind: ReduceKind::Max,
        window: vec![2],
        strides: vec![2],
        padding: vec![(0, 1)],
    };
    let p = b.op(prefix, &[x]);
    let m = b.op(pool, &[x]);
    let out = s::run(
        &b.outputs(&[p, m]).finish(),
        &[host(&[5], &[1.0f32, -2.0, 3.0, 4.0, -5.0])],
    );
    assert_close(&f32s(&out[0]), &[1.0, -1.0, 2.0, 6.0, 1.0], 0.0);
    assert_close(&f32s(&out[1]), &[1.0, 4.0, -5.0], 0.0);
}

#[test]
fn relu_through_compare_and_select() {
    let mut b = Builder::new("relu");
    let x = b.param("x", DType::F32, &[4]);
    let zero = b.splat(0.0, DType::F32, &[4]);
    let pos = b.op(Op::Compare(CmpDir::Gt), &[x, zero]);
    let y = b.op(Op::Select, &[pos, x, zero]);
    let out = s::run(
        &b.outputs(&[y, pos]).finish(),
        &[host(&[4], &[-1.0f32, 2.0, 0.0, 3.5])],
    );
    assert_close(&f32s(&out[0]), &[0.0, 2.0, 0.0, 3.5], 0.0);
    assert_eq!(out[1].to_vec::<bool>().unwrap(), [false, true, false, true]);
}

#[test]
fn iota_counts_along_its_dimension_including_bool() {
    let mut b = Builder::new("iota");
    let i = b.op(
        Op::Iota {
            dim: 1,
            ty: TensorType::new(DType::I32, [2, 3]),
        },
        &[],
    );
    let f = b.op(
        Op::Iota {
            dim: 0,
            ty: TensorType::new(DType::F32, [2, 3]),
        },
        &[],
    );
    let p = b.op(
        Op::Iota {
            dim: 0,
            ty: TensorType::new(DType::Bool, [3]),
        },
        &[],
    );
    let out = s::run(&b.outputs(&[i, f, p]).finish(), &[]);
    assert_eq!(out[0].to_vec::<i32>().unwrap(), [0, 1, 2, 0, 1, 2]);
    assert_close(&f32s(&out[1]), &[0.0, 0.0, 0.0, 1.0, 1.0, 1.0], 0.0);
    assert_eq!(out[2].to_vec::<bool>().unwrap(), [false, true, true]);
}

#[test]
fn data_movement_ops_move_the_right_elements() {
    let mut b = Builder::new("movement");
    let x = b.param("x", DType::I32, &[2, 3]);
    let v = b.splat(-1.0, DType::I32, &[]);
    let t = b.op(Op::Transpose { perm: vec![1, 0] }, &[x]);
    let sl = b.op(
        Op::Slice {
            start: vec![0, 0],
            limit: vec![2, 3],
            stride: vec![1, 2],
        },
        &[x],
    );
    let c = b.op(Op::Concatenate { dim: 0 }, &[x, x]);
    let p = b.op(
        Op::Pad {
            low: vec![0, -1],
            high: vec![1, 0],
            interior: vec![0, 1],
        },
        &[x, v],
    );
    let r = b.op(Op::Reshape { shape: vec![3, 2] }, &[x]);
    let out = s::run(
        &b.outputs(&[t, sl, c, p, r]).finish(),
        &[host(&[2, 3], &[1i32, 2, 3, 4, 5, 6])],
    );
    let ints = |h: &HostData| h.to_vec::<i32>().unwrap();
    assert_eq!(ints(&out[0]), [1, 4, 2, 5, 3, 6]);
    assert_eq!(ints(&out[1]), [1, 3, 4, 6]);
    assert_eq!(ints(&out[2]), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
    // Interior padding gives [1,-1,2,-1,3], low -1 crops the first element, high adds a row.
    assert_eq!(ints(&out[3]), [-1, 2, -1, 3, -1, 5, -1, 6, -1, -1, -1, -1]);
    assert_eq!(out[3].dims, [3, 4]);
    assert_eq!(ints(&out[4]), [1, 2, 3, 4, 5, 6]);
}

#[test]
fn unary_and_binary_arithmetic_match_rust() {
    let xs = [0.25f32, 0.5, 1.0, 2.0];
    let mut b = Builder::new("math");
    let x = b.param("x", DType::F32, &[4]);
    let mut outs = Vec::new();
    for u in UnaryOp::ALL {
        outs.push(b.op(Op::Unary(u), &[x]));
    }
    for op in BinaryOp::ALL {
        outs.push(b.op(Op::Binary(op), &[x, outs[2]]));
    }
    let out = s::run(&b.outputs(&outs).finish(), &[host(&[4], &xs)]);
    let unary: [fn(f64) -> f64; 10] = [
        |v| -v,
        f64::abs,
        f64::exp,
        f64::ln,
        f64::tanh,
        |v| 1.0 / (1.0 + (-v).exp()),
        f64::sqrt,
        |v| 1.0 / v.sqrt(),
        f64::sin,
        f64::cos,
    ];
    for (i, f) in unary.iter().enumerate() {
        let want: Vec<f64> = xs.iter().map(|&v| f(f64::from(v))).collect();
        assert_close(&f32s(&out[i]), &want, 1e-5);
    }
    let binary: [fn(f64, f64) -> f64; 7] = [
        |a, b| a + b,
        |a, b| a - b,
        |a, b| a * b,
        |a, b| a / b,
        f64::max,
        f64::min,
        f64::powf,
    ];
    for (i, f) in binary.iter().enumerate() {
        let want: Vec<f64> = xs
            .iter()
            .map(|&v| f(f64::from(v), f64::from(v).exp()))
            .collect();
        assert_close(&f32s(&out[10 + i]), &want, 1e-4);
    }
}

#[test]
fn convert_truncates_floats_and_maps_nonzero_to_true() {
    let mut b = Builder::new("convert");
    let x = b.param("x", DType::F32, &[4]);
    let i = b.op(Op::Convert { to: DType::I32 }, &[x]);
    let p = b.op(Op::Convert { to: DType::Bool }, &[x]);
    let h = b.op(Op::Convert { to: DType::BF16 }, &[x]);
    let out = s::run(
        &b.outputs(&[i, p, h]).finish(),
        &[host(&[4], &[-1.75f32, 0.0, 2.5, 3.0])],
    );
    assert_eq!(out[0].to_vec::<i32>().unwrap(), [-1, 0, 2, 3]);
    assert_eq!(out[1].to_vec::<bool>().unwrap(), [true, false, true, true]);
    let want: Vec<bf16> = [-1.75f32, 0.0, 2.5, 3.0]
        .iter()
        .map(|&v| bf16::from_f32(v))
        .collect();
    assert_eq!(out[2].to_vec::<bf16>().unwrap(), want);
}

/// A deterministic stream of 64-bit patterns (SplitMix64).
fn patterns(n: usize) -> Vec<u64> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

/// Runs a graph returning one dense constant of `values` in `dtype`.
fn constant_round_trip(dtype: DType, values: &[f64]) -> HostData {
    let mut b = Builder::new("literals");
    let c = b.dense(values, dtype, &[values.len()]);
    s::run(&b.outputs(&[c]).finish(), &[]).remove(0)
}

/// Panics at the first element whose bits differ, naming its index and both bit patterns.
fn assert_same_bits(dtype: DType, got: &[u64], want: &[u64]) {
    assert_eq!(got.len(), want.len(), "{dtype}: lengths differ");
    if let Some(i) = (0..got.len()).find(|&i| got[i] != want[i]) {
        panic!(
            "{dtype} element {i}: got bits {:#x}, want {:#x}",
            got[i], want[i]
        );
    }
}

#[test]
fn float_literals_round_trip_bit_exactly_through_the_plugin() {
    let special = [
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-45,
        0.1,
        65504.0,
        1e-8,
        3.0e38,
    ];
    let bits = patterns(2000);
    // f32: random finite bit patterns, subnormals included.
    let f32_vals: Vec<f32> = bits
        .iter()
        .map(|&b| f32::from_bits(b as u32))
        .chain(special.iter().map(|&v| v as f32))
        .filter(|v| !v.is_nan())
        .collect();
    let wide: Vec<f64> = f32_vals.iter().map(|&v| f64::from(v)).collect();
    let got = f32s(&constant_round_trip(DType::F32, &wide));
    let bits_of = |v: &[f32]| v.iter().map(|x| u64::from(x.to_bits())).collect::<Vec<_>>();
    assert_same_bits(DType::F32, &bits_of(&got), &bits_of(&f32_vals));
    // f64.
    let f64_vals: Vec<f64> = bits
        .iter()
        .map(|&b| f64::from_bits(b))
        .chain(special)
        .filter(|v| !v.is_nan())
        .collect();
    let got = constant_round_trip(DType::F64, &f64_vals)
        .to_vec::<f64>()
        .unwrap();
    let bits_of = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_same_bits(DType::F64, &bits_of(&got), &bits_of(&f64_vals));
    // bf16 and f16: every non-NaN bit pattern.
    let bf: Vec<bf16> = (0..=u16::MAX)
        .map(bf16::from_bits)
        .filter(|v| !v.is_nan())
        .collect();
    let got = constant_round_trip(
        DType::BF16,
        &bf.iter().map(|v| v.to_f64()).collect::<Vec<_>>(),
    );
    let bits_of = |v: &[bf16]| v.iter().map(|x| u64::from(x.to_bits())).collect::<Vec<_>>();
    assert_same_bits(
        DType::BF16,
        &bits_of(&got.to_vec::<bf16>().unwrap()),
        &bits_of(&bf),
    );
    let hf: Vec<f16> = (0..=u16::MAX)
        .map(f16::from_bits)
        .filter(|v| !v.is_nan())
        .collect();
    let got = constant_round_trip(
        DType::F16,
        &hf.iter().map(|v| v.to_f64()).collect::<Vec<_>>(),
    );
    let bits_of = |v: &[f16]| v.iter().map(|x| u64::from(x.to_bits())).collect::<Vec<_>>();
    assert_same_bits(
        DType::F16,
        &bits_of(&got.to_vec::<f16>().unwrap()),
        &bits_of(&hf),
    );
}

#[test]
fn nan_literals_stay_nan_in_every_float_dtype() {
    for d in [DType::F32, DType::F64, DType::BF16, DType::F16] {
        let out = constant_round_trip(d, &[f64::NAN, 1.0]);
        let first = match d {
            DType::F32 => f64::from(out.to_vec::<f32>().unwrap()[0]),
            DType::F64 => out.to_vec::<f64>().unwrap()[0],
            DType::BF16 => out.to_vec::<bf16>().unwrap()[0].to_f64(),
            _ => out.to_vec::<f16>().unwrap()[0].to_f64(),
        };
        assert!(first.is_nan(), "{d}: {first}");
    }
}

#[test]
fn integer_and_bool_literals_round_trip() {
    let ints = [i32::MIN, -1, 0, 1, i32::MAX];
    let got = constant_round_trip(DType::I32, &ints.map(f64::from))
        .to_vec::<i32>()
        .unwrap();
    assert_eq!(got, ints);
    let longs = [i64::MIN, -(1 << 53), 0, 1 << 53];
    let got = constant_round_trip(DType::I64, &longs.map(|v| v as f64))
        .to_vec::<i64>()
        .unwrap();
    assert_eq!(got, longs);
    let got = constant_round_trip(DType::Bool, &[1.0, 0.0, 1.0])
        .to_vec::<bool>()
        .unwrap();
    assert_eq!(got, [true, false, true]);
}

/// For 16-bit float bit patterns `k` and `k + 1`, the f64 values just below, at and just
/// above their midpoint, and the pattern each must round to (ties to the even pattern).
fn midpoint_cases(patterns: &[u16], to_f64: fn(u16) -> f64) -> (Vec<f64>, Vec<u16>) {
    let (mut values, mut want) = (Vec::new(), Vec::new());
    for &k in patterns {
        let mid = (to_f64(k) + to_f64(k + 1)) / 2.0;
        let even = if k % 2 == 0 { k } else { k + 1 };
        values.extend([
            f64::from_bits(mid.to_bits() - 1),
            mid,
            f64::from_bits(mid.to_bits() + 1),
        ]);
        want.extend([k, even, k + 1]);
    }
    (values, want)
}

#[test]
fn constants_round_f64_to_nearest_even_in_16_bit_floats() {
    let ks: Vec<u16> = patterns(500)
        .iter()
        .map(|&b| (b % 0x7b00) as u16 + 1)
        .collect();
    let (values, want) = midpoint_cases(&ks, |k| bf16::from_bits(k).to_f64());
    let got = constant_round_trip(DType::BF16, &values)
        .to_vec::<bf16>()
        .unwrap();
    let got: Vec<u64> = got.iter().map(|v| u64::from(v.to_bits())).collect();
    assert_same_bits(
        DType::BF16,
        &got,
        &want.iter().map(|&k| u64::from(k)).collect::<Vec<_>>(),
    );
    let (values, want) = midpoint_cases(&ks, |k| f16::from_bits(k).to_f64());
    let got = constant_round_trip(DType::F16, &values)
        .to_vec::<f16>()
        .unwrap();
    let got: Vec<u64> = got.iter().map(|v| u64::from(v.to_bits())).collect();
    assert_same_bits(
        DType::F16,
        &got,
        &want.iter().map(|&k| u64::from(k)).collect::<Vec<_>>(),
    );
}
