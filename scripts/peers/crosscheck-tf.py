#!/usr/bin/env python3
"""Run the TF2 Hessian-symmetry article's three code examples verbatim, then cross-check a
corrected TensorFlow Hessian of the same configuration against Clairaut.

The article: /work/shared/reference/tf2-hessian-symmetry-article.md ("Is the Hessian matrix of an
MLP's parameters with respect to a loss function symmetric in TensorFlow 2.0?", 2025-01-30).

(a) Verbatim runs.  Each of the article's three code blocks is stored below as a string, copied
    exactly as printed (EXAMPLE1, EXAMPLE2, EXAMPLE3; at run time they are also compared with the
    article's code blocks when the article file is present).  Examples 2 and 3 contain the
    placeholder line ``# ... (same MLP and loss function as Example 1) ...``; it is replaced by
    Example 1's definitions exactly as printed -- the three ``# Define ...`` blocks (the MLP, the
    loss function and the parameters x, y_true, weights, bias) -- and nothing else ("fill A", the
    primary run).  Because the placeholder's words name only "MLP and loss function", a second
    run ("fill B") fills it with just the first two blocks (simple_mlp and mse_loss).  Every run
    executes in a fresh namespace with ``exec``; its stdout/stderr (Python level) and any
    exception with its traceback are recorded exactly.
    After the verbatim runs, clearly labelled *diagnostics* (not part of the article's code) look
    at what the code would have computed: Example 1 with the gradients taken inside the tape
    (shapes of the jacobians, missing weight-bias blocks), Example 2's ``approx_hessian`` called
    (from the namespace of its verbatim run) with a recording loss function of the signature its
    body uses, and whether ``GradientTape.hessian`` / ``tf.hessians`` exist.

(b) Corrected Hessian.  theta = [W row-major (2x2, in x out), b] (Clairaut's convention),
    loss = mse_loss(y_true, simple_mlp(x, W, b)) with the article's x = [[1, 2]], y_true = [[0.5]]
    (broadcast to both outputs), W = [[0.1, 0.2], [0.3, 0.4]], b = [0.5, 0.6]; the full 6x6 Hessian
    (including the weight-bias cross blocks) by nested GradientTapes,
    ``t2.jacobian(t1.gradient(loss, theta), theta)``, at float32 and float64 (eager with pfor --
    the primary -- plus eager without pfor and inside tf.function, as variants).  It is compared
    entry by entry with Clairaut's ``rev-rev`` Hessian of experiments/tf2-article/example1.json at
    f32 and f64 (``target/release/clairaut hessian --problem ... --method rev-rev --precision
    f32|f64 --out H.json``; the decimal strings are rounded exactly, once, into the format): max abs
    difference, number of bitwise-equal entries, TF's own asymmetry max|H - H^T|, and the error of
    both against the exact Hessian in /work/shared/reference/tf2-example-exact.json (SymPy, 100
    digits, decimal inputs).

Output: ``--out-dir`` (default results/tf2-article): crosscheck-tf.json and crosscheck-tf.md.

Set-up (virtualenv outside the repository)::

    python3 -m venv /opt/peers-venv
    /opt/peers-venv/bin/pip install "jax[cpu]" tensorflow-cpu mpmath numpy

Command run (from the repository root, after the Clairaut binary target/release/clairaut was
built by ``cargo build --release``)::

    /opt/peers-venv/bin/python scripts/peers/crosscheck-tf.py --out-dir results/tf2-article
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import traceback
from fractions import Fraction

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTICLE = "/work/shared/reference/tf2-hessian-symmetry-article.md"
EXACT = "/work/shared/reference/tf2-example-exact.json"
PROBLEM = os.path.join(REPO_ROOT, "experiments", "tf2-article", "example1.json")
CLAIRAUT = os.path.join(REPO_ROOT, "target", "release", "clairaut")
PLACEHOLDER = "# ... (same MLP and loss function as Example 1) ..."

# ----------------------------------------------------------------------------------------------
# The article's code, exactly as printed (raw strings: "\n" inside the print calls is the
# two-character escape of the source text).
# ----------------------------------------------------------------------------------------------

EXAMPLE1 = r'''import tensorflow as tf

# Define a simple MLP
def simple_mlp(x, weights, bias):
    return tf.nn.sigmoid(tf.matmul(x, weights) + bias)

# Define a loss function (Mean Squared Error)
def mse_loss(y_true, y_pred):
    return tf.reduce_mean(tf.square(y_true - y_pred))

# Define parameters
x = tf.constant([[1.0, 2.0]], dtype=tf.float64)  #Using higher precision for better illustration
y_true = tf.constant([[0.5]], dtype=tf.float64)
weights = tf.Variable([[0.1, 0.2], [0.3, 0.4]], dtype=tf.float64)
bias = tf.Variable([0.5, 0.6], dtype=tf.float64)


with tf.GradientTape(persistent=True) as tape:
    tape.watch(weights)
    tape.watch(bias)
    y_pred = simple_mlp(x, weights, bias)
    loss = mse_loss(y_true, y_pred)

# Compute the gradient
grad_weights = tape.gradient(loss, weights)
grad_bias = tape.gradient(loss, bias)

#Compute the Hessian (manually for simplicity, impractical for large models)
hessian_weights = tape.jacobian(grad_weights, weights)
hessian_bias = tape.jacobian(grad_bias, bias)

print("Hessian Weights:\n", hessian_weights)
print("Hessian Bias:\n", hessian_bias)
del tape #Important to delete tape to avoid memory leaks
'''

EXAMPLE2 = r'''import tensorflow as tf
import numpy as np

# ... (same MLP and loss function as Example 1) ...

def approx_hessian(loss_func, params, epsilon=1e-6):
    num_params = len(params)
    hessian = np.zeros((num_params, num_params))
    for i in range(num_params):
        for j in range(num_params):
            params_plus_i = params.numpy() + epsilon * np.eye(num_params)[i]
            params_plus_i_j = params_plus_i + epsilon * np.eye(num_params)[j]
            params_minus_i = params.numpy() - epsilon * np.eye(num_params)[i]
            params_minus_i_j = params_minus_i - epsilon * np.eye(num_params)[j]

            #Evaluate loss for different parameter perturbations.  This is computationally expensive.
            loss_p_i_p_j = loss_func(x, tf.Variable(params_plus_i_j),tf.Variable(bias.numpy()))
            loss_p_i_m_j = loss_func(x, tf.Variable(params_plus_i_j),tf.Variable(bias.numpy()))
            loss_m_i_p_j = loss_func(x, tf.Variable(params_minus_i_j),tf.Variable(bias.numpy()))
            loss_m_i_m_j = loss_func(x, tf.Variable(params_minus_i_j),tf.Variable(bias.numpy()))

            hessian[i,j] = (loss_p_i_p_j + loss_m_i_m_j - loss_p_i_m_j - loss_m_i_p_j)/(4*epsilon**2)

    return hessian

#Concatenate weights and biases into a single vector
params = tf.concat([tf.reshape(weights, [-1]), tf.reshape(bias, [-1])],axis=0)

approx_hessian_result = approx_hessian(mse_loss, params)
print("Approximate Hessian:\n", approx_hessian_result)

'''

EXAMPLE3 = r'''import tensorflow as tf
# ... (same MLP and loss function as Example 1) ...

with tf.GradientTape(persistent=True) as tape:
    tape.watch(weights)
    tape.watch(bias)
    y_pred = simple_mlp(x, weights, bias)
    loss = mse_loss(y_true, y_pred)

hessian_weights = tape.hessian(loss, weights)
hessian_bias = tape.hessian(loss, bias)


print("Hessian Weights (TensorFlow):\n", hessian_weights)
print("Hessian Bias (TensorFlow):\n", hessian_bias)
del tape
'''

# Example 1's definitions exactly as printed: fill A = the three "# Define ..." blocks (MLP, loss,
# parameters); fill B = the MLP and the loss function only.
_A0 = EXAMPLE1.index("# Define a simple MLP")
_A1 = EXAMPLE1.index("bias = tf.Variable([0.5, 0.6], dtype=tf.float64)\n") + \
    len("bias = tf.Variable([0.5, 0.6], dtype=tf.float64)\n")
_B1 = EXAMPLE1.index("# Define parameters")
EX1_DEFS_FULL = EXAMPLE1[_A0:_A1]
EX1_DEFS_MLP_LOSS = EXAMPLE1[_A0:_B1].rstrip("\n") + "\n"


def fill(code, defs):
    assert code.count(PLACEHOLDER + "\n") == 1
    return code.replace(PLACEHOLDER + "\n", defs)


def verbatim_check():
    """Compare the stored strings with the article's ```python blocks."""
    if not os.path.exists(ARTICLE):
        return {"article_found": False}
    with open(ARTICLE, encoding="utf-8") as f:
        blocks = re.findall(r"```python\n(.*?)```", f.read(), re.S)
    return {"article_found": True, "code_blocks": len(blocks),
            "identical": [a == b for a, b in zip(blocks, (EXAMPLE1, EXAMPLE2, EXAMPLE3))]}


