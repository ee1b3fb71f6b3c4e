#!/usr/bin/env bash
# The GPU benchmark for a short lease (issue 14): on a machine with one NVIDIA GPU and
# `jax-cuda13-pjrt` in its Python (or after `flash setup cuda`), builds flash if needed,
# runs the XLA-backed tests on the CUDA plugin, then times the paper-scale train steps
# in bf16 (flash-base, flash-quad-base, transformer++-base; T = 512..8192 at 8192 tokens per
# batch; the JSON's peak_fraction is against a bf16 matmul measured in the same run),
# flash-base with --remat attention and layer, and decoding, all inside about 8 minutes.
# Writes gpu.log, info.txt, one NAME.txt per step and the *.json and *.png into $1, else $OUT,
# else bench/gpu-out; exits non-zero if a step failed or ran out of its time (all still run).
#   usage: bash bench/gpu.sh [OUT_DIR]
# FLASH_GPU_SH_SMOKE=1 checks the script itself where there is no GPU: the CPU plugin, toy
# sizes (width 64, T = 64 and 128) and no tests.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-bench/gpu-out}}"
mkdir -p "$out"
smoke=${FLASH_GPU_SH_SMOKE:-0}
if ((smoke)); then
  export FLASH_PJRT_PLUGIN=cpu
  width=64 layers=1 lens=64,128 long=128 tokens=256 decode_lens=64,128 peak=256
else
  export FLASH_PJRT_PLUGIN=cuda
  width=768 layers=12 lens=512,1024,2048,4096,8192 long=8192 tokens=8192
  decode_lens=512,2048,8192 peak=8192
fi
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
  local rc=$?
  log "end $name: exit $rc"
  ((rc == 0)) || failed+=("$name")
}
failed=()

cargo build --release --quiet || { log "build failed"; exit 1; }
SECONDS=0
"$flash" info >"$out/info.txt" 2>&1 || { log "no CUDA client: $(tail -1 "$out/info.txt")"; exit 1; }
if ((!smoke)); then
  step tests-runtime 60 cargo test --release -p flash-runtime
  step tests-xla 120 cargo test --release -p flash --test ops_xla --test grad_xla \
    --test chunk_attention_xla --test models_xla --test remat_xla --test decode_xla
fi
bench=("$flash" bench --train --precision bf16 --width "$width" --layers "$layers"
  --tokens-per-batch "$tokens" --reps 3 --warmup 1)
step bench-train 220 "${bench[@]}" --models transformer++,flash-quad,flash \
  --seq-lens "$lens" --peak-size "$peak" --json "$out/bench-train.json" \
  --plot "$out/bench-train.png"
for remat in attention layer; do
  step "bench-remat-$remat" 45 "${bench[@]}" --models flash --seq-lens "$long" \
    --remat "$remat" --peak-size 0 --json "$out/bench-remat-$remat.json"
done
step bench-decode 60 "$flash" bench --decode --precision bf16 --width "$width" \
  --layers "$layers" --reps 20 --warmup 3 --models flash,flash-quad,transformer++ --seq-lens "$decode_lens" \
  --json "$out/bench-decode.json" --plot "$out/bench-decode.png"
if ((${#failed[@]})); then
  log "done; failed or out of time: ${failed[*]} (see their .txt); results in $out"
  exit 1
fi
log "done; results in $out"
