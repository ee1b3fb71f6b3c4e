//! StableHLO spellings of element types and tensor types (`tensor<2x3xf32>`, `tensor<i1>`).

use flash_ir::{DType, TensorType};

/// The ranked tensor type, e.g. `tensor<2x3xf32>`, or `tensor<f32>` for a scalar.
pub fn tensor_type(ty: &TensorType) -> String {
    let mut s = String::from("tensor<");
    for d in &ty.shape {
        s.push_str(&d.to_string());
        s.push('x');
    }
    s.push_str(ty.dtype.mlir_name());
    s.push('>');
    s
}

/// The rank-0 tensor type of a dtype, e.g. `tensor<f32>`.
pub fn scalar_type(dtype: DType) -> String {
    tensor_type(&TensorType::scalar(dtype))
}

/// A function type `(tensor<..>, tensor<..>) -> tensor<..>`.
pub fn function_type(operands: &[&TensorType], result: &TensorType) -> String {
    let args: Vec<String> = operands.iter().map(|t| tensor_type(t)).collect();
    format!("({}) -> {}", args.join(", "), tensor_type(result))
}

/// The StableHLO comparison type of a dtype: `FLOAT`, `SIGNED` or (for bool) `UNSIGNED`.
pub fn comparison_type(dtype: DType) -> &'static str {
    match dtype {
        DType::F32 | DType::F64 | DType::BF16 | DType::F16 => "FLOAT",
        DType::I32 | DType::I64 => "SIGNED",
        DType::Bool => "UNSIGNED",
    }
}
