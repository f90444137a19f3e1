#!/usr/bin/env bash
# Regenerates the committed framework examples tests/data/frameworks/<framework>-<example>/ with
# the export scripts (see scripts/frameworks/README.md).  Each example is one network: JAX
# generates it (NumPy seed, 3 float32 SGD steps in JAX) and TensorFlow and PyTorch export the
# same weights and batch with --from; the article examples read experiments/tf2-article/example1.json.
# A framework that is not installed is skipped with a note.
#   PYTHON=/work/venv-fw/bin/python scripts/frameworks/make-examples.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
D=tests/data/frameworks
have() { "$PY" -c "import $1" 2>/dev/null || { echo "note: $1 not installed, skipping its exports" >&2; return 1; }; }
export_all() {  # name, then the JAX arguments
  local name=$1; shift
  "$PY" scripts/frameworks/jax_export.py "$@" --out "$D/jax-$name"
  if have tensorflow; then "$PY" scripts/frameworks/tf_export.py --from "$D/jax-$name" --out "$D/tf-$name"; fi
  if have torch; then "$PY" scripts/frameworks/torch_export.py --from "$D/jax-$name" --out "$D/torch-$name"; fi
}
export_all tanh                                   # layers 3,4,2 tanh mse, N = 5, seed 0
export_all sigmoid-ce --layers 2,3,3 --activations sigmoid,identity --loss softmax_cross_entropy --n 4 --seed 1
export_all gelu-silu --layers 2,4,2 --activations gelu,silu --n 4 --seed 2
export_all nobias --layers 2,3,3,2 --activations tanh,gelu,identity --bias 0,1,0 --loss softmax_cross_entropy --n 4 --seed 3
"$PY" scripts/frameworks/jax_export.py --from experiments/tf2-article/example1.json --out "$D/jax-article-example1"
if have tensorflow; then "$PY" scripts/frameworks/tf_export.py --from experiments/tf2-article/example1.json --out "$D/tf-article-example1"; fi
if have torch; then "$PY" scripts/frameworks/torch_export.py --from experiments/tf2-article/example1.json --out "$D/torch-article-example1"; fi
# Tiny JAX-only problems (issue 18: `rules = jax` against jax.hessian, bitwise; N ≤ 4, widths ≤ 4)
jax_only() { local name=$1; shift; "$PY" scripts/frameworks/jax_export.py "$@" --out "$D/jax-$name"; }
jax_only tanh-tiny --layers 2,2,2 --activations tanh,tanh --n 1 --seed 4
jax_only sigmoid-n4 --layers 2,3,2 --activations sigmoid,sigmoid --n 4 --seed 5
jax_only tiny-tanh-sigmoid --layers 2,2,1 --activations tanh,sigmoid --n 1 --seed 10
jax_only tiny-sigmoid-identity --layers 1,2,1 --activations sigmoid,identity --n 1 --seed 7
jax_only tiny-sigmoid-identity-sum --layers 2,2,2 --activations sigmoid,identity --loss mse:sum --n 1 --seed 14
jax_only tiny-tanh-sum --layers 1,1,1 --activations tanh --loss mse:sum --n 1 --seed 13
# silu, relu and the softmax cross-entropy under `rules = jax` (tests/it/rules_jax_more.rs)
jax_only tiny-silu-identity --layers 1,2,1 --activations silu,identity --n 1 --seed 21
jax_only tiny-silu-sigmoid --layers 2,2,1 --activations silu,sigmoid --n 1 --seed 22
jax_only tiny-silu-sum --layers 1,1,1 --activations silu,silu --loss mse:sum --n 1 --seed 23
jax_only tiny-relu-identity --layers 1,3,1 --activations relu,identity --n 1 --seed 24
jax_only tiny-relu-silu-sum --layers 2,2,2 --activations relu,silu --loss mse:sum --n 1 --seed 28
jax_only tiny-identity-ce --layers 1,2 --activations identity --loss softmax_cross_entropy --n 1 --seed 31
jax_only tiny-silu-ce --layers 2,2,2 --activations silu,identity --loss softmax_cross_entropy --n 1 --seed 32
jax_only tiny-relu-ce4 --layers 2,3,4 --activations relu,identity --loss softmax_cross_entropy --n 1 --seed 33
jax_only silu-n4 --layers 2,3,2 --activations silu,silu --n 4 --seed 30
# PyTorch reverse over reverse (torch.autograd.functional.hessian; `rules = pytorch`, rev-rev) of
# the article example and JAX's networks above
if have torch; then
  "$PY" scripts/frameworks/torch_export.py --method autograd --from experiments/tf2-article/example1.json --out "$D/torch-rr-article-example1"
  for n in tiny-tanh-sigmoid tiny-sigmoid-identity tiny-sigmoid-identity-sum tiny-tanh-sum tanh-tiny tanh; do
    "$PY" scripts/frameworks/torch_export.py --method autograd --from "$D/jax-$n" --out "$D/torch-rr-$n"
  done
fi
