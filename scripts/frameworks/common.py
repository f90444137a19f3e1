"""Shared part of the framework export scripts (jax_export.py, tf_export.py, torch_export.py).

Each script builds a small Sequential-style MLP in its framework, optionally trains it for a few
float32 SGD steps, and writes a Clairaut problem that references binary files (BYOM interchange,
issue 15) together with the framework's own Hessian of the loss w.r.t. all parameters, at
float32 and float64, permuted into Clairaut's theta order.  This module holds everything that
does not depend on the framework:

* the command line (``parse_args``) and the network (``Net``): generated from a seed in NumPy
  (``init_net``, so that every framework starts from the same numbers) or read from an earlier
  export / a Clairaut problem file (``load_net``, ``--from``);
* Clairaut's theta order and the layouts (``params_from_tensors``, ``permutation``): theta =
  concatenation over layers l = 1..L of [W_l as (in, out) flattened row-major, then b_l] (no
  b_l for a layer without a bias: ``--bias``, ``nn.Linear(bias=False)``, ``use_bias=False``;
  its b is ``None`` here and it has no bias tensor);
  ``torch`` stores W as (out, in) under ``<prefix>.weight``, ``keras``/``flax`` as (in, out)
  under ``<prefix>/kernel``; layers are the groups by prefix in natural sort order;
* an independent float64 NumPy reference of the loss and its gradient in theta order
  (``np_loss_grad``) and a finite-difference Hessian from it (``fd_hessian``), used by ``verify``
  to check the framework's permuted gradient and Hessians -- so a wrong permutation or transpose
  cannot pass;
* ``finish``: the checks, then the files (problem.json, model.safetensors, batch.safetensors,
  hessian-<framework>-f32.npy / -f64.npy, export.json, README.md) and the printed
  ``clairaut analyze --external`` command.

The exact-input rule: the float64 Hessian is computed at the *stored* values (float32 weights and
data cast exactly to float64), not at some float64 "original" -- so the float32 and the float64
Hessian are Hessians of the same function at the same point as Clairaut's certified truth, which
reads the stored floats bit-exactly (``as-stored``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import re
import shlex
import sys

import numpy as np

ACTIVATIONS = ("identity", "sigmoid", "tanh", "softplus", "relu", "gelu", "silu")
# leaky_relu: Clairaut's default slope 0.01; gelu_tanh: the tanh approximation of gelu
ACTIVATIONS = ACTIVATIONS + ("leaky_relu", "gelu_tanh")
LOSSES = ("mse", "mse:sum", "softmax_cross_entropy")
LAYOUTS = ("torch", "keras", "flax", "flat")
WEIGHT_NAMES = {"torch": ("weight",), "keras": ("kernel",), "flax": ("kernel",)}


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------

def parse_args(framework, doc, extra=None):
    """The shared command line; ``extra(parser)`` may add framework-specific options."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (created; files in it are overwritten)")
    ap.add_argument("--from", dest="source", metavar="PROBLEM",
                    help="reuse the network and batch of an earlier export (its folder or problem.json) "
                         "or of a Clairaut problem file with inline numbers; no training then")
    ap.add_argument("--layers", default="3,4,2", help="widths d0,d1,...,dL (default 3,4,2)")
    ap.add_argument("--activations", default="tanh",
                    help="one activation for every layer, or one per layer, comma separated "
                         f"({', '.join(ACTIVATIONS)}; default tanh)")
    ap.add_argument("--loss", default="mse", choices=LOSSES)
    ap.add_argument("--bias", default=None,
                    help="which layers have a bias: one flag per layer or one for all, comma separated "
                         "(1/0 or true/false; default: every layer). `--bias 1,0`: the last of two layers "
                         "is built without one (nn.Linear(bias=False), Dense(use_bias=False)); with "
                         "--from, a biased layer of the source loses its bias")
    ap.add_argument("--n", type=int, default=5, help="batch rows N (default 5)")
    ap.add_argument("--seed", type=int, default=0, help="NumPy seed of the initial weights and the batch")
    ap.add_argument("--train-steps", type=int, default=3,
                    help="float32 SGD steps taken by the framework before the export (default 3; 0 = none)")
    ap.add_argument("--lr", type=float, default=0.1, help="SGD learning rate (default 0.1)")
    ap.add_argument("--store-dtype", choices=("float32", "float64"), default=None,
                    help="dtype the weights and data are stored in (default float32; with --from a "
                         "binary export: its dtype; with --from an inline-number problem: float64). "
                         "float64: the f64 Hessian is at the stored values and the f32 one at them "
                         "rounded to float32, as a framework's cast does")
    if extra:
        extra(ap)
    args = ap.parse_args()
    args.framework = framework
    return args


