//! Finite-difference checks of every VJP rule of `flash_passes::autodiff`: each op applied
//! to f64 parameters, loss `sum(out * w)` for fixed random `w`, `<grad, d>` compared with a
//! central difference along random directions `d` (h = 1e-6, relative tolerance 1e-6).
//! Inputs stay away from non-differentiable points (abs at 0, max ties, log of <= 0).

mod autodiff_support;

use autodiff_support::{
    away_from_zero, check_fd_with, check_op, f64t, gradients, loss_graph, uniform,
};
use flash_interp::Array;
use flash_ir::{
    BinaryOp, ChunkAttention, CmpDir, DType, DotDims, LinearNorm, Op, ReduceKind, ScoreFn,
    TensorType, UnaryOp,
};
use flash_passes::autodiff::{grad, AutodiffError};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

fn unary_case(u: UnaryOp, x: Array) {
    let ty = x.ty.clone();
    check_op(&[("x", ty)], Some(vec![x]), |b, p| b.unary(u, p[0]));
}

#[test]
fn neg_rule_matches_finite_differences() {
    unary_case(UnaryOp::Neg, uniform(&f64t(&[2, 3]), -2.0, 2.0, 1));
}

#[test]
fn abs_rule_matches_finite_differences_away_from_zero() {
    unary_case(UnaryOp::Abs, away_from_zero(&f64t(&[2, 3]), 0.1, 2.0, 2));
}

#[test]
fn abs_gradient_at_zero_is_zero() {
    let g = loss_graph(&[("x", f64t(&[3]))], |b, p| b.unary(UnaryOp::Abs, p[0]));
    let x = Array::new(f64t(&[3]), vec![-1.0, 0.0, 2.0]).unwrap();
    let gx = &gradients(&g, &[x], &[0])[0];
    assert_eq!(gx.data[1], 0.0);
    assert!(gx.data[0] != 0.0 && gx.data[2] != 0.0);
}

#[test]
fn exp_rule_matches_finite_differences() {
    unary_case(UnaryOp::Exp, uniform(&f64t(&[2, 3]), -2.0, 2.0, 3));
}

#[test]
fn log_rule_matches_finite_differences() {
    unary_case(UnaryOp::Log, uniform(&f64t(&[2, 3]), 0.2, 3.0, 4));
}

#[test]
fn tanh_rule_matches_finite_differences() {
    unary_case(UnaryOp::Tanh, uniform(&f64t(&[2, 3]), -2.0, 2.0, 5));
}

#[test]
fn logistic_rule_matches_finite_differences() {
    unary_case(UnaryOp::Logistic, uniform(&f64t(&[2, 3]), -3.0, 3.0, 6));
}

#[test]
fn sqrt_rule_matches_finite_differences() {
    unary_case(UnaryOp::Sqrt, uniform(&f64t(&[2, 3]), 0.2, 3.0, 7));
}

#[test]
fn rsqrt_rule_matches_finite_differences() {
    unary_case(UnaryOp::Rsqrt, uniform(&f64t(&[2, 3]), 0.2, 3.0, 8));
}

#[test]
fn sin_rule_matches_finite_differences() {
    unary_case(UnaryOp::Sin, uniform(&f64t(&[2, 3]), -3.0, 3.0, 9));
}

#[test]
fn cos_rule_matches_finite_differences() {
    unary_case(UnaryOp::Cos, uniform(&f64t(&[2, 3]), -3.0, 3.0, 10));
}

fn binary_case(op: BinaryOp, a: Array, b: Array) {
    let ty = a.ty.clone();
    check_op(
        &[("a", ty.clone()), ("b", ty)],
        Some(vec![a, b]),
        |bd, p| bd.binary(op, p[0], p[1]),
    );
}

#[test]
fn add_sub_mul_rules_match_finite_differences() {
    for (k, op) in [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul]
        .into_iter()
        .enumerate()
    {
        let t = f64t(&[3, 2]);
        binary_case(
            op,
            uniform(&t, -2.0, 2.0, 20 + k as u64),
            uniform(&t, -2.0, 2.0, 30 + k as u64),
        );
    }
}

#[test]
fn div_rule_matches_finite_differences() {
    let t = f64t(&[3, 2]);
    binary_case(
        BinaryOp::Div,
        uniform(&t, -2.0, 2.0, 11),
        away_from_zero(&t, 0.5, 2.0, 12),
    );
}