def run_code(name, code):
    """exec in a fresh namespace; capture Python-level stdout/stderr and any exception."""
    ns = {"__name__": f"__article_{name}__", "__builtins__": __builtins__}
    out, err = io.StringIO(), io.StringIO()
    exc = None
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            exec(compile(code, f"<{name}>", "exec"), ns)
        except BaseException as e:  # noqa: BLE001
            exc = {"type": type(e).__name__, "message": str(e),
                   "traceback": traceback.format_exc()}
    return {"name": name, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "exception": exc, "wall_s": time.perf_counter() - t0}, ns


# ----------------------------------------------------------------------------------------------
# Diagnostics (NOT the article's code)
# ----------------------------------------------------------------------------------------------

def diag_example1(tf):
    """Example 1 with the two tape.gradient calls moved inside the `with` block."""
    x = tf.constant([[1.0, 2.0]], dtype=tf.float64)
    y_true = tf.constant([[0.5]], dtype=tf.float64)
    weights = tf.Variable([[0.1, 0.2], [0.3, 0.4]], dtype=tf.float64)
    bias = tf.Variable([0.5, 0.6], dtype=tf.float64)
    with tf.GradientTape(persistent=True) as tape:
        y_pred = tf.nn.sigmoid(tf.matmul(x, weights) + bias)
        loss = tf.reduce_mean(tf.square(y_true - y_pred))
        grad_weights = tape.gradient(loss, weights)
        grad_bias = tape.gradient(loss, bias)
    hw = tape.jacobian(grad_weights, weights)
    hb = tape.jacobian(grad_bias, bias)
    del tape
    hw4 = hw.numpy().reshape(4, 4)
    return {
        "what": "Example 1's computation with the tape.gradient calls inside the `with` block "
                "(so that the tape records them); not the article's code",
        "hessian_weights_shape": list(hw.shape), "hessian_bias_shape": list(hb.shape),
        "hessian_weights_as_4x4": hw4.tolist(), "hessian_bias": hb.numpy().tolist(),
        "asymmetry_weights_4x4": float(np.max(np.abs(hw4 - hw4.T))),
        "asymmetry_bias": float(np.max(np.abs(hb.numpy() - hb.numpy().T))),
        "entries_of_full_6x6_covered": 16 + 4,
        "entries_missing": "the 2 x 4 x 2 = 16 weight-bias cross entries d2L/dW_ij db_k",
    }


