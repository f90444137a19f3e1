#!/usr/bin/env python3
"""Independent golden-value generator for Clairaut MLP loss Hessians.

This script is deliberately independent of the Rust code base: it evaluates
the loss of a small multi-layer perceptron with *hyper-dual numbers* over
mpmath multiple-precision floats and reads every second derivative off the
e1*e2 coefficient.  It shares no code (and no automatic-differentiation
machinery) with Clairaut.

Conventions (identical to Clairaut's problem files)
---------------------------------------------------
* a_0 = x (N rows).  For layer l = 1..L:  z_l = a_{l-1} . W_l + b_l  with W_l of
  shape (d_{l-1}, d_l) (Keras kernel convention,
  z[n][j] = sum_i a[n][i] * W[i][j] + b[j]), and a_l = act_l(z_l).
* theta = concat over l of [W_l flattened row-major (index i*d_l + j), b_l].
* Optional "bias": one true/false per layer; a layer with false has no b_l
  (z[n][j] = sum_i a[n][i] * W[i][j] alone) and theta holds only its W_l.
* Activations: identity, sigmoid, tanh, softplus, relu, gelu (exact erf form),
  silu, gelu_tanh (0.5 t (1 + tanh(sqrt(2/pi) (t + 0.044715 t^3))), the tanh
  approximation: Hendrycks & Gimpel 2016; jax.nn.gelu(approximate=True)),
  leaky_relu (slope 0.01) and leaky_relu:<slope> (t if t > 0 else slope*t, the
  slope an exact decimal).  Each is given analytically as (f, f', f'').
* Losses: ``mse`` = mean over all N*d_L entries of (y - a_L)^2;
  ``softmax_cross_entropy`` = mean over rows of -sum_k y_k log_softmax(a_L)_k;
  ``sparse_softmax_cross_entropy``: y is N x 1 integer class labels c_n and the
  row loss is lse(a_n) - a_n[c_n] (the frameworks' form; no one-hot vector is
  built); ``<loss>:sum`` is the same sum without the division by N*d_L or N.

Problem file: {"layers": [d0..dL], "activations": [...L names...],
"loss": "mse" | "softmax_cross_entropy", "x": [[..]], "y": [[..]],
"params": [P numbers]}.  Numbers are read from their JSON *text* (never via a
binary float) and converted with ``mpmath.mpf(text)`` at the working precision.

Hyper-dual numbers
------------------
x = a + b e1 + c e2 + d e1e2 with e1^2 = e2^2 = 0.  Seeding theta_i with e1 and
theta_j with e2 gives loss(theta) = L + dL/dtheta_i e1 + dL/dtheta_j e2
+ d2L/dtheta_i dtheta_j e1e2, exactly (no truncation error); only rounding at
the working precision (digits + 30 guard digits) remains.  A scalar function
is lifted as f(x) = f(a) + f'(a) b e1 + f'(a) c e2 + (f'(a) d + f''(a) b c) e1e2.
The entries with i <= j are evaluated and mirrored (the exact Hessian is
symmetric).

Output
------
For every PROBLEM.json, DIR/<stem>.golden.json with keys source, generator,
command, mpmath_version, digits, problem (numbers exactly as in the input),
hessian (decimal strings with ``digits`` significant digits; an exact zero is
written "0"), loss, gradient.

Self-checks
-----------
``--check-sympy`` additionally differentiates the loss symbolically with SymPy
(inputs as exact rationals, sympy.diff twice, evalf) and asserts agreement of
loss, gradient and Hessian to a relative 10^-(digits-5).
``--reference FILE`` compares the Hessian against a decimal-string matrix stored
under ``--reference-key`` in FILE and reports the maximum relative difference.

Example
-------
    python scripts/golden/golden-mpmath.py tests/data/golden/sigmoid-mse.json \\
        --digits 100 --out-dir tests/data/golden --check-sympy

(``*.golden.json`` outputs are refused as inputs, so a shell glob over a
directory must exclude them.)
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from typing import Callable

import mpmath
from mpmath import mp, mpf

GUARD_DIGITS = 30
GENERATOR = "scripts/golden/golden-mpmath.py"
ACTIVATIONS = ("identity", "sigmoid", "tanh", "softplus", "relu", "gelu", "silu",
               "gelu_tanh", "leaky_relu")
LOSSES = ("mse", "softmax_cross_entropy", "mse:sum", "softmax_cross_entropy:sum",
          "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy:sum")
LEAKY_DEFAULT = "0.01"


def leaky_slope(name: str):
    """The slope text of a leaky_relu name ("leaky_relu" -> "0.01"), else None."""
    if name == "leaky_relu":
        return LEAKY_DEFAULT
    if name.startswith("leaky_relu:"):
        return name.split(":", 1)[1]
    return None


def is_sparse(loss: str) -> bool:
    return loss.startswith("sparse_")


def is_sum(loss: str) -> bool:
    return loss.endswith(":sum")


# --------------------------------------------------------------------------
# Exact JSON number handling
# --------------------------------------------------------------------------

class RawNumber(str):
    """The verbatim text of a JSON number (so that it can be re-emitted as is)."""


def load_json_exact(path: str):
    """Load JSON keeping every number as its RawNumber source text."""
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=RawNumber, parse_int=RawNumber)


def dump_json(obj, indent: int = 1, inline_scalar_lists: bool = False,
              level: int = 0) -> str:
    """Serialise like json.dumps(indent=...) but emit RawNumber text verbatim.

    With inline_scalar_lists, a list holding no list/dict is written on one line.
    """
    pad, pad_in = " " * (indent * level), " " * (indent * (level + 1))
    rec = lambda v: dump_json(v, indent, inline_scalar_lists, level + 1)  # noqa: E731
    if isinstance(obj, RawNumber):
        return str(obj)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad_in}{json.dumps(str(k))}: {rec(v)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if not obj:
            return "[]"
        if inline_scalar_lists and not any(isinstance(v, (list, tuple, dict)) for v in obj):
            return "[" + ", ".join(rec(v) for v in obj) + "]"
        items = [pad_in + rec(v) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


# --------------------------------------------------------------------------
# Problem description
# --------------------------------------------------------------------------

class Problem:
    """A parsed problem file; numeric data are mpf at the current mp.dps."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.layers = [int(d) for d in raw["layers"]]
        self.activations = list(raw["activations"])
        self.loss = raw["loss"]
        # one flag per layer: False = no bias b_l (absent: every layer has one)
        self.bias = raw.get("bias", [True] * (len(self.layers) - 1))
        self.x = [[mpf(str(v)) for v in row] for row in raw["x"]]
        self.y = [[mpf(str(v)) for v in row] for row in raw["y"]]
        self.params = [mpf(str(v)) for v in raw["params"]]
        self.validate()

    @property
    def n_layers(self) -> int:
        return len(self.layers) - 1

    @property
    def n_params(self) -> int:
        return sum(self.layers[l] * self.layers[l + 1] + (self.layers[l + 1] if self.bias[l] else 0)
                   for l in range(self.n_layers))

    def validate(self) -> None:
        L = self.n_layers
        if L < 1 or len(self.activations) != L:
            raise ValueError("need len(activations) == len(layers) - 1 >= 1")
        if len(self.bias) != L or any(b not in (True, False) for b in self.bias):
            raise ValueError("bias must be one true/false per layer")
        for act in self.activations:
            if act not in ACTIVATIONS and leaky_slope(act) is None:
                raise ValueError(f"unknown activation {act!r}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}")
        if len(self.params) != self.n_params:
            raise ValueError(f"params has {len(self.params)} entries, expected {self.n_params}")
        if len(self.x) != len(self.y) or not self.x:
            raise ValueError("x and y must have the same, non-zero number of rows")
        if any(len(r) != self.layers[0] for r in self.x):
            raise ValueError("every x row must have layers[0] entries")
        if is_sparse(self.loss):
            if any(len(r) != 1 or r[0] != int(r[0]) or not 0 <= int(r[0]) < self.layers[-1]
                   for r in self.y):
                raise ValueError("every y row must be one class label in 0..layers[-1]-1")
        elif any(len(r) != self.layers[-1] for r in self.y):
            raise ValueError("every y row must have layers[-1] entries")

    def unflatten(self, theta):
        """Split theta into [(W_l as rows, b_l)] following the documented order; b_l is None
        for a layer without a bias (theta holds only its W_l)."""
        out, k = [], 0
        for l in range(self.n_layers):
            din, dout = self.layers[l], self.layers[l + 1]
            W = [theta[k + i * dout: k + (i + 1) * dout] for i in range(din)]
            k += din * dout
            b = None
            if self.bias[l]:
                b = theta[k: k + dout]
                k += dout
            out.append((W, b))
        return out