# ----------------------------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------------------------

class Net:
    """layers, activations (one per layer), loss, per-layer W (in, out) and b (``None``: a layer
    without a bias), x, y -- NumPy arrays of one dtype (``dtype``: float32 or float64, the
    stored format)."""

    def __init__(self, layers, activations, loss, Ws, bs, x, y, dtype, origin):
        self.layers, self.activations, self.loss = list(layers), list(activations), loss
        self.dtype = np.dtype(dtype)
        self.Ws = [np.asarray(W, self.dtype) for W in Ws]
        self.bs = [None if b is None else np.asarray(b, self.dtype) for b in bs]
        self.x, self.y = np.asarray(x, self.dtype), np.asarray(y, self.dtype)
        self.origin = origin
        self.check()

    def check(self):
        L = len(self.layers) - 1
        assert L >= 1 and len(self.activations) == L, "need one activation per layer"
        assert all(a in ACTIVATIONS for a in self.activations), self.activations
        assert self.loss in LOSSES, self.loss
        for l in range(L):
            assert self.Ws[l].shape == (self.layers[l], self.layers[l + 1]), (l, self.Ws[l].shape)
            assert self.bs[l] is None or self.bs[l].shape == (self.layers[l + 1],), (l, self.bs[l].shape)
        assert self.x.ndim == 2 and self.x.shape[1] == self.layers[0], self.x.shape
        assert self.y.shape == (self.x.shape[0], self.layers[-1]), self.y.shape

    @property
    def bias(self):
        """One flag per layer: whether it has a bias."""
        return [b is not None for b in self.bs]

    @property
    def P(self):
        return n_params(self.layers, self.bias)

    def at(self, dtype):
        """(Ws, bs, x, y) in ``dtype``: exact for float32 -> float64, round to nearest for
        float64 -> float32 (NumPy's cast, the same as the frameworks')."""
        c = lambda a: np.asarray(a).astype(dtype)  # noqa: E731
        return [c(W) for W in self.Ws], [None if b is None else c(b) for b in self.bs], c(self.x), c(self.y)

    def theta(self, dtype=np.float64):
        Ws, bs, _, _ = self.at(dtype)
        return theta_of(Ws, bs)

    def with_params(self, Ws, bs):
        """A copy with new weights (same data), in the stored dtype (the weights must already
        be representable in it: they come from training in that dtype)."""
        for a in list(Ws) + [b for b in bs if b is not None]:
            assert np.array_equal(np.asarray(a, self.dtype), a), "weights not representable"
        return Net(self.layers, self.activations, self.loss, Ws, bs, self.x, self.y, self.dtype, self.origin)


def n_params(layers, bias=None):
    bias = bias or [True] * (len(layers) - 1)
    return sum(layers[l] * layers[l + 1] + (layers[l + 1] if bias[l] else 0) for l in range(len(layers) - 1))


def theta_of(Ws, bs):
    """Clairaut theta: per layer W (in, out) row-major, then b (none where b is None)."""
    return np.concatenate([np.concatenate([np.ravel(W, order="C")] + ([] if b is None else [np.ravel(b)]))
                           for W, b in zip(Ws, bs)])


