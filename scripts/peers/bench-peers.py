#!/usr/bin/env python3
"""Time the full MLP loss Hessian with peer tools (JAX, TensorFlow, mpmath) on Clairaut problems.

For each PROBLEM.json (Clairaut's problem format, optionally wrapped as {"problem": {...}}) the
loss is built as a function of the flat parameter vector theta (per layer [W_l row-major, b_l],
z_l = a_{l-1} @ W_l + b_l, a_l = act(z_l); mse = mean over all N*dL entries, softmax cross-entropy
= mean over rows) and the full P x P Hessian is timed with

* ``jax``        -- ``jax.jit(jax.hessian(loss))`` (forward-over-reverse), x64 enabled; the first
                    call (trace + XLA compile + run) is reported as ``warmup_s``, then the median
                    of ``--repeat`` warm calls (``block_until_ready``);
* ``tensorflow`` -- a ``tf.function`` computing ``t2.jacobian(t1.gradient(loss, theta), theta,
                    experimental_use_pfor=True)`` with nested ``GradientTape``s and theta a single
                    flat ``tf.Variable`` (reverse-over-reverse, vectorised with pfor); first call
                    (trace + run) = ``warmup_s``, then the median of ``--repeat`` calls (``.numpy()``);
* ``mpmath``     -- at ``--mpmath-digits`` decimal digits (numbers read as decimal text,
                    ``mpf("0.1")``, like Clairaut's ``--inputs decimal``), run once (no warm-up),
                    skipped for P > ``--skip-mpmath-above``; two engines (``--mpmath-methods``):
    - ``hyperdual`` (the straightforward one): every entry H_ij (i <= j, mirrored) by one
      hyper-dual evaluation of the loss (theta_i seeded with e1, theta_j with e2, H_ij read off the
      e1e2 coefficient), operator overloading, P(P+1)/2 forward passes.  If the full matrix takes
      longer than ``--mpmath-budget-s``, the entries are computed in a seeded random order until the
      budget is spent and the full time is *estimated* as elapsed / entries_done * P(P+1)/2
      (``"estimated": true`` and a ``note`` in the JSON);
    - ``fwd-rev``: per column i, a hand-written reverse sweep (backprop) over dual numbers seeded
      with e_i (forward-over-reverse; P gradient-like passes).  It shares no code with the
      hyper-dual engine; the two are compared entry by entry (``max_abs_diff_vs_other_mpmath_method``)
      and the first full mpmath matrix is the reference for ``max_abs_err_vs_mpmath`` of the
      float peers.

Each peer is optional: a failed import is recorded as ``unavailable`` with the error.  Threads
are not restricted (XLA and TF use their defaults); ``os.cpu_count()`` and the load average
before and after each measurement are recorded.  For every result the JSON has
``hessian_max_abs_diff_vs_jax`` (against JAX's Hessian at the same dtype),
``hessian_max_abs_diff_vs_jax_f64`` (against JAX at float64; for a float32 run that reference is
computed separately, untimed), ``hessian_max_abs`` and ``asymmetry_max_abs`` (max |H - H^T| of
the peer's own matrix).

Correctness check against Clairaut (``--check-clairaut FILE``, repeatable; default
``experiments/tf2-article/example1.json`` when the binary exists): JAX float64's Hessian is
compared with ``target/release/clairaut hessian --problem FILE --method fwd-rev --precision f64
--out H.json`` (decimal strings parsed exactly into binary64).  Recorded under
``"clairaut_checks"``; the run fails if the relative difference max|dH| / max|H| exceeds 1e-14.

Output: ``--out timings.json`` = {"machine": {...}, "clairaut_checks": [...], "results": [{"problem",
"P", "dtype", "peer", "warmup_s", "median_s", "runs", "hessian_max_abs_diff_vs_jax", ...}]};
``--append`` adds the results to an existing file instead of overwriting it.  A table is printed.

Set-up (virtualenv outside the repository; gmpy2 is optional and only speeds up mpmath, whose
backend is recorded in the JSON)::

    python3 -m venv /opt/peers-venv
    /opt/peers-venv/bin/pip install "jax[cpu]" tensorflow-cpu mpmath numpy
    /opt/peers-venv/bin/pip install gmpy2

Commands run for results/peers/peers-2026-11-26.json (from the repository root, on the
development machine: 2 cores shared with other work -- see the load averages recorded per
measurement; timings are therefore indicative)::

    /opt/peers-venv/bin/python scripts/peers/make-bench-problems.py
    /opt/peers-venv/bin/python scripts/peers/bench-peers.py \
        experiments/bench/p40-tanh-mse.json experiments/bench/p500-tanh-mse.json \
        experiments/bench/p2000-gelu-mse.json experiments/bench/p5000-tanh-ce.json \
        --dtype float64 --repeat 5 --mpmath-digits 77 --skip-mpmath-above 600 \
        --mpmath-budget-s 600 \
        --check-clairaut experiments/tf2-article/example1.json \
        --check-clairaut experiments/bench/p40-tanh-mse.json \
        --check-clairaut experiments/bench/p500-tanh-mse.json \
        --check-clairaut experiments/bench/p2000-gelu-mse.json \
        --check-clairaut experiments/bench/p5000-tanh-ce.json \
        --out results/peers/peers-2026-11-26.json
    /opt/peers-venv/bin/python scripts/peers/bench-peers.py \
        experiments/bench/p2000-gelu-mse.json experiments/bench/p5000-tanh-ce.json \
        --dtype float32 --repeat 5 --peers jax,tensorflow --no-check-clairaut \
        --append --out results/peers/peers-2026-11-26.json

Finding recorded by the gelu probe (``gelu_probe`` in the TensorFlow rows of gelu problems):
TensorFlow's ``tf.nn.gelu(approximate=False)`` builds 1/sqrt(2) with
``math_ops.cast(0.7071067811865476, dtype)``, which goes through a float32 tensor, so at float64
the constant is 0.7071067690849304 and gelu itself is only accurate to ~3e-7 relative; its
Hessian then differs from JAX's (and Clairaut's) by ~1e-9.  With the constant in float64 the TF
Hessian agrees with JAX's to ~1e-17.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLAIRAUT = os.path.join(REPO_ROOT, "target", "release", "clairaut")
EXAMPLE1 = os.path.join(REPO_ROOT, "experiments", "tf2-article", "example1.json")
# The benchmark problems, one path per line (also read by `clairaut bench table` and bench-table.sh)
PROBLEM_LIST = os.path.join(REPO_ROOT, "experiments", "bench", "problems.txt")
ACTIVATIONS = ("identity", "sigmoid", "tanh", "softplus", "relu", "gelu", "silu")
LOSSES = ("mse", "softmax_cross_entropy")


# ----------------------------------------------------------------------------------------------
# Problem files
# ----------------------------------------------------------------------------------------------

def load_problem(path):
    """The problem with every number kept as its JSON text (str)."""
    with open(path, encoding="utf-8") as f:
        raw = json.load(f, parse_float=str, parse_int=str)
    if "problem" in raw and isinstance(raw["problem"], dict):
        raw = raw["problem"]
    prob = {
        "layers": [int(d) for d in raw["layers"]],
        "activations": list(raw["activations"]),
        "loss": raw["loss"],
        "x": [[str(v) for v in row] for row in raw["x"]],
        "y": [[str(v) for v in row] for row in raw["y"]],
        "params": [str(v) for v in raw["params"]],
    }
    L = len(prob["layers"]) - 1
    assert L >= 1 and len(prob["activations"]) == L, "need len(activations) == len(layers) - 1"
    assert all(a in ACTIVATIONS for a in prob["activations"]), prob["activations"]
    assert prob["loss"] in LOSSES, prob["loss"]
    assert len(prob["params"]) == n_params(prob["layers"]), "wrong number of params"
    assert len(prob["x"]) == len(prob["y"]) > 0
    return prob


def n_params(layers):
    return sum(layers[l] * layers[l + 1] + layers[l + 1] for l in range(len(layers) - 1))


def as_f64(prob):
    """x, y, theta as float64 numpy arrays (each decimal text rounded once to binary64)."""
    x = np.array([[float(v) for v in r] for r in prob["x"]], dtype=np.float64)
    y = np.array([[float(v) for v in r] for r in prob["y"]], dtype=np.float64)
    th = np.array([float(v) for v in prob["params"]], dtype=np.float64)
    return x, y, th


def layer_slices(layers):
    out, k = [], 0
    for l in range(len(layers) - 1):
        din, dout = layers[l], layers[l + 1]
        out.append((k, din, dout, k + din * dout))  # W = theta[k:k+din*dout], b = theta[kb:kb+dout]
        k += din * dout + dout
    return out


# ----------------------------------------------------------------------------------------------
# JAX
# ----------------------------------------------------------------------------------------------

def jax_hessian_fn(prob, dtype):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    x0, y0, th0 = as_f64(prob)
    x = jnp.asarray(x0.astype(dtype))
    y = jnp.asarray(y0.astype(dtype))
    theta = jnp.asarray(th0.astype(dtype))
    acts = {
        "identity": lambda z: z,
        "sigmoid": jax.nn.sigmoid,
        "tanh": jnp.tanh,
        "softplus": jax.nn.softplus,
        "relu": jax.nn.relu,
        "gelu": lambda z: jax.nn.gelu(z, approximate=False),
        "silu": jax.nn.silu,
    }
    sl = layer_slices(prob["layers"])
    names = prob["activations"]
    loss_name = prob["loss"]

    def loss(th):
        a = x
        for (k, din, dout, kb), act in zip(sl, names):
            W = th[k:k + din * dout].reshape(din, dout)
            b = th[kb:kb + dout]
            a = acts[act](a @ W + b)
        if loss_name == "mse":
            return jnp.mean((y - a) ** 2)
        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(a, axis=1), axis=1))

    hess = jax.jit(jax.hessian(loss))

    def call():
        return np.asarray(hess(theta).block_until_ready())

    return call


# ----------------------------------------------------------------------------------------------
# TensorFlow
# ----------------------------------------------------------------------------------------------

def tf_hessian_fn(prob, dtype, gelu_variant="tf.nn.gelu"):
    """gelu_variant: "tf.nn.gelu" (tf.nn.gelu(approximate=False), what is timed) or
    "erfc-f64-constant" (0.5 * z * erfc(-z * sqrt(1/2)) with the constant in the working dtype;
    used only by the gelu probe)."""
    import tensorflow as tf

    tdt = tf.float64 if dtype == np.float64 else tf.float32
    x0, y0, th0 = as_f64(prob)
    x = tf.constant(x0.astype(dtype), dtype=tdt)
    y = tf.constant(y0.astype(dtype), dtype=tdt)
    theta = tf.Variable(th0.astype(dtype), dtype=tdt)
    acts = {
        "identity": lambda z: z,
        "sigmoid": tf.nn.sigmoid,
        "tanh": tf.nn.tanh,
        "softplus": tf.nn.softplus,
        "relu": tf.nn.relu,
        "gelu": ((lambda z: tf.nn.gelu(z, approximate=False)) if gelu_variant == "tf.nn.gelu" else
                 (lambda z: 0.5 * z * tf.math.erfc(-z * tf.constant(np.sqrt(0.5), dtype=tdt)))),
        "silu": tf.nn.silu,
    }
    sl = layer_slices(prob["layers"])
    names = prob["activations"]
    loss_name = prob["loss"]

    def loss(th):
        a = x
        for (k, din, dout, kb), act in zip(sl, names):
            W = tf.reshape(th[k:k + din * dout], (din, dout))
            b = th[kb:kb + dout]
            a = acts[act](tf.matmul(a, W) + b)
        if loss_name == "mse":
            return tf.reduce_mean(tf.square(y - a))
        return tf.reduce_mean(-tf.reduce_sum(y * tf.nn.log_softmax(a, axis=1), axis=1))

    @tf.function
    def hess():
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                l = loss(theta)
            g = t1.gradient(l, theta)
        return t2.jacobian(g, theta, experimental_use_pfor=True)

    def call():
        return hess().numpy()

    return call


# ----------------------------------------------------------------------------------------------
# mpmath: hyper-dual numbers, one loss evaluation per entry
# ----------------------------------------------------------------------------------------------

def mpmath_activations(mpmath):
    """(f, f', f'') of every activation, for mpmath numbers at the current precision."""
    ZERO, ONE = mpmath.mpf(0), mpmath.mpf(1)
    sqrt2, inv_sqrt_2pi = mpmath.sqrt(2), 1 / mpmath.sqrt(2 * mpmath.pi)

    def sig(t):
        return ONE / (ONE + mpmath.exp(-t))

    def phi(t):
        return inv_sqrt_2pi * mpmath.exp(-t * t / 2)

    def Phi(t):
        return mpmath.erfc(-t / sqrt2) / 2

    th = mpmath.tanh
    return {
        "identity": (lambda t: t, lambda t: ONE, lambda t: ZERO),
        "sigmoid": (sig, lambda t: sig(t) * (1 - sig(t)),
                    lambda t: sig(t) * (1 - sig(t)) * (1 - 2 * sig(t))),
        "tanh": (th, lambda t: 1 - th(t) ** 2, lambda t: -2 * th(t) * (1 - th(t) ** 2)),
        "softplus": (lambda t: mpmath.log1p(mpmath.exp(t)), sig, lambda t: sig(t) * (1 - sig(t))),
        "relu": (lambda t: t if t > 0 else ZERO, lambda t: ONE if t > 0 else ZERO,
                 lambda t: ZERO),
        "gelu": (lambda t: t * Phi(t), lambda t: Phi(t) + t * phi(t),
                 lambda t: phi(t) * (2 - t * t)),
        "silu": (lambda t: t * sig(t), lambda t: sig(t) * (1 + t * (1 - sig(t))),
                 lambda t: sig(t) * (1 - sig(t)) * (2 + t * (1 - 2 * sig(t)))),
    }


def make_mpmath_engine(prob, digits):
    import mpmath
    from mpmath import mp, mpf

    mp.dps = digits
    ZERO, ONE = mpf(0), mpf(1)

    class HD:
        """a + b e1 + c e2 + d e1e2, e1^2 = e2^2 = 0; mixes with plain mpf."""
        __slots__ = ("a", "b", "c", "d")

        def __init__(self, a, b, c, d):
            self.a, self.b, self.c, self.d = a, b, c, d

        def __add__(self, o):
            if isinstance(o, HD):
                return HD(self.a + o.a, self.b + o.b, self.c + o.c, self.d + o.d)
            return HD(self.a + o, self.b, self.c, self.d)

        __radd__ = __add__

        def __sub__(self, o):
            if isinstance(o, HD):
                return HD(self.a - o.a, self.b - o.b, self.c - o.c, self.d - o.d)
            return HD(self.a - o, self.b, self.c, self.d)

        def __rsub__(self, o):
            return HD(o - self.a, -self.b, -self.c, -self.d)

        def __neg__(self):
            return HD(-self.a, -self.b, -self.c, -self.d)

        def __mul__(self, o):
            if isinstance(o, HD):
                return HD(self.a * o.a, self.a * o.b + self.b * o.a, self.a * o.c + self.c * o.a,
                          self.a * o.d + self.b * o.c + self.c * o.b + self.d * o.a)
            return HD(self.a * o, self.b * o, self.c * o, self.d * o)

        __rmul__ = __mul__

    def lift(v, f, f1, f2):
        """f(v) for v mpf or HD, given callables for f, f', f''."""
        if not isinstance(v, HD):
            return f(v)
        fa, d1, d2 = f(v.a), f1(v.a), f2(v.a)
        return HD(fa, d1 * v.b, d1 * v.c, d1 * v.d + d2 * v.b * v.c)

    F = mpmath_activations(mpmath)
    EXP = (mpmath.exp, mpmath.exp, mpmath.exp)
    LOG = (mpmath.log, lambda t: 1 / t, lambda t: -1 / (t * t))

    def re(v):
        return v.a if isinstance(v, HD) else v

    X = [[mpf(v) for v in r] for r in prob["x"]]
    Y = [[mpf(v) for v in r] for r in prob["y"]]
    TH = [mpf(v) for v in prob["params"]]
    sl = layer_slices(prob["layers"])
    names = prob["activations"]
    loss_name = prob["loss"]
    N, dL = len(X), prob["layers"][-1]

    def loss(theta):
        total = ZERO
        for n in range(N):
            a = X[n]
            for (k, din, dout, kb), act in zip(sl, names):
                f = F[act]
                z = []
                for j in range(dout):
                    s = theta[kb + j]  # sum order: b_j first, then i = 0..din-1 (exact math anyway)
                    for i in range(din):
                        s = s + a[i] * theta[k + i * dout + j]
                    z.append(s)
                a = [lift(v, *f) for v in z]
            if loss_name == "mse":
                for k2 in range(dL):
                    r = Y[n][k2] - a[k2]
                    total = total + r * r
            else:
                m = max(re(v) for v in a)  # constant shift (its derivative cancels)
                se = ZERO
                for v in a:
                    se = se + lift(v - m, *EXP)
                lse = lift(se, *LOG) + m
                for k2 in range(dL):
                    total = total - Y[n][k2] * (a[k2] - lse)
        if loss_name == "mse":
            return total * (ONE / (N * dL))
        return total * (ONE / N)

    def entry(i, j):
        theta = list(TH)
        if i == j:
            theta[i] = HD(TH[i], ONE, ONE, ZERO)
        else:
            theta[i] = HD(TH[i], ONE, ZERO, ZERO)
            theta[j] = HD(TH[j], ZERO, ONE, ZERO)
        return loss(theta).d

    return entry, len(TH)


def make_mpmath_fwdrev(prob, digits):
    """Column engine: H[:, i] = tangent (direction e_i) of a hand-written reverse sweep, with dual
    numbers (value + tangent) over mpf -- forward-over-reverse, one gradient-like pass per column."""
    import mpmath
    from mpmath import mp, mpf

    mp.dps = digits
    ZERO, ONE = mpf(0), mpf(1)

    class D:
        """v + t e, e^2 = 0; mixes with plain mpf (tangent 0)."""
        __slots__ = ("v", "t")

        def __init__(self, v, t):
            self.v, self.t = v, t

        def __add__(self, o):
            if isinstance(o, D):
                return D(self.v + o.v, self.t + o.t)
            return D(self.v + o, self.t)

        __radd__ = __add__

        def __sub__(self, o):
            if isinstance(o, D):
                return D(self.v - o.v, self.t - o.t)
            return D(self.v - o, self.t)

        def __rsub__(self, o):
            return D(o - self.v, -self.t)

        def __neg__(self):
            return D(-self.v, -self.t)

        def __mul__(self, o):
            if isinstance(o, D):
                return D(self.v * o.v, self.v * o.t + self.t * o.v)
            return D(self.v * o, self.t * o)

        __rmul__ = __mul__

        def __truediv__(self, o):
            if isinstance(o, D):
                q = self.v / o.v
                return D(q, (self.t - q * o.t) / o.v)
            return D(self.v / o, self.t / o)

        def __rtruediv__(self, o):
            q = o / self.v
            return D(q, -q * self.t / self.v)

    def lift(x, f, f1):
        if not isinstance(x, D):
            return f(x)
        return D(f(x.v), f1(x.v) * x.t)

    # (f, f', f'') per activation
    F = mpmath_activations(mpmath)

    X = [[mpf(v) for v in r] for r in prob["x"]]
    Y = [[mpf(v) for v in r] for r in prob["y"]]
    TH = [mpf(v) for v in prob["params"]]
    sl = layer_slices(prob["layers"])
    names = prob["activations"]
    loss_name = prob["loss"]
    N, dL = len(X), prob["layers"][-1]

    def grad(theta):
        """Gradient of the loss by a hand-written reverse sweep (entries mpf or D)."""
        zs, acts = [], [X]
        for (k, din, dout, kb), act in zip(sl, names):
            f, f1, _ = F[act]
            Z = []
            for a in acts[-1]:
                z = []
                for j in range(dout):
                    s = theta[kb + j]
                    for i in range(din):
                        s = s + a[i] * theta[k + i * dout + j]
                    z.append(s)
                Z.append(z)
            zs.append(Z)
            acts.append([[lift(v, f, f1) for v in z] for z in Z])
        A = acts[-1]
        if loss_name == "mse":
            c = mpf(-2) / (N * dL)
            G = [[c * (Y[n][k2] - A[n][k2]) for k2 in range(dL)] for n in range(N)]
        else:
            G = []
            for n in range(N):
                m = max(v.v if isinstance(v, D) else v for v in A[n])
                e = [lift(v - m, mpmath.exp, mpmath.exp) for v in A[n]]
                se = ZERO
                for v in e:
                    se = se + v
                sy = ZERO
                for v in Y[n]:
                    sy = sy + v
                G.append([(e[k2] / se * sy - Y[n][k2]) * (ONE / N) for k2 in range(dL)])
        g = [None] * len(theta)
        for l in range(len(sl) - 1, -1, -1):
            k, din, dout, kb = sl[l]
            _, f1, f2 = F[names[l]]
            Gz = [[G[n][j] * lift(zs[l][n][j], f1, f2) for j in range(dout)] for n in range(N)]
            Aprev = acts[l]
            for i in range(din):
                for j in range(dout):
                    s = ZERO
                    for n in range(N):
                        s = s + Aprev[n][i] * Gz[n][j]
                    g[k + i * dout + j] = s
            for j in range(dout):
                s = ZERO
                for n in range(N):
                    s = s + Gz[n][j]
                g[kb + j] = s
            if l > 0:
                G = []
                for n in range(N):
                    row = []
                    for i in range(din):
                        s = ZERO
                        for j in range(dout):
                            s = s + Gz[n][j] * theta[k + i * dout + j]
                        row.append(s)
                    G.append(row)
        return g

    def column(i):
        theta = list(TH)
        theta[i] = D(TH[i], ONE)
        return [v.t if isinstance(v, D) else ZERO for v in grad(theta)]

    return column, len(TH)


def mpmath_hessian_fwdrev(prob, digits):
    column, P = make_mpmath_fwdrev(prob, digits)
    t0 = time.perf_counter()
    cols = [column(i) for i in range(P)]
    elapsed = time.perf_counter() - t0
    Hs = {(r, c): cols[c][r] for c in range(P) for r in range(P)}
    H = np.array([[float(cols[c][r]) for c in range(P)] for r in range(P)])
    return H, Hs, elapsed


def mpmath_hessian(prob, digits, budget_s, seed=0):
    entry, P = make_mpmath_engine(prob, digits)
    pairs = [(i, j) for i in range(P) for j in range(i, P)]
    random.Random(seed).shuffle(pairs)
    H = np.full((P, P), np.nan)
    Hs = {}
    t0 = time.perf_counter()
    done = 0
    for (i, j) in pairs:
        v = entry(i, j)
        Hs[(i, j)] = v
        H[i, j] = H[j, i] = float(v)
        done += 1
        if time.perf_counter() - t0 > budget_s and done < len(pairs):
            break
    elapsed = time.perf_counter() - t0
    return H, Hs, elapsed, done, len(pairs)


# ----------------------------------------------------------------------------------------------
# Clairaut
# ----------------------------------------------------------------------------------------------

def clairaut_hessian(problem, method="fwd-rev", precision="f64", timeout=3600):
    """Clairaut's Hessian as float64 (decimal strings parsed by float(): exact for f64/f32)."""
    for attempt in range(20):
        if os.path.exists(CLAIRAUT) and os.access(CLAIRAUT, os.X_OK):
            break
        time.sleep(30)  # binary missing: another engineer may be rebuilding it
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "h.json")
        cmd = [CLAIRAUT, "hessian", "--problem", problem, "--method", method,
               "--precision", precision, "--out", out]
        for attempt in range(10):
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            if r.returncode == 0:
                break
            time.sleep(30)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr}")
        with open(out) as f:
            doc = json.load(f)
    shown = " ".join(os.path.relpath(c, REPO_ROOT) if c.startswith(REPO_ROOT) else c for c in cmd[:-2])
    return np.array([[float(s) for s in row] for row in doc["hessian"]]), shown + " --out H.json", r.stdout


