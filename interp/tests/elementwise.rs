//! Hand-computed cases for the elementwise ops, the sources, and dtype rounding.

mod common;
use common::*;
use flash_interp::round::{convert, round};
use flash_interp::Array;
use flash_ir::{BinaryOp, CmpDir, DType, Literal, Op, UnaryOp};

#[test]
fn bf16_and_f16_round_one_third_to_nearest() {
    assert_eq!(round(DType::BF16, 1.0 / 3.0), 0.333984375);
    assert_eq!(round(DType::F16, 1.0 / 3.0), 1365.0 / 4096.0);
    assert_eq!(round(DType::F32, 1.0 / 3.0), (1.0f32 / 3.0) as f64);
    let third = arr(DType::BF16, &[1], &[1.0]);
    let three = arr(DType::BF16, &[1], &[3.0]);
    assert_eq!(
        apply(Op::Binary(BinaryOp::Div), &[third, three]).data,
        vec![0.333984375]
    );
}

#[test]
fn bf16_ties_go_to_even_and_sticky_bits_below_f32_count() {
    let half_ulp = 2f64.powi(-8); // bf16 has 8 significant bits
    assert_eq!(round(DType::BF16, 1.0 + half_ulp), 1.0);
    assert_eq!(
        round(DType::BF16, 1.0 + 3.0 * half_ulp),
        1.0 + 4.0 * half_ulp
    );
    // Just above a tie, by less than f32 can hold: must round up (no double rounding).
    assert_eq!(
        round(DType::BF16, 1.0 + half_ulp + 2f64.powi(-40)),
        1.0 + 2.0 * half_ulp
    );
    assert_eq!(
        round(DType::F16, 1.0 + 2f64.powi(-11) + 2f64.powi(-40)),
        1.0 + 2f64.powi(-10)
    );
    assert_eq!(round(DType::BF16, -1e39), f64::NEG_INFINITY);
    assert_eq!(round(DType::F16, 70000.0), f64::INFINITY);
    assert!(round(DType::BF16, f64::NAN).is_nan());
}

#[test]
fn integers_wrap_and_truncate() {
    assert_eq!(round(DType::I32, 2147483648.0), -2147483648.0);
    assert_eq!(round(DType::I32, -2.7), -2.0);
    assert_eq!(round(DType::Bool, -0.5), 1.0);
    let big = arr(DType::I32, &[1], &[2147483647.0]);
    let out = apply(Op::Binary(BinaryOp::Mul), &[big.clone(), big.clone()]);
    assert_eq!(out.data, vec![1.0]); // (2^31 - 1)^2 = 1 mod 2^32
    let out = apply(
        Op::Binary(BinaryOp::Add),
        &[big.clone(), arr(DType::I32, &[1], &[1.0])],
    );
    assert_eq!(out.data, vec![-2147483648.0]);
    let min = arr(DType::I32, &[1], &[-2147483648.0]);
    assert_eq!(
        apply(Op::Unary(UnaryOp::Neg), std::slice::from_ref(&min)).data,
        vec![-2147483648.0]
    );
    assert_eq!(
        apply(Op::Unary(UnaryOp::Abs), &[min]).data,
        vec![-2147483648.0]
    );
}

#[test]
fn integer_division_truncates_and_defines_zero_divisors() {
    let a = arr(DType::I32, &[5], &[7.0, -7.0, 7.0, 5.0, -2147483648.0]);
    let b = arr(DType::I32, &[5], &[2.0, 2.0, -2.0, 0.0, -1.0]);
    let out = apply(Op::Binary(BinaryOp::Div), &[a, b]);
    assert_eq!(out.data, vec![3.0, -3.0, -3.0, -1.0, -2147483648.0]);
}

#[test]
fn float_binary_ops() {
    let a = f32a(&[4], &[1.0, -2.0, f64::NAN, 0.0]);
    let b = f32a(&[4], &[3.0, 0.5, 1.0, -0.0]);
    let r = |op| apply(Op::Binary(op), &[a.clone(), b.clone()]).data;
    assert_eq!(r(BinaryOp::Sub)[..2], [-2.0, -2.5]);
    assert_eq!(r(BinaryOp::Div)[..2], [(1.0f32 / 3.0) as f64, -4.0]);
    let max = r(BinaryOp::Max);
    assert_eq!(max[..2], [3.0, 0.5]);
    assert!(max[2].is_nan());
    assert!(max[3] == 0.0 && max[3].is_sign_positive());
    let min = r(BinaryOp::Min);
    assert!(min[2].is_nan() && min[3].is_sign_negative());
    let pow = r(BinaryOp::Pow);
    assert!(pow[0] == 1.0 && pow[1].is_nan());
}

