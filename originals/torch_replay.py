"""The PyTorch originals (S2, S4, S5) run for the side-by-side harness, in a process of their own.

`python -m originals.serve originals.torch_replay FOLDER` serves the functions below to the
harness (`sidebyside/s2.py`, `s4.py`, `s5.py`) and to bench/train_step.py (`s2_bench_start`,
then `s2_bench_block` for each timed block, in one process); each takes a dict of numpy
arrays and returns one. This process imports PyTorch and the originals, never TensorFlow.

Weights travel in PyTorch's layout under their `state_dict` names, prefixed by the network:
`G.fc1.weight`, `D.conv_bolok2.1.running_mean`. The harness converts them from and to the
port's layout; nothing here knows the port.

PyTorch runs on one thread (the benchmark's calls take `threads`): the sums then go in one
order on every machine, and the harness and this process take turns, so more threads would
not make a step shorter by much.
"""
import time

import numpy as np
import torch

from originals import anime_dcgan_torch, gaussian_gan_torch, mnist_gan_torch, pytorch_era

torch.set_num_threads(1)


# -- weights in and out ----------------------------------------------------------------------

def load(nets, arrays, required=True):
    """Copy arrays named `<net>.<state_dict key>` into the nets' parameters and buffers."""
    with torch.no_grad():
        for net_name, net in nets.items():
            for key, tensor in net.state_dict(keep_vars=True).items():
                name = f"{net_name}.{key}"
                if key.endswith("num_batches_tracked"):
                    continue
                if name not in arrays:
                    if required:
                        raise KeyError(f"no value for {name}")
                    continue
                value = np.ascontiguousarray(arrays[name], np.float32)
                if tuple(tensor.shape) != value.shape:
                    raise ValueError(f"{name}: shape {value.shape}, expected "
                                     f"{tuple(tensor.shape)}")
                tensor.copy_(torch.from_numpy(value))


def state_of(nets):
    """Every parameter and buffer of the nets as numpy arrays, named as `load` reads them."""
    return {f"{net_name}.{key}": tensor.detach().numpy().copy()
            for net_name, net in nets.items()
            for key, tensor in net.state_dict().items()
            if not key.endswith("num_batches_tracked")}


def popper(rows, shape):
    """A sampler standing in for the original's: each call returns the next given draw,
    after checking that the original asked for the shape the harness drew."""
    rows = iter(rows)

    def sample(*size):
        draw = next(rows)
        if draw.shape != shape(*size):
            raise ValueError(f"the original drew {shape(*size)}, the harness gave "
                             f"{draw.shape}")
        return torch.from_numpy(np.ascontiguousarray(draw, np.float32))
    return sample


# -- S4: the blog's 1-D GAN, epoch after epoch --------------------------------------------

def s4_run(arrays):
    """`steps` epochs of gan_pytorch.py's loop from the given weights. The samplers return
    the harness's draws: d_real_data (steps, 1, 100) of N(4, 1.25), and gen_input
    (2 steps, 100, 1) of U[0, 1): D's draw, then G's, epoch by epoch."""
    original = gaussian_gan_torch
    G, D, criterion, d_optimizer, g_optimizer = original.build()
    nets = {"G": G, "D": D}
    load(nets, arrays)
    d_sampler = popper(arrays["d_real_data"], lambda n: (1, n))
    gi_sampler = popper(arrays["gen_input"], lambda m, n: (m, n))
    losses, seconds = [], []
    for _ in range(int(arrays["steps"])):
        start = time.perf_counter()
        errors = original.train_epoch(G, D, criterion, d_optimizer, g_optimizer,
                                      d_sampler, gi_sampler)
        seconds.append(time.perf_counter() - start)
        losses.append([e.item() for e in errors[:3]])
    return dict(losses=np.array(losses), step_seconds=np.array(seconds), **state_of(nets))


# -- S5: the blog's MNIST GAN, batch after batch ------------------------------------------