# --------------------------------------------------------------------------
# Hyper-dual numbers over mpmath
# --------------------------------------------------------------------------

class HyperDual:
    """a + b e1 + c e2 + d e1e2 with e1^2 = e2^2 = 0 (components are mpf)."""

    __slots__ = ("a", "b", "c", "d")

    def __init__(self, a, b=0, c=0, d=0):
        self.a, self.b, self.c, self.d = mpf(a), mpf(b), mpf(c), mpf(d)

    @staticmethod
    def lift(v) -> "HyperDual":
        return v if isinstance(v, HyperDual) else HyperDual(v)

    def __add__(self, o):
        o = HyperDual.lift(o)
        return HyperDual(self.a + o.a, self.b + o.b, self.c + o.c, self.d + o.d)

    __radd__ = __add__

    def __neg__(self):
        return HyperDual(-self.a, -self.b, -self.c, -self.d)

    def __sub__(self, o):
        return self + (-HyperDual.lift(o))

    def __rsub__(self, o):
        return HyperDual.lift(o) - self

    def __mul__(self, o):
        o = HyperDual.lift(o)
        return HyperDual(self.a * o.a,
                         self.a * o.b + self.b * o.a,
                         self.a * o.c + self.c * o.a,
                         self.a * o.d + self.b * o.c + self.c * o.b + self.d * o.a)

    __rmul__ = __mul__

    def apply(self, f0, f1, f2) -> "HyperDual":
        """Lift a scalar function given f(a), f'(a), f''(a)."""
        return HyperDual(f0, f1 * self.b, f1 * self.c, f1 * self.d + f2 * self.b * self.c)

    def __repr__(self):
        return f"HyperDual({self.a}, {self.b}, {self.c}, {self.d})"


