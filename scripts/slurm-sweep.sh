#!/usr/bin/env bash
# Run an experiment's sweep on a SLURM cluster: a job array of N shards, then a dependent job
# that merges the shards' result files and checks that no cell is missing.
#
#   scripts/slurm-sweep.sh EXPERIMENT.toml OUT_DIR [N_SHARDS] [extra sbatch options…]
#
# Each array task runs `clairaut sweep EXPERIMENT --shard auto --out OUT_DIR/shard-<id>`; `--shard
# auto` reads SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT (shards are resumable: resubmitting
# after a failure recomputes only missing cells). The merge job runs
# `clairaut merge --out OUT_DIR/merged OUT_DIR/shard-*` then `clairaut status`.
#
# Status: the sharding, merge and status commands are tested locally (tests/sweep.rs); this
# script itself has not yet been run against a real SLURM installation (see the issue notes).
set -euo pipefail
exp=${1:?experiment file}; out=${2:?output folder}; n=${3:-4}; shift $(( $# >= 3 ? 3 : $# ))
bin=${CLAIRAUT:-$(cd "$(dirname "$0")/.." && pwd)/target/release/clairaut}
mkdir -p "$out"
array=$(sbatch --parsable --array=0-$((n - 1)) --job-name=clairaut-sweep "$@" \
  --output="$out/slurm-%A_%a.log" \
  --wrap="\"$bin\" sweep \"$exp\" --shard auto --out \"$out/shard-\$SLURM_ARRAY_TASK_ID\"")
merge=$(sbatch --parsable --dependency=afterok:"$array" --job-name=clairaut-merge "$@" \
  --output="$out/slurm-merge-%j.log" \
  --wrap="\"$bin\" merge --out \"$out/merged\" \"$out\"/shard-* && \"$bin\" status \"$exp\" --out \"$out/merged\"")
echo "submitted array $array ($n shards) and merge $merge; results in $out/merged"
