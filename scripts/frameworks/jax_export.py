#!/usr/bin/env python3
"""Export a JAX/flax MLP, its batch and JAX's own Hessian (float32 and float64) for Clairaut.

The model is a flax ``linen`` module of ``nn.Dense`` layers (``params/Dense_0/kernel`` (in, out),
``params/Dense_0/bias``, ...), each followed by its activation (``jnp.tanh``, ``jax.nn.sigmoid``,
``jax.nn.softplus``, ``jax.nn.relu``, ``jax.nn.gelu(approximate=False)``, ``jax.nn.silu``,
``jax.nn.leaky_relu`` (slope 0.01: ``leaky_relu``), ``jax.nn.gelu(approximate=True)`` (``gelu_tanh``));
without flax, the same computation (``x @ kernel + bias``) over a pytree with the same names.
Loss: mse = ``jnp.mean(jnp.square(y - pred))``; mse:sum = ``jnp.sum(jnp.square(y - pred))``;
softmax_cross_entropy =
``jnp.mean(-jnp.sum(y * jax.nn.log_softmax(pred, axis=-1), axis=-1))`` (optax's formula);
softmax_cross_entropy:sum = the same with ``jnp.sum`` over the rows.

Hessian: ``jax.hessian(loss)(params)`` (= ``jacfwd(jacrev(loss))``) over the params pytree, not
jitted unless ``--jit``, at float32 and -- with ``jax_enable_x64`` -- at float64, both at the
stored values (the f64 run casts them exactly).  The blocks H[a][b] are assembled in JAX's leaf
order and permuted into Clairaut's theta order by common.py.

Without ``--from``: the network comes from the NumPy seed (common.init_net) and is trained by
``--train-steps`` float32 SGD steps in JAX (``p - lr * jax.grad(loss)(params)``).

    python scripts/frameworks/jax_export.py --out tests/data/frameworks/jax-tanh
    python scripts/frameworks/jax_export.py --from OTHER_EXPORT --out DIR
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402


def main():
    args = common.parse_args("jax", __doc__, lambda ap: ap.add_argument(
        "--jit", action="store_true", help="jax.jit the Hessian (default: jax.hessian called as is)"))
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    try:
        import flax
        import flax.linen as nn
    except ImportError:
        flax = nn = None

    acts = {"identity": lambda z: z, "sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh,
            "softplus": jax.nn.softplus, "relu": jax.nn.relu,
            "gelu": lambda z: jax.nn.gelu(z, approximate=False), "silu": jax.nn.silu,
            "leaky_relu": jax.nn.leaky_relu,  # negative_slope=0.01, Clairaut's `leaky_relu`
            "gelu_tanh": lambda z: jax.nn.gelu(z, approximate=True)}
    net = common.net_for(args)
    fns = [acts[a] for a in net.activations]
    widths = net.layers[1:]
    use_bias = net.bias  # a layer without a bias: nn.Dense(use_bias=False), no `bias` leaf

    if nn is not None:
        class MLP(nn.Module):
            @nn.compact
            def __call__(self, x):
                for w, f, ub in zip(widths, fns, use_bias):
                    x = f(nn.Dense(w, use_bias=ub)(x))
                return x
        apply = MLP().apply
    else:
        def apply(params, x):
            for l, f in enumerate(fns):
                d = params["params"][f"Dense_{l}"]
                x = f(x @ d["kernel"] + d["bias"] if "bias" in d else x @ d["kernel"])
            return x

    def to_params(Ws, bs, dtype):
        def layer(W, b):
            d = {"kernel": jnp.asarray(W, dtype)}
            if b is not None:
                d["bias"] = jnp.asarray(b, dtype)
            return d
        return {"params": {f"Dense_{l}": layer(W, b) for l, (W, b) in enumerate(zip(Ws, bs))}}

    def make_loss(x, y):
        x, y = jnp.asarray(x), jnp.asarray(y)
        if net.loss == "mse":
            return lambda p: jnp.mean(jnp.square(y - apply(p, x)))
        if net.loss == "mse:sum":
            return lambda p: jnp.sum(jnp.square(y - apply(p, x)))
        if net.loss == "softmax_cross_entropy:sum":
            return lambda p: jnp.sum(-jnp.sum(y * jax.nn.log_softmax(apply(p, x), axis=-1), axis=-1))
        return lambda p: jnp.mean(-jnp.sum(y * jax.nn.log_softmax(apply(p, x), axis=-1), axis=-1))

    if not args.source and args.train_steps:
        Ws, bs, x, y = net.at(np.float32)
        params, loss = to_params(Ws, bs, jnp.float32), make_loss(x, y)
        grad = jax.grad(loss)
        for _ in range(args.train_steps):
            params = jax.tree_util.tree_map(lambda p, g: p - np.float32(args.lr) * g, params, grad(params))
        d = params["params"]
        net = net.with_params([np.asarray(d[f"Dense_{l}"]["kernel"]) for l in range(len(widths))],
                              [np.asarray(d[f"Dense_{l}"]["bias"]) if "bias" in d[f"Dense_{l}"] else None
                               for l in range(len(widths))])

    res = {}
    for dt in (np.float32, np.float64):
        Ws, bs, x, y = net.at(dt)
        params, loss = to_params(Ws, bs, dt), make_loss(x, y)
        hess = jax.jit(jax.hessian(loss)) if args.jit else jax.hessian(loss)
        H = hess(params)
        paths, _ = zip(*jax.tree_util.tree_flatten_with_path(params)[0])
        names = ["/".join(str(getattr(k, "key", k)) for k in path) for path in paths]
        leaves = jax.tree_util.tree_leaves(params)
        # H is a pytree of pytrees: H[a][b] of shape a.shape + b.shape, in leaf order
        flat, n = jax.tree_util.tree_leaves(H), len(leaves)
        assert len(flat) == n * n
        rows = [flat[i * n:(i + 1) * n] for i in range(n)]
        Hm = common.blocks_to_matrix(rows, [int(np.prod(l.shape)) for l in leaves])
        g = np.concatenate([np.ravel(np.asarray(v)) for v in jax.tree_util.tree_leaves(jax.grad(loss)(params))])
        assert all(np.asarray(v).dtype == dt for v in jax.tree_util.tree_leaves(H)), "dtype drift"
        res[dt] = (float(loss(params)), np.asarray(loss(params)), g, Hm, names, leaves)

    _, loss_st, _, _, names, leaves = res[net.dtype.type]
    tensors = {n: np.asarray(v) for n, v in zip(names, leaves)}
    versions = {"jax": jax.__version__, "jaxlib": __import__("jaxlib").__version__}
    if flax is not None:
        versions["flax"] = flax.__version__
    no_bias = "" if all(use_bias) else " (use_bias=False where a layer has no bias)"
    how = {"model": ("flax.linen nn.Dense" if nn is not None else "x @ kernel + bias (no flax)") + no_bias,
           "hessian": ("jax.jit(jax.hessian(loss))" if args.jit else "jax.hessian(loss)") + "(params) "
                      "(jacfwd(jacrev)) over the params pytree",
           "f64": "jax_enable_x64 (on for both runs), stored values cast exactly to float64",
           "loss": {"mse": "jnp.mean(jnp.square(y - pred))", "mse:sum": "jnp.sum(jnp.square(y - pred))",
                        "softmax_cross_entropy:sum":
                        "jnp.sum(-jnp.sum(y * jax.nn.log_softmax(pred, axis=-1), axis=-1))"}.get(
               net.loss, "jnp.mean(-jnp.sum(y * jax.nn.log_softmax(pred, axis=-1), axis=-1))"),
           "backend": jax.default_backend()}
    common.finish(args, net, layout="flax", tensors=tensors, entries=[(n, tensors[n].shape) for n in names],
                  loss32=loss_st, loss64=res[np.float64][0], grad64=res[np.float64][2],
                  H32=res[np.float32][3], H64=res[np.float64][3], versions=versions, how=how)


if __name__ == "__main__":
    main()
