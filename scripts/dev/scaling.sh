#!/usr/bin/env bash
# Multi-core scaling of mp:256 fwd-rev at P ≈ 2,000 beside a tight allocation-free MPFR loop
# (issue #5). Runs unchanged on the 2-core development machine and on a 16-core machine:
#   scripts/dev/scaling.sh [THREADS]        (default: 1,2 and every power of two up to nproc)
# Writes the table to ${OUT:-.}/scaling-<hostname>.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${CLAIRAUT:-target/release/clairaut}
[ -x "$bin" ] || { scripts/setup.sh; cargo build --release --quiet; }
n=$(nproc)
if [ $# -ge 1 ]; then list=$1; else
  list=1; t=2; while [ "$t" -le "$n" ]; do list="$list,$t"; t=$((t * 2)); done
fi
out=${OUT:-.}/scaling-$(hostname).txt
"$bin" bench scaling "$list" --precision mp:256 | tee "$out"
