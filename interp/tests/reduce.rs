//! Hand-computed cases for `reduce`, `reduce_window` and `cumsum`.

mod common;
use common::*;
use flash_ir::{DType, Op, ReduceKind};

fn x23() -> flash_interp::Array {
    f32a(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
}

#[test]
fn reduce_sum_and_max() {
    let sum = |dims: Vec<usize>| {
        apply(
            Op::Reduce {
                kind: ReduceKind::Sum,
                dims,
            },
            &[x23()],
        )
    };
    assert_eq!(sum(vec![1]).data, vec![6.0, 15.0]);
    assert_eq!(sum(vec![0]).data, vec![5.0, 7.0, 9.0]);
    assert_eq!(sum(vec![0, 1]).data, vec![21.0]);
    assert_eq!(sum(vec![]).data, x23().data);
    let max = apply(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0, 1],
        },
        &[x23()],
    );
    assert_eq!(max.data, vec![6.0]);
    let empty = f32a(&[0, 2], &[]);
    let max = apply(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0],
        },
        &[empty],
    );
    assert_eq!(max.data, vec![f64::NEG_INFINITY; 2]);
}

#[test]
fn reduce_propagates_nan_and_rounds_the_sum_once() {
    let x = f32a(&[3], &[1.0, f64::NAN, 3.0]);
    let max = apply(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0],
        },
        &[x],
    );
    assert!(max.data[0].is_nan());
    // 1 + 3 * 2^-9 rounds up to 1 + 2^-7 in bf16; rounding after each add would stay at 1.
    let tiny = 2f64.powi(-9);
    let x = arr(DType::BF16, &[4], &[1.0, tiny, tiny, tiny]);
    let s = apply(
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![0],
        },
        &[x],
    );
    assert_eq!(s.data, vec![1.0 + 4.0 * tiny]);
}

#[test]
fn integer_sums_wrap_exactly() {
    let x = arr(DType::I32, &[3], &[2147483647.0, 2147483647.0, 2.0]);
    let s = apply(
        Op::Reduce {
            kind: ReduceKind::Sum,
            dims: vec![0],
        },
        &[x],
    );
    assert_eq!(s.data, vec![0.0]);
    let x = arr(DType::I32, &[2], &[-5.0, -7.0]);
    let m = apply(
        Op::Reduce {
            kind: ReduceKind::Max,
            dims: vec![0],
        },
        &[x],
    );
    assert_eq!(m.data, vec![-5.0]);
}

#[test]
fn reduce_window_prefix_sum() {
    let x = f32a(&[4], &[1.0, 2.0, 3.0, 4.0]);
    let op = Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window: vec![4],
        strides: vec![1],
        padding: vec![(3, 0)],
    };
    assert_eq!(apply(op, &[x]).data, vec![1.0, 3.0, 6.0, 10.0]);
}

#[test]
fn reduce_window_strided_max_2d() {
    let x = f32a(&[2, 4], &[1.0, 5.0, 2.0, 0.0, 3.0, 4.0, -1.0, 7.0]);
    let op = Op::ReduceWindow {
        kind: ReduceKind::Max,
        window: vec![2, 2],
        strides: vec![1, 2],
        padding: vec![(0, 1), (0, 0)],
    };
    let out = apply(op, &[x]);
    assert_eq!(out.shape(), &[2, 2]);
    assert_eq!(out.data, vec![5.0, 7.0, 4.0, 7.0]);
}

#[test]
fn cumsum_variants() {
    let x = f32a(&[4], &[1.0, 2.0, 3.0, 4.0]);
    let cs = |exclusive, reverse| {
        apply(
            Op::Cumsum {
                dim: 0,
                exclusive,
                reverse,
            },
            std::slice::from_ref(&x),
        )
        .data
    };
    assert_eq!(cs(false, false), vec![1.0, 3.0, 6.0, 10.0]);
    assert_eq!(cs(true, false), vec![0.0, 1.0, 3.0, 6.0]);
    assert_eq!(cs(false, true), vec![10.0, 9.0, 7.0, 4.0]);
    assert_eq!(cs(true, true), vec![9.0, 7.0, 4.0, 0.0]);
}

#[test]
fn exclusive_reverse_cumsum_along_dim_0_of_a_matrix() {
    let out = apply(
        Op::Cumsum {
            dim: 0,
            exclusive: true,
            reverse: true,
        },
        &[x23()],
    );
    assert_eq!(out.data, vec![4.0, 5.0, 6.0, 0.0, 0.0, 0.0]);
    let out = apply(
        Op::Cumsum {
            dim: 1,
            exclusive: true,
            reverse: true,
        },
        &[x23()],
    );
    assert_eq!(out.data, vec![5.0, 3.0, 0.0, 11.0, 6.0, 0.0]);
}
