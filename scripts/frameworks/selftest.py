#!/usr/bin/env python3
"""Self-test of common.py's theta permutation and checks (NumPy and safetensors only, no
framework): a wrong layout, a missing transpose or a wrong layer order must fail ``verify``.

A stand-in "framework" Hessian in torch's order is made from the NumPy reference (the
central-difference Hessian in theta order, moved into the state_dict order 0.weight (out, in),
0.bias, 2.weight, 2.bias, 10.weight, 10.bias by the inverse permutation); common.permutation must
bring it back, and the mistakes must be caught.  Also: natural sort of names, and that a
torch-layout and a keras-layout tensor set of the same network give the same theta.

    python scripts/frameworks/selftest.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402


class Args:
    layers, activations, loss, n, seed, store_dtype = "3,4,3,2", "tanh,sigmoid,identity", "mse", 5, 1, None


def expect_fail(what, fn):
    try:
        fn()
    except SystemExit as e:
        print(f"ok: {what} fails: {str(e)[:100]}...")
        return
    sys.exit(f"FAIL: {what} passed the checks")


def main():
    net = common.init_net(Args())
    theta = net.theta(np.float64)
    loss, grad = common.np_loss_grad(net, theta)
    H = common.fd_hessian(net, theta)
    H = 0.5 * (H + H.T)
    names = ["0.weight", "0.bias", "2.weight", "2.bias", "10.weight", "10.bias"]
    dims = list(zip(net.layers[:-1], net.layers[1:]))
    entries = []
    for l, (din, dout) in enumerate(dims):
        entries += [(names[2 * l], (dout, din)), (names[2 * l + 1], (dout,))]
    perm = common.permutation(entries, "torch")
    inv = np.argsort(perm)
    g_fw, H_fw = grad[inv], H[np.ix_(inv, inv)]  # what a torch-order framework would return

    ok = common.verify(net, loss, common.permute_vector(g_fw, perm), common.permute_matrix(H_fw, perm).astype(np.float32),
                       common.permute_matrix(H_fw, perm))
    print(f"ok: the right permutation passes (grad rel diff {ok['grad_f64_rel_diff_vs_numpy']:.2g})")

    def run(p):
        common.verify(net, loss, common.permute_vector(g_fw, p), common.permute_matrix(H_fw, p).astype(np.float32),
                      common.permute_matrix(H_fw, p))

    keras_like = [(n.replace(".weight", "/kernel").replace(".bias", "/bias"), s) for n, s in entries]
    expect_fail("no transpose (torch weights read as keras kernels)", lambda: run(common.permutation(keras_like, "keras")))
    swap = {"0": "2", "2": "0", "10": "10"}
    swapped = [(swap[n.split(".")[0]] + "." + n.split(".")[1], s) for n, s in entries]
    expect_fail("layers 0 and 2 swapped by name", lambda: run(common.permutation(swapped, "torch")))
    expect_fail("identity permutation (framework order taken as theta)", lambda: run(np.arange(net.P)))

    assert sorted(["dense_10", "dense_2", "dense", "dense_1"], key=common.natural_key) == ["dense", "dense_1", "dense_2", "dense_10"]
    assert sorted(["10", "2", "0"], key=common.natural_key) == ["0", "2", "10"]
    torch_t = {n: (net.Ws[i // 2].T if i % 2 == 0 else net.bs[i // 2]) for i, n in enumerate(names)}
    keras_t = {("dense" if i < 2 else f"dense_{i // 2}") + ("/kernel" if i % 2 == 0 else "/bias"):
               (net.Ws[i // 2] if i % 2 == 0 else net.bs[i // 2]) for i in range(len(names))}
    a = common.theta_of(*common.params_from_tensors(torch_t, "torch", net.layers))
    b = common.theta_of(*common.params_from_tensors(keras_t, "keras", net.layers))
    assert np.array_equal(a, b) and np.array_equal(a, net.theta(net.dtype)), "torch and keras twins differ"
    print("ok: natural sort; torch and keras twins give the same theta")
    print("selftest passed")


if __name__ == "__main__":
    main()