def split_theta(theta, layers, bias=None):
    """Inverse of ``theta_of`` (``bias``: one flag per layer, default all true)."""
    bias = bias or [True] * (len(layers) - 1)
    Ws, bs, k = [], [], 0
    for l in range(len(layers) - 1):
        din, dout = layers[l], layers[l + 1]
        Ws.append(np.asarray(theta[k:k + din * dout]).reshape(din, dout))
        k += din * dout
        if bias[l]:
            bs.append(np.asarray(theta[k:k + dout]))
            k += dout
        else:
            bs.append(None)
    return Ws, bs


def parse_bias(text, L):
    """``--bias``: one flag per layer, or one for all (1/0, true/false)."""
    if text is None:
        return [True] * L
    flags = []
    for t in parse_list(text, "--bias"):
        if t.lower() not in ("1", "0", "true", "false"):
            sys.exit(f"error: --bias: {t!r} is not 1, 0, true or false")
        flags.append(t.lower() in ("1", "true"))
    flags = flags * L if len(flags) == 1 else flags
    if len(flags) != L:
        sys.exit(f"error: --bias has {len(flags)} flags for {L} layers")
    return flags


def parse_list(text, what, cast=str):
    return [cast(t.strip()) for t in str(text).split(",") if t.strip()] or sys.exit(f"error: empty {what}")


def init_net(args):
    """The network of the command line, from the seed (NumPy, float32): Glorot-uniform W,
    small normal b, x ~ N(0, 1), y ~ N(0, 0.5^2) for mse (mse:sum) or one-hot rows for cross-entropy."""
    layers = parse_list(args.layers, "--layers", int)
    acts = parse_list(args.activations, "--activations")
    acts = acts * (len(layers) - 1) if len(acts) == 1 else acts
    if len(acts) != len(layers) - 1:
        sys.exit(f"error: --activations has {len(acts)} names for {len(layers) - 1} layers")
    bad = [a for a in acts if a not in ACTIVATIONS]
    if bad:
        sys.exit(f"error: unknown activation {bad[0]!r} (known: {', '.join(ACTIVATIONS)})")
    bias = parse_bias(getattr(args, "bias", None), len(layers) - 1)
    rng = np.random.default_rng(args.seed)
    Ws, bs = [], []
    for l, (din, dout) in enumerate(zip(layers[:-1], layers[1:])):
        lim = math.sqrt(6.0 / (din + dout))
        Ws.append(rng.uniform(-lim, lim, size=(din, dout)).astype(np.float32))
        b = (0.1 * rng.standard_normal(dout)).astype(np.float32)  # drawn either way: same stream
        bs.append(b if bias[l] else None)
    x = rng.standard_normal((args.n, layers[0])).astype(np.float32)
    if args.loss in ("mse", "mse:sum"):
        y = (0.5 * rng.standard_normal((args.n, layers[-1]))).astype(np.float32)
    else:
        y = np.eye(layers[-1], dtype=np.float32)[rng.integers(0, layers[-1], size=args.n)]
    dtype = args.store_dtype or "float32"
    no_bias = "" if all(bias) else f", bias {bias}"
    origin = (f"seed {args.seed}: layers {layers}, activations {acts}, loss {args.loss}{no_bias}, N = {args.n}, "
              f"stored as {dtype}")
    return Net(layers, acts, args.loss, Ws, bs, x, y, dtype, origin)


# ----------------------------------------------------------------------------------------------
# Reading and writing tensors
# ----------------------------------------------------------------------------------------------

def read_tensors(path):
    """name -> array of a .safetensors, .npz or .npy (name None) file."""
    if path.endswith(".safetensors"):
        from safetensors.numpy import load_file
        return load_file(path)
    if path.endswith(".npz"):
        with np.load(path) as z:
            return {k: z[k] for k in z.files}
    if path.endswith(".npy"):
        return {None: np.load(path)}
    sys.exit(f"error: {path}: unknown tensor file extension (.safetensors, .npz, .npy)")


def read_ref(ref, base, field):
    """The array a problem field names: {"file", "tensor"} (no tensor for .npy)."""
    path = os.path.join(base, ref["file"])
    tensors = read_tensors(path)
    key = ref.get("tensor")
    if key not in tensors:
        sys.exit(f"error: {path}: no tensor {key!r} for `{field}` (has {sorted(map(str, tensors))})")
    return tensors[key]