#[test]
fn max_and_min_rules_match_finite_differences_without_ties() {
    let t = f64t(&[4, 3]);
    binary_case(
        BinaryOp::Max,
        uniform(&t, -2.0, 2.0, 13),
        uniform(&t, -2.0, 2.0, 14),
    );
    binary_case(
        BinaryOp::Min,
        uniform(&t, -2.0, 2.0, 15),
        uniform(&t, -2.0, 2.0, 16),
    );
}

#[test]
fn max_and_min_ties_send_the_whole_gradient_to_the_first_operand() {
    for op in [BinaryOp::Max, BinaryOp::Min] {
        let g = loss_graph(&[("a", f64t(&[2])), ("b", f64t(&[2]))], |b, p| {
            b.binary(op, p[0], p[1])
        });
        let x = Array::new(f64t(&[2]), vec![1.5, -0.5]).unwrap();
        let grads = gradients(&g, &[x.clone(), x], &[0, 1]);
        assert!(
            grads[0].data.iter().all(|v| *v != 0.0),
            "{op:?}: {:?}",
            grads[0].data
        );
        assert_eq!(grads[1].data, vec![0.0, 0.0], "{op:?}");
    }
}

#[test]
fn pow_rule_matches_finite_differences_in_base_and_exponent() {
    let t = f64t(&[2, 3]);
    binary_case(
        BinaryOp::Pow,
        uniform(&t, 0.3, 2.5, 17),
        uniform(&t, -2.0, 2.0, 18),
    );
}

#[test]
fn pow_of_a_negative_base_with_a_constant_integer_exponent_is_differentiable() {
    let t = f64t(&[4]);
    let g = loss_graph(&[("a", t.clone())], |b, p| {
        let e = b.splat(3.0, t.clone())?;
        b.binary(BinaryOp::Pow, p[0], e)
    });
    check_fd_with(&g, &[away_from_zero(&t, 0.3, 2.0, 19)], &[0], 1e-6, 1e-6);
}

#[test]
fn pow_guards_give_finite_gradients_at_a_zero_base_and_zero_exponent() {
    let t = f64t(&[3]);
    let g = loss_graph(&[("a", t.clone()), ("e", t.clone())], |b, p| {
        b.binary(BinaryOp::Pow, p[0], p[1])
    });
    let a = Array::new(t.clone(), vec![0.0, -1.5, 0.0]).unwrap();
    let e = Array::new(t, vec![2.0, 2.0, 0.0]).unwrap();
    let grads = gradients(&g, &[a, e], &[0, 1]);
    assert!(
        grads.iter().flat_map(|g| &g.data).all(|v| v.is_finite()),
        "{grads:?}"
    );
    assert_eq!(grads[0].data[0], 0.0);
    assert_eq!(grads[1].data, vec![0.0, 0.0, 0.0]);
}

#[test]
fn select_rule_routes_to_both_branches_and_not_to_the_compared_values() {
    let t = f64t(&[3, 4]);
    let params = [
        ("x", t.clone()),
        ("y", t.clone()),
        ("a", t.clone()),
        ("c", t.clone()),
    ];
    check_op(&params, None, |b, p| {
        let pred = b.compare(CmpDir::Lt, p[2], p[3])?;
        b.select(pred, p[0], p[1])
    });
}

#[test]
fn compare_gives_no_gradient_to_its_operands() {
    let t = f64t(&[3]);
    let g = loss_graph(&[("x", t.clone())], |b, p| {
        let z = b.splat(0.0, t.clone())?;
        let pred = b.compare(CmpDir::Gt, p[0], z)?;
        b.convert(pred, DType::F64)
    });
    let grads = gradients(&g, &[uniform(&t, -1.0, 1.0, 1)], &[0]);
    assert_eq!(grads[0].data, vec![0.0; 3]);
}

#[test]
fn convert_rule_matches_finite_differences() {
    let t = f64t(&[2, 2]);
    check_op(&[("x", t)], None, |b, p| {
        let y = b.op(Op::Convert { to: DType::F64 }, vec![p[0]])?;
        b.mul(y, y)
    });
}

