#!/usr/bin/env python3
"""Write the tensor-file fixtures of Clairaut's import tests, and their exact values.

Command (from the repository root; needs numpy and the `safetensors` Python package):

    python3 scripts/golden/import_fixtures.py --out tests/data/import

Writes into --out (all tiny, deterministic):

* ``model-torch.safetensors``: a 3-layer MLP [3, 4, 4, 2] as a PyTorch ``nn.Sequential``
  ``state_dict`` (float32): ``0.weight`` (4, 3), ``0.bias``, ``2.weight`` (4, 4), ``2.bias``,
  ``10.weight`` (2, 4), ``10.bias`` -- ``10`` sorts after ``2`` only in natural order.
* ``model-keras.safetensors``: its Keras twin (kernels (in, out) = the torch weights
  transposed): ``dense_9/kernel``, ``dense_10/kernel``, ``dense_11/kernel`` and biases.
* ``model-flax.npz``: the same as a flattened flax pytree, ``params/Dense_0/kernel`` ...
  (``numpy.savez``).
* ``model-flat.npy``: theta in Clairaut order (per layer W (in, out) row-major, then b), float64.
* ``model-f16.safetensors``: the torch model rounded to float16 (F16).
* ``batch.safetensors``: ``x`` (5, 3) and ``y`` (5, 2) float32, ``loss32`` (0-d float32: the
  mse loss computed by numpy in float32) and ``loss64`` (0-d float64: in float64 on the
  same float32 values), and ``x_bf16`` (bfloat16 values of x, written by hand: numpy has no
  bfloat16).
* ``x.npy`` (float64, C order) and ``y-fortran.npy`` (float32, Fortran order).
* ``model-wrongshape.safetensors``: the torch model with ``2.weight`` transposed (4, 4 -> the
  first layer's is (3, 4) instead of (4, 3)); ``bad-dtype.safetensors``: an int32 tensor.
* ``model-transposed.safetensors``: the Keras twin with its square kernel ``dense_10/kernel``
  left untransposed (every shape fits: only the reference loss can tell).
* ``problem-*.json``: problem files referencing these tensors (``problem-wrong-layout.json``
  uses ``model-transposed.safetensors``).
* ``golden.json``: every tensor's values as ``float.hex`` and as the exact decimal of the
  stored value (``format(decimal.Decimal(v), 'f')``), theta in Clairaut order computed here
  from the torch weights, and the two reference losses -- the independent golden the Rust
  tests compare with.
"""

import argparse
import json
import os
import struct
from decimal import Decimal

import numpy as np
from safetensors.numpy import save_file

LAYERS = [3, 4, 4, 2]
ACTS = ["tanh", "tanh", "identity"]
N = 5


def exact(v):
    return format(Decimal(float(v)), "f")


def record(a):
    flat = np.asarray(a).reshape(-1)
    return {
        "dtype": str(np.asarray(a).dtype),
        "shape": list(np.asarray(a).shape),
        "hex": [float(v).hex() for v in flat],
        "exact": [exact(v) for v in flat],
    }


def bf16_bits(a32):
    """bfloat16 bits of float32 values, rounded to nearest even."""
    u = np.asarray(a32, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    return r


def bf16_value(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors_raw(path, tensors):
    """A safetensors file by hand: {name: (dtype, shape, bytes)}, names sorted."""
    header, data, off = {}, b"", 0
    for name in sorted(tensors):
        dt, shape, raw = tensors[name]
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(raw)]}
        data += raw
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