# --------------------------------------------------------------------------
# Scalar functions with analytic first and second derivatives
# --------------------------------------------------------------------------

def _sigmoid(t):
    # Both branches are exact formulas; the split only avoids huge exponentials.
    if t >= 0:
        return 1 / (1 + mpmath.exp(-t))
    e = mpmath.exp(t)
    return e / (1 + e)


def d_identity(t):
    return t, mpf(1), mpf(0)


def d_sigmoid(t):
    s = _sigmoid(t)
    return s, s * (1 - s), s * (1 - s) * (1 - 2 * s)


def d_tanh(t):
    th = mpmath.tanh(t)
    return th, 1 - th * th, -2 * th * (1 - th * th)


def d_softplus(t):
    # ln(1 + e^t) = max(t, 0) + ln(1 + e^{-|t|})
    s = _sigmoid(t)
    f = max(t, mpf(0)) + mpmath.log1p(mpmath.exp(-abs(t)))
    return f, s, s * (1 - s)


def d_relu(t):
    if t == 0:
        raise ValueError("relu evaluated exactly at its kink z = 0: Hessian undefined")
    return (t, mpf(1), mpf(0)) if t > 0 else (mpf(0), mpf(0), mpf(0))


def d_gelu(t):
    # f = t Phi(t); f' = Phi + t phi; f'' = 2 phi + t phi' = phi (2 - t^2)
    Phi = (1 + mpmath.erf(t / mpmath.sqrt(2))) / 2
    phi = mpmath.exp(-t * t / 2) / mpmath.sqrt(2 * mpmath.pi)
    return t * Phi, Phi + t * phi, phi * (2 - t * t)


def d_silu(t):
    # f = t s; f' = s + t s(1-s); f'' = s(1-s) (2 + t (1 - 2 s))
    s = _sigmoid(t)
    ds = s * (1 - s)
    return t * s, s + t * ds, ds * (2 + t * (1 - 2 * s))


GELU_C = "0.044715"


def d_gelu_tanh(t):
    # f = t/2 (1 + tanh u), u = k (t + c t^3), k = sqrt(2/pi);
    # f' = (1 + th)/2 + t/2 (1 - th^2) u';  f'' = (1 - th^2) u' + t/2 (th)'' with
    # (th)' = (1 - th^2) u', (th)'' = -2 th (1 - th^2) u'^2 + (1 - th^2) u''
    k, c = mpmath.sqrt(2 / mpmath.pi), mpf(GELU_C)
    u = k * (t + c * t ** 3)
    du, ddu = k * (1 + 3 * c * t * t), k * 6 * c * t
    th = mpmath.tanh(u)
    sech2 = 1 - th * th
    f = t / 2 * (1 + th)
    f1 = (1 + th) / 2 + t / 2 * sech2 * du
    f2 = sech2 * du + t / 2 * (-2 * th * sech2 * du * du + sech2 * ddu)
    return f, f1, f2


