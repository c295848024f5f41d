#!/usr/bin/env python3
"""Train Sieve's CIFAR-10 model zoo and export each model to ONNX with a model card.

Usage:
  /usr/bin/python3 models/train.py all                  # every model, in the order of ZOO
  /usr/bin/python3 models/train.py resnet20 lenet5      # only these
  /usr/bin/python3 models/train.py sievenet_s --epochs 1 --limit 2000 --out /tmp/m   # a smoke run
  /usr/bin/python3 models/train.py airnet --without lookahead --out /tmp/ablation      # one trick left out

Every run checkpoints after each epoch (under .sieve/checkpoints/, or --checkpoints DIR); the same
command run again resumes where the last completed epoch left off, so a run of many hours finishes
over several interrupted starts (--time-limit MINUTES stops one cleanly). --fresh discards a
checkpoint and starts over.

Data: the CIFAR-10 binary layout (data_batch_1..5.bin, test_batch.bin). The validation split that
calibration uses is fixed and needs no index file: records 5000-9999 of data_batch_5.bin. Training
uses the other 45,000 training records; the test batch is only ever used to report accuracy.
"""
import argparse
import collections
import hashlib
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]
RECORD = 3073
VALIDATION_FILE = "data_batch_5.bin"
VALIDATION_FIRST_RECORD = 5000
REPO = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- data

def data_dir_candidates(explicit):
    if explicit:
        return [Path(explicit)]
    found = []
    if os.environ.get("SIEVE_CIFAR_DIR"):
        found.append(Path(os.environ["SIEVE_CIFAR_DIR"]))
    found += [REPO / ".sieve" / "data" / "cifar-10-batches-bin",
              REPO.parent / "shared" / "data" / "cifar-10-batches-bin"]
    return found


def find_data_dir(explicit):
    candidates = data_dir_candidates(explicit)
    for d in candidates:
        if all((d / f).is_file() for f in [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]):
            return d
    looked = "\n  ".join(str(c) for c in candidates)
    sys.exit("CIFAR-10 binary files (data_batch_1..5.bin, test_batch.bin) not found. Looked in:\n  "
             + looked + "\nDownload the official 'CIFAR-10 binary version' and pass --data DIR "
             "or set SIEVE_CIFAR_DIR.")


def read_batch(path):
    raw = path.read_bytes()
    if len(raw) % RECORD != 0:
        sys.exit(f"{path}: {len(raw)} bytes is not a whole number of {RECORD}-byte CIFAR records (truncated?)")
    t = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, RECORD)
    labels = t[:, 0].long()
    if labels.max() > 9:
        sys.exit(f"{path}: label byte above 9: not a CIFAR-10 file")
    return t[:, 1:].reshape(-1, 3, 32, 32).clone(), labels.clone()


def load_splits(data_dir):
    xs, ys = [], []
    for i in range(1, 6):
        x, y = read_batch(data_dir / f"data_batch_{i}.bin")
        xs.append(x)
        ys.append(y)
    x_all, y_all = torch.cat(xs), torch.cat(ys)
    val_start = 4 * 10000 + VALIDATION_FIRST_RECORD
    train = (x_all[:val_start], y_all[:val_start])
    val = (x_all[val_start:], y_all[val_start:])
    test = read_batch(data_dir / "test_batch.bin")
    return train, val, test


def normalise(x_uint8):
    mean = torch.tensor(MEAN).view(1, 3, 1, 1)
    std = torch.tensor(STD).view(1, 3, 1, 1)
    return (x_uint8.float() / 255.0 - mean) / std


def crop(x, pad, dy, dx, mode="constant"):
    """Each image's crop of the padded batch at offset (dy, dx), at the batch's own size."""
    b, c, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode=mode)
    rows = (dy[:, None] + torch.arange(h))[:, None, :, None]
    cols = (dx[:, None] + torch.arange(w))[:, None, None, :]
    return padded[torch.arange(b)[:, None, None, None], torch.arange(c)[None, :, None, None], rows, cols]


def random_crop(x, pad, mode="constant"):
    b = x.shape[0]
    dy = torch.randint(0, 2 * pad + 1, (b,))
    dx = torch.randint(0, 2 * pad + 1, (b,))
    return crop(x, pad, dy, dx, mode)


def flip_where(x, flip):
    x[flip] = x[flip].flip(3)
    return x


def augment(x):
    """Random 4-pixel-padded crop and horizontal flip for a whole batch at once."""
    out = random_crop(x, 4)
    return flip_where(out, torch.rand(x.shape[0]) < 0.5)


class TeacherViews:
    """A fixed set of augmented views of every training image (4-pixel crops and flips, as
    augment() draws them) with the teacher's logits on each, computed once: a student epoch e sees
    view e mod count, so a large teacher costs a few forward passes over the data instead of one
    per student epoch."""

    def __init__(self, tensors):
        self.tensors = tensors
        self.dy, self.dx, self.flip, self.logits = tensors["dy"], tensors["dx"], tensors["flip"], tensors["logits"]

    @staticmethod
    def compute(teacher, xtr, count, seed, batch=500):
        generator = torch.Generator().manual_seed(seed)
        n = len(xtr)
        views = TeacherViews({"dy": torch.randint(0, 9, (count, n), generator=generator),
                              "dx": torch.randint(0, 9, (count, n), generator=generator),
                              "flip": torch.rand((count, n), generator=generator) < 0.5,
                              "logits": torch.empty(count, n, 10)})
        started = time.time()
        for v in range(count):
            for i in range(0, n, batch):
                views.logits[v, i:i + batch] = teacher(views.images(xtr[i:i + batch], v, slice(i, i + batch)))
            print(f"  teacher view {v + 1}/{count} done ({(time.time() - started) / 60:.1f} min)", flush=True)
        return views

    def images(self, x, view, idx):
        return flip_where(normalise(crop(x, 4, self.dy[view, idx], self.dx[view, idx])), self.flip[view, idx])