#[test]
fn convert_through_f32_converts_the_cotangent_back() {
    let t = f64t(&[3]);
    let g = loss_graph(&[("x", t.clone())], |b, p| {
        let lo = b.convert(p[0], DType::F32)?;
        b.convert(lo, DType::F64)
    });
    let grads = gradients(&g, &[uniform(&t, -1.0, 1.0, 2)], &[0]);
    let w = uniform(&t, -1.0, 1.0, 7);
    let want: Vec<f64> = w.data.iter().map(|v| *v as f32 as f64).collect();
    assert_eq!(grads[0].data, want);
}

#[test]
fn broadcast_in_dim_rule_sums_new_and_expanded_dims() {
    check_op(&[("x", f64t(&[3, 1]))], None, |b, p| {
        b.broadcast_in_dim(p[0], &[2, 3, 4], &[1, 2])
    });
    check_op(&[("s", f64t(&[]))], None, |b, p| {
        b.broadcast_in_dim(p[0], &[2, 3], &[])
    });
    check_op(&[("x", f64t(&[1, 3]))], None, |b, p| {
        b.broadcast_in_dim(p[0], &[1, 3, 2], &[0, 1])
    });
}

#[test]
fn reshape_rule_matches_finite_differences() {
    check_op(&[("x", f64t(&[2, 6]))], None, |b, p| {
        b.reshape(p[0], &[3, 1, 4])
    });
}

#[test]
fn transpose_rule_uses_the_inverse_permutation() {
    check_op(&[("x", f64t(&[2, 3, 4]))], None, |b, p| {
        b.transpose(p[0], &[2, 0, 1])
    });
}

#[test]
fn slice_rule_pads_strided_slices_with_zeros() {
    check_op(&[("x", f64t(&[7, 5]))], None, |b, p| {
        b.slice(p[0], &[1, 0], &[6, 5], &[2, 3])
    });
    check_op(&[("x", f64t(&[6]))], None, |b, p| {
        b.slice_dim(p[0], 0, 2, 4)
    });
}

#[test]
fn dynamic_slice_rule_writes_the_cotangent_back_at_the_clamped_start() {
    for (i, j) in [(1.0, 2.0), (5.0, -4.0)] {
        check_op(&[("x", f64t(&[4, 5]))], None, |b, p| {
            let (i, j) = (b.scalar(i, DType::I32)?, b.scalar(j, DType::I32)?);
            b.op(Op::DynamicSlice { sizes: vec![2, 3] }, vec![p[0], i, j])
        });
    }
}

#[test]
fn dynamic_update_slice_rule_splits_the_cotangent_between_operand_and_update() {
    let params = [("x", f64t(&[4, 5])), ("u", f64t(&[3, 2]))];
    for (i, j) in [(0.0, 1.0), (7.0, 4.0)] {
        check_op(&params, None, |b, p| {
            let (i, j) = (b.scalar(i, DType::I64)?, b.scalar(j, DType::I64)?);
            let w = b.op(Op::DynamicUpdateSlice, vec![p[0], p[1], i, j])?;
            b.mul(w, p[0])
        });
    }
}

#[test]
fn concatenate_rule_slices_each_operand_back() {
    let params = [
        ("a", f64t(&[2, 1])),
        ("b", f64t(&[2, 3])),
        ("c", f64t(&[2, 2])),
    ];
    check_op(&params, None, |b, p| {
        b.concat(vec![p[0], p[1], p[2], p[1]], 1)
    });
}

#[test]
fn pad_rule_handles_interior_and_the_padding_value() {
    let params = [("x", f64t(&[3, 2])), ("v", f64t(&[]))];
    check_op(&params, None, |b, p| {
        let op = Op::Pad {
            low: vec![1, 0],
            high: vec![2, 1],
            interior: vec![1, 2],
        };
        b.op(op, vec![p[0], p[1]])
    });
}

#[test]
fn pad_rule_handles_negative_padding() {
    let params = [("x", f64t(&[5, 4])), ("v", f64t(&[]))];
    check_op(&params, None, |b, p| {
        let op = Op::Pad {
            low: vec![-2, 1],
            high: vec![1, -3],
            interior: vec![1, 0],
        };
        b.op(op, vec![p[0], p[1]])
    });
}