def d_leaky(slope):
    a = mpf(slope)

    def d(t):
        if t == 0:
            raise ValueError("leaky_relu evaluated exactly at its kink z = 0: Hessian undefined")
        return (t, mpf(1), mpf(0)) if t > 0 else (a * t, a, mpf(0))
    return d


def d_exp(t):
    e = mpmath.exp(t)
    return e, e, e


def d_log(t):
    return mpmath.log(t), 1 / t, -1 / (t * t)


ACTIVATION_DERIVS: dict[str, Callable] = {
    "identity": d_identity, "sigmoid": d_sigmoid, "tanh": d_tanh,
    "softplus": d_softplus, "relu": d_relu, "gelu": d_gelu, "silu": d_silu,
    "gelu_tanh": d_gelu_tanh,
}


def activation_derivs(name: str) -> Callable:
    slope = leaky_slope(name)
    return d_leaky(slope) if slope is not None else ACTIVATION_DERIVS[name]


def lift(fn: Callable, v: HyperDual) -> HyperDual:
    return v.apply(*fn(v.a))


# --------------------------------------------------------------------------
# Forward pass and losses over hyper-duals
# --------------------------------------------------------------------------

def forward(problem: Problem, theta):
    """Return (a_L, [z_1..z_L]) for hyper-dual theta (rows of HyperDual)."""
    a = [[HyperDual(v) for v in row] for row in problem.x]
    zs = []
    for (W, b), act in zip(problem.unflatten(theta), problem.activations):
        dout = len(W[0])
        z = []
        for row in a:
            zrow = []
            for j in range(dout):
                acc = b[j] if b is not None else HyperDual(0)
                for i, ai in enumerate(row):
                    acc = acc + ai * W[i][j]
                zrow.append(acc)
            z.append(zrow)
        zs.append(z)
        fn = activation_derivs(act)
        a = [[lift(fn, v) for v in zrow] for zrow in z]
    return a, zs


def loss_value(problem: Problem, out) -> HyperDual:
    if problem.loss.startswith("mse"):
        total = HyperDual(0)
        count = 0
        for orow, yrow in zip(out, problem.y):
            for o, y in zip(orow, yrow):
                r = y - o
                total = total + r * r
                count += 1
        return total if is_sum(problem.loss) else total * (mpf(1) / count)
    # softmax cross entropy: sum_k y_k (lse(o) - o_k), lse shifted by a constant;
    # sparse: lse(o) - o_c for the row's label c
    total = HyperDual(0)
    for orow, yrow in zip(out, problem.y):
        m = max(o.a for o in orow)
        s = HyperDual(0)
        for o in orow:
            s = s + lift(d_exp, o - m)
        lse = lift(d_log, s) + m
        if is_sparse(problem.loss):
            total = total + (lse - orow[int(yrow[0])])
            continue
        for o, y in zip(orow, yrow):
            total = total + (lse - o) * y
    return total if is_sum(problem.loss) else total * (mpf(1) / len(out))


def loss_hd(problem: Problem, i: int | None, j: int | None) -> HyperDual:
    """Loss with theta_i seeded along e1 and theta_j along e2."""
    theta = [HyperDual(p, 1 if k == i else 0, 1 if k == j else 0, 0)
             for k, p in enumerate(problem.params)]
    out, _ = forward(problem, theta)
    return loss_value(problem, out)


def hessian_hyperdual(problem: Problem):
    """Return (loss, gradient, Hessian) as mpf at the current precision."""
    P = problem.n_params
    H = [[mpf(0)] * P for _ in range(P)]
    g = [mpf(0)] * P
    loss = None
    for i in range(P):
        for j in range(i, P):
            v = loss_hd(problem, i, j)
            H[i][j] = H[j][i] = v.d
            if i == j:
                g[i] = v.b
                loss = v.a
    return loss, g, H


# --------------------------------------------------------------------------
# SymPy cross-check (exact rationals, symbolic differentiation)
# --------------------------------------------------------------------------

