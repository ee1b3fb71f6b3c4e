//! Hand-computed and naive-loop cases for `dot_general`.

mod common;
use common::*;
use flash_interp::Array;
use flash_ir::{DType, DotDims, Op};

fn dims(lb: &[usize], rb: &[usize], lc: &[usize], rc: &[usize], out: DType) -> Op {
    Op::DotGeneral(DotDims {
        lhs_batch: lb.to_vec(),
        rhs_batch: rb.to_vec(),
        lhs_contract: lc.to_vec(),
        rhs_contract: rc.to_vec(),
        out,
    })
}

#[test]
fn matmul_2x3_by_3x2() {
    let a = f32a(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let b = f32a(&[3, 2], &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0]);
    let out = apply(dims(&[], &[], &[1], &[0], DType::F32), &[a, b]);
    assert_eq!(out.shape(), &[2, 2]);
    assert_eq!(out.data, vec![58.0, 64.0, 139.0, 154.0]);
}

#[test]
fn contracting_the_leading_dims_gives_a_transposed_product() {
    let a = f32a(&[3, 2], &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]); // the 2x3 above, transposed
    let b = f32a(&[3, 2], &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0]);
    let out = apply(dims(&[], &[], &[0], &[0], DType::F32), &[a, b]);
    assert_eq!(out.data, vec![58.0, 64.0, 139.0, 154.0]);
}

#[test]
fn batch_dims_and_two_contracting_dims_match_naive_loops() {
    // lhs [c0=2, b=3, m=4, c1=5], rhs [c1=5, n=2, b=3, c0=2]; result [b, m, n].
    let l = Array::from_fn(t(DType::F64, &[2, 3, 4, 5]), |i| {
        (i[0] + 2 * i[1] + 3 * i[2]) as f64 - 0.5 * i[3] as f64
    });
    let r = Array::from_fn(t(DType::F64, &[5, 2, 3, 2]), |i| {
        (i[0] * i[1]) as f64 + 0.25 * (i[2] + i[3]) as f64
    });
    let out = apply(
        dims(&[1], &[2], &[0, 3], &[3, 0], DType::F64),
        &[l.clone(), r.clone()],
    );
    assert_eq!(out.shape(), &[3, 4, 2]);
    for b in 0..3 {
        for m in 0..4 {
            for n in 0..2 {
                let mut s = 0.0;
                for c0 in 0..2 {
                    for c1 in 0..5 {
                        s += l.get(&[c0, b, m, c1]).unwrap() * r.get(&[c1, n, b, c0]).unwrap();
                    }
                }
                assert_eq!(out.get(&[b, m, n]), Some(s), "at {b},{m},{n}");
            }
        }
    }
}

#[test]
fn bf16_dot_accumulates_in_f64_and_rounds_once() {
    let tiny = 2f64.powi(-9);
    let a = arr(DType::BF16, &[1, 4], &[1.0, tiny, tiny, tiny]);
    let b = arr(DType::BF16, &[4, 1], &[1.0; 4]);
    let out = apply(
        dims(&[], &[], &[1], &[0], DType::BF16),
        &[a.clone(), b.clone()],
    );
    assert_eq!(out.data, vec![1.0 + 4.0 * tiny]);
    let out = apply(dims(&[], &[], &[1], &[0], DType::F32), &[a, b]);
    assert_eq!(out.data, vec![1.0 + 3.0 * tiny]);
}

#[test]
fn integer_dot_wraps_exactly() {
    let a = arr(DType::I32, &[1, 2], &[65536.0, 65536.0]);
    let b = arr(DType::I32, &[2, 1], &[65536.0, 1.0]);
    let out = apply(
        dims(&[], &[], &[1], &[0], DType::I32),
        &[a.clone(), b.clone()],
    );
    assert_eq!(out.data, vec![65536.0]); // 2^32 wraps to 0, plus 2^16
    let out = apply(dims(&[], &[], &[1], &[0], DType::I64), &[a, b]);
    assert_eq!(out.data, vec![4294967296.0 + 65536.0]);
}