def diag_example2(tf, ns):
    """Call Example 2's verbatim approx_hessian (from its namespace) with a recording loss
    function of the signature its body uses, loss_func(x, params_vector, bias)."""
    if "approx_hessian" not in ns or "params" not in ns:
        return {"skipped": "approx_hessian or params not defined by the verbatim run"}
    calls = []
    x, y_true = ns["x"], ns["y_true"]

    def recording_loss(x_, w, b):
        wv = w.numpy().copy()
        calls.append((wv, b.numpy().copy()))
        # interpret the 6-vector as theta = [W row-major, b]; ignore the separately passed bias
        W = tf.reshape(w[:4], (2, 2))
        y_pred = tf.nn.sigmoid(tf.matmul(x_, W) + w[4:])
        return tf.reduce_mean(tf.square(y_true - y_pred))

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        H = ns["approx_hessian"](recording_loss, ns["params"])
    P = len(ns["params"])
    # calls come in groups of 4 per (i, j): p_i_p_j, p_i_m_j, m_i_p_j, m_i_m_j
    same_pm = same_mp = 0
    bias_unperturbed = all(np.array_equal(b, ns["bias"].numpy()) for _, b in calls)
    p0 = ns["params"].numpy()
    eye = np.eye(P)
    e = 1e-6
    pp_ok = mm_ok = 0
    for g in range(P * P):
        i, j = divmod(g, P)
        (pp, _), (pm, _), (mp_, _), (mm, _) = calls[4 * g: 4 * g + 4]
        same_pm += np.array_equal(pp, pm)
        same_mp += np.array_equal(mp_, mm)
        pp_ok += np.array_equal(pp, (p0 + e * eye[i]) + e * eye[j])
        mm_ok += np.array_equal(mm, (p0 - e * eye[i]) - e * eye[j])
    return {
        "what": "Example 2's verbatim approx_hessian, called with a recording loss_func(x, w, b) "
                "that reads w as theta = [W row-major, b]; not the article's code",
        "loss_calls": len(calls),
        "pairs": P * P,
        "p_i_m_j_evaluated_at_same_point_as_p_i_p_j": f"{same_pm} of {P * P}",
        "m_i_p_j_evaluated_at_same_point_as_m_i_m_j": f"{same_mp} of {P * P}",
        "p_i_p_j_is_theta_plus_eps_ei_plus_eps_ej": f"{pp_ok} of {P * P}",
        "m_i_m_j_is_theta_minus_eps_ei_minus_eps_ej": f"{mm_ok} of {P * P}",
        "bias_argument_always_the_unperturbed_bias": bias_unperturbed,
        "params_vector_includes_the_biases": True,
        "result_matrix": H.tolist(),
        "result_max_abs": float(np.max(np.abs(H))),
        "result_nonzero_entries": int(np.count_nonzero(H)),
        "note": "numerator = (A + B) - A - B with A = loss(theta+e_i+e_j), B = loss(theta-e_i-e_j):"
                " zero in exact arithmetic, so every nonzero entry is pure rounding residue "
                "divided by 4*epsilon**2 = 4e-12",
    }