def natural_key(text):
    """Digit runs compared as numbers: dense < dense_1 < dense_2 < dense_10."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def split_name(name):
    """(prefix, leaf) at the last '.' or '/'."""
    i = max(name.rfind("."), name.rfind("/"))
    return (name[:i], name[i + 1:]) if i >= 0 else ("", name)


def group_layers(names, layout):
    """[(prefix, weight name, bias name or None)] in natural order of the prefix; exits on names
    that are not weight/kernel/bias of the layout or on a layer without a weight (a layer
    without a bias tensor has no bias)."""
    wnames = WEIGHT_NAMES[layout]
    groups = {}
    for name in names:
        prefix, leaf = split_name(name)
        if leaf not in wnames + ("bias",):
            sys.exit(f"error: tensor {name!r} is not a {'/'.join(wnames)} or bias (layout {layout})")
        slot = "b" if leaf == "bias" else "w"
        if slot in groups.setdefault(prefix, {}):
            sys.exit(f"error: layer {prefix!r} has two {slot} tensors")
        groups[prefix][slot] = name
    out = []
    for prefix in sorted(groups, key=natural_key):
        g = groups[prefix]
        if "w" not in g:
            sys.exit(f"error: layer {prefix!r} lacks its {wnames[0]} tensor")
        out.append((prefix, g["w"], g.get("b")))
    return out


def params_from_tensors(tensors, layout, layers, bias=None):
    """Per-layer (W as (in, out), b or None) from the framework's named tensors (``bias``: the
    flags of a ``flat`` theta)."""
    if layout == "flat":
        (theta,) = tensors.values()
        return split_theta(np.ravel(theta), layers, bias)
    Ws, bs = [], []
    groups = group_layers(list(tensors), layout)
    if len(groups) != len(layers) - 1:
        sys.exit(f"error: {len(groups)} layers in the tensors, {len(layers) - 1} in `layers`")
    for l, (_, wn, bn) in enumerate(groups):
        W = tensors[wn].T if layout == "torch" else tensors[wn]
        exp = (layers[l], layers[l + 1])
        b = None if bn is None else tensors[bn]
        if W.shape != exp or (b is not None and b.shape != (layers[l + 1],)):
            sys.exit(f"error: tensor {wn!r}/{bn!r}: shapes {tensors[wn].shape}/{None if b is None else b.shape} "
                     f"do not fit layers {layers} (layout {layout})")
        if bias is not None and bias[l] != (b is not None):
            sys.exit(f"error: layer {l + 1}: `bias` says {bias[l]}, the tensors {'have' if b is not None else 'lack'} a bias")
        Ws.append(W)
        bs.append(b)
    return Ws, bs


def permutation(entries, layout):
    """``perm`` with theta_clairaut = theta_framework[perm], where theta_framework is the
    concatenation of the framework's tensors ``entries`` = [(name, shape)] in the framework's own
    order, each flattened in C order.  Layer order and roles come from the names (the same rule
    as Clairaut's import: natural sort of the prefix), the transpose from the layout."""
    index, k = {}, 0
    for name, shape in entries:
        size = int(np.prod(shape))
        index[name] = np.arange(k, k + size).reshape(shape)
        k += size
    perm = []
    for _, wn, bn in group_layers([n for n, _ in entries], layout):
        W = index[wn].T if layout == "torch" else index[wn]  # now (in, out)
        perm.append(np.ravel(W, order="C"))
        if bn is not None:
            perm.append(np.ravel(index[bn]))
    perm = np.concatenate(perm)
    assert sorted(perm.tolist()) == list(range(k)), "not a permutation"
    return perm


def permute_vector(v, perm):
    return np.asarray(v)[perm]


def permute_matrix(H, perm):
    return np.ascontiguousarray(np.asarray(H)[np.ix_(perm, perm)])


def blocks_to_matrix(blocks, sizes):
    """A (P, P) matrix from blocks[i][j] of shape shape_i + shape_j (framework order)."""
    return np.block([[np.asarray(blocks[i][j]).reshape(sizes[i], sizes[j]) for j in range(len(sizes))]
                     for i in range(len(sizes))])


def load_net(source, store_dtype=None):
    """The network of an earlier export (folder or problem.json) or of a problem file with
    inline decimal numbers (each parsed by Python's correctly rounded float(); stored as
    float64 unless ``store_dtype`` says float32)."""
    path = os.path.join(source, "problem.json") if os.path.isdir(source) else source
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        prob = json.load(f)
    if "problem" in prob and isinstance(prob["problem"], dict):
        prob = prob["problem"]
    layers, acts, loss = [int(d) for d in prob["layers"]], list(prob["activations"]), prob["loss"]
    bias = prob.get("bias")
    arrays = {}
    for field in ("x", "y"):
        v = prob[field]
        arrays[field] = read_ref(v, base, field) if isinstance(v, dict) else np.array(v, dtype=np.float64)
    p = prob["params"]
    if isinstance(p, dict):
        layout = p.get("layout", "flat")
        tensors = read_tensors(os.path.join(base, p["file"]))
        if layout == "flat":
            tensors = {p.get("tensor"): tensors[p.get("tensor")]}
        Ws, bs = params_from_tensors(tensors, layout, layers, bias)
        dtypes = {a.dtype for a in Ws + [b for b in bs if b is not None] + [arrays["x"], arrays["y"]]}
    else:
        Ws, bs = split_theta(np.array(p, dtype=np.float64), layers, bias)
        dtypes = {np.dtype(np.float64)}
    if len(dtypes) != 1 and store_dtype is None:
        sys.exit(f"error: {path}: mixed dtypes {sorted(map(str, dtypes))}; pass --store-dtype")
    dtype = np.dtype(store_dtype) if store_dtype else dtypes.pop()
    if dtype not in (np.float32, np.float64):
        sys.exit(f"error: {path}: dtype {dtype} (float32 or float64 only here)")
    for a in Ws + [b for b in bs if b is not None] + [arrays["x"], arrays["y"]]:
        if np.asarray(a).dtype.itemsize > dtype.itemsize and not np.array_equal(a.astype(dtype), a):
            print(f"note: {path}: values rounded to {dtype}", file=sys.stderr)
            break
    return Net(layers, acts, loss, Ws, bs, arrays["x"], arrays["y"], dtype,
               f"from {os.path.relpath(path)}, stored as {dtype}")


def net_for(args):
    """The network of the command line; with ``--from`` and ``--bias``, the source's layers whose
    flag is 0 lose their bias (a flag 1 on a bias-free layer of the source is an error)."""
    if not args.source:
        return init_net(args)
    net = load_net(args.source, args.store_dtype)
    if args.bias is not None:
        flags = parse_bias(args.bias, len(net.layers) - 1)
        if any(f and not h for f, h in zip(flags, net.bias)):
            sys.exit(f"error: --bias {args.bias}: the source {args.source} has no bias in layer(s) "
                     f"{[l + 1 for l, (f, h) in enumerate(zip(flags, net.bias)) if f and not h]}")
        net = Net(net.layers, net.activations, net.loss, net.Ws, [b if f else None for b, f in zip(net.bs, flags)],
                  net.x, net.y, net.dtype, net.origin + f", bias {flags}")
    return net


# ----------------------------------------------------------------------------------------------
# Independent float64 NumPy reference (Clairaut theta order)
# ----------------------------------------------------------------------------------------------

def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


_ERF = np.vectorize(math.erf)


def np_act(name, z):
    """(value, first derivative) of an activation, float64."""
    if name == "identity":
        return z, np.ones_like(z)
    if name == "sigmoid":
        s = _sigmoid(z)
        return s, s * (1.0 - s)
    if name == "tanh":
        t = np.tanh(z)
        return t, 1.0 - t * t
    if name == "softplus":
        return np.logaddexp(0.0, z), _sigmoid(z)
    if name == "relu":
        return np.maximum(z, 0.0), (z > 0).astype(z.dtype)
    if name == "gelu":
        Phi = 0.5 * (1.0 + _ERF(z / math.sqrt(2.0)))
        return z * Phi, Phi + z * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    if name == "silu":
        s = _sigmoid(z)
        return z * s, s + z * s * (1.0 - s)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z), np.where(z > 0, 1.0, 0.01)
    if name == "gelu_tanh":
        c = math.sqrt(2.0 / math.pi)
        t = np.tanh(c * (z + 0.044715 * z ** 3))
        return 0.5 * z * (1.0 + t), 0.5 * (1.0 + t) + 0.5 * z * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * z * z)
    raise ValueError(name)


