// A StableHLO program written by hand (not produced by flash): y = softplus(x) @ w, and the
// row sums of x, with arguments named by their locations only.
module @handwritten {
  func.func @main(%x: tensor<2x3xf32> loc("x"), %w: tensor<3x2xf32> loc("w")) -> (tensor<2x2xf32>, tensor<2xf32>) {
    %one = stablehlo.constant dense<1.0> : tensor<2x3xf32>
    %e = stablehlo.exponential %x : tensor<2x3xf32>
    %p = stablehlo.add %e, %one : tensor<2x3xf32>
    %sp = stablehlo.log %p : tensor<2x3xf32>
    %y = stablehlo.dot_general %sp, %w, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
    %zero = stablehlo.constant dense<0.0> : tensor<f32>
    %s = stablehlo.reduce(%x init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
    return %y, %s : tensor<2x2xf32>, tensor<2xf32>
  }
}