def s5_run(arrays):
    """fit's batch body (`train_batch`) from the given weights, on the batches the post's
    `gen_batch` cuts from `images` (uint8 (N, 28, 28)) in the given orders (one per epoch, in
    place of its np.random.permutation), with the given noise (steps, 64, 100)."""
    model = mnist_gan_torch.GAN()
    nets = {"G": model.G, "D": model.D}
    load(nets, arrays)
    orders = iter(arrays["orders"])
    permutation, np.random.permutation = np.random.permutation, lambda n: next(orders)
    try:
        batches = (batch for _ in range(len(arrays["orders"]))
                   for batch in model.gen_batch(arrays["images"]))
        losses, seconds = [], []
        for d_real_data, d_fake_input in zip(batches, arrays["noise"]):
            d_real_data = torch.from_numpy(d_real_data.astype(np.float32))  # as in fit
            start = time.perf_counter()
            losses.append(model.train_batch(d_real_data, torch.from_numpy(d_fake_input)))
            seconds.append(time.perf_counter() - start)
    finally:
        np.random.permutation = permutation
    return dict(losses=np.array(losses), step_seconds=np.array(seconds), **state_of(nets))


# -- S2: the DCGAN, one batch at a time from a given state ---------------------------------

_s2 = {}


def s2_start(arrays):
    """main.py's models, loss and optimisers, and its AnimeDataset over folder/dataset (with
    the seed's scaling img - 127.5/127.5 if `posted_scaling`)."""
    generate, discriminator, criterion, optimizer_G, optimizer_D = anime_dcgan_torch.build(
        lr=float(arrays["lr"]), beta1=float(arrays["beta1"]))
    _s2.update(nets={"G": generate, "D": discriminator}, criterion=criterion,
               optimizers={"G": optimizer_G, "D": optimizer_D},
               dataset=anime_dcgan_torch.AnimeDataset(
                   str(arrays["directory"]), str(arrays["dataset"]), int(arrays["size"]),
                   posted_scaling=bool(arrays.get("posted_scaling", False))))
    return {"G.count": count(generate), "D.count": count(discriminator)}


def count(net):
    return sum(p.numel() for p in net.parameters() if p.requires_grad)


def load_adam(arrays):
    """Each parameter's Adam state from `m:<name>`, `v:<name>` and the step count `t:<net>`
    (no state at step 0)."""
    for net_name, net in _s2["nets"].items():
        optimizer = _s2["optimizers"][net_name]
        steps = int(arrays[f"t:{net_name}"])
        for key, parameter in net.named_parameters():
            name = f"{net_name}.{key}"
            if steps == 0:
                optimizer.state.pop(parameter, None)
                continue
            optimizer.state[parameter] = {
                "step": steps,
                "exp_avg": torch.from_numpy(np.ascontiguousarray(arrays["m:" + name],
                                                                 np.float32)),
                "exp_avg_sq": torch.from_numpy(np.ascontiguousarray(arrays["v:" + name],
                                                                    np.float32))}


def s2_step(arrays):
    """One batch of main.py (`train_batch`) from the given state (weights, BatchNorm
    statistics, Adam moments): the dataset's images at `indices`, the given noise
    (B, 100, 1, 1). Returns both losses, every weight after the step and the batch as the
    dataset decoded it."""
    nets, optimizers = _s2["nets"], _s2["optimizers"]
    load(nets, arrays)
    load_adam(arrays)
    dataset = _s2["dataset"]
    inp = torch.from_numpy(np.stack([dataset[int(i)] for i in arrays["indices"]]))
    start = time.perf_counter()
    loss_D, loss_G = anime_dcgan_torch.train_batch(
        nets["G"], nets["D"], _s2["criterion"], optimizers["G"], optimizers["D"], inp,
        torch.from_numpy(np.float32(arrays["noise"])))
    seconds = time.perf_counter() - start
    return dict(losses=np.array([loss_D.item(), loss_G.item()]), step_seconds=seconds,
                inp=inp.numpy(), **state_of(nets))


_bench = {}


def s2_bench_start(arrays):
    """bench/train_step.py --compare-torch: main.py's models, loss and optimisers (seeded 0)
    and random images of batch `batch`, kept for `s2_bench_block`; `threads` threads;
    `warmup` untimed batches (default 1). Returns their losses and the trainable parameter
    counts of G and D."""
    batch = int(arrays["batch"])
    torch.set_num_threads(int(arrays.get("threads", torch.get_num_threads())))
    torch.manual_seed(0)
    _bench.update(batch=batch, models=anime_dcgan_torch.build(),
                  inp=torch.rand(batch, 3, 96, 96) * 2 - 1)
    losses = [_bench_batch()[1] for _ in range(int(arrays.get("warmup", 1)))]
    generate, discriminator = _bench["models"][:2]
    return {"losses": np.array(losses).reshape(-1, 2), "G.count": count(generate),
            "D.count": count(discriminator)}