def tf_gelu_probe(prob, H_jax64):
    """Why TF's float64 Hessian differs from JAX's on gelu problems: the constant 1/sqrt(2) in
    tf.nn.gelu(approximate=False) is built by math_ops.cast(0.7071067811865476, dtype), which first
    converts the Python float to a float32 tensor.  Measures the constant, gelu's own float64 error
    on a grid against mpmath, and the TF Hessian with the constant in float64 instead."""
    import mpmath
    import tensorflow as tf
    from tensorflow.python.ops import math_ops

    c = float(math_ops.cast(0.7071067811865476, tf.float64).numpy())
    xs = np.linspace(-4.0, 4.0, 801)
    g = tf.nn.gelu(tf.constant(xs, tf.float64), approximate=False).numpy()
    with mpmath.workdps(40):
        ref = np.array([float(mpmath.mpf(v) * mpmath.ncdf(mpmath.mpf(v))) for v in xs])
    nz = ref != 0
    out = {
        "inv_sqrt2_constant_used_by_tf.nn.gelu_at_float64": repr(c),
        "float64_sqrt_half": repr(float(np.sqrt(0.5))),
        "constant_is_float32_rounded": c == float(np.float32(0.7071067811865476)),
        "tf.nn.gelu_float64_max_rel_err_on_linspace(-4,4,801)_vs_mpmath": float(
            np.max(np.abs(g[nz] - ref[nz]) / np.abs(ref[nz]))),
    }
    if H_jax64 is not None:
        H = tf_hessian_fn(prob, np.float64, gelu_variant="erfc-f64-constant")()
        out["tf_hessian_with_gelu_as_0.5*z*erfc(-z*sqrt(0.5)_float64)_max_abs_diff_vs_jax_f64"] = \
            max_abs_diff(H, H_jax64)
    return out


