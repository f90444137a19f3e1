#!/usr/bin/env bash
# The main job on the bundled experiment (README's first command): the TF2 article's Example 1 —
# every exact mode, Gauss–Newton and the finite-difference schemes (with the article's
# ε = 1e-6) from binary16 to mp:1024, against the certified truth, with the attribution of
# each error and asymmetry; the JSON goes to target/example-analysis.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
target/release/clairaut analyze --problem experiments/tf2-article/example1.json \
  --methods fwd-rev,rev-rev,fwd-fwd,gauss-newton,fd-grad-central,fd-loss-4pt \
  --precisions binary16,f32,f64,mp:1024 --orders sequential,pairwise --step fixed:1e-6 \
  --json target/example-analysis.json "$@"