def np_loss_grad(net, theta):
    """(loss, gradient in theta order) of ``net``'s model at ``theta`` (float64), hand-written
    backprop; mse = mean over all N*dL entries, mse:sum = their sum, cross-entropy = mean over rows of
    -sum_k y_k log_softmax(a_L)_k."""
    Ws, bs = split_theta(np.asarray(theta, np.float64), net.layers, net.bias)
    x, y = net.x.astype(np.float64), net.y.astype(np.float64)
    acts, dacts, a = [x], [], x
    for W, b, name in zip(Ws, bs, net.activations):
        a, da = np_act(name, a @ W if b is None else a @ W + b)
        acts.append(a)
        dacts.append(da)
    N = x.shape[0]
    if net.loss in ("mse", "mse:sum"):
        r = a - y
        loss = float(np.mean(r * r)) if net.loss == "mse" else float(np.sum(r * r))
        g = 2.0 * r / r.size if net.loss == "mse" else 2.0 * r
    else:
        m = a.max(axis=1, keepdims=True)
        lse = m + np.log(np.sum(np.exp(a - m), axis=1, keepdims=True))
        loss = float(np.mean(-np.sum(y * (a - lse), axis=1)))
        g = (np.exp(a - lse) * y.sum(axis=1, keepdims=True) - y) / N
    grads = []
    for l in range(len(Ws) - 1, -1, -1):
        delta = g * dacts[l]
        grads.append((acts[l].T @ delta, None if bs[l] is None else delta.sum(axis=0)))
        g = delta @ Ws[l].T
    grads.reverse()
    return loss, theta_of([gw for gw, _ in grads], [gb for _, gb in grads])


