#!/bin/bash
# Issue 18, point 4: each export searched under its framework's rules over 8 orders x 2 FMA;
# prints the nearest configuration and its bitwise-equal count (BENCHMARKS.md, "Shapes and
# framework rules together"). Usage: scripts/frameworks/rules-orders.sh (CLAIRAUT=path to the binary).
B=${CLAIRAUT:-target/release/clairaut}
cd "$(dirname "$0")/../.."
ORDERS=sequential,reversed,pairwise,lanes:2,lanes:4,lanes:8,blocked:2,blocked:4
run() { # ex fw method rules
  ex=$1; fw=$2; m=$3; r=$4
  for p in f32 f64; do
    f=tests/data/frameworks/$ex/hessian-$fw-$p.npy
    [ -f $f ] || continue
    out=$($B analyze --problem tests/data/frameworks/$ex/problem.json --inputs as-stored --methods $m --precisions $p --rules $r --orders $ORDERS --external fw=$f --no-spectrum --threads 1 2>&1)
    near=$(echo "$out" | grep "nearest of" | sed 's/.*): //')
    eq=$(echo "$out" | grep "entries bitwise equal" | sed 's/^ *//')
    echo "$ex | $p | $r | $near | $eq"
  done
}
run tf-tanh tf rev-rev tensorflow
run tf-sigmoid-ce tf rev-rev tensorflow
run tf-gelu-silu tf rev-rev tensorflow
run jax-tanh jax fwd-rev jax
run jax-sigmoid-n4 jax fwd-rev jax
run jax-sigmoid-ce jax fwd-rev jax
run jax-silu-n4 jax fwd-rev jax
run torch-tanh torch fwd-rev pytorch
run torch-gelu-silu torch fwd-rev pytorch
run torch-rr-tanh torch rev-rev pytorch