#[test]
fn unary_float_functions() {
    let x = arr(DType::F64, &[3], &[0.0, 1.0, 4.0]);
    let r = |op| apply(Op::Unary(op), std::slice::from_ref(&x)).data;
    assert_eq!(r(UnaryOp::Exp), vec![1.0, 1f64.exp(), 4f64.exp()]);
    assert_eq!(r(UnaryOp::Sqrt), vec![0.0, 1.0, 2.0]);
    assert_eq!(r(UnaryOp::Rsqrt), vec![f64::INFINITY, 1.0, 0.5]);
    assert_eq!(r(UnaryOp::Logistic)[0], 0.5);
    assert_eq!(r(UnaryOp::Log)[0], f64::NEG_INFINITY);
    assert_eq!(r(UnaryOp::Tanh)[1], 1f64.tanh());
    assert_eq!(r(UnaryOp::Sin)[1], 1f64.sin());
    assert_eq!(r(UnaryOp::Cos)[0], 1.0);
    assert_eq!(r(UnaryOp::Neg)[1], -1.0);
    let y = f32a(&[1], &[0.1]);
    let out = apply(Op::Unary(UnaryOp::Exp), &[y]).data[0];
    assert_eq!(
        out,
        (0.1f32 as f64).exp() as f32 as f64,
        "computed in f64 then rounded"
    );
}

#[test]
fn compare_and_select() {
    let a = f32a(&[3], &[1.0, 2.0, f64::NAN]);
    let b = f32a(&[3], &[2.0, 2.0, f64::NAN]);
    let cmp = |d| apply(Op::Compare(d), &[a.clone(), b.clone()]).data;
    assert_eq!(cmp(CmpDir::Lt), vec![1.0, 0.0, 0.0]);
    assert_eq!(cmp(CmpDir::Le), vec![1.0, 1.0, 0.0]);
    assert_eq!(cmp(CmpDir::Eq), vec![0.0, 1.0, 0.0]);
    assert_eq!(cmp(CmpDir::Ne), vec![1.0, 0.0, 1.0]);
    assert_eq!(cmp(CmpDir::Gt), vec![0.0, 0.0, 0.0]);
    assert_eq!(cmp(CmpDir::Ge), vec![0.0, 1.0, 0.0]);
    let p = arr(DType::Bool, &[3], &[1.0, 0.0, 1.0]);
    let out = apply(
        Op::Select,
        &[
            p,
            f32a(&[3], &[1.0, 2.0, 3.0]),
            f32a(&[3], &[4.0, 5.0, 6.0]),
        ],
    );
    assert_eq!(out.data, vec![1.0, 5.0, 3.0]);
}

#[test]
fn convert_truncates_saturates_and_maps_nan_to_zero() {
    let x = f32a(&[6], &[2.7, -2.7, f64::NAN, 3e9, -3e9, 0.5]);
    let out = apply(Op::Convert { to: DType::I32 }, std::slice::from_ref(&x));
    assert_eq!(
        out.data,
        vec![2.0, -2.0, 0.0, 2147483647.0, -2147483648.0, 0.0]
    );
    let out = apply(Op::Convert { to: DType::Bool }, &[x]);
    assert_eq!(out.data, vec![1.0; 6]);
    let i = arr(DType::I64, &[2], &[3e9, -1.0]);
    assert_eq!(
        apply(Op::Convert { to: DType::I32 }, &[i]).data,
        vec![-1294967296.0, -1.0]
    );
    assert_eq!(convert(DType::F64, DType::BF16, 1.0 / 3.0), 0.333984375);
    assert_eq!(convert(DType::Bool, DType::F32, 1.0), 1.0);
}

#[test]
fn constants_and_iota() {
    let mut b = B::new();
    let c = b.op(
        Op::Constant {
            value: Literal::Dense(vec![1.5, -1.5, 1.0 / 3.0]),
            ty: t(DType::I32, &[3]),
        },
        &[],
    );
    assert_eq!(b.run(c, &[]).data, vec![1.0, -1.0, 0.0]);
    let mut b = B::new();
    let c = b.op(
        Op::Constant {
            value: Literal::Splat(1.0 / 3.0),
            ty: t(DType::BF16, &[2]),
        },
        &[],
    );
    assert_eq!(b.run(c, &[]).data, vec![0.333984375; 2]);
    let mut b = B::new();
    let i = b.op(
        Op::Iota {
            dim: 1,
            ty: t(DType::F32, &[2, 3]),
        },
        &[],
    );
    assert_eq!(b.run(i, &[]).data, vec![0.0, 1.0, 2.0, 0.0, 1.0, 2.0]);
    let a = Array::from_fn(t(DType::I64, &[2, 2]), |idx| (idx[0] * 10 + idx[1]) as f64);
    assert_eq!(a.get(&[1, 1]), Some(11.0));
    assert_eq!(a.get(&[2, 0]), None);
}
