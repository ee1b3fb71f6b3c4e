//! `choose_chunk`: the chunk size C of FLASH's mixed-chunk attention for a sequence length,
//! from a FLOP model of the causal layer and a per-target floor (the rule behind
//! `--chunk auto`). Not a pass: a model-configuration helper that lives next to the lowering
//! whose costs it models.
//!
//! # The rule
//! Per sequence of T tokens (padded to `Tp = G C`, `G = ceil(T / C)` chunks), the parts of a
//! causal FLASH layer that depend on C cost (forward, 2 flops per multiply-add):
//! - local (quadratic inside chunks): `2 Tp C (s + e)`;
//! - chunk-level prefix sum (a G x G triangular matmul over the `[G, s, e]` memories, as
//!   `lower_cumsum` emits it): `2 G^2 s e`;
//! - global (linear) part: `4 Tp s e`.
//!
//! The last two only when `G > 1`: one chunk is exactly a causal GAU with no linear term.
//!
//! Ignoring padding, `2 T C (s + e) + 2 T^2 s e / C^2` is smallest at `C^3 = 2 T s e / (s + e)`,
//! where the local work is twice the prefix sum's: C grows as `T^(1/3)`. [`choose_chunk`]
//! evaluates the exact cost above for every power of two from the target's floor
//! ([`min_chunk`]) up to T and returns the cheapest (ties: the larger C); a T at
//! most twice the floor is one chunk of T, since two chunks there save at most half of a
//! small local part and add the linear part's elementwise work and prefix sum, which the
//! FLOP count leaves out (measured below). With s = 128, e = 512: C = 128 from T = 257 up to
//! T = 16384, 256 from T = 32768 (CPU); T = 100 gives 100 and T = 256 gives 256.
//!
//! # Measurements (2-core CPU, XLA CPU plugin, train step, 4 FLASH layers, d = 256, s = 128,
//! e = 512, 8192 tokens per batch, interleaved runs, median of 8)
//!
//! | T    | C = 64 | C = 128 | C = 256 | C = 512 |
//! |------|--------|---------|---------|---------|
//! | 512  | 1.76 s | 1.58 s  | 1.76 s  | 1.68 s  |
//! | 2048 | 1.82 s | 1.69 s  | 1.73 s  | 1.97 s  |
//! | 8192 | 1.80 s | 1.72 s  | 1.74 s  | 1.97 s  |
//!
//! C = 128 is the best or tied-best at every T (the FLOP model's choice); C = 64, which the
//! FLOP model prefers at T <= 2048, loses to small-matmul overheads on the CPU, hence the
//! floor of 128 there. At T = 256 (flash-tiny: d = 128, s = 64, e = 256, 16 sequences, train
//! step, mean of 60 steps) one chunk beats the FLOP model's two: C = 64 348 ms, C = 128
//! 265 ms, C = 256 231 ms (FLASH-Quad: 249 ms), hence one chunk up to twice the floor; at
//! T = 512 one chunk and C = 128 are level within noise (BENCHMARKS.md). GPU and TPU floors are not measured here: 128 (tensor-core tiles) and
//! 256 (the paper's TPU choice, two 128-wide MXU passes).

use crate::target::Target;

/// The smallest chunk worth using on `target`: below it the per-chunk matmuls are too small
/// for the machine's matrix kernels, whatever the FLOP count says.
pub fn min_chunk(target: Target) -> usize {
    match target {
        Target::Cpu | Target::Gpu => 128,
        Target::Tpu => 256,
    }
}

/// The chunk size for causal FLASH attention over `seq_len` tokens with shared width `shared`
/// (s) and expansion `expansion` (e) on `target`, by the rule in the module docs: a power of
/// two in `[min_chunk(target), seq_len]` minimising the chunk-dependent FLOPs, or
/// `seq_len` itself (one chunk) when it is at most twice the floor. Never 0.
pub fn choose_chunk(seq_len: usize, shared: usize, expansion: usize, target: Target) -> usize {
    let floor = min_chunk(target);
    if seq_len <= 2 * floor {
        return seq_len.max(1);
    }
    let mut best = (u128::MAX, floor);
    let mut c = floor;
    while c <= seq_len {
        let cost = chunk_cost(seq_len, c, shared, expansion);
        if cost <= best.0 {
            best = (cost, c);
        }
        c *= 2;
    }
    best.1
}

/// The chunk-dependent forward FLOPs of one causal FLASH layer on one sequence (module docs).
pub fn chunk_cost(seq_len: usize, chunk: usize, shared: usize, expansion: usize) -> u128 {
    let (t, c, s, e) = (
        seq_len as u128,
        chunk.max(1) as u128,
        shared as u128,
        expansion as u128,
    );
    let g = t.div_ceil(c);
    let padded = g * c;
    let local = 2 * padded * c * (s + e);
    // One chunk is a causal GAU: no memory, no prefix sum.
    let linear = if g > 1 {
        2 * g * g * s * e + 4 * padded * s * e
    } else {
        0
    };
    local + linear
}