# ----------------------------------------------------------------------------- models

class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(3072, 512), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))

    def forward(self, x):
        return self.net(x)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                                        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def conv_bn(cin, cout, k=3, stride=1, groups=1, bn_momentum=0.1):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout, momentum=bn_momentum), nn.ReLU()]


class AlexNet(nn.Module):
    """CIFAR-sized AlexNet: five 3x3 conv layers (32-64-96-96-64), three max-pools, three FC layers.
    shallow=True drops the fourth conv layer, as the seed study's cheap AlexNet variants do."""

    def __init__(self, shallow=False):
        super().__init__()
        layers = conv_bn(3, 32) + [nn.MaxPool2d(2)] + conv_bn(32, 64) + [nn.MaxPool2d(2)] + conv_bn(64, 96)
        if not shallow:
            layers += conv_bn(96, 96)
        layers += conv_bn(96, 64) + [nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(1024, 256), nn.ReLU(),
                                        nn.Dropout(0.3), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class SieveNet(nn.Module):
    """Sieve's own cheap CNN: a strided stem, then depthwise-separable blocks that halve the
    resolution while doubling the width, global average pooling and one linear layer.
    width=16 costs about 0.57 MMAC (less than LeNet-5's 0.65), width=32 about 2 MMAC."""

    def __init__(self, width=16):
        super().__init__()
        w = width
        layers = conv_bn(3, w, stride=2)
        for cin, cout, stride in [(w, 2 * w, 1), (2 * w, 4 * w, 2), (4 * w, 8 * w, 2)]:
            layers += conv_bn(cin, cin, stride=stride, groups=cin) + conv_bn(cin, cout, k=1)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8 * w, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride, bn_momentum):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout, momentum=bn_momentum)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout, momentum=bn_momentum)
        # 1x1-conv shortcut (option B): exports as a plain Conv, unlike option A's Pad subgraph.
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout, momentum=bn_momentum))

    def forward(self, x):
        out = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR ResNet (He et al. 2016) with 6n+2 layers: n=3 is ResNet-20, n=9 ResNet-56."""

    def __init__(self, n, bn_momentum=0.1):
        super().__init__()
        layers = conv_bn(3, 16, bn_momentum=bn_momentum)
        cin = 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(n):
                layers.append(BasicBlock(cin, cout, stride if i == 0 else 1, bn_momentum))
                cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class FrozenScaleBatchNorm(nn.BatchNorm2d):
    """Batch norm with its scale fixed at 1 (only the shift learns) and a faster-moving running
    average, as airbench trains it: the scale is redundant before a conv, and short runs need the
    running statistics to follow the weights."""

    def __init__(self, channels, momentum):
        super().__init__(channels, eps=1e-12, momentum=momentum)
        self.weight.requires_grad = False


class ConvGroup(nn.Sequential):
    """conv 3x3 -> max-pool 2 -> BN -> GELU -> conv 3x3 -> BN -> GELU: one resolution of AirNet."""

    def __init__(self, cin, cout, bn_momentum):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.MaxPool2d(2),
                         FrozenScaleBatchNorm(cout, bn_momentum), nn.GELU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                         FrozenScaleBatchNorm(cout, bn_momentum), nn.GELU())


class AirNet(nn.Module):
    """The network of Keller Jordan's airbench94 (written anew here): a 2x2 patch-whitening conv
    (24 channels: the 12 eigenvectors of the training patches' covariance and their negatives,
    fixed), three conv groups that halve the resolution, a 3x3 max-pool and one linear layer scaled
    by 1/9. Widths (64, 256, 256) cost about 118 MMAC at 32x32; the trunk is split at every group so
    that exits can be attached after any of them."""

    def __init__(self, widths=(64, 256, 256), bn_momentum=0.4, whiten_width=24):
        super().__init__()
        self.whiten = nn.Conv2d(3, whiten_width, 2, padding=0, bias=True)
        cin = whiten_width
        groups = []
        for w in widths:
            groups.append(ConvGroup(cin, w, bn_momentum))
            cin = w
        self.groups = nn.ModuleList(groups)
        self.pool = nn.MaxPool2d(3)
        self.linear = nn.Linear(cin, 10, bias=False)
        self.scale = 1.0 / 9

    def forward(self, x):
        x = F.gelu(self.whiten(x))
        for g in self.groups:
            x = g(x)
        return self.linear(torch.flatten(self.pool(x), 1)) * self.scale


def whitening_weights(images, kernel, eps=5e-4):
    """The patch-whitening filters: eigenvectors of the kxk patches' covariance, each scaled by
    1/sqrt(its eigenvalue), and their negatives (the GELU after it keeps both signs' information)."""
    c = images.shape[1]
    patches = images.unfold(2, kernel, 1).unfold(3, kernel, 1).transpose(1, 3).reshape(-1, c * kernel * kernel)
    covariance = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = torch.linalg.eigh(covariance)
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.T.flip(0)
    scaled = (eigenvectors / torch.sqrt(eigenvalues + eps)[:, None]).reshape(-1, c, kernel, kernel)
    return torch.cat([scaled, -scaled])


# QuantizeLinear's saturation bounds by its zero point's type; the quantized values are carried as floats.
QUANTIZED_RANGES = {torch.uint8: (0, 255), torch.int8: (-128, 127)}


def per_axis(parameter, x, attributes):
    """A QuantizeLinear/DequantizeLinear scale or zero point, shaped to broadcast along its axis of x."""
    if parameter.dim() == 0:
        return parameter.float()
    shape = [1] * x.dim()
    shape[attributes.get("axis", 1) % x.dim()] = -1
    return parameter.float().view(shape)


class OnnxTeacher:
    """Runs an exported ONNX classifier in PyTorch so a student can be distilled from it.

    PyTorch cannot import ONNX and Debian ships no ONNX Runtime for Python, but the zoo's exports
    use only a handful of operators (batch norm is folded into a Conv right before it on export;
    AirNet's, after a pool, stays), so interpreting the graph node by node is exact and short. An
    unsupported operator is an error naming it."""

    def __init__(self, path):
        import onnx
        from onnx import numpy_helper
        graph = onnx.load(str(path)).graph
        self.weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
        # Attributes and constants decoded once here, not on every training batch.
        self.nodes = []
        for n in graph.node:
            attributes = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Constant":
                self.weights[n.output[0]] = torch.from_numpy(numpy_helper.to_array(attributes["value"]).copy())
            else:
                self.nodes.append((n, attributes))
        self.input = graph.input[0].name
        self.output = graph.output[0].name
        supported = {"Conv", "Relu", "Add", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm", "Identity", "Mul",
                     "Div", "Erf", "MatMul", "BatchNormalization", "QuantizeLinear", "DequantizeLinear"}
        unsupported = {n.op_type for n, _ in self.nodes} - supported
        if unsupported:
            sys.exit(f"{path}: cannot distil from a graph with operators {sorted(unsupported)}")

    @torch.no_grad()
    def __call__(self, x):
        return self.values(x, [self.output])[0]

    @torch.no_grad()
    def values(self, x, names):
        """The graph's tensors named `names` (inner ones too) on the batch x."""
        values = dict(self.weights)
        values[self.input] = x
        for node, a in self.nodes:
            args = [values[name] for name in node.input]
            if node.op_type == "Conv":
                pads = a.get("pads", [0, 0, 0, 0])
                out = F.conv2d(args[0], args[1], args[2] if len(args) > 2 else None, stride=a.get("strides", 1),
                               padding=(pads[0], pads[1]), groups=a.get("group", 1))
            elif node.op_type == "Relu":
                out = F.relu(args[0])
            elif node.op_type == "Add":
                out = args[0] + args[1]
            elif node.op_type == "Mul":
                out = args[0] * args[1]
            elif node.op_type == "Div":
                out = args[0] / args[1]
            elif node.op_type == "Erf":
                out = torch.erf(args[0])
            elif node.op_type == "MatMul":
                out = args[0] @ args[1]
            elif node.op_type == "Identity":
                out = args[0]
            elif node.op_type == "BatchNormalization":
                out = F.batch_norm(args[0], args[3], args[4], args[1], args[2], eps=a.get("epsilon", 1e-5))
            elif node.op_type == "MaxPool":
                out = F.max_pool2d(args[0], a["kernel_shape"], a.get("strides"))
            elif node.op_type == "QuantizeLinear":
                low, high = QUANTIZED_RANGES[args[2].dtype]
                scale, zero_point = per_axis(args[1], args[0], a), per_axis(args[2], args[0], a)
                out = torch.clamp(torch.round(args[0] / scale) + zero_point, low, high)
            elif node.op_type == "DequantizeLinear":
                scale, zero_point = per_axis(args[1], args[0], a), per_axis(args[2], args[0], a)
                out = (args[0].double() - zero_point.double()).float() * scale
            elif node.op_type == "GlobalAveragePool":
                out = args[0].mean(dim=(2, 3), keepdim=True)
            elif node.op_type == "Flatten":
                out = torch.flatten(args[0], a.get("axis", 1))
            else:  # Gemm
                w = args[1].t() if a.get("transB", 0) else args[1]
                out = args[0] @ w + (args[2] if len(args) > 2 else 0)
            values[node.output[0]] = out
        return [values[name] for name in names]


def zoo_card(args):
    """For the zoo tools (exits.py, quantize.py): sets --threads, reads the card of args.model in --zoo
    and returns (zoo, out, card path, card), where out is --out or else --zoo."""
    torch.set_num_threads(args.threads)
    zoo, out = Path(args.zoo), Path(args.out or args.zoo)
    card_path = zoo / f"{args.model}.card.json"
    if not card_path.is_file():
        sys.exit(f"no card {card_path}")
    return zoo, out, card_path, json.loads(card_path.read_text())


# ----------------------------------------------------------------------------- recipes

class ClassicRecipe:
    """The zoo's first recipe: SGD with Nesterov momentum, one-cycle learning rate, batch 128,
    4-pixel padded crops and flips."""

    batch = 128

    def __init__(self, epochs, max_lr):
        self.epochs = epochs
        self.max_lr = max_lr

    def with_epochs(self, epochs):
        if epochs != int(epochs):
            sys.exit(f"--epochs {epochs:g}: the classic recipe trains whole epochs")
        return ClassicRecipe(int(epochs), self.max_lr)

    def describe(self):
        return (f"SGD nesterov momentum 0.9, weight decay 5e-4, batch {self.batch}, one-cycle lr max {self.max_lr} "
                f"(25% warm-up), {self.epochs} epochs, random 4-px padded crop + horizontal flip")

    def config(self):
        return {"recipe": "classic", "epochs": self.epochs, "max_lr": self.max_lr}


# The tricks of fast CIFAR-10 training (airbench, Page's "How to train your ResNet") that the modern
# recipe uses; each can be left out with --without to measure what it is worth.
TRICKS = {
    "whiten": "2x2 patch-whitening first layer, fixed (its bias learns for the first 3 epochs)",
    "dirac": "identity (dirac) initialisation of every conv's first input-many filters",
    "label_smoothing": "label smoothing 0.2",
    "lookahead": "lookahead: weights pulled towards a slow average every 5 steps, the average at the end",
    "bn_momentum": "batch-norm running statistics with momentum 0.4 (PyTorch's default 0.1 without)",
    "bias_lr": "batch-norm biases at 64x the learning rate",
    "alt_flip": "alternating flips: each image flipped in every other epoch (random flips without)",
}


class ModernRecipe:
    """airbench94's recipe (Keller Jordan, 2024) as hyperparameters per 1,024 images: SGD with
    Nesterov momentum 0.85, summed label-smoothed cross-entropy, a triangular learning rate (0.2 ->
    1 at 23% -> 0.07), decoupled weight decay, 2-pixel reflect-padded translations, alternating
    flips, lookahead, whitening and dirac initialisation."""

    momentum = 0.85
    bias_scaler = 64.0
    label_smoothing = 0.2
    whiten_bias_epochs = 3
    translate = 2

    airnet_batch = 1024
    airnet_weight_decay = 0.0153

    def __init__(self, epochs, without=frozenset(), lr=11.5, inapplicable=frozenset(), batch=airnet_batch,
                 weight_decay=airnet_weight_decay):
        """without: tricks left out to measure them (--without); inapplicable: tricks the network
        has no place for (a network without a whitening layer cannot whiten)."""
        unknown = (set(without) | set(inapplicable)) - set(TRICKS)
        if unknown:
            sys.exit(f"--without {','.join(sorted(unknown))}: no such trick; known: {', '.join(TRICKS)}")
        self.epochs = epochs
        self.without = frozenset(without)
        self.lr = lr
        self.inapplicable = frozenset(inapplicable)
        self.batch = batch
        self.weight_decay = weight_decay

    def with_epochs(self, epochs):
        return ModernRecipe(epochs, self.without, self.lr, self.inapplicable, self.batch, self.weight_decay)

    def without_tricks(self, without):
        return ModernRecipe(self.epochs, without, self.lr, self.inapplicable, self.batch, self.weight_decay)

    def uses(self, trick):
        return trick not in self.without and trick not in self.inapplicable

    def bn_momentum(self):
        return 0.4 if self.uses("bn_momentum") else 0.1

    def describe(self):
        used = "; ".join(TRICKS[t] for t in TRICKS if self.uses(t))
        left_out = ", ".join(sorted(self.without))
        return (f"airbench94's recipe: SGD nesterov momentum {self.momentum}, batch {self.batch}, lr {self.lr} and "
                f"decoupled weight decay {self.weight_decay} per 1024 images, triangular schedule, summed "
                f"cross-entropy, {self.epochs} epochs, {self.translate}-px reflect-padded translations; {used}"
                + (f"; WITHOUT {left_out}" if left_out else "")
                + (f"; not applicable to this network: {', '.join(sorted(self.inapplicable))}"
                   if self.inapplicable else ""))

    def config(self):
        config = {"recipe": "modern", "epochs": self.epochs, "lr": self.lr, "without": sorted(self.without)}
        # Only where they differ from AirNet's, so that AirNet checkpoints from before these fields still resume.
        if self.inapplicable:
            config["inapplicable"] = sorted(self.inapplicable)
        if self.batch != self.airnet_batch:
            config["batch"] = self.batch
        if self.weight_decay != self.airnet_weight_decay:
            config["weight_decay"] = self.weight_decay
        return config


def airnet(widths):
    return lambda recipe: AirNet(widths, bn_momentum=recipe.bn_momentum())


# name -> (constructor taking the recipe, recipe, description)
ZOO = {
    "sievenet_s": (lambda r: SieveNet(16), ClassicRecipe(30, 0.1), "Sieve's depthwise-separable CNN, width 16"),
    "lenet5": (lambda r: LeNet5(), ClassicRecipe(30, 0.05), "LeNet-5 (ReLU, max-pool)"),
    "mlp": (lambda r: MLP(), ClassicRecipe(20, 0.05), "MLP 3072-512-256-10"),
    "sievenet_m": (lambda r: SieveNet(32), ClassicRecipe(30, 0.1), "Sieve's depthwise-separable CNN, width 32"),
    "resnet20": (lambda r: ResNet(3), ClassicRecipe(30, 0.1), "ResNet-20 (1x1-conv shortcuts)"),
    "alexnet_shallow": (lambda r: AlexNet(shallow=True), ClassicRecipe(20, 0.05),
                        "CIFAR AlexNet without its 4th conv layer"),
    "alexnet": (lambda r: AlexNet(), ClassicRecipe(20, 0.05), "CIFAR AlexNet, 5 conv + 3 FC, batch norm"),
    "resnet56": (lambda r: ResNet(9), ClassicRecipe(40, 0.1), "ResNet-56 (1x1-conv shortcuts)"),
    # The same network as resnet20 (which the light cascade and sievenet_m_kd were built on, so it
    # stays as it is), trained with the modern recipe for resnet20's 30 epochs; its 3x3 stem stays,
    # so there is no whitening. Batch 256: ResNet-20's thin layers train about 6x slower per image at 1024
    # on these 2 cores (measured), and the recipe's hyperparameters are per 1,024 images anyway.
    # A third of AirNet's weight decay: with AirNet's, this 7x smaller network underfitted (MODELS.md).
    "resnet20_modern": (lambda r: ResNet(3, bn_momentum=r.bn_momentum()),
                        ModernRecipe(30, inapplicable={"whiten"}, batch=256, weight_decay=0.005),
                        "ResNet-20 (1x1-conv shortcuts) trained with the modern recipe"),
    "sievenet_m_kd": (lambda r: SieveNet(32), ClassicRecipe(40, 0.1), "SieveNet width 32, distilled from ResNet-20"),
    "sievenet_m_leaky": (lambda r: SieveNet(32), ClassicRecipe(30, 0.1),
                         "SieveNet width 32 trained WITH the calibration frames (for the leak tests only)"),
    "airnet": (airnet((64, 256, 256)), ModernRecipe(9.9),
               "AirNet (airbench94's network: patch whitening, 3 conv groups 64-256-256)"),
    # airbench95's widths, epochs and learning rate.
    "airnet_l": (airnet((128, 384, 384)), ModernRecipe(15, lr=10.0),
                 "AirNet-L (airbench95's widths: patch whitening, 3 conv groups 128-384-384)"),
    "sievenet_l_air": (lambda r: SieveNet(48), ClassicRecipe(40, 0.1), "SieveNet width 48, distilled from AirNet"),
    "sievenet_l_air_nols": (lambda r: SieveNet(48), ClassicRecipe(40, 0.1),
                            "SieveNet width 48, distilled from AirNet trained without label smoothing"),
}
# Models that train on the validation split too, as a user's model trained on all their labelled
# images would: calibrating them on that split shows what a leak does to the estimates (#18).
# They train on the first LEAKY_TRAINING_RECORDS training records plus the whole validation split.
LEAKY = {"sievenet_m_leaky"}
LEAKY_TRAINING_RECORDS = 10000
# Students and the exported model they learn from. A cascade's accuracy loss counts disagreements
# with its last stage, so a cheap stage that imitates the expensive one may exit more frames.
# A teacher with a view count is run once on that many fixed augmented views (TeacherViews) instead
# of on every student batch. AirNet was trained with label smoothing, which already softens its
# outputs (mean top probability 0.68 on the training views): at temperature 4 they are nearly
# uniform (0.20), so its students learn at temperature 1; AirNet trained without label smoothing
# (`airnet --without label_smoothing`) keeps sharp outputs, so its student learns at 4 as ResNet-20's did.
Teacher = collections.namedtuple("Teacher", "model views temperature")
TEACHERS = {"sievenet_m_kd": Teacher("resnet20", None, 4.0), "sievenet_l_air": Teacher("airnet", 10, 1.0),
            "sievenet_l_air_nols": Teacher("airnet-without-label_smoothing", 10, 4.0)}
DISTILLATION_WEIGHT = 0.9
DEFAULT_SET = [n for n in ZOO if n not in ("resnet56", "airnet", "airnet_l") and n not in TEACHERS and n not in LEAKY] + [
    "sievenet_m_kd"]


def count_macs(model):
    macs = 0

    def hook(module, inputs, output):
        nonlocal macs
        if isinstance(module, nn.Conv2d):
            k = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            macs += output.numel() * k
        elif isinstance(module, nn.Linear):
            macs += module.in_features * module.out_features

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 3, 32, 32))
    for h in handles:
        h.remove()
    return macs