def diag_api(tf):
    """Does GradientTape.hessian exist?  Does tf.hessians exist, and does it work eagerly / inside a
    tf.function on Example 1's configuration?"""
    d = {
        "GradientTape_has_hessian": hasattr(tf.GradientTape, "hessian"),
        "GradientTape_public_methods": sorted(m for m in dir(tf.GradientTape) if not m.startswith("_")),
        "tf_has_hessians": hasattr(tf, "hessians"),
        "tf_compat_v1_has_hessians": hasattr(tf.compat.v1, "hessians"),
    }
    x = tf.constant([[1.0, 2.0]], dtype=tf.float64)
    y_true = tf.constant([[0.5]], dtype=tf.float64)
    weights = tf.Variable([[0.1, 0.2], [0.3, 0.4]], dtype=tf.float64)
    bias = tf.Variable([0.5, 0.6], dtype=tf.float64)

    def loss():
        return tf.reduce_mean(tf.square(y_true - tf.nn.sigmoid(tf.matmul(x, weights) + bias)))

    if d["tf_has_hessians"]:
        try:
            tf.hessians(loss(), [weights, bias])
            d["tf.hessians_eager"] = "returned without error"
        except Exception as e:  # noqa: BLE001
            d["tf.hessians_eager"] = f"{type(e).__name__}: {e}"
        try:
            tf.function(lambda: tf.hessians(loss(), [weights, bias]))()
            d["tf.hessians_in_tf.function_wrt_the_variables"] = "returned without error"
        except Exception as e:  # noqa: BLE001
            d["tf.hessians_in_tf.function_wrt_the_variables"] = f"{type(e).__name__}: {e}"

        @tf.function
        def hess_tensors():
            w, b = tf.identity(weights), tf.identity(bias)
            l = tf.reduce_mean(tf.square(y_true - tf.nn.sigmoid(tf.matmul(x, w) + b)))
            return tf.hessians(l, [w, b])

        try:
            hw, hb = hess_tensors()
            d["tf.hessians_in_tf.function"] = {
                "how": "inside a tf.function, w.r.t. tensors w = tf.identity(weights), b = tf.identity(bias)",
                "shapes": [list(hw.shape), list(hb.shape)],
                "weights_block_as_4x4": hw.numpy().reshape(4, 4).tolist(),
                "bias_block": hb.numpy().tolist(),
                "note": "tf.hessians(ys, xs) returns one block per x (d2y/dx_k dx_k); no cross blocks",
            }
        except Exception as e:  # noqa: BLE001
            d["tf.hessians_in_tf.function"] = f"{type(e).__name__}: {e}"
    return d


# ----------------------------------------------------------------------------------------------
# (b) corrected Hessian vs Clairaut
# ----------------------------------------------------------------------------------------------

