#!/usr/bin/env bash
# The main job on the bundled experiment (README's first command): the TF2 article's Example 1,
# its Hessian in every exact mode at f32, f64 and mp:256, with asymmetry figures.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
problem=experiments/tf2-article/example1.json
for precision in f32 f64 mp:256; do
  for method in rev-rev fwd-rev fwd-fwd; do
    echo "== $method at $precision"
    target/release/clairaut hessian --problem "$problem" --method "$method" --precision "$precision" "$@"
  done
done