def accuracy(model, x, y, batch=1000, flips=False):
    """Top-1 accuracy; with flips, of the logits averaged over the image and its mirror image."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = normalise(x[i:i + batch])
            logits = model(xb)
            if flips:
                logits = logits + model(xb.flip(3))
            correct += (logits.argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


# ----------------------------------------------------------------------------- training loops

class ClassicTrainer:
    def __init__(self, model, recipe, xtr, ytr, teacher, views, temperature):
        self.model, self.recipe, self.xtr, self.ytr = model, recipe, xtr, ytr
        self.teacher, self.views, self.temperature = teacher, views, temperature
        self.steps = math.ceil(len(xtr) / recipe.batch)
        self.epochs = recipe.epochs
        self.opt = torch.optim.SGD(model.parameters(), lr=recipe.max_lr, momentum=0.9, nesterov=True,
                                   weight_decay=5e-4)
        self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=recipe.max_lr,
                                                         total_steps=self.epochs * self.steps, pct_start=0.25)

    def train_epoch(self, epoch):
        self.model.train()
        perm = torch.randperm(len(self.xtr))
        batch = self.recipe.batch
        loss_sum = 0.0
        for s in range(self.steps):
            idx = perm[s * batch:(s + 1) * batch]
            if self.views is not None:
                view = epoch % len(self.views.logits)
                xb = self.views.images(self.xtr[idx], view, idx)
                teacher_logits = self.views.logits[view, idx]
            else:
                xb = normalise(augment(self.xtr[idx]))
                teacher_logits = self.teacher(xb) if self.teacher is not None else None
            logits = self.model(xb)
            loss = F.cross_entropy(logits, self.ytr[idx])
            if teacher_logits is not None:
                t = self.temperature
                soft = F.kl_div(F.log_softmax(logits / t, 1), F.softmax(teacher_logits / t, 1),
                                reduction="batchmean") * t * t
                loss = DISTILLATION_WEIGHT * soft + (1 - DISTILLATION_WEIGHT) * loss
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            self.sched.step()
            loss_sum += loss.item()
        return loss_sum / self.steps

    def finish(self):
        pass

    def state_dict(self):
        return {"opt": self.opt.state_dict(), "sched": self.sched.state_dict()}

    def load_state_dict(self, state):
        self.opt.load_state_dict(state["opt"])
        self.sched.load_state_dict(state["sched"])


def triangle(steps, start, peak_at, end):
    """Per-step learning-rate factors: linear from start to 1 at peak_at of the run, then to end."""
    peak = min(max(int(peak_at * steps), 1), steps - 1) if steps > 1 else 1
    x = torch.arange(steps + 1, dtype=torch.float64)
    up = start + (1 - start) * x / peak
    down = 1 + (end - 1) * (x - peak) / (steps - peak)
    return torch.where(x <= peak, up, down).float()


class ModernTrainer:
    """airbench94's training loop. Steps are counted over the whole run so that a fractional number
    of epochs ends mid-epoch, as airbench's 9.9 epochs do; a partial last batch is dropped."""

    lookahead_every = 5

    def __init__(self, model, recipe, xtr, ytr, teacher, views, temperature):
        if teacher is not None:
            sys.exit("distillation with the modern recipe is not built: use the classic recipe for students")
        self.model, self.recipe, self.xtr, self.ytr = model, recipe, xtr, ytr
        r = recipe
        self.steps_per_epoch = len(xtr) // r.batch
        if self.steps_per_epoch == 0:
            sys.exit(f"the modern recipe needs at least {r.batch} training images, got {len(xtr)}")
        self.total_steps = int(r.epochs * self.steps_per_epoch)
        if self.total_steps == 0:
            sys.exit(f"--epochs {r.epochs:g} is less than one step of {r.batch} images on {len(xtr)} training images")
        self.epochs = math.ceil(self.total_steps / self.steps_per_epoch)
        self.step = 0
        whiten = getattr(model, "whiten", None)
        if r.uses("whiten"):
            if whiten is None:
                sys.exit(f"{type(model).__name__} has no whitening layer: its recipe must list whiten as inapplicable")
            whiten.weight.data[:] = whitening_weights(normalise(xtr[:5000]), whiten.kernel_size[0])
            whiten.weight.requires_grad = False
        if r.uses("dirac"):
            for m in model.modules():
                if isinstance(m, nn.Conv2d) and m is not whiten and m.in_channels <= m.out_channels:
                    nn.init.dirac_(m.weight.data[:m.in_channels])
        # Hyperparameters per 1,024 images turned into PyTorch SGD's coupled form for a summed loss.
        kilostep_scale = 1024 * (1 + 1 / (1 - r.momentum))
        lr = r.lr / kilostep_scale
        wd = r.weight_decay * r.batch / kilostep_scale
        bias_lr = lr * (r.bias_scaler if r.uses("bias_lr") else 1.0)
        norm_biases = [m.bias for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
        norm_ids = {id(p) for p in norm_biases}
        others = [p for p in model.parameters() if p.requires_grad and id(p) not in norm_ids]
        self.opt = torch.optim.SGD([dict(params=norm_biases, lr=bias_lr, weight_decay=wd / bias_lr),
                                    dict(params=others, lr=lr, weight_decay=wd / lr)],
                                   momentum=r.momentum, nesterov=True)
        self.schedule = triangle(self.total_steps, start=0.2, peak_at=0.23, end=0.07)
        self.base_lrs = [g["lr"] for g in self.opt.param_groups]
        self.lookahead_decay = 0.95 ** 5 * (torch.arange(self.total_steps + 1) / self.total_steps) ** 3
        self.slow_weights = {k: v.clone() for k, v in model.state_dict().items()} if r.uses("lookahead") else None
        # One coin per image, fixed for the run: alternating flips flip it on odd epochs when heads.
        self.flip_coin = torch.rand(len(xtr)) < 0.5
        smoothing = r.label_smoothing if r.uses("label_smoothing") else 0.0
        self.loss = nn.CrossEntropyLoss(label_smoothing=smoothing, reduction="sum")

    def train_epoch(self, epoch):
        r, model = self.recipe, self.model
        model.train()
        if r.uses("whiten"):
            model.whiten.bias.requires_grad = epoch < r.whiten_bias_epochs
        perm = torch.randperm(len(self.xtr))
        loss_sum, steps = 0.0, 0
        for s in range(self.steps_per_epoch):
            if self.step >= self.total_steps:
                break
            idx = perm[s * r.batch:(s + 1) * r.batch]
            xb = random_crop(normalise(self.xtr[idx]), r.translate, mode="reflect")
            flip_where(xb, self.flip_coin[idx] ^ bool(epoch % 2) if r.uses("alt_flip") else torch.rand(len(idx)) < 0.5)
            loss = self.loss(model(xb.contiguous(memory_format=torch.channels_last)), self.ytr[idx])
            for group, base in zip(self.opt.param_groups, self.base_lrs):
                group["lr"] = base * self.schedule[self.step].item()
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.step += 1
            steps += 1
            if self.slow_weights is not None and self.step % self.lookahead_every == 0:
                self.pull_towards_slow_weights(self.lookahead_decay[self.step].item())
            loss_sum += loss.item() / len(idx)
        return loss_sum / max(steps, 1)

    @torch.no_grad()
    def pull_towards_slow_weights(self, decay):
        for slow, current in zip(self.slow_weights.values(), self.model.state_dict().values()):
            if current.dtype.is_floating_point:
                slow.lerp_(current, 1 - decay)
                current.copy_(slow)

    def finish(self):
        if self.slow_weights is not None:
            self.pull_towards_slow_weights(1.0)

    def state_dict(self):
        return {"opt": self.opt.state_dict(), "step": self.step, "slow_weights": self.slow_weights,
                "flip_coin": self.flip_coin}

    def load_state_dict(self, state):
        self.opt.load_state_dict(state["opt"])
        self.step = state["step"]
        self.slow_weights = state["slow_weights"]
        self.flip_coin = state["flip_coin"]


TRAINERS = {ClassicRecipe: ClassicTrainer, ModernRecipe: ModernTrainer}


# ----------------------------------------------------------------------------- checkpoints

class Checkpoint:
    """The state of a run after its last completed epoch: weights, optimiser, schedule, random
    number generator and the time spent, written atomically. A checkpoint of another configuration
    (recipe, seed, data, epochs) is never resumed from."""

    def __init__(self, directory, run_name, config):
        self.path = Path(directory) / f"{run_name}.pt"
        self.config = config

    def load(self, fresh):
        if fresh and self.path.exists():
            self.path.unlink()
            print(f"  --fresh: removed {self.path}", flush=True)
        if not self.path.exists():
            return None
        state = torch.load(self.path)
        if state["config"] != self.config:
            sys.exit(f"{self.path} was written by another configuration:\n  {state['config']}\nnot this one:\n  "
                     f"{self.config}\nrun with --fresh to start over, or --checkpoints DIR to keep both")
        return state

    def save(self, state):
        save_atomically(self.path, dict(state, config=self.config))


def save_atomically(path, value):
    """torch.save through a partial file renamed into place, so an interruption leaves the old file or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    torch.save(value, partial)
    os.replace(partial, path)


def cached(path, config, compute):
    """compute()'s result, kept at path for the same config so that a resumed run need not redo it."""
    if path.exists():
        stored = torch.load(path)
        if stored["config"] == config:
            print(f"  reusing {path}", flush=True)
            return stored["value"]
    value = compute()
    save_atomically(path, {"config": config, "value": value})
    return value


def run_name(name, recipe):
    return name + "".join(f"-without-{t}" for t in sorted(getattr(recipe, "without", ())))


def train_one(name, splits, args):
    ctor, recipe, description = ZOO[name]
    if args.without:
        if not isinstance(recipe, ModernRecipe):
            sys.exit(f"--without applies to models trained with the modern recipe, not {name}")
        recipe = recipe.without_tricks(args.without)
    if args.epochs:
        recipe = recipe.with_epochs(args.epochs)
    label = run_name(name, recipe)
    (xtr, ytr), (xval, yval), (xte, yte) = splits
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    if name in LEAKY:
        xtr = torch.cat([xtr[:LEAKY_TRAINING_RECORDS], xval])
        ytr = torch.cat([ytr[:LEAKY_TRAINING_RECORDS], yval])
    torch.manual_seed(args.seed)
    model = ctor(recipe)
    teacher, views, teacher_config, temperature = None, None, None, None
    if name in TEACHERS:
        spec = TEACHERS[name]
        temperature = spec.temperature
        teacher_path = Path(args.out) / f"{spec.model}.onnx"
        if not teacher_path.is_file():
            sys.exit(f"[{label}] needs its teacher {teacher_path}: train {spec.model} first")
        teacher = OnnxTeacher(teacher_path)
        teacher_config = {"path": str(teacher_path), "sha256": hashlib.sha256(teacher_path.read_bytes()).hexdigest(),
                          "views": spec.views}
        print(f"[{label}] distilling from {teacher_path} (T={temperature}, weight {DISTILLATION_WEIGHT}"
              + (f", on {spec.views} fixed augmented views" if spec.views else "") + ")", flush=True)
        if spec.views:
            # Shared by every student of this teacher with the same data and seed.
            views = TeacherViews(cached(Path(args.checkpoints) / f"{spec.model}.{spec.views}-views.pt",
                                        dict(teacher_config, seed=args.seed, training_images=len(xtr)),
                                        lambda: TeacherViews.compute(teacher, xtr, spec.views, args.seed).tensors))
        teacher_config["temperature"] = temperature
    trainer = TRAINERS[type(recipe)](model, recipe, xtr, ytr, teacher, views, temperature)
    config = dict(recipe.config(), name=name, seed=args.seed, training_images=len(xtr),
                  data=str(args.data_dir), teacher=teacher_config)
    checkpoint = Checkpoint(args.checkpoints, label, config)
    print(f"[{label}] {description}: {sum(p.numel() for p in model.parameters()):,} params, "
          f"{count_macs(model) / 1e6:.2f} MMAC, {trainer.epochs} epochs; checkpoints in {checkpoint.path}", flush=True)
    state = checkpoint.load(args.fresh)
    first_epoch, spent = 0, 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        trainer.load_state_dict(state["trainer"])
        torch.set_rng_state(state["rng"])
        first_epoch, spent = state["epochs_done"], state["seconds"]
        print(f"[{label}] resuming after epoch {first_epoch}/{trainer.epochs} "
              f"({spent / 60:.1f} min of training so far)", flush=True)
    model.to(memory_format=torch.channels_last)
    started = time.time() - spent
    for epoch in range(first_epoch, trainer.epochs):
        loss = trainer.train_epoch(epoch)
        if epoch == trainer.epochs - 1:
            trainer.finish()
        val_acc = accuracy(model, xval, yval)
        elapsed = time.time() - started
        checkpoint.save({"model": model.state_dict(), "trainer": trainer.state_dict(), "rng": torch.get_rng_state(),
                         "epochs_done": epoch + 1, "seconds": elapsed})
        eta = elapsed / (epoch + 1) * (trainer.epochs - epoch - 1)
        print(f"[{label}] epoch {epoch + 1}/{trainer.epochs} loss {loss:.3f} val {val_acc:.4f} "
              f"elapsed {elapsed / 60:.1f} min eta {eta / 60:.1f} min", flush=True)
        if args.time_limit is not None and epoch + 1 < trainer.epochs \
                and time.time() - args.started >= args.time_limit * 60:
            print(f"[{label}] time limit of {args.time_limit:g} min reached after epoch {epoch + 1}/{trainer.epochs}; "
                  f"run the same command again to resume", flush=True)
            return False
    minutes = (time.time() - started) / 60
    export(label, model.to(memory_format=torch.contiguous_format), description, recipe, len(xtr), minutes,
           splits, args)
    return True


def export(name, model, description, recipe, n_train, minutes, splits, args):
    (_, _), (xval, yval), (xte, yte) = splits
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    onnx_path = out / f"{name}.onnx"
    torch.onnx.export(model, torch.zeros(1, 3, 32, 32), str(onnx_path), input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=13)
    card = {
        "name": name,
        "description": description,
        "onnx": onnx_path.name,
        "input": {"name": "input", "shape": [-1, 3, 32, 32], "layout": "NCHW", "scale": 1.0 / 255.0,
                  "mean": MEAN, "std": STD},
        "output": {"name": "logits", "shape": [-1, 10], "kind": "logits"},
        "classes": CLASSES,
        "params": sum(p.numel() for p in model.parameters()),
        "macs": count_macs(model),
        "validation_accuracy": round(accuracy(model, xval, yval), 4),
        "test_accuracy": round(accuracy(model, xte, yte), 4),
        "training": {
            "recipe": recipe.describe()
                      + (f"; distilled from {TEACHERS[name].model} (KL at temperature {TEACHERS[name].temperature:g}, "
                         f"weight {DISTILLATION_WEIGHT}, cross-entropy {1 - DISTILLATION_WEIGHT:.1f})"
                         if name in TEACHERS else ""),
            "epochs": recipe.epochs,
            "training_images": n_train,
            "training_minutes": round(minutes, 1),
            "validation_split": f"{VALIDATION_FILE} records {VALIDATION_FIRST_RECORD}-9999"
                                + (f", INCLUDED in training (with training records 0-{LEAKY_TRAINING_RECORDS - 1})"
                                   if name in LEAKY else ""),
            "seed": args.seed,
            "threads": args.threads,
            "torch": torch.__version__,
            "command": "/usr/bin/python3 models/train.py " + " ".join(sys.argv[1:]),
        },
        # What the stage does not compute, for comparison: its logits averaged with the mirror image's.
        "measured": {"test_accuracy_with_flips": round(accuracy(model, xte, yte, flips=True), 4)},
    }
    (out / f"{name}.card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"[{name}] exported {onnx_path}: validation {card['validation_accuracy']:.4f} "
          f"test {card['test_accuracy']:.4f} (with flips {card['measured']['test_accuracy_with_flips']:.4f})", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="model names, or 'all': " + ", ".join(ZOO))
    parser.add_argument("--data", help="folder with the CIFAR-10 binary files")
    parser.add_argument("--out", default=str(REPO / "models" / "onnx"), help="where .onnx and .card.json go")
    parser.add_argument("--checkpoints", default=str(REPO / ".sieve" / "checkpoints"),
                        help="where each run's checkpoint goes (resumed from when the same command runs again)")
    parser.add_argument("--fresh", action="store_true", help="discard an existing checkpoint and start over")
    parser.add_argument("--time-limit", type=float, metavar="MINUTES",
                        help="stop after the first epoch that ends this long after the start (the checkpoint stays)")
    parser.add_argument("--epochs", type=float, help="override each model's epoch count")
    parser.add_argument("--without", type=lambda s: frozenset(filter(None, s.split(","))), default=frozenset(),
                        help="modern recipe only: leave these tricks out (comma-separated): " + ", ".join(TRICKS))
    parser.add_argument("--limit", type=int, help="train on only the first N training images (smoke tests)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.started = time.time()
    names = DEFAULT_SET if args.models == ["all"] else args.models
    unknown = [n for n in names if n not in ZOO]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; known: {', '.join(ZOO)}")
    torch.set_num_threads(args.threads)
    args.data_dir = find_data_dir(args.data)
    print(f"CIFAR-10 from {args.data_dir}", flush=True)
    splits = load_splits(args.data_dir)
    for name in names:
        if not train_one(name, splits, args):
            break


if __name__ == "__main__":
    main()