def sympy_derivatives(problem: Problem, digits: int):
    """Loss, gradient and Hessian by symbolic differentiation, evaluated with evalf.

    Inputs are exact rationals built from the JSON number text.  The symbolic
    derivatives come from sympy.diff alone (nothing is shared with the
    hand-written f', f'' or the hyper-dual algebra above).  ReLU is
    replaced, entry by entry, by its locally valid branch (z or 0), decided
    from the exact sign of z at the given parameters.
    """
    import sympy as sp

    raw = problem.raw
    Q = lambda t: sp.Rational(str(t))  # noqa: E731  (exact decimal -> rational)
    P = problem.n_params
    th = sp.symbols(f"t0:{P}")
    vals = {s: Q(v) for s, v in zip(th, raw["params"])}
    x = [[Q(v) for v in row] for row in raw["x"]]
    y = [[Q(v) for v in row] for row in raw["y"]]

    def act(name, z):
        if name == "identity":
            return z
        if name == "sigmoid":
            return 1 / (1 + sp.exp(-z))
        if name == "tanh":
            return sp.tanh(z)
        if name == "softplus":
            return sp.log(1 + sp.exp(z))
        if name == "gelu":
            return z * (1 + sp.erf(z / sp.sqrt(2))) / 2
        if name == "silu":
            return z / (1 + sp.exp(-z))
        if name == "gelu_tanh":
            return z * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (z + sp.Rational(GELU_C) * z ** 3))) / 2
        if name == "relu" or leaky_slope(name) is not None:
            zv = sp.N(z.xreplace(vals), 50)
            if zv == 0:
                raise ValueError("relu at its kink")
            low = sp.Integer(0) if name == "relu" else sp.Rational(leaky_slope(name)) * z
            return z if zv > 0 else low
        raise ValueError(name)

    a = x
    for (W, b), name in zip(problem.unflatten(list(th)), problem.activations):
        z = [[(b[j] if b is not None else 0) + sum(row[i] * W[i][j] for i in range(len(row)))
              for j in range(len(W[0]))] for row in a]
        a = [[act(name, v) for v in zrow] for zrow in z]

    if problem.loss.startswith("mse"):
        terms = [(yv - o) ** 2 for orow, yrow in zip(a, y) for o, yv in zip(orow, yrow)]
        L = sp.Add(*terms) / (1 if is_sum(problem.loss) else len(terms))
    else:
        rows = []
        for orow, yrow in zip(a, y):
            lse = sp.log(sp.Add(*[sp.exp(o) for o in orow]))
            if is_sparse(problem.loss):
                rows.append(lse - orow[int(yrow[0])])
            else:
                rows.append(sp.Add(*[yv * (lse - o) for o, yv in zip(orow, yrow)]))
        L = sp.Add(*rows) / (1 if is_sum(problem.loss) else len(rows))

    grad_exprs = [sp.diff(L, t) for t in th]
    pairs = [(i, j) for i in range(P) for j in range(i, P)]
    hess_exprs = [sp.diff(grad_exprs[i], th[j]) for i, j in pairs]

    # Evaluating the raw expression trees with evalf repeats the same
    # subexpressions (exp(z), erf(z), ...) thousands of times.  Instead, split
    # them with common-subexpression elimination and evaluate the pieces in
    # order with evalf at `digits + GUARD_DIGITS`, feeding earlier results
    # forward as Floats of that precision.
    exprs = [L] + grad_exprs + hess_exprs
    replacements, reduced = sp.cse(exprs, optimizations=None)
    prec = digits + GUARD_DIGITS
    known = dict(vals)
    for sym, sub in replacements:
        known[sym] = sp.N(sub.xreplace(known), prec)
    values = [mpf(str(sp.N(e.xreplace(known), prec))) for e in reduced]

    loss, grad = values[0], values[1:1 + P]
    H = [[mpf(0)] * P for _ in range(P)]
    for (i, j), v in zip(pairs, values[1 + P:]):
        H[i][j] = H[j][i] = v
    return loss, grad, H


