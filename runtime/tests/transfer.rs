//! Host/device transfers on the real plugin: every element type round-trips bit for bit,
//! including bf16 and f16, scalars and empty arrays; bad host data is an error.

mod common;

use common::client;
use flash_runtime::{ElementType, HostData, RuntimeError};
use half::{bf16, f16};

/// Deterministic bytes for `n` elements of `ty` (valid for every type: PRED gets 0/1).
fn sample_bytes(ty: ElementType, n: usize) -> Vec<u8> {
    let size = ty.size_in_bytes();
    (0..n * size)
        .map(|i| match ty {
            ElementType::Pred => (i % 3 == 0) as u8,
            _ => (i as u8).wrapping_mul(37).wrapping_add(11),
        })
        .collect()
}

#[test]
fn every_element_type_round_trips() {
    let c = client();
    let device = c.default_device().unwrap();
    for ty in ElementType::ALL {
        let dims = [2, 3];
        let bytes = sample_bytes(ty, 6);
        let buf = c.buffer_from_host(&bytes, ty, &dims, device).unwrap();
        assert_eq!(buf.element_type().unwrap(), ty);
        assert_eq!(buf.dims().unwrap(), dims);
        let back = buf.to_host().unwrap();
        assert_eq!(back, HostData::new(ty, &dims, bytes).unwrap(), "{ty:?}");
    }
}

#[test]
fn half_precision_values_round_trip() {
    let c = client();
    let bf: Vec<bf16> = [1.0f32, -2.5, 3.0e10, 0.0078125]
        .map(bf16::from_f32)
        .to_vec();
    let back: Vec<bf16> = common::download(&common::upload(&c, &[4], &bf));
    assert_eq!(back, bf);
    let h: Vec<f16> = [1.0f32, -0.5, 65504.0, 6.1e-5].map(f16::from_f32).to_vec();
    let back: Vec<f16> = common::download(&common::upload(&c, &[2, 2], &h));
    assert_eq!(back, h);
}

#[test]
fn scalars_and_empty_arrays() {
    let c = client();
    let s: Vec<i64> = common::download(&common::upload(&c, &[], &[-7i64]));
    assert_eq!(s, [-7]);
    let empty = common::upload::<f32>(&c, &[0, 5], &[]);
    assert_eq!(empty.dims().unwrap(), [0, 5]);
    assert!(common::download::<f32>(&empty).is_empty());
}

#[test]
fn wrong_byte_count_is_an_error() {
    let c = client();
    let device = c.default_device().unwrap();
    let err = c
        .buffer_from_host(&[0; 7], ElementType::F32, &[2], device)
        .unwrap_err();
    assert!(
        matches!(
            err,
            RuntimeError::HostDataSize {
                expected: 8,
                actual: 7,
                ..
            }
        ),
        "{err}"
    );
    let err = c
        .buffer_from_host(&[], ElementType::F32, &[-1], device)
        .unwrap_err();
    assert!(matches!(err, RuntimeError::InvalidDims { .. }), "{err}");
}