def fd_hessian(net, theta):
    """Central differences of the NumPy gradient, h_j = 1e-5 * max(1, |theta_j|)."""
    theta = np.asarray(theta, np.float64)
    H = np.empty((theta.size, theta.size))
    for j in range(theta.size):
        h = 1e-5 * max(1.0, abs(theta[j]))
        tp, tm = theta.copy(), theta.copy()
        tp[j] += h
        tm[j] -= h
        H[:, j] = (np_loss_grad(net, tp)[1] - np_loss_grad(net, tm)[1]) / (tp[j] - tm[j])
    return H


def rel(a, b):
    """max|a - b| / max(max|b|, tiny)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def asym(H):
    H = np.asarray(H, np.float64)
    return float(np.linalg.norm(H - H.T) / max(np.linalg.norm(H), 1e-300))


def verify(net, loss64, grad64, H32, H64):
    """Checks of the framework's results (gradient and Hessians already permuted into theta
    order) against the NumPy reference at the float64 point of the f64 run; returns the
    measured values, exits on failure.  A wrong permutation or a missing transpose moves entries
    by O(1) of max|H| and fails the gradient and the finite-difference checks."""
    theta = net.theta(np.float64)
    ref_loss, ref_grad = np_loss_grad(net, theta)
    fd = fd_hessian(net, theta)
    checks = {
        "loss_f64_rel_diff_vs_numpy": abs(loss64 - ref_loss) / max(abs(ref_loss), 1e-300),
        "grad_f64_rel_diff_vs_numpy": rel(grad64, ref_grad),
        "hessian_f64_rel_diff_vs_numpy_fd": rel(H64, fd),
        "hessian_f32_rel_diff_vs_numpy_fd": rel(H32, fd),
        "hessian_f32_rel_diff_vs_f64": rel(H32, H64),
        "asymmetry_f64": asym(H64),
        "asymmetry_f32": asym(H32),
        "asymmetric_pairs_f64": int(np.sum(np.triu(H64 != H64.T, 1))),
        "asymmetric_pairs_f32": int(np.sum(np.triu(H32 != H32.T, 1))),
    }
    limits = {"loss_f64_rel_diff_vs_numpy": 1e-6, "grad_f64_rel_diff_vs_numpy": 1e-6,
              "hessian_f64_rel_diff_vs_numpy_fd": 1e-5, "hessian_f32_rel_diff_vs_numpy_fd": 1e-3,
              "hessian_f32_rel_diff_vs_f64": 1e-3, "asymmetry_f64": 1e-12, "asymmetry_f32": 1e-4}
    bad = [f"{k} = {checks[k]:.3g} > {v:g}" for k, v in limits.items() if not checks[k] <= v]
    if bad:
        sys.exit("error: check failed (wrong theta permutation or a different model?): " + "; ".join(bad))
    # loss and gradient: above 1e-12 / 1e-10 a warning (the framework's float64 model is not
    # the exact one: TensorFlow's gelu builds 1/sqrt(2) through float32, ~1e-9), above 1e-6 an error
    for k, v in (("loss_f64_rel_diff_vs_numpy", 1e-12), ("grad_f64_rel_diff_vs_numpy", 1e-10)):
        if checks[k] > v:
            print(f"warning: {k} = {checks[k]:.3g} > {v:g}: the framework's float64 function differs from "
                  "the exact model by more than float64 rounding (its own formula or constant)", file=sys.stderr)
    return checks


# ----------------------------------------------------------------------------------------------
# Output
# ----------------------------------------------------------------------------------------------

def machine():
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return {"platform": platform.platform(), "cpu": cpu, "python": platform.python_version(),
            "numpy": np.__version__}


def command_line():
    return " ".join(shlex.quote(a) for a in [os.path.relpath(sys.argv[0])] + sys.argv[1:])


def finish(args, net, *, layout, tensors, entries, loss32, loss64, grad64, H32, H64, versions, how):
    """Permute, check, write the export folder and print the analyze command.

    ``tensors``: name -> stored array in the framework's layout; ``entries``: [(name, shape)] in
    the framework's flat order of ``grad64``, ``H32``, ``H64``; ``loss32``: the framework's loss
    in the stored format at the stored values (float32 unless stored as float64, then the f64
    loss); ``how``: a dict saying which framework functions computed what."""
    fw = args.framework
    perm = permutation(entries, layout)
    g = permute_vector(grad64, perm)
    h32 = permute_matrix(np.asarray(H32, np.float32), perm)
    h64 = permute_matrix(np.asarray(H64, np.float64), perm)
    assert h32.shape == h64.shape == (net.P, net.P)
    # the stored tensors must give back the network's theta (an independent path: names -> layout)
    Ws, bs = params_from_tensors(tensors, layout, net.layers, net.bias)
    assert np.array_equal(theta_of(Ws, bs), net.theta(net.dtype)), "stored tensors do not map to theta"
    checks = verify(net, loss64, g, h32, h64)

    out = args.out
    os.makedirs(out, exist_ok=True)
    from safetensors.numpy import save_file
    save_file({k: np.ascontiguousarray(v, net.dtype) for k, v in tensors.items()},
              os.path.join(out, "model.safetensors"))
    save_file({"x": np.ascontiguousarray(net.x), "y": np.ascontiguousarray(net.y),
               "loss": np.asarray(loss32, net.dtype).reshape(())}, os.path.join(out, "batch.safetensors"))
    problem = {"layers": net.layers, "activations": net.activations, "loss": net.loss}
    if not all(net.bias):
        problem["bias"] = net.bias  # stated explicitly (Clairaut also infers it from the tensors)
    problem.update({"params": {"file": "model.safetensors", "layout": layout},
               "x": {"file": "batch.safetensors", "tensor": "x"},
               "y": {"file": "batch.safetensors", "tensor": "y"},
               "reference_loss": {"file": "batch.safetensors", "tensor": "loss"}})
    with open(os.path.join(out, "problem.json"), "w") as f:
        f.write("{\n" + ",\n".join(f"  {json.dumps(k)}: {json.dumps(v)}" for k, v in problem.items()) + "\n}\n")
    names = {}
    for prec, H in (("f32", h32), ("f64", h64)):
        names[prec] = f"hessian-{fw}-{prec}.npy"
        np.save(os.path.join(out, names[prec]), np.ascontiguousarray(H))
    analyze = (f"clairaut analyze --problem {os.path.join(out, 'problem.json')} "
               + " ".join(f"--external {fw}-{p}={os.path.join(out, n)}" for p, n in names.items()))
    meta = {"framework": fw, "versions": versions, "machine": machine(), "command": command_line(),
            "network": net.origin, "train_steps": 0 if args.source else args.train_steps,
            "lr": None if args.source or not args.train_steps else args.lr,
            "store_dtype": str(net.dtype), "layout": layout, "P": net.P,
            "framework_tensor_order": [n for n, _ in entries],
            "loss_stored": float(loss32), "loss_f64_at_stored": loss64, "how": how, "checks": checks,
            "environment": {k: os.environ[k] for k in sorted(os.environ)
                            if k.startswith(("TF_", "XLA_", "JAX_", "OMP_", "MKL_", "KERAS_", "TORCH_"))},
            "analyze": analyze}
    with open(os.path.join(out, "export.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    write_readme(out, meta, names)
    for k, v in checks.items():
        print(f"  {k}: {v:.3g}" if isinstance(v, float) else f"  {k}: {v}")
    print(f"wrote {out}/: problem.json model.safetensors batch.safetensors {names['f32']} {names['f64']} "
          "export.json README.md")
    print(analyze)


DISPLAY = {"jax": "JAX", "tf": "TensorFlow", "torch": "PyTorch"}


def write_readme(out, meta, names):
    fw = DISPLAY.get(meta["framework"], meta["framework"])
    vers = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    m = meta["machine"]
    c = meta["checks"]
    lines = [
        f"# {os.path.basename(os.path.normpath(out))}: {fw} export",
        "",
        f"Written by `scripts/frameworks/{meta['framework']}_export.py` ({datetime.date.today().isoformat()}).",
        "",
        "Command (from the repository root):",
        "",
        "```",
        f"python {meta['command']}",
        "```",
        "",
        f"- Versions: {vers}; NumPy {m['numpy']}, Python {m['python']}.",
        f"- Platform: {m['platform']}, {m['cpu']}.",
        f"- Network: {meta['network']}; P = {meta['P']}; "
        + (f"trained {meta['train_steps']} float32 SGD steps (lr {meta['lr']}) by {fw}."
           if meta["train_steps"] else "no training in this export."),
        f"- `model.safetensors`: the weights in {fw}'s own names and layout (`{meta['layout']}`), "
        f"tensors {', '.join('`' + n + '`' for n in meta['framework_tensor_order'])}.",
        f"- `batch.safetensors`: `x`, `y` and `loss` = {fw}'s own loss at the stored values, in the "
        f"stored format ({meta['store_dtype']}).",
        f"- `{names['f32']}`, `{names['f64']}`: {fw}'s Hessian of the loss w.r.t. all parameters, (P, P), "
        "C order, rows and columns in Clairaut's theta order (per layer W as (in, out) row-major, then b); "
        + ("both at the stored float32 values (f64: cast exactly to float64)." if meta["store_dtype"] == "float32"
           else "f64 at the stored float64 values, f32 at them rounded to float32 (the framework's cast)."),
        "- How: " + "; ".join(f"{k}: {v}" for k, v in meta["how"].items()) + ".",
        "- `export.json`: all of the above, machine-readable, with the environment and the checks.",
        "",
        "Checks against an independent float64 NumPy reference in theta order (gradient) and its "
        "central-difference Hessian: "
        + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in c.items()) + ".",
        "",
        "Analyze:",
        "",
        "```",
        meta["analyze"],
        "```",
        "",
    ]
    with open(os.path.join(out, "README.md"), "w") as f:
        f.write("\n".join(lines))