def tf_full_hessian(tf, dtype, mode):
    x = tf.constant([[1.0, 2.0]], dtype=dtype)
    y_true = tf.constant([[0.5]], dtype=dtype)
    theta = tf.Variable([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype=dtype)  # [W row-major, b]

    def hess(use_pfor):
        # (eager jacobian without pfor requires a persistent outer tape)
        with tf.GradientTape(persistent=not use_pfor) as t2:
            with tf.GradientTape() as t1:
                W = tf.reshape(theta[:4], (2, 2))
                b = theta[4:]
                y_pred = tf.nn.sigmoid(tf.matmul(x, W) + b)
                loss = tf.reduce_mean(tf.square(y_true - y_pred))
            g = t1.gradient(loss, theta)
        return t2.jacobian(g, theta, experimental_use_pfor=use_pfor)

    if mode == "eager-pfor":
        return hess(True).numpy()
    if mode == "eager-while_loop":
        return hess(False).numpy()
    if mode == "tf.function-pfor":
        return tf.function(lambda: hess(True))().numpy()
    raise ValueError(mode)


def to_format_exact(s, np_dtype):
    """Round the decimal string s once (exactly) into np_dtype (float32 or float64)."""
    q = Fraction(s)
    c = np_dtype(float(q))
    cands = [np.nextafter(c, np_dtype(-np.inf)), c, np.nextafter(c, np_dtype(np.inf))]
    best = min(cands, key=lambda v: (abs(Fraction(float(v)) - q),
                                     int(np.array(v).view(np.uint32 if np_dtype == np.float32 else np.uint64)) & 1))
    return np_dtype(best)


def clairaut(precision, method="rev-rev"):
    for _ in range(20):
        if os.access(CLAIRAUT, os.X_OK):
            break
        time.sleep(30)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "H.json")
        cmd = [CLAIRAUT, "hessian", "--problem", PROBLEM, "--method", method, "--precision",
               precision, "--out", out]
        for _ in range(10):
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode == 0:
                break
            time.sleep(30)
        if r.returncode != 0:
            raise RuntimeError(f"{cmd}: {r.stderr}")
        with open(out) as f:
            doc = json.load(f)
    npdt = np.float32 if precision == "f32" else np.float64
    H = np.array([[to_format_exact(s, npdt) for s in row] for row in doc["hessian"]], dtype=npdt)
    shown = " ".join(os.path.relpath(c, REPO_ROOT) if c.startswith(REPO_ROOT) else c for c in cmd[:-2])
    return H, doc["hessian"], shown + " --out H.json", r.stdout


def exact_reference():
    if not os.path.exists(EXACT):
        return None
    with open(EXACT) as f:
        doc = json.load(f)
    return [[Fraction(s) for s in row] for row in doc["hessian_exact_decimal_inputs"]]


def compare(Htf, Hcl, exact):
    bits = np.uint32 if Htf.dtype == np.float32 else np.uint64
    d = {
        "max_abs_diff_tf_vs_clairaut": float(np.max(np.abs(Htf.astype(np.float64) - Hcl.astype(np.float64)))),
        "bitwise_equal_entries": int(np.sum(Htf.view(bits) == Hcl.view(bits))),
        "value_equal_entries": int(np.sum(Htf == Hcl)),
        "entries": int(Htf.size),
        "tf_asymmetry_max_abs": float(np.max(np.abs(Htf - Htf.T))),
        "tf_bitwise_asymmetric_pairs_i_lt_j": int(sum(Htf[i, j].tobytes() != Htf[j, i].tobytes()
                                                      for i in range(6) for j in range(i + 1, 6))),
        "clairaut_asymmetry_max_abs": float(np.max(np.abs(Hcl - Hcl.T))),
        "differing_entries": [[i, j, repr(float(Htf[i, j])), repr(float(Hcl[i, j]))]
                              for i in range(6) for j in range(6)
                              if Htf[i, j].tobytes() != Hcl[i, j].tobytes()],
    }
    if exact is not None:
        nrm = max(abs(v) for row in exact for v in row)
        d["tf_max_abs_err_vs_exact"] = float(max(abs(Fraction(float(Htf[i, j])) - exact[i][j])
                                                 for i in range(6) for j in range(6)))
        d["clairaut_max_abs_err_vs_exact"] = float(max(abs(Fraction(float(Hcl[i, j])) - exact[i][j])
                                                       for i in range(6) for j in range(6)))
        d["exact_max_abs"] = float(nrm)
    return d


