//! Row-major index arithmetic: strides, a multi-index odometer, and strided views, the one
//! place where the layout ops (broadcast, transpose, slice) turn indices into offsets.

/// Row-major strides of `shape` (the last dimension has stride 1).
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1] * shape[k + 1];
    }
    s
}

/// Advances the row-major multi-index `idx` within `shape`; false once it wraps past the end.
pub fn advance(idx: &mut [usize], shape: &[usize]) -> bool {
    for k in (0..idx.len()).rev() {
        idx[k] += 1;
        if idx[k] < shape[k] {
            return true;
        }
        idx[k] = 0;
    }
    false
}

/// Calls `f(flat, idx)` for every multi-index of `shape`, in row-major order (`flat` counts
/// 0, 1, 2, ...). A scalar shape has one index; a shape with a zero dimension has none.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(usize, &[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0; shape.len()];
    let mut flat = 0;
    loop {
        f(flat, &idx);
        flat += 1;
        if !advance(&mut idx, shape) {
            return;
        }
    }
}

/// The values of a strided view of `data`: element `idx` of a tensor of shape `shape` is
/// `data[offset + sum_k idx[k] * steps[k]]`, read in row-major order of `shape`.
pub fn strided_view(data: &[f64], shape: &[usize], offset: usize, steps: &[usize]) -> Vec<f64> {
    let mut out = Vec::with_capacity(shape.iter().product());
    for_each_index(shape, |_, idx| {
        let at: usize = idx.iter().zip(steps).map(|(i, s)| i * s).sum();
        out.push(data[offset + at]);
    });
    out
}