def max_rel_diff(a: list, b: list) -> mpf:
    """max |a-b| / |b| over entries; entries with b == 0 are scaled by max|b|."""
    scale = max((abs(v) for v in b), default=mpf(0))
    worst = mpf(0)
    for u, v in zip(a, b):
        den = abs(v) if v != 0 else scale
        if den == 0:
            den = mpf(1)
        worst = max(worst, abs(u - v) / den)
    return worst


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def fmt(v: mpf, digits: int) -> str:
    """`digits` significant digits (trailing zeros kept); exact zero -> "0"."""
    if v == 0:
        return "0"
    return mpmath.nstr(v, digits, strip_zeros=False)


def flat(H):
    return [v for row in H for v in row]


def run_one(path: str, args, command: str) -> None:
    t0 = time.time()
    raw = load_json_exact(path)
    problem = Problem(raw)
    loss, grad, H = hessian_hyperdual(problem)
    P = problem.n_params
    msg = f"{os.path.basename(path)}: P={P}, hyper-dual {time.time() - t0:.1f}s"

    if args.check_sympy:
        t1 = time.time()
        s_loss, s_grad, s_H = sympy_derivatives(problem, args.digits)
        tol = mpf(10) ** (-(args.digits - 5))
        d_loss = max_rel_diff([loss], [s_loss])
        d_grad = max_rel_diff(grad, s_grad)
        d_H = max_rel_diff(flat(H), flat(s_H))
        msg += (f"; sympy {time.time() - t1:.1f}s, max rel diff loss "
                f"{mpmath.nstr(d_loss, 3)}, grad {mpmath.nstr(d_grad, 3)}, "
                f"hessian {mpmath.nstr(d_H, 3)}")
        for what, d in (("loss", d_loss), ("gradient", d_grad), ("hessian", d_H)):
            assert d <= tol, f"{path}: sympy/hyper-dual {what} disagree: {d}"

    if args.reference:
        ref = load_json_exact(args.reference)[args.reference_key]
        ref_H = [[mpf(str(v)) for v in row] for row in ref]
        d = max_rel_diff(flat(H), flat(ref_H))
        same = sum(fmt(u, args.digits) == fmt(v, args.digits)
                   for u, v in zip(flat(H), flat(ref_H)))
        msg += (f"; vs {os.path.basename(args.reference)}[{args.reference_key}]: "
                f"max rel diff {mpmath.nstr(d, 3)}, "
                f"{same}/{P * P} strings identical at {args.digits} digits")

    stem = os.path.basename(path)
    stem = stem[:-5] if stem.endswith(".json") else stem
    out = {
        "source": os.path.basename(path),
        "generator": GENERATOR,
        "command": command,
        "mpmath_version": mpmath.__version__,
        "digits": args.digits,
        "problem": raw,
        "hessian": [[fmt(v, args.digits) for v in row] for row in H],
        "loss": fmt(loss, args.digits),
        "gradient": [fmt(v, args.digits) for v in grad],
    }
    os.makedirs(args.out_dir, exist_ok=True)
    out_path = os.path.join(args.out_dir, stem + ".golden.json")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(dump_json(out) + "\n")
    print(msg + f" -> {out_path}", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Golden MLP loss Hessians via hyper-dual numbers over mpmath.")
    ap.add_argument("problems", nargs="+", metavar="PROBLEM.json")
    ap.add_argument("--digits", type=int, default=100,
                    help="significant digits written (work precision: digits + %d)"
                         % GUARD_DIGITS)
    ap.add_argument("--out-dir", required=True, help="directory for <stem>.golden.json")
    ap.add_argument("--check-sympy", action="store_true",
                    help="also differentiate symbolically with SymPy and assert "
                         "agreement to 10^-(digits-5) relative")
    ap.add_argument("--reference", metavar="FILE",
                    help="JSON file holding a reference Hessian (decimal strings) to "
                         "compare against (single problem only)")
    ap.add_argument("--reference-key", default="hessian_exact_decimal_inputs",
                    help="key of the reference Hessian in --reference FILE")
    args = ap.parse_args(argv)
    if args.reference and len(args.problems) != 1:
        ap.error("--reference needs exactly one problem file")
    outputs = [p for p in args.problems if p.endswith(".golden.json")]
    if outputs:
        ap.error(f"{outputs[0]} is an output file, not a problem file")
    if args.digits < 10:
        ap.error("--digits must be at least 10")

    mp.dps = args.digits + GUARD_DIGITS
    command = shlex.join([sys.executable] + (sys.argv if argv is None
                                             else [GENERATOR] + list(argv)))
    for path in args.problems:
        run_one(path, args, command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
