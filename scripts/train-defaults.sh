#!/usr/bin/env bash
# Reproduces dtlens's default models in models/: demonstrations (dtlens collect), training (dtlens train),
# calibration (dtlens evaluate). Usage: scripts/train-defaults.sh [memory|dynamic|all] (default all).
# Deterministic: fixed data and training seeds give the same files on the same machine and backend.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
dtlens() { node bin/dtlens.js "$@"; }
data_dir="${DTLENS_DATA_DIR:-$(mktemp -d)}"

memory() {
  local env=MiniGrid-MemoryS7FixedStart-v0
  dtlens collect --env $env --one-hot --episodes 3000 --policy mixed --epsilon 0.1 --wrong-fraction 0.5 \
    --max-steps 1000 --seed 1 --output "$data_dir/$env.safetensors"
  dtlens train --data "$data_dir/$env.safetensors" --env $env --output models/$env.safetensors \
    --d-model 128 --n-heads 4 --d-mlp 256 --n-layers 2 --n-ctx 26 --layer-norm LN --gated-mlp \
    --batch-size 32 --steps 1500 --lr 0.001 --lr-end 1e-6 --weight-decay 0.1 --scheduler CosineAnnealingWarmup \
    --warm-up-steps 100 --num-cycles 1 --seed 1 --eval-every 500 --eval-episodes 20 --eval-rtgs 0,0.9 \
    --checkpoint-every 250 --quiet --record models/$env.training.json
  rm -f models/$env.safetensors.resume.safetensors
  dtlens evaluate --model models/$env.safetensors --episodes 100 --max-steps 100 \
    --output models/$env.calibration.json --plot models/$env.calibration.svg
}

dynamic() {
  local env=MiniGrid-Dynamic-Obstacles-8x8-v0
  dtlens collect --env $env --episodes 5000 --policy mixed --epsilon 0.1 --random-fraction 0.1 \
    --max-steps 1000 --seed 1 --output "$data_dir/$env.safetensors"
  dtlens train --data "$data_dir/$env.safetensors" --env $env --output models/$env.safetensors \
    --d-model 128 --n-heads 2 --d-mlp 256 --n-layers 1 --n-ctx 2 --layer-norm none \
    --batch-size 128 --steps 4000 --lr 0.001 --lr-end 1e-6 --weight-decay 0.1 --scheduler CosineAnnealingWarmup \
    --warm-up-steps 200 --num-cycles 1 --seed 1 --eval-every 1000 --eval-episodes 50 --eval-rtgs 1 \
    --checkpoint-every 500 --quiet --record models/$env.training.json
  rm -f models/$env.safetensors.resume.safetensors
  dtlens evaluate --model models/$env.safetensors --episodes 100 --max-steps 100 \
    --output models/$env.calibration.json --plot models/$env.calibration.svg
}

case "$which" in
  memory) memory ;;
  dynamic) dynamic ;;
  all) memory && dynamic ;;
  *) echo "usage: $0 [memory|dynamic|all]" >&2; exit 1 ;;
esac