def forward_loss(ws, bs, x, y, dt):
    a = x.astype(dt)
    for l, (w, b) in enumerate(zip(ws, bs)):
        z = (a @ w.T.astype(dt)).astype(dt) + b.astype(dt)
        a = np.tanh(z).astype(dt) if ACTS[l] == "tanh" else z
    d = (a - y.astype(dt)).astype(dt)
    return (np.sum(d * d, dtype=dt) / dt(d.size)).astype(dt)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/data/import")
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20261127)
    ws, bs = [], []
    for l in range(1, len(LAYERS)):
        ws.append(rng.uniform(-0.9, 0.9, (LAYERS[l], LAYERS[l - 1])).astype(np.float32))  # (out, in)
        bs.append(rng.uniform(-0.3, 0.3, (LAYERS[l],)).astype(np.float32))
    x = rng.uniform(-1, 1, (N, LAYERS[0])).astype(np.float32)
    y = rng.uniform(-1, 1, (N, LAYERS[-1])).astype(np.float32)

    torch_names = ["0", "2", "10"]
    keras_names = ["dense_9", "dense_10", "dense_11"]
    torch = {}
    keras = {}
    flax = {}
    for k in range(3):
        torch[f"{torch_names[k]}.weight"] = ws[k]
        torch[f"{torch_names[k]}.bias"] = bs[k]
        keras[f"{keras_names[k]}/kernel"] = np.ascontiguousarray(ws[k].T)
        keras[f"{keras_names[k]}/bias"] = bs[k]
        flax[f"params/Dense_{k}/kernel"] = np.ascontiguousarray(ws[k].T)
        flax[f"params/Dense_{k}/bias"] = bs[k]
    save_file(torch, f"{out}/model-torch.safetensors")
    save_file(keras, f"{out}/model-keras.safetensors")
    np.savez(f"{out}/model-flax.npz", **flax)
    theta = []
    for k in range(3):
        theta += [float(v) for v in ws[k].T.reshape(-1)] + [float(v) for v in bs[k]]
    np.save(f"{out}/model-flat.npy", np.array(theta, dtype=np.float64))
    f16 = {k: v.astype(np.float16) for k, v in torch.items()}
    save_file(f16, f"{out}/model-f16.safetensors")
    theta16 = []
    for k in range(3):
        w16, b16 = f16[f"{torch_names[k]}.weight"], f16[f"{torch_names[k]}.bias"]
        theta16 += [float(v) for v in w16.T.reshape(-1)] + [float(v) for v in b16]

    loss32 = forward_loss(ws, bs, x, y, np.float32)
    loss64 = forward_loss(ws, bs, x, y, np.float64)
    xb = bf16_bits(x)
    write_safetensors_raw(f"{out}/batch.safetensors", {
        "x": ("F32", list(x.shape), x.astype("<f4").tobytes()),
        "y": ("F32", list(y.shape), y.astype("<f4").tobytes()),
        "loss32": ("F32", [], np.float32(loss32).astype("<f4").tobytes()),
        "loss64": ("F64", [], np.float64(loss64).astype("<f8").tobytes()),
        "x_bf16": ("BF16", list(x.shape), xb.astype("<u2").tobytes()),
    })
    np.save(f"{out}/x.npy", x.astype(np.float64))
    np.save(f"{out}/y-fortran.npy", np.asfortranarray(y))
    wrong = dict(torch)
    wrong["0.weight"] = np.ascontiguousarray(ws[0].T)
    save_file(wrong, f"{out}/model-wrongshape.safetensors")
    save_file({"0.weight": np.zeros((4, 3), np.int32)}, f"{out}/bad-dtype.safetensors")

    head = {"layers": LAYERS, "activations": ACTS, "loss": "mse"}
    batch = {"x": {"file": "batch.safetensors", "tensor": "x"}, "y": {"file": "batch.safetensors", "tensor": "y"}}
    problems = {
        "problem-torch.json": {"params": {"file": "model-torch.safetensors", "layout": "torch"},
                               "reference_loss": {"file": "batch.safetensors", "tensor": "loss32"}},
        "problem-keras.json": {"params": {"file": "model-keras.safetensors", "layout": "keras"},
                               "reference_loss": {"file": "batch.safetensors", "tensor": "loss64"}},
        "problem-flax.json": {"params": {"file": "model-flax.npz", "layout": "flax"}},
        "problem-flat.json": {"params": {"file": "model-flat.npy", "layout": "flat"},
                              "x": {"file": "x.npy"}, "y": {"file": "y-fortran.npy"}},
        "problem-f16.json": {"params": {"file": "model-f16.safetensors", "layout": "torch"},
                             "x": {"file": "batch.safetensors", "tensor": "x_bf16"}},
    }
    for name, p in problems.items():
        full = dict(head, **batch)
        full.update(p)
        with open(f"{out}/{name}", "w") as f:
            json.dump(full, f, indent=1)
            f.write("\n")
    # the Keras twin with its square (4, 4) kernel left in torch's (out, in) orientation: every
    # shape fits, so only the reference loss can catch it
    swapped = dict(keras)
    swapped["dense_10/kernel"] = np.ascontiguousarray(keras["dense_10/kernel"].T)
    save_file(swapped, f"{out}/model-transposed.safetensors")
    with open(f"{out}/problem-wrong-layout.json", "w") as f:
        full = dict(head, **batch)
        full.update({"params": {"file": "model-transposed.safetensors", "layout": "keras"},
                     "reference_loss": {"file": "batch.safetensors", "tensor": "loss32"}})
        json.dump(full, f, indent=1)
        f.write("\n")

    golden = {
        "command": "python3 scripts/golden/import_fixtures.py --out tests/data/import",
        "numpy": np.__version__,
        "theta_exact": [exact(v) for v in theta],
        "theta_f16_exact": [exact(v) for v in theta16],
        "x": record(x),
        "y": record(y),
        "x_bf16_exact": [exact(v) for v in bf16_value(xb).reshape(-1)],
        "loss32": {"hex": float(loss32).hex(), "exact": exact(loss32)},
        "loss64": {"hex": float(loss64).hex(), "exact": exact(loss64)},
        "tensors": {k: record(v) for k, v in torch.items()},
    }
    with open(f"{out}/golden.json", "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
