#!/usr/bin/env bash
# Run an experiment's sweep on a SLURM cluster: a job array of N shards, then a dependent job
# that merges the shards' result files and checks that no cell is missing.
#
#   scripts/slurm/slurm-sweep.sh EXPERIMENT.toml OUT_DIR [N_SHARDS] [extra sbatch options…]
#
# e.g. scripts/slurm/slurm-sweep.sh experiments/width-depth.toml /scratch/wd 8 --cpus-per-task=4 --time=1:00:00
#
# Each array task runs `clairaut sweep EXPERIMENT --shard auto --out OUT_DIR/shard-<id>
# --threads $SLURM_CPUS_ON_NODE`; `--shard auto` reads SLURM_ARRAY_TASK_ID /
# SLURM_ARRAY_TASK_COUNT (shards are resumable: resubmitting after a failure recomputes only
# missing cells). The merge job (afterok on the whole array; cancelled if a shard fails) runs
# `clairaut merge --out OUT_DIR/merged OUT_DIR/shard-*` then `clairaut status`, so it fails
# unless every cell is present. Logs: OUT_DIR/slurm-<array>_<task>.log, OUT_DIR/slurm-merge-<job>.log.
# The extra sbatch options apply to both jobs. The binary is $CLAIRAUT, else target/release/clairaut;
# it and OUT_DIR must be on a file system the compute nodes share.
#
# Prints one line: `submitted array <id> (<N> shards) and merge <id>; results in OUT_DIR/merged`.
# Tested against a real single-node SLURM by tests/slurm.rs (scripts/slurm/slurm-local.sh sets it up).
set -euo pipefail
exp=${1:?usage: slurm-sweep.sh EXPERIMENT.toml OUT_DIR [N_SHARDS] [sbatch options…]}
out=${2:?output folder}
n=${3:-4}
shift $(($# >= 3 ? 3 : $#))
case $n in '' | *[!0-9]* | 0) echo "slurm-sweep: N_SHARDS must be a positive integer, not '$n'" >&2; exit 2 ;; esac
[ -f "$exp" ] || { echo "slurm-sweep: no experiment file $exp" >&2; exit 2; }
bin=${CLAIRAUT:-$(cd "$(dirname "$0")/../.." && pwd)/target/release/clairaut}
[ -x "$bin" ] || { echo "slurm-sweep: $bin is not an executable (build it, or set CLAIRAUT)" >&2; exit 2; }
command -v sbatch >/dev/null 2>&1 || { echo "slurm-sweep: sbatch not found" >&2; exit 2; }
# absolute paths: the jobs may start in another directory
exp=$(cd "$(dirname "$exp")" && pwd)/$(basename "$exp")
mkdir -p "$out"
out=$(cd "$out" && pwd)
q() { printf '%q' "$1"; }
array=$(sbatch --parsable --array=0-$((n - 1)) --job-name=clairaut-sweep "$@" \
  --output="$out/slurm-%A_%a.log" \
  --wrap="exec $(q "$bin") sweep $(q "$exp") --shard auto --threads \"\${SLURM_CPUS_ON_NODE:-1}\" --out $(q "$out")/shard-\"\$SLURM_ARRAY_TASK_ID\"")
array=${array%%;*} # --parsable prints id[;cluster]
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes --job-name=clairaut-merge "$@" \
  --output="$out/slurm-merge-%j.log" \
  --wrap="$(q "$bin") merge --out $(q "$out")/merged $(q "$out")/shard-* && exec $(q "$bin") status $(q "$exp") --out $(q "$out")/merged")
merge=${merge%%;*}
echo "submitted array $array ($n shards) and merge $merge; results in $out/merged"