# ----------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------

def fence(text):
    text = text if text.endswith("\n") or not text else text + "\n"
    return "```\n" + (text if text else "(nothing)\n") + "```\n"


def fmt_matrix(H):
    return "\n".join("  ".join(f"{float(v): .9e}" for v in row) for row in H)


def write_md(path, doc):
    L = []
    m = doc["machine"]
    L.append("# TF2 Hessian-symmetry article: verbatim runs and cross-check with Clairaut\n")
    L.append(f"Generated by `scripts/peers/crosscheck-tf.py` on {doc['date']} (TensorFlow {m['tensorflow']}, "
             f"NumPy {m['numpy']}, Python {m['python']}, {m['cpu_model']}, {m['os_cpu_count']} cores). "
             f"Command: `{doc['command']}`. Machine-readable: `crosscheck-tf.json`.\n")
    L.append(f"Verbatim check of the stored code against the article: {doc['verbatim_check']}.\n")
    L.append(f"TF's inputs (Python floats) equal Clairaut's once-rounded decimal inputs: "
             f"{doc.get('input_rounding_check')}.\n")
    L.append("## Observations\n")
    for o in doc["observations"]:
        L.append(f"- {o}")
    L.append("")
    L.append("## (a) The article's examples, run verbatim\n")
    L.append("Each example ran with `exec` in a fresh namespace. Placeholder fills: **A** = Example 1's "
             "three `# Define ...` blocks (MLP, loss, parameters) exactly as printed; **B** = only the "
             "MLP and the loss function (what the placeholder's words name). TensorFlow's C++ log lines "
             "(written to the process's stderr by the runtime, not through Python) are not part of the "
             "captured output.\n")
    for r in doc["verbatim_runs"]:
        L.append(f"### {r['name']}\n")
        if r.get("fill"):
            L.append(f"Placeholder fill: {r['fill']}.\n")
        L.append("Code executed:\n")
        L.append("```python\n" + r["code"] + ("" if r["code"].endswith("\n") else "\n") + "```\n")
        L.append("Captured stdout:\n")
        L.append(fence(r["stdout"]))
        if r["stderr"].strip():
            L.append("Captured (Python-level) stderr:\n")
            L.append(fence(r["stderr"]))
        if r["exception"]:
            L.append(f"Raised `{r['exception']['type']}`:\n")
            L.append(fence(r["exception"]["traceback"]))
        else:
            L.append("No exception.\n")
    L.append("## Diagnostics (not the article's code)\n")
    for k, v in doc["diagnostics"].items():
        L.append(f"### {k}\n")
        L.append("```json\n" + json.dumps(v, indent=1) + "\n```\n")
    L.append("## (b) Corrected full 6x6 Hessian (nested GradientTape) vs Clairaut rev-rev\n")
    L.append("theta = [W00, W01, W10, W11, b0, b1] (W row-major, shape (in, out)); "
             "`t2.jacobian(t1.gradient(loss, theta), theta)`.\n")
    for c in doc["crosscheck"]:
        L.append(f"### {c['dtype']}, TF mode {c['tf_mode']} vs `{c['clairaut_command']}`\n")
        L.append("| quantity | value |\n|---|---|")
        for k in ("max_abs_diff_tf_vs_clairaut", "bitwise_equal_entries", "value_equal_entries",
                  "entries", "tf_asymmetry_max_abs", "tf_bitwise_asymmetric_pairs_i_lt_j",
                  "clairaut_asymmetry_max_abs", "tf_max_abs_err_vs_exact",
                  "clairaut_max_abs_err_vs_exact"):
            if k in c:
                L.append(f"| {k} | {c[k]} |")
        L.append("")
        L.append("TF Hessian:\n")
        L.append(fence(fmt_matrix(c["tf_hessian"])))
        L.append("Clairaut Hessian (decimal strings as written by `--out`):\n")
        L.append(fence("\n".join("  ".join(row) for row in c["clairaut_hessian_strings"])))
        if c["differing_entries"]:
            L.append("Entries that differ bitwise (i, j, TF, Clairaut):\n")
            L.append(fence("\n".join(str(e) for e in c["differing_entries"])))
    with open(path, "w") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description="TF2 article examples verbatim + TF vs Clairaut cross-check")
    ap.add_argument("--out-dir", default=os.path.join(REPO_ROOT, "results", "tf2-article"))
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    import tensorflow as tf

    cpu = platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    doc = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([sys.executable] +
                            [os.path.relpath(sys.argv[0], REPO_ROOT)] + sys.argv[1:]),
        "machine": {"cpu_model": cpu, "os_cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                    "tensorflow": tf.__version__, "numpy": np.__version__,
                    "platform": platform.platform()},
        "article": ARTICLE,
        "verbatim_check": verbatim_check(),
        "placeholder": PLACEHOLDER,
        "fill_A_definitions": EX1_DEFS_FULL,
        "fill_B_definitions": EX1_DEFS_MLP_LOSS,
    }

    # (a) verbatim runs
    runs, namespaces = [], {}
    for name, code, fill_desc in (
            ("Example 1", EXAMPLE1, None),
            ("Example 2 (fill A)", fill(EXAMPLE2, EX1_DEFS_FULL), "A: Example 1's MLP, loss and parameter definitions"),
            ("Example 3 (fill A)", fill(EXAMPLE3, EX1_DEFS_FULL), "A: Example 1's MLP, loss and parameter definitions"),
            ("Example 2 (fill B)", fill(EXAMPLE2, EX1_DEFS_MLP_LOSS), "B: Example 1's MLP and loss function only"),
            ("Example 3 (fill B)", fill(EXAMPLE3, EX1_DEFS_MLP_LOSS), "B: Example 1's MLP and loss function only")):
        r, ns = run_code(name, code)
        r["fill"] = fill_desc
        runs.append(r)
        namespaces[name] = ns
        status = f"raised {r['exception']['type']}: {r['exception']['message']}" if r["exception"] else "ok"
        print(f"--- {name}: {status}\n{r['stdout']}", flush=True)
    doc["verbatim_runs"] = runs
    ns1 = namespaces["Example 1"]
    ex1_values = {k: (None if ns1.get(k) is None else {"type": type(ns1[k]).__name__,
                                                        "shape": list(getattr(ns1[k], "shape", []))})
                  for k in ("grad_weights", "grad_bias", "hessian_weights", "hessian_bias", "loss", "y_pred")}

    # diagnostics
    doc["diagnostics"] = {
        "Example 1 verbatim: values left in its namespace": ex1_values,
        "Example 1 with the gradients recorded by the tape": diag_example1(tf),
        "Example 2 approx_hessian with a recording loss function": diag_example2(tf, namespaces["Example 2 (fill A)"]),
        "TensorFlow API": diag_api(tf),
    }

    # (b) corrected Hessian vs Clairaut
    exact = exact_reference()
    # TF builds its inputs from Python floats (decimal -> binary64 -> format); Clairaut rounds each
    # decimal once into the format.  Check that both see the same numbers.
    doc["input_rounding_check"] = {
        dt: all(tf.constant(float(t), dtype=tdt).numpy() == to_format_exact(t, npdt)
                for t in ("1.0", "2.0", "0.5", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6"))
        for dt, tdt, npdt in (("float32", tf.float32, np.float32), ("float64", tf.float64, np.float64))}
    cross = []
    for prec, tdt in (("f32", tf.float32), ("f64", tf.float64)):
        Hcl, strings, cmd, cl_stdout = clairaut(prec)
        for mode in ("eager-pfor", "eager-while_loop", "tf.function-pfor"):
            Htf = tf_full_hessian(tf, tdt, mode)
            c = {"dtype": "float32" if prec == "f32" else "float64", "tf_mode": mode,
                 "clairaut_command": cmd, "clairaut_stdout": cl_stdout}
            c.update(compare(Htf, Hcl, exact))
            c["tf_hessian"] = Htf.tolist()
            c["tf_hessian_repr"] = [[repr(float(v)) if Htf.dtype == np.float64 else str(v) for v in row] for row in Htf]
            c["clairaut_hessian_strings"] = strings
            cross.append(c)
            print(f"{c['dtype']} {mode}: max|TF-Clairaut| = {c['max_abs_diff_tf_vs_clairaut']:.3g}, "
                  f"bitwise equal {c['bitwise_equal_entries']}/36, TF asymmetry {c['tf_asymmetry_max_abs']:.3g}, "
                  f"TF err vs exact {c.get('tf_max_abs_err_vs_exact', float('nan')):.3g}, "
                  f"Clairaut err vs exact {c.get('clairaut_max_abs_err_vs_exact', float('nan')):.3g}", flush=True)
    doc["crosscheck"] = cross
    doc["observations"] = observations(doc)

    with open(os.path.join(args.out_dir, "crosscheck-tf.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    write_md(os.path.join(args.out_dir, "crosscheck-tf.md"), doc)
    print("\n".join(doc["observations"]))
    print(f"wrote {args.out_dir}/crosscheck-tf.json and crosscheck-tf.md")


def observations(doc):
    """Plain statements generated from what was recorded (no claims beyond the data)."""
    obs = []
    for r in doc["verbatim_runs"]:
        if r["exception"]:
            obs.append(f"{r['name']}: raised {r['exception']['type']}: {r['exception']['message']}"
                       + (" (after printing output)" if r["stdout"] else " (printed nothing)"))
        else:
            obs.append(f"{r['name']}: ran without exception; printed {len(r['stdout'].splitlines())} lines")
    v = doc["diagnostics"]["Example 1 verbatim: values left in its namespace"]
    obs.append("Example 1 verbatim: " + ", ".join(
        f"{k} = {'None' if val is None else val['type'] + ' shape ' + str(val['shape'])}" for k, val in v.items()))
    d1 = doc["diagnostics"]["Example 1 with the gradients recorded by the tape"]
    obs.append(f"Example 1, had the gradients been recorded: jacobian shapes {d1['hessian_weights_shape']} "
               f"(weights) and {d1['hessian_bias_shape']} (bias): 20 of the 36 entries of the 6x6 Hessian; "
               "the 16 weight-bias cross entries are never computed")
    d2 = doc["diagnostics"]["Example 2 approx_hessian with a recording loss function"]
    if "loss_calls" in d2:
        obs.append("Example 2's approx_hessian: loss_p_i_m_j is evaluated at the same point as loss_p_i_p_j in "
                   f"{d2['p_i_m_j_evaluated_at_same_point_as_p_i_p_j']} pairs and loss_m_i_p_j at the same point "
                   f"as loss_m_i_m_j in {d2['m_i_p_j_evaluated_at_same_point_as_m_i_m_j']}; the bias argument is "
                   f"always the unperturbed bias: {d2['bias_argument_always_the_unperturbed_bias']}; so the "
                   f"numerator is (A + B) - A - B; result max |entry| = {d2['result_max_abs']:.3g} with "
                   f"{d2['result_nonzero_entries']} nonzero entries of {d2['pairs']}")
    api = doc["diagnostics"]["TensorFlow API"]
    obs.append(f"TensorFlow {doc['machine']['tensorflow']}: GradientTape has 'hessian': {api['GradientTape_has_hessian']}; "
               f"tf.hessians exists: {api['tf_has_hessians']}; tf.compat.v1.hessians exists: "
               f"{api['tf_compat_v1_has_hessians']}; tf.hessians called eagerly: {api.get('tf.hessians_eager')}; "
               "inside tf.function w.r.t. the variables: "
               + ([ln.strip() for ln in str(api.get('tf.hessians_in_tf.function_wrt_the_variables', '')).splitlines() if ln.strip()] or [''])[-1]
               + "; "
               "inside tf.function w.r.t. tensors: " + (str(api['tf.hessians_in_tf.function']['shapes']) + " (per-variable blocks only)"
                                         if isinstance(api.get('tf.hessians_in_tf.function'), dict)
                                         else str(api.get('tf.hessians_in_tf.function'))))
    for c in doc["crosscheck"]:
        obs.append(f"Corrected TF Hessian {c['dtype']} ({c['tf_mode']}) vs Clairaut rev-rev: max abs diff "
                   f"{c['max_abs_diff_tf_vs_clairaut']:.3g}, {c['bitwise_equal_entries']}/36 bitwise equal, "
                   f"TF asymmetry max|H-H^T| = {c['tf_asymmetry_max_abs']:.3g}, Clairaut's = "
                   f"{c['clairaut_asymmetry_max_abs']:.3g}"
                   + (f"; max abs error vs exact: TF {c['tf_max_abs_err_vs_exact']:.3g}, Clairaut "
                      f"{c['clairaut_max_abs_err_vs_exact']:.3g}" if "tf_max_abs_err_vs_exact" in c else ""))
    return obs


if __name__ == "__main__":
    main()
