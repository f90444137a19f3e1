#!/usr/bin/env python3
"""Generate the deterministic set of small golden problem files.

Writes, into ``--out-dir`` (default ``tests/data/golden``):

* ``<activation>-<loss>.json`` for every activation x loss combination
  (7 x 2 = 14 problems), each a 2-layer MLP (one hidden layer):
    - ``mse``: activations [A, A] (A also on the output layer);
    - ``softmax_cross_entropy``: activations [A, identity], except for the
      activations in SOFTMAX_NONIDENTITY_OUTPUT, which use [A, A] so that a
      non-identity output activation feeding the softmax is covered too.
* ``deep-<k>.json``: three 3-layer MLPs with mixed activations.
* ``EXTRA`` (issue 15): a non-default leaky_relu slope, the sum reductions and the
  integer-label (sparse) softmax cross-entropy, each with its own seed.
* ``BIAS`` (issue 15): problems with bias-free layers (``"bias": [...]``, one flag per
  layer; theta holds no b_l for a layer with false), each with its own seed.
* optionally (``--tf2-reference FILE``) ``tf2-example.json``: the "problem"
  object of the TF2 article reference file, copied with its number text intact.

Every problem has its own fixed ``random.Random(seed)``.  Sizes are tiny
(d0, hidden widths, d_L in 2..3; N in 1..3; P <= 36).  Numbers are short exact
decimals written as JSON numbers (x in [-2, 2], params and MSE targets in
[-1, 1], 4 decimals; softmax targets are probability rows in steps of 0.01 that
sum to exactly 1).  For problems with ReLU, parameters are redrawn (from the
same generator) until no ReLU pre-activation is within 1e-3 of 0, so the
Hessian is defined, and every ReLU layer has both active and inactive entries.

The golden Hessians are then produced by ``scripts/golden/golden-mpmath.py``; see
``tests/data/golden/README.md`` for the exact commands.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import sys
from decimal import Decimal

from mpmath import mp, mpf


def _load_golden_mpmath():
    """golden-mpmath.py, beside this file, as the module ``golden_mpmath`` (a hyphenated file
    name cannot be imported with ``import``)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden-mpmath.py")
    spec = importlib.util.spec_from_file_location("golden_mpmath", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["golden_mpmath"] = module
    spec.loader.exec_module(module)
    return module


_golden = _load_golden_mpmath()
ACTIVATIONS, HyperDual, Problem, RawNumber = _golden.ACTIVATIONS, _golden.HyperDual, _golden.Problem, _golden.RawNumber
dump_json, forward, load_json_exact = _golden.dump_json, _golden.forward, _golden.load_json_exact

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOFTMAX_NONIDENTITY_OUTPUT = {"sigmoid", "tanh"}
RELU_MARGIN = mpf("1e-3")
MAX_TRIES = 1000

# (name, activations, loss, seed) for the deeper problems.
DEEP = [
    ("deep-1", ["tanh", "gelu", "identity"], "softmax_cross_entropy", 9001),
    ("deep-2", ["sigmoid", "relu", "silu"], "mse", 9002),
    ("deep-3", ["softplus", "relu", "gelu"], "softmax_cross_entropy", 9003),
]


# (name, activations, loss, seed): issue 15's model coverage beyond activation x loss.
EXTRA = [
    ("leaky_relu-0.2-softmax_cross_entropy", ["leaky_relu:0.2", "identity"], "softmax_cross_entropy", 9101),
    ("sum-mse", ["tanh", "gelu_tanh"], "mse:sum", 9102),
    ("sum-softmax_cross_entropy", ["sigmoid", "identity"], "softmax_cross_entropy:sum", 9103),
    ("sparse-softmax_cross_entropy", ["gelu_tanh", "identity"], "sparse_softmax_cross_entropy", 9104),
    ("sparse-softmax_cross_entropy-sum", ["leaky_relu", "gelu_tanh", "identity"], "sparse_softmax_cross_entropy:sum", 9105),
]


# (name, activations, loss, seed, bias flags): bias-free layers (issue 15).
BIAS = [
    ("bias-first-tanh-mse", ["tanh", "tanh"], "mse", 9201, [False, True]),
    ("bias-last-softmax_cross_entropy", ["tanh", "identity"], "softmax_cross_entropy", 9202, [True, False]),
    ("bias-mixed-mse_sum", ["sigmoid", "softplus", "identity"], "mse:sum", 9203, [False, True, False]),
]


def is_kinked(act: str) -> bool:
    return act == "relu" or act.startswith("leaky_relu")


def dec(k: int, places: int) -> RawNumber:
    """The exact decimal k * 10^-places as short JSON number text ("0.1234")."""
    t = format(Decimal(k).scaleb(-places), "f")
    if "." in t:
        t = t.rstrip("0")
        if t.endswith("."):
            t += "0"
    return RawNumber(t)


def uniform_dec(rng: random.Random, bound: int) -> RawNumber:
    """Uniform 4-decimal number in [-bound, bound]."""
    return dec(rng.randint(-bound * 10000, bound * 10000), 4)


def prob_row(rng: random.Random, n: int) -> list[RawNumber]:
    """n non-negative multiples of 0.01 summing to exactly 1."""
    cuts = sorted(rng.randint(0, 100) for _ in range(n - 1))
    edges = [0] + cuts + [100]
    return [dec(edges[k + 1] - edges[k], 2) for k in range(n)]


def n_params(layers: list[int], bias: list[bool] | None = None) -> int:
    bias = bias or [True] * (len(layers) - 1)
    return sum(layers[l] * layers[l + 1] + (layers[l + 1] if bias[l] else 0) for l in range(len(layers) - 1))


def relu_ok(problem: dict) -> bool:
    """No ReLU pre-activation within RELU_MARGIN of 0, and every ReLU layer has
    both an active (z > 0) and an inactive (z < 0) entry, so both branches and
    a non-trivial derivative path are exercised."""
    if not any(is_kinked(a) for a in problem["activations"]):
        return True
    with mp.workdps(50):
        p = Problem(problem)
        _, zs = forward(p, [HyperDual(v) for v in p.params])
        for act, z in zip(p.activations, zs):
            if not is_kinked(act):
                continue
            vals = [v.a for row in z for v in row]
            if any(abs(v) < RELU_MARGIN for v in vals):
                return False
            if not (any(v > 0 for v in vals) and any(v < 0 for v in vals)):
                return False
    return True


def make_problem(activations: list[str], loss: str, seed: int, bias: list[bool] | None = None) -> dict:
    rng = random.Random(seed)
    L = len(activations)
    layers = [rng.randint(2, 3) for _ in range(L + 1)]
    n = rng.randint(1, 3)
    x = [[uniform_dec(rng, 2) for _ in range(layers[0])] for _ in range(n)]
    if loss.startswith("mse"):
        y = [[uniform_dec(rng, 1) for _ in range(layers[-1])] for _ in range(n)]
    elif loss.startswith("sparse_"):
        y = [[RawNumber(str(rng.randrange(layers[-1])))] for _ in range(n)]
    else:
        y = [prob_row(rng, layers[-1]) for _ in range(n)]
    for _ in range(MAX_TRIES):
        params = [uniform_dec(rng, 1) for _ in range(n_params(layers, bias))]
        problem = {"layers": [RawNumber(str(d)) for d in layers],
                   "activations": activations, "loss": loss}
        if bias is not None:
            problem["bias"] = bias
        problem.update({"x": x, "y": y, "params": params})
        if relu_ok(problem):
            return problem
    raise RuntimeError(f"no valid ReLU parameters found for seed {seed}")


def specs():
    """Yield (file stem, activations, loss, seed, bias flags or None) for every generated problem."""
    seed = 1000
    for act in ACTIVATIONS:
        for loss in ("mse", "softmax_cross_entropy"):
            seed += 1
            if loss == "mse" or act in SOFTMAX_NONIDENTITY_OUTPUT:
                acts = [act, act]
            else:
                acts = [act, "identity"]
            yield f"{act}-{loss}", acts, loss, seed, None
    for spec in DEEP + EXTRA:
        yield *spec, None
    yield from BIAS


def write(path: str, obj) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(dump_json(obj, indent=1, inline_scalar_lists=True) + "\n")
    print(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "tests", "data", "golden"))
    ap.add_argument("--tf2-reference", metavar="FILE",
                    help="TF2 article reference JSON; its 'problem' object is written "
                         "to OUT_DIR/tf2-example.json")
    args = ap.parse_args(argv)
    os.makedirs(args.out_dir, exist_ok=True)
    for stem, acts, loss, seed, bias in specs():
        write(os.path.join(args.out_dir, stem + ".json"), make_problem(acts, loss, seed, bias))
    if args.tf2_reference:
        problem = load_json_exact(args.tf2_reference)["problem"]
        write(os.path.join(args.out_dir, "tf2-example.json"), problem)
    return 0


if __name__ == "__main__":
    sys.exit(main())