#[test]
fn reduce_sum_rule_broadcasts_back() {
    check_op(&[("x", f64t(&[2, 3, 4]))], None, |b, p| {
        b.reduce_sum(p[0], &[0, 2])
    });
    check_op(&[("x", f64t(&[2, 3]))], None, |b, p| {
        b.reduce_sum(p[0], &[0, 1])
    });
}

#[test]
fn reduce_max_rule_matches_finite_differences_without_ties() {
    check_op(&[("x", f64t(&[3, 4, 2]))], None, |b, p| {
        b.reduce_max(p[0], &[1])
    });
}

#[test]
fn reduce_max_ties_share_the_gradient_evenly() {
    let g = loss_graph(&[("x", f64t(&[4]))], |b, p| b.reduce_max(p[0], &[0]));
    let x = Array::new(f64t(&[4]), vec![1.0, 3.0, -2.0, 3.0]).unwrap();
    let gx = &gradients(&g, &[x], &[0])[0];
    let w = uniform(&f64t(&[]), -1.0, 1.0, 7).data[0];
    assert_eq!(gx.data, vec![0.0, w / 2.0, 0.0, w / 2.0]);
}

fn reduce_window(window: &[usize], strides: &[usize], padding: &[(usize, usize)]) -> Op {
    Op::ReduceWindow {
        kind: ReduceKind::Sum,
        window: window.to_vec(),
        strides: strides.to_vec(),
        padding: padding.to_vec(),
    }
}

#[test]
fn reduce_window_sum_rule_handles_the_stride_1_cumsum_windows() {
    check_op(&[("x", f64t(&[2, 5]))], None, |b, p| {
        b.op(
            reduce_window(&[1, 5], &[1, 1], &[(0, 0), (4, 0)]),
            vec![p[0]],
        )
    });
    check_op(&[("x", f64t(&[5, 2]))], None, |b, p| {
        b.op(
            reduce_window(&[5, 1], &[1, 1], &[(0, 4), (0, 0)]),
            vec![p[0]],
        )
    });
}

#[test]
fn reduce_window_sum_rule_handles_strides_and_uneven_padding() {
    let op = reduce_window(&[3, 2], &[2, 3], &[(1, 2), (0, 1)]);
    check_op(&[("x", f64t(&[7, 6]))], None, |b, p| b.op(op, vec![p[0]]));
    let op = reduce_window(&[2], &[3], &[(0, 0)]);
    check_op(&[("x", f64t(&[8]))], None, |b, p| b.op(op, vec![p[0]]));
}

