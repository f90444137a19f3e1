#!/usr/bin/env python3
"""Generate the deterministic benchmark problems used by ``scripts/peers/bench-peers.py``.

Writes, into ``--out-dir`` (default ``experiments/bench``):

=====================  ============  =====================  ========================  ====  =====
file                   layers        activations            loss                      N     P
=====================  ============  =====================  ========================  ====  =====
p40-tanh-mse.json      [4, 5, 2]     [tanh, identity]       mse                       8     37
p500-tanh-mse.json     [16, 24, 4]   [tanh, identity]       mse                       32    508
p2000-gelu-mse.json    [32, 48, 8]   [gelu, identity]       mse                       64    1976
p5000-tanh-ce.json     [64, 64, 10]  [tanh, identity]       softmax_cross_entropy     128   4810
=====================  ============  =====================  ========================  ====  =====

The benchmarks measure the problems listed in ``experiments/bench/problems.txt`` (read by
``clairaut bench table``, ``scripts/bench-table.sh`` and ``scripts/bench-peers.py``); a problem
added here is measured once it is listed there.

Every problem has its own ``numpy.random.RandomState(seed)`` (seeds in ``PROBLEMS`` below), and
draws, in this order:

* weights, layer by layer: Glorot-uniform, W_l ~ U(-r, r) with r = sqrt(6 / (d_{l-1} + d_l)),
  shape (d_{l-1}, d_l), flattened row-major; then the biases b_l ~ U(-0.1, 0.1) (small nonzero
  biases rather than Keras' zeros, so that no parameter is exactly 0);
  theta = concat over layers of [W_l row-major, b_l] (Clairaut's convention);
* inputs x ~ U(-1, 1), shape (N, d0);
* targets: ``mse`` -> y ~ U(-1, 1), shape (N, dL); ``softmax_cross_entropy`` -> each row the
  softmax of logits ~ N(0, 1) (computed in float64; rows sum to 1 up to rounding).

Numbers are written as JSON numbers with Python's ``repr`` of the binary64 value (shortest text
that reads back to the same double), so ``clairaut --inputs decimal`` and the Python peers (which
parse JSON into doubles) see the same binary64 inputs.

Usage (no dependency beyond numpy; any Python >= 3.8)::

    python3 -m venv /opt/peers-venv && /opt/peers-venv/bin/pip install "jax[cpu]" tensorflow-cpu mpmath numpy
    /opt/peers-venv/bin/python scripts/peers/make-bench-problems.py            # what was run, from the repo root
    /opt/peers-venv/bin/python scripts/peers/make-bench-problems.py --out-dir DIR
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (file name, layers, activations, loss, N, seed)
PROBLEMS = [
    ("p40-tanh-mse.json", [4, 5, 2], ["tanh", "identity"], "mse", 8, 40),
    ("p500-tanh-mse.json", [16, 24, 4], ["tanh", "identity"], "mse", 32, 500),
    ("p2000-gelu-mse.json", [32, 48, 8], ["gelu", "identity"], "mse", 64, 2000),
    ("p5000-tanh-ce.json", [64, 64, 10], ["tanh", "identity"], "softmax_cross_entropy", 128, 5000),
]


def n_params(layers):
    return sum(layers[l] * layers[l + 1] + layers[l + 1] for l in range(len(layers) - 1))


def make_problem(layers, activations, loss, n, seed):
    rng = np.random.RandomState(seed)
    params = []
    for l in range(len(layers) - 1):
        fan_in, fan_out = layers[l], layers[l + 1]
        r = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-r, r, size=(fan_in, fan_out))
        b = rng.uniform(-0.1, 0.1, size=(fan_out,))
        params.extend(float(v) for v in w.reshape(-1))  # row-major
        params.extend(float(v) for v in b)
    x = rng.uniform(-1.0, 1.0, size=(n, layers[0]))
    if loss == "mse":
        y = rng.uniform(-1.0, 1.0, size=(n, layers[-1]))
    elif loss == "softmax_cross_entropy":
        logits = rng.standard_normal(size=(n, layers[-1]))
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
    else:
        raise ValueError(loss)
    assert len(params) == n_params(layers)
    return {
        "layers": list(layers),
        "activations": list(activations),
        "loss": loss,
        "x": [[float(v) for v in row] for row in x],
        "y": [[float(v) for v in row] for row in y],
        "params": params,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "experiments", "bench"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    for name, layers, acts, loss, n, seed in PROBLEMS:
        prob = make_problem(layers, acts, loss, n, seed)
        path = os.path.join(args.out_dir, name)
        # json.dump writes floats with float.__repr__ (shortest round-trip text).
        with open(path, "w") as f:
            json.dump(prob, f, indent=None, separators=(", ", ": "))
            f.write("\n")
        print(f"{path}: layers={layers} acts={acts} loss={loss} N={n} P={n_params(layers)} seed={seed}")


if __name__ == "__main__":
    main()
