#!/usr/bin/env python3
"""Export a PyTorch MLP, its batch and PyTorch's own Hessian (float32 and float64) for Clairaut.

The model is an ``nn.Sequential`` of ``nn.Linear`` layers, each followed by its activation module
(``nn.Identity``, ``nn.Sigmoid``, ``nn.Tanh``, ``nn.Softplus``, ``nn.ReLU``, ``nn.GELU()`` (erf
form), ``nn.SiLU``, ``nn.LeakyReLU()`` (slope 0.01)), so its ``state_dict`` names are ``0.weight`` (out, in), ``0.bias``,
``2.weight``, ...  Loss: mse = ``nn.MSELoss()`` (mean over all entries); softmax_cross_entropy =
``nn.CrossEntropyLoss()`` with probability targets (mean over rows; softmax_cross_entropy:sum:
``reduction="sum"``).  Note: ``nn.Softplus`` is
linear above ``threshold=20``, Clairaut's softplus is not.

Hessian of ``loss(functional_call(model, params, x), y)`` w.r.t. the parameter dict, at float32
and float64 (``model.double()`` with the stored values cast exactly): ``torch.func.hessian``
(= ``jacfwd(jacrev)``, the default) or, with ``--method autograd``,
``torch.autograd.functional.hessian`` (reverse over reverse).  Clairaut's counterpart of the
default is ``--method fwd-rev --rules pytorch`` (``src/model/rules/pytorch.rs``); ``--method
autograd`` corresponds to ``--method rev-rev --rules pytorch`` (committed as
``tests/data/frameworks/torch-rr-*``).  Blocks are assembled in the
``state_dict`` order and permuted into Clairaut's theta order (W transposed) by common.py.

    python scripts/frameworks/torch_export.py --from tests/data/frameworks/jax-tanh --out tests/data/frameworks/torch-tanh
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

import numpy as np  # noqa: E402


def main():
    args = common.parse_args("torch", __doc__, lambda ap: ap.add_argument(
        "--method", choices=("func", "autograd"), default="func",
        help="torch.func.hessian (default) or torch.autograd.functional.hessian"))
    import torch
    from torch import nn

    acts = {"identity": nn.Identity, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "softplus": nn.Softplus,
            "relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "leaky_relu": nn.LeakyReLU}
    net = common.net_for(args)
    L = len(net.layers) - 1
    tdt = {np.float32: torch.float32, np.float64: torch.float64}
    loss_mod = {"mse": nn.MSELoss(), "mse:sum": nn.MSELoss(reduction="sum"),
                "softmax_cross_entropy:sum": nn.CrossEntropyLoss(reduction="sum")}.get(net.loss) or nn.CrossEntropyLoss()

    def build(Ws, bs, dt):
        mods = []
        for l in range(L):
            # a layer without a bias: nn.Linear(bias=False), no `<i>.bias` in the state_dict
            mods += [nn.Linear(net.layers[l], net.layers[l + 1], bias=net.bias[l]), acts[net.activations[l]]()]
        model = nn.Sequential(*mods).to(tdt[dt])
        with torch.no_grad():
            for l in range(L):
                model[2 * l].weight.copy_(torch.from_numpy(np.ascontiguousarray(Ws[l].T)))
                if bs[l] is not None:
                    model[2 * l].bias.copy_(torch.from_numpy(bs[l]))
        return model

    if not args.source and args.train_steps:
        Ws, bs, x, y = net.at(np.float32)
        model = build(Ws, bs, np.float32)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        for _ in range(args.train_steps):
            model.zero_grad()
            loss_mod(model(xt), yt).backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= args.lr * p.grad
        net = net.with_params([model[2 * l].weight.detach().numpy().T.copy() for l in range(L)],
                              [model[2 * l].bias.detach().numpy().copy() if net.bias[l] else None for l in range(L)])

    res = {}
    for dt in (np.float32, np.float64):
        Ws, bs, x, y = net.at(dt)
        model = build(Ws, bs, dt)
        xt, yt = torch.from_numpy(x), torch.from_numpy(y)
        sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
        names = list(sd)

        def loss_of(*ps):
            return loss_mod(torch.func.functional_call(model, dict(zip(names, ps)), (xt,)), yt)

        ps = tuple(sd[n] for n in names)
        if args.method == "func":
            H = torch.func.hessian(loss_of, argnums=tuple(range(len(ps))))(*ps)
        else:
            H = torch.autograd.functional.hessian(loss_of, ps)
        sizes = [p.numel() for p in ps]
        Hm = common.blocks_to_matrix([[H[i][j].detach().numpy() for j in range(len(ps))] for i in range(len(ps))], sizes)
        gp = [p.clone().requires_grad_(True) for p in ps]
        loss = loss_of(*gp)
        g = np.concatenate([gi.detach().numpy().ravel() for gi in torch.autograd.grad(loss, gp)])
        assert Hm.dtype == dt, "dtype drift"
        res[dt] = (float(loss.item()), loss.detach().numpy(), g, Hm, names, [p.numpy() for p in ps])

    _, loss_st, _, _, names, values = res[net.dtype.type]
    tensors = dict(zip(names, values))
    versions = {"torch": torch.__version__}
    how = {"model": "nn.Sequential of nn.Linear and activation modules"
                    + ("" if all(net.bias) else " (bias=False where a layer has no bias)"),
           "hessian": ("torch.func.hessian (jacfwd(jacrev))" if args.method == "func"
                       else "torch.autograd.functional.hessian (reverse over reverse)")
                      + " of loss(torch.func.functional_call(model, params, x), y) w.r.t. the state_dict tensors",
           "f64": "model.double() with the stored values cast exactly",
           "loss": "nn.MSELoss()" if net.loss == "mse" else 'nn.MSELoss(reduction="sum")' if net.loss == "mse:sum" else 'nn.CrossEntropyLoss(reduction="sum") with probability targets' if net.loss == "softmax_cross_entropy:sum" else "nn.CrossEntropyLoss() with probability targets",
           "threads": torch.get_num_threads()}
    common.finish(args, net, layout="torch", tensors=tensors, entries=[(n, tensors[n].shape) for n in names],
                  loss32=loss_st, loss64=res[np.float64][0], grad64=res[np.float64][2],
                  H32=res[np.float32][3], H64=res[np.float64][3], versions=versions, how=how)


if __name__ == "__main__":
    main()
