#!/usr/bin/env bash
# The GPU benchmark for a short lease (issue 14): on a machine with one NVIDIA GPU and
# `jax-cuda13-pjrt` in its Python (or after `flash setup cuda`), builds flash if needed,
# runs the XLA-backed tests on the CUDA plugin, then times the paper-scale train steps
# (flash-base, flash-quad-base, transformer++-base; T = 512..8192 at 8192 tokens per batch),
# flash-base in bf16, and flash-base with --remat attention, all inside about 8 minutes.
# Writes info.txt, tests.log, *.json, *.png and *.txt into $1, else $OUT, else bench/gpu-out.
#   usage: bash bench/gpu.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-bench/gpu-out}}"
mkdir -p "$out"
export FLASH_PJRT_PLUGIN=cuda
budget=470 # seconds for everything after the build, under the 8-minute lease
flash=target/release/flash
log() { echo "[gpu.sh ${SECONDS}s] $*" | tee -a "$out/gpu.log"; }

# step NAME SECONDS CMD...: runs CMD with at most SECONDS (less if the budget runs out).
step() {
  local name=$1 limit=$2 left
  shift 2
  left=$((budget - SECONDS))
  if ((left < 20)); then log "skip $name: out of time"; return 0; fi
  ((limit > left)) && limit=$left
  log "start $name (limit ${limit}s)"
  timeout --signal=INT --kill-after=10 "$limit" "$@" >"$out/$name.txt" 2>&1
  log "end $name: exit $?"
}

cargo build --release --quiet || { log "build failed"; exit 1; }
SECONDS=0
"$flash" info >"$out/info.txt" 2>&1 || { log "no CUDA client: $(tail -1 "$out/info.txt")"; exit 1; }
step tests-runtime 60 cargo test --release -p flash-runtime
step tests-xla 120 cargo test --release -p flash --test ops_xla --test grad_xla \
  --test chunk_attention_xla --test models_xla --test remat_xla --test decode_xla
bench=("$flash" bench --train --width 768 --layers 12 --tokens-per-batch 8192 --reps 3 --warmup 1)
step bench-train 200 "${bench[@]}" --models transformer++,flash-quad,flash \
  --seq-lens 512,1024,2048,4096,8192 --json "$out/bench-train.json" --plot "$out/bench-train.png"
step bench-remat 60 "${bench[@]}" --models flash --seq-lens 8192 --remat attention \
  --json "$out/bench-remat.json"
cfg="$out/flash-base-bf16.toml"
printf 'kind = "flash"\nwidth = 768\nlayers = 24\nexpansion = 1536\nshared = 128\nchunk = 256\nprecision = "bf16"\nmax_len = 8192\n' >"$cfg"
step compile-bf16 40 "$flash" compile --config "$cfg" --train --seq-len 8192 --batch 1 \
  --target gpu -o "$out/flash-base-bf16.train.mlir"
step run-bf16 50 "$flash" run "$out/flash-base-bf16.train.mlir" --random --bench 5
step bench-decode 60 "$flash" bench --decode --width 768 --layers 12 --reps 20 --warmup 3 \
  --models flash,flash-quad,transformer++ --seq-lens 512,2048,8192 \
  --json "$out/bench-decode.json" --plot "$out/bench-decode.png"
log "done; results in $out"
