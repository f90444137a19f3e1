#!/usr/bin/env bash
# The issue-5 benchmark table in one run: the peers (JAX, TensorFlow, mpmath; scripts/peers/bench-peers.py
# in /opt/peers-venv, see README "Peers") on the bench problems (experiments/bench/problems.txt),
# then `clairaut bench table` with those timings beside Clairaut's — same machine, same run.
#
#   scripts/peers/bench-table.sh [OUT_DIR]        (default: target/bench-table)
#
# Environment: PEERS_PY (python with jax/tensorflow/mpmath; default /opt/peers-venv/bin/python),
# MPMATH_METHODS (default fwd-rev; add hyperdual for the straightforward engine, hours at P≈500),
# BUDGET (seconds per Clairaut cell before it is skipped with its estimate; default 300),
# CLAIRAUT (binary; default target/release/clairaut, built if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/bench-table}
py=${PEERS_PY:-/opt/peers-venv/bin/python}
bin=${CLAIRAUT:-target/release/clairaut}
mkdir -p "$out"
[ -x "$bin" ] || cargo build --release
mapfile -t problems < <(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' experiments/bench/problems.txt)
"$py" scripts/peers/bench-peers.py "${problems[@]}" --dtype float64 --repeat 5 --mpmath-digits 77 \
  --skip-mpmath-above 600 --mpmath-methods "${MPMATH_METHODS:-fwd-rev}" --no-check-clairaut \
  --out "$out/peers.json"
"$py" scripts/peers/bench-peers.py "${problems[@]}" --dtype float32 --repeat 5 --peers jax,tensorflow \
  --no-check-clairaut --append --out "$out/peers.json"
"$bin" bench table --problems "${problems[@]}" --peers "$out/peers.json" \
  --budget "${BUDGET:-300}" --json "$out/bench.json" | tee "$out/bench.txt"