#[test]
fn reduce_window_max_is_unsupported_and_names_the_op() {
    let g = loss_graph(&[("x", f64t(&[4]))], |b, p| {
        let op = Op::ReduceWindow {
            kind: ReduceKind::Max,
            window: vec![2],
            strides: vec![2],
            padding: vec![(0, 0)],
        };
        b.op(op, vec![p[0]])
    });
    let err = grad(&g, &[0]).unwrap_err();
    assert!(
        matches!(
            err,
            AutodiffError::Unsupported {
                op: "reduce_window",
                node: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("reduce_window"), "{err}");
}

fn dot(lb: &[usize], rb: &[usize], lc: &[usize], rc: &[usize], out: DType) -> DotDims {
    DotDims {
        lhs_batch: lb.to_vec(),
        rhs_batch: rb.to_vec(),
        lhs_contract: lc.to_vec(),
        rhs_contract: rc.to_vec(),
        out,
    }
}

#[test]
fn dot_general_rule_matches_finite_differences_for_a_matmul() {
    let params = [("a", f64t(&[3, 4])), ("b", f64t(&[4, 2]))];
    check_op(&params, None, |b, p| {
        b.dot_general(p[0], p[1], dot(&[], &[], &[1], &[0], DType::F64))
    });
}

#[test]
fn dot_general_rule_restores_dim_order_with_scattered_batch_and_contract_dims() {
    // lhs [c0=2, b0=3, f=4, c1=5], rhs [c1=5, f=2, b0=3, c0=2]
    let params = [("a", f64t(&[2, 3, 4, 5])), ("b", f64t(&[5, 2, 3, 2]))];
    let dims = dot(&[1], &[2], &[0, 3], &[3, 0], DType::F64);
    check_op(&params, None, |b, p| b.dot_general(p[0], p[1], dims));
}

#[test]
fn dot_general_rule_handles_inner_and_outer_products() {
    let params = [("a", f64t(&[4])), ("b", f64t(&[4]))];
    check_op(&params, None, |b, p| {
        b.dot_general(p[0], p[1], dot(&[], &[], &[0], &[0], DType::F64))
    });
    let params = [("a", f64t(&[3])), ("b", f64t(&[2, 2]))];
    check_op(&params, None, |b, p| {
        b.dot_general(p[0], p[1], dot(&[], &[], &[], &[], DType::F64))
    });
}

#[test]
fn dot_general_rule_handles_several_batch_dims() {
    let params = [("a", f64t(&[2, 3, 4, 5])), ("b", f64t(&[2, 3, 5, 2]))];
    check_op(&params, None, |b, p| b.matmul_batched(p[0], p[1], 2));
}

/// A random `dot_general` configuration: `(lhs shape, rhs shape, dims)` with up to two dims
/// of each role (batch, contract, lhs free, rhs free) placed at random positions.
fn random_dot(rng: &mut StdRng) -> (Vec<usize>, Vec<usize>, DotDims) {
    let counts: Vec<usize> = (0..4).map(|_| rng.gen_range(0..=2)).collect();
    // Role dims: (role, index within role, size).
    let mut roles = Vec::new();
    for (role, &n) in counts.iter().enumerate() {
        for i in 0..n {
            roles.push((role, i, rng.gen_range(1..=3)));
        }
    }
    let mut lhs: Vec<_> = roles.iter().copied().filter(|r| r.0 != 3).collect();
    let mut rhs: Vec<_> = roles.iter().copied().filter(|r| r.0 != 2).collect();
    lhs.shuffle(rng);
    rhs.shuffle(rng);
    let pos = |side: &[(usize, usize, usize)], role, i| {
        side.iter().position(|r| r.0 == role && r.1 == i).unwrap()
    };
    let pairs = |role: usize| -> (Vec<usize>, Vec<usize>) {
        (0..counts[role])
            .map(|i| (pos(&lhs, role, i), pos(&rhs, role, i)))
            .unzip()
    };
    let ((lb, rb), (lc, rc)) = (pairs(0), pairs(1));
    let shape = |side: &[(usize, usize, usize)]| side.iter().map(|r| r.2).collect();
    (
        shape(&lhs),
        shape(&rhs),
        dot(&lb, &rb, &lc, &rc, DType::F64),
    )
}

#[test]
fn dot_general_rule_matches_finite_differences_for_random_dim_layouts() {
    let mut rng = StdRng::seed_from_u64(42);
    for _ in 0..40 {
        let (ls, rs, dims) = random_dot(&mut rng);
        let params = [("a", f64t(&ls)), ("b", f64t(&rs))];
        check_op(&params, None, |b, p| b.dot_general(p[0], p[1], dims));
    }
}

#[test]
fn dot_general_rule_converts_between_operand_and_result_dtypes() {
    let t = TensorType::new(DType::F32, [3, 4]);
    let u = TensorType::new(DType::F32, [4, 2]);
    let g = loss_graph(&[("a", t.clone()), ("b", u.clone())], |b, p| {
        b.dot_general(p[0], p[1], dot(&[], &[], &[1], &[0], DType::F64))
    });
    let xs = vec![uniform(&t, -1.0, 1.0, 3), uniform(&u, -1.0, 1.0, 4)];
    check_fd_with(&g, &xs, &[0, 1], 1e-2, 1e-4);
}

#[test]
fn gather_rule_scatter_adds_rows_including_repeated_and_clamped_indices() {
    let idx_ty = TensorType::new(DType::I32, [5]);
    let idx = vec![2.0, 0.0, 2.0, 9.0, -3.0];
    let params = [("table", f64t(&[4, 3]))];
    check_op(&params, None, |b, p| {
        let i = b.dense(idx, idx_ty)?;
        b.gather(p[0], i)
    });
}

#[test]
fn gather_rule_handles_rank_2_indices_and_a_rank_3_table() {
    let idx_ty = TensorType::new(DType::I64, [2, 3]);
    let params = [("table", f64t(&[5, 2, 2])), ("idx", idx_ty)];
    let g = loss_graph(&params, |b, p| b.gather(p[0], p[1]));
    let idx = Array::new(
        TensorType::new(DType::I64, [2, 3]),
        vec![4.0, 1.0, 1.0, 0.0, 3.0, 4.0],
    )
    .unwrap();
    let xs = vec![uniform(&f64t(&[5, 2, 2]), -2.0, 2.0, 5), idx];
    check_fd_with(&g, &xs, &[0, 1], 1e-6, 1e-6);
    let grads = gradients(&g, &xs, &[1]);
    assert_eq!(grads[0].data, vec![0.0; 6], "integer indices get zeros");
}

#[test]
fn gather_rule_handles_a_scalar_index() {
    let params = [("table", f64t(&[3, 2]))];
    check_op(&params, None, |b, p| {
        let i = b.scalar(1.0, DType::I32)?;
        b.gather(p[0], i)
    });
}

#[test]
fn scatter_add_rule_passes_the_operand_through_and_gathers_in_range_updates() {
    let idx_ty = TensorType::new(DType::I32, [5]);
    let idx = vec![2.0, 0.0, 2.0, 9.0, -3.0];
    let params = [("operand", f64t(&[4, 3])), ("updates", f64t(&[5, 3]))];
    check_op(&params, None, |b, p| {
        let i = b.dense(idx, idx_ty)?;
        b.scatter_add(p[0], i, p[1])
    });
}

#[test]
fn scatter_add_rule_handles_rank_2_indices_and_a_rank_3_operand() {
    let idx_ty = TensorType::new(DType::I64, [2, 3]);
    let idx = vec![4.0, 1.0, 1.0, 0.0, 3.0, 4.0];
    let params = [
        ("operand", f64t(&[5, 2, 2])),
        ("updates", f64t(&[2, 3, 2, 2])),
    ];
    check_op(&params, None, |b, p| {
        let i = b.dense(idx, idx_ty)?;
        b.scatter_add(p[0], i, p[1])
    });
}

#[test]
fn cumsum_rule_matches_finite_differences_for_every_flag_combination() {
    for exclusive in [false, true] {
        for reverse in [false, true] {
            check_op(&[("x", f64t(&[3, 5]))], None, |b, p| {
                b.cumsum(p[0], 1, exclusive, reverse)
            });
        }
    }
}

#[test]
fn cumsum_rule_keeps_the_composite_with_the_direction_flipped() {
    let g = loss_graph(&[("x", f64t(&[4]))], |b, p| b.cumsum(p[0], 0, true, false));
    let dg = grad(&g, &[0]).unwrap();
    let reverse_pass = &dg.nodes[g.nodes.len()..];
    let flipped = reverse_pass
        .iter()
        .filter(|n| {
            n.op == Op::Cumsum {
                dim: 0,
                exclusive: true,
                reverse: true,
            }
        })
        .count();
    assert_eq!(flipped, 1);
}

#[test]
fn iota_and_constant_operands_get_no_gradient_but_scale_it() {
    let t = f64t(&[2, 3]);
    check_op(&[("x", t.clone())], None, |b, p| {
        let i = b.iota(1, TensorType::new(DType::I32, [2, 3]))?;
        let i = b.convert(i, DType::F64)?;
        let c = b.dense(vec![1.0, -2.0, 0.5, 3.0, 0.25, -1.0], t)?;
        let y = b.mul(p[0], i)?;
        b.add(y, c)
    });
}

#[test]
fn chunk_attention_rule_recomputes_and_matches_finite_differences() {
    let t = f64t(&[1, 4, 2]);
    let params: Vec<(&str, TensorType)> = ["qq", "kq", "ql", "kl", "v"]
        .iter()
        .map(|n| (*n, t.clone()))
        .collect();
    let g = loss_graph(&params, |b, p| {
        let attrs = ChunkAttention {
            chunk: 2,
            causal: true,
            linear_norm: LinearNorm::Mean,
            score: ScoreFn::Relu2,
        };
        b.op(Op::ChunkAttention(attrs), p.to_vec())
    });
    let xs: Vec<Array> = (0..5).map(|i| uniform(&t, -1.0, 1.0, 40 + i)).collect();
    check_fd_with(&g, &xs, &[0, 1, 2, 3, 4], 1e-6, 1e-6);
}