# ----------------------------------------------------------------------------------------------
# Machine description
# ----------------------------------------------------------------------------------------------

def machine_info():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cpu_model": cpu,
        "os_cpu_count": os.cpu_count(),
        "sched_getaffinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "threads": "not restricted (XLA / TF defaults); no *_NUM_THREADS or XLA_FLAGS set by this script",
        "env": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "XLA_FLAGS", "TF_NUM_INTRAOP_THREADS",
                                           "TF_NUM_INTEROP_THREADS", "MKL_NUM_THREADS")
                if k in os.environ},
        "loadavg_at_start": os.getloadavg(),
    }
    try:
        with open("/proc/meminfo") as f:
            info["mem_total"] = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    for mod in ("numpy", "jax", "jaxlib", "tensorflow", "mpmath", "gmpy2"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", None) or (m.version() if hasattr(m, "version") else "?")
        except Exception as e:  # noqa: BLE001
            info[mod] = f"unavailable: {type(e).__name__}: {e}"
    try:
        import mpmath.libmp
        info["mpmath_backend"] = mpmath.libmp.BACKEND
    except Exception:  # noqa: BLE001
        pass
    return info


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------

def max_abs_diff(a, b):
    if a is None or b is None:
        return None
    m = ~np.isnan(a)
    return float(np.max(np.abs(a[m].astype(np.float64) - b[m].astype(np.float64))))


def time_peer(make, prob, dtype, repeat):
    call = make(prob, dtype)
    la0 = os.getloadavg()
    t0 = time.perf_counter()
    H = call()
    warm = time.perf_counter() - t0
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        H = call()
        runs.append(time.perf_counter() - t0)
    return H, warm, runs, [la0, os.getloadavg()]


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v:.3g}"


