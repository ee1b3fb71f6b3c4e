//! Hand-computed cases for the data-movement ops and `gather`.

mod common;
use common::*;
use flash_ir::{DType, Op};

fn x23() -> flash_interp::Array {
    f32a(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
}

#[test]
fn transpose_2x3() {
    let out = apply(Op::Transpose { perm: vec![1, 0] }, &[x23()]);
    assert_eq!(out.shape(), &[3, 2]);
    assert_eq!(out.data, vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
}

#[test]
fn transpose_rank3_matches_get() {
    let x = flash_interp::Array::from_fn(t(DType::F64, &[2, 3, 4]), |i| {
        (i[0] * 100 + i[1] * 10 + i[2]) as f64
    });
    let out = apply(
        Op::Transpose {
            perm: vec![2, 0, 1],
        },
        std::slice::from_ref(&x),
    );
    assert_eq!(out.shape(), &[4, 2, 3]);
    for (a, b, c) in [(0, 0, 0), (3, 1, 2), (2, 0, 1)] {
        assert_eq!(out.get(&[a, b, c]), x.get(&[b, c, a]));
    }
}

#[test]
fn broadcast_in_dim_maps_dims_and_expands_ones() {
    let row = f32a(&[3], &[1.0, 2.0, 3.0]);
    let out = apply(
        Op::BroadcastInDim {
            shape: vec![2, 3],
            dims: vec![1],
        },
        &[row],
    );
    assert_eq!(out.data, vec![1.0, 2.0, 3.0, 1.0, 2.0, 3.0]);
    let col = f32a(&[2, 1], &[1.0, 2.0]);
    let out = apply(
        Op::BroadcastInDim {
            shape: vec![2, 3],
            dims: vec![0, 1],
        },
        &[col],
    );
    assert_eq!(out.data, vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    let s = f32a(&[], &[7.0]);
    let out = apply(
        Op::BroadcastInDim {
            shape: vec![2, 2],
            dims: vec![],
        },
        &[s],
    );
    assert_eq!(out.data, vec![7.0; 4]);
}

#[test]
fn reshape_keeps_row_major_order() {
    let out = apply(Op::Reshape { shape: vec![3, 2] }, &[x23()]);
    assert_eq!(out.shape(), &[3, 2]);
    assert_eq!(out.get(&[1, 0]), Some(3.0));
}

#[test]
fn strided_slice() {
    let x = f32a(&[2, 5], &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    let op = Op::Slice {
        start: vec![1, 1],
        limit: vec![2, 5],
        stride: vec![1, 2],
    };
    let out = apply(op, &[x]);
    assert_eq!(out.shape(), &[1, 2]);
    assert_eq!(out.data, vec![6.0, 8.0]);
}

#[test]
fn concatenate_along_dim_1() {
    let a = f32a(&[2, 1], &[1.0, 2.0]);
    let b = f32a(&[2, 2], &[3.0, 4.0, 5.0, 6.0]);
    let out = apply(Op::Concatenate { dim: 1 }, &[a, b]);
    assert_eq!(out.data, vec![1.0, 3.0, 4.0, 2.0, 5.0, 6.0]);
}

#[test]
fn pad_with_negative_crop_and_interior() {
    let x = f32a(&[3], &[1.0, 2.0, 3.0]);
    let op = Op::Pad {
        low: vec![-1],
        high: vec![2],
        interior: vec![1],
    };
    let out = apply(op, &[x, f32a(&[], &[9.0])]);
    assert_eq!(out.data, vec![9.0, 2.0, 9.0, 3.0, 9.0, 9.0]);
    let op = Op::Pad {
        low: vec![1, -1],
        high: vec![0, -1],
        interior: vec![0, 1],
    };
    let out = apply(op, &[x23(), f32a(&[], &[9.0])]);
    assert_eq!(out.shape(), &[3, 3]);
    assert_eq!(out.data, vec![9.0, 9.0, 9.0, 9.0, 2.0, 9.0, 9.0, 5.0, 9.0]);
}

#[test]
fn gather_clamps_indices() {
    let table = f32a(&[3, 2], &[0.0, 1.0, 10.0, 11.0, 20.0, 21.0]);
    let idx = arr(DType::I32, &[2, 2], &[-5.0, 1.0, 2.0, 99.0]);
    let out = apply(Op::Gather, &[table, idx]);
    assert_eq!(out.shape(), &[2, 2, 2]);
    assert_eq!(out.data, vec![0.0, 1.0, 10.0, 11.0, 20.0, 21.0, 20.0, 21.0]);
}