def _bench_batch():
    """(seconds, [loss_D, loss_G]) of one timed batch of main.py with new noise."""
    batch = _bench["batch"]
    start = time.perf_counter()
    loss_D, loss_G = anime_dcgan_torch.train_batch(*_bench["models"], _bench["inp"],
                                                   torch.randn(batch, 100, 1, 1))
    seconds = time.perf_counter() - start
    return seconds, [loss_D.item(), loss_G.item()]


def s2_bench_block(arrays):
    """Seconds of each of `steps` more batches of the models `s2_bench_start` built (they
    train on from where the last block left off), and their losses."""
    timed = [_bench_batch() for _ in range(int(arrays["steps"]))]
    return {"seconds": np.array([t[0] for t in timed]),
            "losses": np.array([t[1] for t in timed]).reshape(-1, 2)}


def s2_time(arrays):
    """Seconds of each of `repeats` batches of main.py (`train_batch`) of size `batch` on
    random images and noise, after one untimed batch: `s2_bench_start` and one
    `s2_bench_block`. Also the losses of all of them and the trainable parameter counts of
    G and D."""
    started = s2_bench_start(dict(batch=arrays["batch"], warmup=1,
                                  threads=arrays.get("threads", torch.get_num_threads())))
    block = s2_bench_block(dict(steps=arrays["repeats"]))
    return {"seconds": block["seconds"],
            "losses": np.concatenate([started["losses"], block["losses"]]),
            "G.count": started["G.count"], "D.count": started["D.count"]}


# -- checks of the frameworks' conventions (tests/test_side_by_side_torch.py) --------------

def check_layouts(arrays):
    """Linear, Conv2d (stride 2, padding 1) and ConvTranspose2d (stride 2, padding 1) applied
    with the given weights (PyTorch's layout) to the given inputs (PyTorch's layout)."""
    modules = {"linear": torch.nn.Linear(*arrays["linear_weight"].shape[::-1], bias=False),
               "conv": torch.nn.Conv2d(*arrays["conv_weight"].shape[1::-1], 4, 2, 1,
                                       bias=False),
               "transposed": torch.nn.ConvTranspose2d(*arrays["transposed_weight"].shape[:2],
                                                      4, 2, 1, bias=False)}
    out = {}
    with torch.no_grad():
        for name, module in modules.items():
            module.weight.copy_(torch.from_numpy(arrays[name + "_weight"]))
            out[name] = module(torch.from_numpy(arrays[name + "_x"])).numpy()
    return out


def check_era_adam(arrays):
    """The parameters after PyTorch 0.2's Adam (`pytorch_era.Adam`) and today's
    `torch.optim.Adam` took the given gradients, one per step, from zero."""
    lr, betas = float(arrays["lr"]), tuple(float(b) for b in arrays["betas"])
    old = torch.nn.Parameter(torch.zeros(arrays["grads"].shape[1]))
    today = torch.nn.Parameter(torch.zeros(arrays["grads"].shape[1]))
    optimizers = [pytorch_era.Adam([old], lr=lr, betas=betas),
                  torch.optim.Adam([today], lr=lr, betas=betas)]
    for grad in arrays["grads"]:
        for p, optimizer in zip([old, today], optimizers):
            p.grad = torch.from_numpy(np.float32(grad))
            optimizer.step()
    return {"old": old.detach().numpy(), "today": today.detach().numpy()}


def check_era_bce(arrays):
    """PyTorch 0.2's BCELoss (`pytorch_era.BCELoss`) of p against t and its gradient in p,
    today's BCELoss of the same, the old loss of a saturated D, and whether the old loss
    refuses targets of another shape (the post's (1,) against D's (1, 1))."""
    loss = pytorch_era.BCELoss()
    p = torch.tensor(arrays["p"], requires_grad=True)
    t = torch.tensor(arrays["t"])
    value = loss(p, t)
    value.backward()
    try:
        loss(torch.ones(1, 1), torch.ones(1))
        refuses = False
    except ValueError:
        refuses = True
    return {"value": value.item(), "grad": p.grad.numpy(),
            "today": torch.nn.BCELoss()(p.detach(), t).item(),
            "saturated": loss(torch.ones(1, 1), torch.zeros(1, 1)).item(),
            "refuses_other_shapes": refuses}
