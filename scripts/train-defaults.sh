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
  # A three-stage curriculum (docs/training.md, "Default models"): one cosine schedule over 1,600 updates,
  # weights and AdamW moments carried from stage to stage with --until / --init-from.
  local env=MiniGrid-MemoryS7FixedStart-v0
  local d=$data_dir/$env
  dtlens collect --env $env --one-hot --episodes 1500 --policy expert --epsilon 0.05 --memory-layout key-top \
    --max-steps 1000 --seed 1 --output "$d.key-top.safetensors"
  dtlens collect --env $env --one-hot --episodes 3000 --policy expert --epsilon 0.05 \
    --max-steps 1000 --seed 1 --output "$d.expert.safetensors"
  dtlens collect --env $env --one-hot --episodes 3000 --policy mixed --epsilon 0.1 --wrong-fraction 0.2 \
    --max-steps 1000 --seed 1 --output "$d.mixed.safetensors"
  local common=(--env $env --d-model 128 --n-heads 4 --d-mlp 256 --n-layers 2 --n-ctx 26 --layer-norm LN
    --gated-mlp --batch-size 32 --steps 1600 --lr 3e-4 --lr-end 1e-5 --weight-decay 0.1
    --scheduler CosineAnnealingWarmup --warm-up-steps 100 --num-cycles 1 --seed 1 --focus-step 4
    --eval-episodes 50 --eval-rtgs 0,0.9 --eval-max-steps 30 --backend wasm --quiet)
  # 1: only the key-above layout, every window ending at the junction: the decision heads learn to
  #    attend to the first frame (the instruction) before repeating the previous action pays off
  dtlens train "${common[@]}" --data "$d.key-top.safetensors" --output "$d.stage1.safetensors" \
    --until 400 --prob-focus-step 1
  # 2: both layouts, still every window at the junction, from here on at a third of the learning rate
  #    (the same cosine schedule scaled by --lr 1e-4): the route combines with the layout seen at the
  #    junction instead of collapsing (at 3e-4 it collapsed here or in stage 3 for some seeds)
  dtlens train "${common[@]}" --data "$d.expert.safetensors" --output "$d.stage2.safetensors" \
    --init-from "$d.stage1.safetensors.resume.safetensors" --until 900 --prob-focus-step 1 --lr 1e-4
  # 3: noisier data with 20 % wrong-object episodes, so that the target RTG matters; half the windows
  #    anywhere in the episode, so that the whole path is learned
  dtlens train "${common[@]}" --data "$d.mixed.safetensors" --output models/$env.safetensors \
    --init-from "$d.stage2.safetensors.resume.safetensors" --prob-focus-step 0.5 --lr 1e-4 --eval-every 200 \
    --record models/$env.training.json
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
