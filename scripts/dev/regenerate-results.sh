#!/usr/bin/env bash
# Regenerates every committed result file (results/**/*.cbor) with this Clairaut, as each was
# first produced: `clairaut sweep experiments/<x>.toml --out results/<x>` (the command each
# file's provenance records), then the TF2-article report from them. For a change of the result
# schema (the bytes of every file change, not their numbers): afterwards `git diff --stat
# results/` shows only .cbor files, and `cargo test --release --test it sweep::committed`
# reruns them bit for bit. Usage: scripts/dev/regenerate-results.sh [--threads N]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release --quiet
bin=./target/release/clairaut
# experiment file → results folder, for every folder with committed result files
pairs=(
  experiments/tf2-example.toml:results/tf2-example
  experiments/precision-ladder.toml:results/precision-ladder
  experiments/fd-step-sweep.toml:results/fd-step-sweep
  experiments/width-depth.toml:results/width-depth
  experiments/activation-loss.toml:results/activation-loss
  experiments/order-fma.toml:results/order-fma
  experiments/iris.toml:results/iris
)
for e in experiments/tf2-article/*.toml; do
  pairs+=("$e:results/tf2-article/$(basename "$e" .toml)")
done
# every folder holding result files must be covered
for d in $(find results -name '*.cbor' -printf '%h\n' | sort -u); do
  printf '%s\n' "${pairs[@]}" | grep -q ":$d\$" || { echo "no experiment known for $d" >&2; exit 2; }
done
for pair in "${pairs[@]}"; do
  exp=${pair%%:*} out=${pair#*:}
  rm -f "$out"/*.cbor
  "$bin" sweep "$exp" --out "$out" "$@"
done
"$bin" report experiments/tf2-article --out results/tf2-article