def main():
    ap = argparse.ArgumentParser(description="Time full MLP loss Hessians with JAX, TensorFlow and mpmath.")
    ap.add_argument("problems", nargs="*",
                    help=f"problem files (default: those listed in {os.path.relpath(PROBLEM_LIST, REPO_ROOT)})")
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--mpmath-digits", type=int, default=77)
    ap.add_argument("--skip-mpmath-above", type=int, default=600)
    ap.add_argument("--mpmath-budget-s", type=float, default=1200.0,
                    help="stop mpmath after this many seconds and estimate the full time")
    ap.add_argument("--peers", default="jax,tensorflow,mpmath")
    ap.add_argument("--mpmath-methods", default="fwd-rev,hyperdual",
                    help="comma list of mpmath engines: fwd-rev (per column), hyperdual (per entry)")
    ap.add_argument("--check-clairaut", action="append", default=None, metavar="FILE",
                    help="compare JAX f64 with clairaut fwd-rev f64 on FILE (default: example1.json)")
    ap.add_argument("--no-check-clairaut", action="store_true")
    ap.add_argument("--out", default=None)
    ap.add_argument("--append", action="store_true", help="add results to an existing --out file")
    args = ap.parse_args()
    if not args.problems:
        with open(PROBLEM_LIST, encoding="utf-8") as f:
            lines = (line.split("#", 1)[0].strip() for line in f)
            args.problems = [os.path.join(REPO_ROOT, line) for line in lines if line]

    peers = [p.strip() for p in args.peers.split(",") if p.strip()]
    dtype = np.float64 if args.dtype == "float64" else np.float32
    available = {}
    for peer, mod in (("jax", "jax"), ("tensorflow", "tensorflow"), ("mpmath", "mpmath")):
        if peer not in peers:
            continue
        try:
            __import__(mod)
            available[peer] = None
        except Exception as e:  # noqa: BLE001
            available[peer] = f"{type(e).__name__}: {e}"

    doc = {"machine": machine_info(), "clairaut_checks": [], "results": []}
    if args.append and args.out and os.path.exists(args.out):
        with open(args.out) as f:
            doc = json.load(f)
    invocation = {"argv": sys.argv, "date": datetime.datetime.now().isoformat(timespec="seconds"),
                  "loadavg_at_start": os.getloadavg()}
    doc.setdefault("invocations", []).append(invocation)

    def save():
        if args.out:
            os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
            with open(args.out + ".tmp", "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            os.replace(args.out + ".tmp", args.out)

    # --- correctness check against Clairaut ------------------------------------------------
    checks = [] if args.no_check_clairaut else (args.check_clairaut or [EXAMPLE1])
    for path in checks:
        if available.get("jax", "x") is not None:
            doc["clairaut_checks"].append({"problem": path, "status": "skipped: jax unavailable"})
            continue
        prob = load_problem(path)
        Hj = jax_hessian_fn(prob, np.float64)()
        Hc, cmd, _ = clairaut_hessian(path)
        d = float(np.max(np.abs(Hj - Hc)))
        rel = d / float(np.max(np.abs(Hc)))
        ok = rel <= 1e-14
        doc["clairaut_checks"].append({
            "problem": os.path.relpath(path, REPO_ROOT), "clairaut_command": cmd,
            "jax": "jax.jit(jax.hessian(loss)), float64",
            "max_abs_diff": d, "max_abs_clairaut": float(np.max(np.abs(Hc))),
            "rel_diff_max_over_max": rel,
            "bitwise_equal_entries": int(np.sum(Hj == Hc)), "entries": int(Hc.size),
            "pass_1e-14": ok})
        print(f"clairaut check {os.path.relpath(path, REPO_ROOT)}: max|H_jax - H_clairaut| = {d:.3g}"
              f" (relative {rel:.3g}), {int(np.sum(Hj == Hc))}/{Hc.size} entries bitwise equal")
        save()
        if not ok:
            sys.exit(f"JAX and Clairaut disagree on {path}: relative {rel:.3g}")

    # --- timings ---------------------------------------------------------------------------
    mp_methods = [m.strip() for m in args.mpmath_methods.split(",") if m.strip()]
    for path in args.problems:
        prob = load_problem(path)
        P = n_params(prob["layers"])
        rel = os.path.relpath(os.path.abspath(path), REPO_ROOT)
        print(f"== {rel}: P = {P}, dtype {args.dtype}", flush=True)
        H_jax, H_jax64 = None, None
        mp_ref = None  # full mpmath Hessian {(i, j): mpf} once computed
        base = {"problem": rel, "P": P, "dtype": args.dtype, "layers": prob["layers"],
                "activations": prob["activations"], "loss": prob["loss"], "N": len(prob["x"])}
        float_results = []  # this problem's jax / tensorflow results, with their matrices
        runs_todo = [(peer, None) for peer in peers if peer != "mpmath"]
        if "mpmath" in peers:
            runs_todo += [("mpmath", m) for m in mp_methods]
        for peer, mp_method in runs_todo:
            res = dict(base, peer=peer)
            if peer not in available:
                res["status"] = "unknown peer"
            elif available[peer] is not None:
                res["status"] = "unavailable: " + available[peer]
            elif peer in ("jax", "tensorflow"):
                make = jax_hessian_fn if peer == "jax" else tf_hessian_fn
                res["method"] = ("jax.jit(jax.hessian(loss)) [jacfwd(jacrev)], jax_enable_x64"
                                 if peer == "jax" else
                                 "tf.function: t2.jacobian(t1.gradient(loss, theta), theta, "
                                 "experimental_use_pfor=True), theta one flat tf.Variable")
                try:
                    H, warm, runs, la = time_peer(make, prob, dtype, args.repeat)
                    if peer == "jax":
                        H_jax = H
                        if dtype == np.float64:
                            H_jax64 = H
                    if H_jax64 is None and available.get("jax") is None:
                        H_jax64 = jax_hessian_fn(prob, np.float64)()  # untimed reference
                    res.update(status="ok", warmup_s=warm, median_s=statistics.median(runs),
                               runs=runs, loadavg_before_after=la,
                               hessian_max_abs_diff_vs_jax=max_abs_diff(H, H_jax),
                               hessian_max_abs_diff_vs_jax_f64=max_abs_diff(H, H_jax64),
                               hessian_max_abs=float(np.max(np.abs(H))),
                               asymmetry_max_abs=float(np.max(np.abs(H - H.T))),
                               hessian_dtype=str(H.dtype))
                    float_results.append((res, H))
                    if peer == "tensorflow" and "gelu" in prob["activations"]:
                        res["gelu_probe"] = tf_gelu_probe(prob, H_jax64)
                except Exception as e:  # noqa: BLE001
                    res.update(status=f"error: {type(e).__name__}: {e}",
                               traceback=traceback.format_exc())
                del make
            elif P > args.skip_mpmath_above:
                res.update(mpmath_method=mp_method,
                           status=f"skipped: P = {P} > --skip-mpmath-above {args.skip_mpmath_above}")
            else:  # mpmath
                if H_jax64 is None and available.get("jax") is None:
                    H_jax64 = jax_hessian_fn(prob, np.float64)()
                la0 = os.getloadavg()
                if mp_method == "fwd-rev":
                    res["method"] = (f"mpmath {args.mpmath_digits} digits, forward-over-reverse: per "
                                     "column i a hand-written reverse sweep over dual numbers seeded "
                                     "with e_i (P gradient-like passes); inputs as decimal text")
                    H, Hs, elapsed = mpmath_hessian_fwdrev(prob, args.mpmath_digits)
                    done = total = P * P
                else:
                    res["method"] = (f"mpmath {args.mpmath_digits} digits, hyper-dual per entry "
                                     "(i <= j, mirrored; P(P+1)/2 loss evaluations); inputs as "
                                     "decimal text")
                    H, Hs, elapsed, done, total = mpmath_hessian(prob, args.mpmath_digits,
                                                                 args.mpmath_budget_s)
                full = done == total
                est = elapsed if full else elapsed / done * total
                res.update(mpmath_method=mp_method,
                           status="ok" if full else "partial (time estimated)",
                           digits=args.mpmath_digits, warmup_s=None, median_s=est,
                           runs=[elapsed], estimated=not full, entries_computed=done,
                           entries_total=total, elapsed_s=elapsed,
                           loadavg_before_after=[la0, os.getloadavg()],
                           hessian_max_abs_diff_vs_jax=max_abs_diff(H, H_jax if dtype == np.float64 else H_jax64),
                           hessian_max_abs_diff_vs_jax_f64=max_abs_diff(H, H_jax64),
                           hessian_max_abs=float(np.nanmax(np.abs(H))))
                if mp_method == "fwd-rev":
                    res["asymmetry_max_abs_mp"] = float(max(abs(Hs[(i, j)] - Hs[(j, i)])
                                                            for (i, j) in Hs if i < j)) if P > 1 else 0.0
                if not full:
                    res["note"] = (f"only {done} of {total} entries (i <= j, seeded random order) "
                                   f"computed in {elapsed:.1f} s (the --mpmath-budget-s); median_s = "
                                   f"elapsed / {done} * {total} is an ESTIMATE of the full Hessian's "
                                   "time; the diffs are over the computed entries only")
                if mp_ref is not None:
                    res["max_abs_diff_vs_other_mpmath_method"] = float(
                        max(abs(v - mp_ref[k]) for k, v in Hs.items()))
                if full and mp_ref is None:
                    mp_ref = Hs
                    # error of each float peer's matrix against the high-precision entries
                    from mpmath import mpf
                    for fres, Hf in float_results:
                        fres["max_abs_err_vs_mpmath"] = float(max(
                            abs(mpf(float(Hf[i, j])) - v) for (i, j), v in Hs.items()))
                        fres["mpmath_reference"] = f"{mp_method}, {args.mpmath_digits} digits"
                if H_jax64 is not None:
                    from mpmath import mpf
                    res["jax_f64_max_abs_err_vs_this"] = float(max(
                        abs(mpf(float(H_jax64[i, j])) - v) for (i, j), v in Hs.items()))
                del H, Hs
            doc["results"].append(res)
            save()
            name = peer if mp_method is None else f"{peer}:{mp_method}"
            print(f"   {name:18s} {res.get('status', '')[:40]:24s} warmup {fmt(res.get('warmup_s'))} s, "
                  f"median {fmt(res.get('median_s'))} s, max|H-H_jax| {fmt(res.get('hessian_max_abs_diff_vs_jax'))}",
                  flush=True)
        save()
        del H_jax, H_jax64, float_results, mp_ref

    invocation["loadavg_at_end"] = os.getloadavg()
    save()

    # --- table -----------------------------------------------------------------------------
    print()
    hdr = f"{'problem':24s} {'P':>5s} {'dtype':8s} {'peer':18s} {'warmup_s':>9s} {'median_s':>9s} {'|dH| vs jax':>11s} {'|dH| vs jax64':>13s}"
    print(hdr)
    print("-" * len(hdr))
    for r in doc["results"]:
        med = fmt(r.get("median_s")) + ("*" if r.get("estimated") else "")
        name = r["peer"] + (":" + r["mpmath_method"] if r.get("mpmath_method") else "")
        print(f"{os.path.basename(r['problem']):24s} {r['P']:5d} {r['dtype']:8s} {name:18s} "
              f"{fmt(r.get('warmup_s')):>9s} {med:>9s} {fmt(r.get('hessian_max_abs_diff_vs_jax')):>11s} "
              f"{fmt(r.get('hessian_max_abs_diff_vs_jax_f64')):>13s}"
              + ("" if r.get("status", "ok") in ("ok", "partial (time estimated)") else "  " + r["status"][:60]))
    if any(r.get("estimated") for r in doc["results"]):
        print("* estimated from a timed subset of entries")


if __name__ == "__main__":
    main()
