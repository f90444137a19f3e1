#!/usr/bin/env python3
"""Export a TensorFlow/Keras MLP, its batch and TensorFlow's own Hessian (float32 and float64)
for Clairaut.

The model is a ``keras.Sequential`` of ``Dense`` layers named ``dense``, ``dense_1``, ...
(weights ``dense/kernel`` (in, out), ``dense/bias``), each with its activation (Keras names
``linear``, ``sigmoid``, ``tanh``, ``softplus``, ``relu``, ``gelu`` (erf form), ``silu``;
Clairaut's ``leaky_relu`` (slope 0.01) as ``keras.activations.leaky_relu(x, negative_slope=0.01)``
and ``gelu_tanh`` as ``keras.activations.gelu(x, approximate=True)``); one
model per dtype (``dtype="float32"`` / ``"float64"``), weights assigned from the stored values.
Loss, as the TF2 article writes it: mse = ``tf.reduce_mean(tf.square(y - pred))``;
softmax_cross_entropy = ``tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y,
logits=pred))``.

Hessian: nested ``tf.GradientTape``s, as the article's corrected Example 1 -- inside the outer
tape ``g = t1.gradient(loss, model.trainable_variables)`` (concatenated, flattened), then
``t2.jacobian(g, model.trainable_variables)`` (reverse over reverse, pfor); eager unless
``--tf-function``.  At float32 and float64, both at the stored values (the f64 model gets them
cast exactly).  The blocks are assembled in Keras' variable order and permuted into Clairaut's
theta order by common.py.

TensorFlow's oneDNN CPU kernels (``TF_ENABLE_ONEDNN_OPTS``, on by default on x86) are left as
they are; export.json records the environment.

    python scripts/frameworks/tf_export.py --from tests/data/frameworks/jax-tanh --out tests/data/frameworks/tf-tanh
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402

KERAS_ACT = {"identity": "linear", "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softplus",
             "relu": "relu", "gelu": "gelu", "silu": "silu"}


def keras_activation(name):
    """The Keras activation of Clairaut's ``name`` (a name, or a callable with its arguments)."""
    import keras
    if name == "leaky_relu":
        return lambda x: keras.activations.leaky_relu(x, negative_slope=0.01)
    if name == "gelu_tanh":
        return lambda x: keras.activations.gelu(x, approximate=True)
    return KERAS_ACT[name]


def main():
    args = common.parse_args("tf", __doc__, lambda ap: ap.add_argument(
        "--tf-function", action="store_true", help="compute the Hessian inside a tf.function (default: eager)"))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import tensorflow as tf
    import keras

    net = common.net_for(args)
    L = len(net.layers) - 1

    def build(Ws, bs, dtype):
        model = keras.Sequential([keras.Input(shape=(net.layers[0],), dtype=dtype)] +
                                 [keras.layers.Dense(net.layers[l + 1], activation=keras_activation(net.activations[l]),
                                                     use_bias=net.bias[l],
                                                     name="dense" if l == 0 else f"dense_{l}", dtype=dtype)
                                  for l in range(L)])
        for layer, W, b in zip(model.layers, Ws, bs):
            layer.kernel.assign(W)
            if b is not None:
                layer.bias.assign(b)
        return model

    def variables_of(layer):
        """kernel, then bias (a layer with use_bias=False has none)."""
        return [layer.kernel] + ([layer.bias] if layer.use_bias else [])

    def names_of(model):
        out = []
        for layer in model.layers:
            for v in variables_of(layer):
                out.append(f"{layer.name}/{v.name.split(':')[0].split('/')[-1]}")
        return out

    def loss_fn(y, pred):
        if net.loss == "mse":
            return tf.reduce_mean(tf.square(y - pred))
        if net.loss == "mse:sum":
            return tf.reduce_sum(tf.square(y - pred))
        return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=pred))

    if not args.source and args.train_steps:
        Ws, bs, x, y = net.at(np.float32)
        model = build(Ws, bs, "float32")
        for _ in range(args.train_steps):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x))
            for v, g in zip(model.trainable_variables, tape.gradient(loss, model.trainable_variables)):
                v.assign_sub(np.float32(args.lr) * g)
        net = net.with_params([l.kernel.numpy() for l in model.layers],
                              [l.bias.numpy() if l.use_bias else None for l in model.layers])

    res = {}
    for dt in (np.float32, np.float64):
        Ws, bs, x, y = net.at(dt)
        model = build(Ws, bs, np.dtype(dt).name)
        variables = []
        for layer in model.layers:  # the variables in Keras' own order: kernel, bias per layer
            variables += variables_of(layer)
        assert [id(v) for v in variables] == [id(v) for v in model.trainable_variables]
        xt, yt = tf.constant(x), tf.constant(y)

        def hessian():
            with tf.GradientTape(persistent=True) as t2:
                with tf.GradientTape() as t1:
                    loss = loss_fn(yt, model(xt))
                grads = t1.gradient(loss, variables)
                g = tf.concat([tf.reshape(gi, [-1]) for gi in grads], axis=0)
            blocks = t2.jacobian(g, variables)
            return loss, g, blocks

        loss, g, blocks = (tf.function(hessian) if args.tf_function else hessian)()
        P = int(g.shape[0])
        Hm = np.concatenate([np.reshape(b.numpy(), (P, -1)) for b in blocks], axis=1)
        assert Hm.dtype == dt, "dtype drift"
        names = names_of(model)
        res[dt] = (float(loss.numpy()), loss.numpy(), g.numpy(), Hm, names, [v.numpy() for v in variables])

    _, loss_st, _, _, names, values = res[net.dtype.type]
    tensors = dict(zip(names, values))
    versions = {"tensorflow": tf.__version__, "keras": keras.__version__}
    how = {"model": "keras.Sequential of keras.layers.Dense" + ("" if all(net.bias) else " (use_bias=False where a layer has no bias)"),
           "hessian": ("tf.function: " if args.tf_function else "eager: ")
                      + "t2.jacobian(concat(t1.gradient(loss, vars)), vars) with nested tf.GradientTape (pfor)",
           "f64": "a float64 Keras model with the stored values cast exactly",
           "loss": "tf.reduce_sum(tf.square(y - pred))" if net.loss == "mse:sum"
                   else "tf.reduce_mean(tf.square(y - pred))" if net.loss == "mse"
                   else "tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=pred))",
           "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (TensorFlow's default)")}
    common.finish(args, net, layout="keras", tensors=tensors, entries=[(n, tensors[n].shape) for n in names],
                  loss32=loss_st, loss64=res[np.float64][0], grad64=res[np.float64][2],
                  H32=res[np.float32][3], H64=res[np.float64][3], versions=versions, how=how)


if __name__ == "__main__":
    main()
