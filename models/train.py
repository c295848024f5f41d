#!/usr/bin/env python3
"""Train Sieve's CIFAR-10 model zoo and export each model to ONNX with a model card.

Usage:
  /usr/bin/python3 models/train.py all                  # every model, in the order of ZOO
  /usr/bin/python3 models/train.py resnet20 lenet5      # only these
  /usr/bin/python3 models/train.py sievenet_s --epochs 1 --limit 2000 --out /tmp/m   # a smoke run

Data: the CIFAR-10 binary layout (data_batch_1..5.bin, test_batch.bin). The validation split that
calibration uses is fixed and needs no index file: records 5000-9999 of data_batch_5.bin. Training
uses the other 45,000 training records; the test batch is only ever used to report accuracy.
"""
import argparse
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


def augment(x):
    """Random 4-pixel-padded crop and horizontal flip for a whole batch at once."""
    b = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (b,))
    dx = torch.randint(0, 9, (b,))
    idx = torch.arange(32)
    rows = (dy[:, None] + idx)[:, None, :, None]
    cols = (dx[:, None] + idx)[:, None, None, :]
    out = padded[torch.arange(b)[:, None, None, None], torch.arange(3)[None, :, None, None], rows, cols]
    flip = torch.rand(b) < 0.5
    out[flip] = out[flip].flip(3)
    return out


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


def conv_bn(cin, cout, k=3, stride=1, groups=1):
    return [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


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
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        # 1x1-conv shortcut (option B): exports as a plain Conv, unlike option A's Pad subgraph.
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.b1(self.c1(x)))
        return F.relu(self.b2(self.c2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """CIFAR ResNet (He et al. 2016) with 6n+2 layers: n=3 is ResNet-20, n=9 ResNet-56."""

    def __init__(self, n):
        super().__init__()
        layers = conv_bn(3, 16)
        cin = 16
        for cout, stride in [(16, 1), (32, 2), (64, 2)]:
            for i in range(n):
                layers.append(BasicBlock(cin, cout, stride if i == 0 else 1))
                cin = cout
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class OnnxTeacher:
    """Runs an exported ONNX classifier in PyTorch so a student can be distilled from it.

    PyTorch cannot import ONNX and Debian ships no ONNX Runtime for Python, but the zoo's exports
    use only a handful of operators (batch norm is folded into Conv on export), so interpreting the
    graph node by node is exact and short. An unsupported operator is an error naming it."""

    def __init__(self, path):
        import onnx
        from onnx import numpy_helper
        graph = onnx.load(str(path)).graph
        self.weights = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
        # Attributes decoded once here, not on every training batch.
        self.nodes = [(n, {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}) for n in graph.node]
        self.input = graph.input[0].name
        self.output = graph.output[0].name
        supported = {"Conv", "Relu", "Add", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm"}
        unsupported = {n.op_type for n, _ in self.nodes} - supported
        if unsupported:
            sys.exit(f"{path}: cannot distil from a graph with operators {sorted(unsupported)}")

    @torch.no_grad()
    def __call__(self, x):
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
            elif node.op_type == "MaxPool":
                out = F.max_pool2d(args[0], a["kernel_shape"], a.get("strides"))
            elif node.op_type == "GlobalAveragePool":
                out = args[0].mean(dim=(2, 3), keepdim=True)
            elif node.op_type == "Flatten":
                out = torch.flatten(args[0], a.get("axis", 1))
            else:  # Gemm
                w = args[1].t() if a.get("transB", 0) else args[1]
                out = args[0] @ w + (args[2] if len(args) > 2 else 0)
            values[node.output[0]] = out
        return values[self.output]


# name -> (constructor, epochs, max learning rate, description)
ZOO = {
    "sievenet_s": (lambda: SieveNet(16), 30, 0.1, "Sieve's depthwise-separable CNN, width 16"),
    "lenet5": (LeNet5, 30, 0.05, "LeNet-5 (ReLU, max-pool)"),
    "mlp": (MLP, 20, 0.05, "MLP 3072-512-256-10"),
    "sievenet_m": (lambda: SieveNet(32), 30, 0.1, "Sieve's depthwise-separable CNN, width 32"),
    "resnet20": (lambda: ResNet(3), 30, 0.1, "ResNet-20 (1x1-conv shortcuts)"),
    "alexnet_shallow": (lambda: AlexNet(shallow=True), 20, 0.05, "CIFAR AlexNet without its 4th conv layer"),
    "alexnet": (AlexNet, 20, 0.05, "CIFAR AlexNet, 5 conv + 3 FC, batch norm"),
    "resnet56": (lambda: ResNet(9), 40, 0.1, "ResNet-56 (1x1-conv shortcuts)"),
    "sievenet_m_kd": (lambda: SieveNet(32), 40, 0.1, "SieveNet width 32, distilled from ResNet-20"),
    "sievenet_m_leaky": (lambda: SieveNet(32), 30, 0.1,
                         "SieveNet width 32 trained WITH the calibration frames (for the leak tests only)"),
}
# Models that train on the validation split too, as a user's model trained on all their labelled
# images would: calibrating them on that split shows what a leak does to the estimates (#18).
# They train on the first LEAKY_TRAINING_RECORDS training records plus the whole validation split.
LEAKY = {"sievenet_m_leaky"}
LEAKY_TRAINING_RECORDS = 10000
# Students and the exported model they learn from. A cascade's accuracy loss counts disagreements
# with its last stage, so a cheap stage that imitates the expensive one may exit more frames.
TEACHERS = {"sievenet_m_kd": "resnet20"}
DISTILLATION_TEMPERATURE = 4.0
DISTILLATION_WEIGHT = 0.9
DEFAULT_SET = [n for n in ZOO if n not in ("resnet56", "sievenet_m_kd") and n not in LEAKY] + ["sievenet_m_kd"]


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


def accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(normalise(x[i:i + batch])).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train_one(name, splits, args):
    ctor, epochs, max_lr, description = ZOO[name]
    epochs = args.epochs or epochs
    (xtr, ytr), (xval, yval), (xte, yte) = splits
    if args.limit:
        xtr, ytr = xtr[:args.limit], ytr[:args.limit]
    if name in LEAKY:
        xtr = torch.cat([xtr[:LEAKY_TRAINING_RECORDS], xval])
        ytr = torch.cat([ytr[:LEAKY_TRAINING_RECORDS], yval])
    torch.manual_seed(args.seed)
    model = ctor()
    teacher = None
    if name in TEACHERS:
        teacher_path = Path(args.out) / f"{TEACHERS[name]}.onnx"
        if not teacher_path.is_file():
            sys.exit(f"[{name}] needs its teacher {teacher_path}: train {TEACHERS[name]} first")
        teacher = OnnxTeacher(teacher_path)
        print(f"[{name}] distilling from {teacher_path} (T={DISTILLATION_TEMPERATURE}, "
              f"weight {DISTILLATION_WEIGHT})", flush=True)
    batch = 128
    steps = math.ceil(len(xtr) / batch)
    opt = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, total_steps=epochs * steps, pct_start=0.25)
    print(f"[{name}] {description}: {sum(p.numel() for p in model.parameters()):,} params, "
          f"{count_macs(model) / 1e6:.2f} MMAC, {epochs} epochs of {steps} steps", flush=True)
    started = time.time()
    for epoch in range(epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        loss_sum = 0.0
        for s in range(steps):
            idx = perm[s * batch:(s + 1) * batch]
            xb = normalise(augment(xtr[idx]))
            logits = model(xb)
            loss = F.cross_entropy(logits, ytr[idx])
            if teacher is not None:
                t = DISTILLATION_TEMPERATURE
                soft = F.kl_div(F.log_softmax(logits / t, 1), F.softmax(teacher(xb) / t, 1),
                                reduction="batchmean") * t * t
                loss = DISTILLATION_WEIGHT * soft + (1 - DISTILLATION_WEIGHT) * loss
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        val_acc = accuracy(model, xval, yval)
        elapsed = time.time() - started
        eta = elapsed / (epoch + 1) * (epochs - epoch - 1)
        print(f"[{name}] epoch {epoch + 1}/{epochs} loss {loss_sum / steps:.3f} val {val_acc:.4f} "
              f"elapsed {elapsed / 60:.1f} min eta {eta / 60:.1f} min", flush=True)
    export(name, model, description, epochs, max_lr, len(xtr), splits, args)


def export(name, model, description, epochs, max_lr, n_train, splits, args):
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
            "recipe": f"SGD nesterov momentum 0.9, weight decay 5e-4, batch 128, one-cycle lr max {max_lr} "
                      f"(25% warm-up), {epochs} epochs, random 4-px padded crop + horizontal flip"
                      + (f"; distilled from {TEACHERS[name]} (KL at temperature {DISTILLATION_TEMPERATURE}, "
                         f"weight {DISTILLATION_WEIGHT}, cross-entropy {1 - DISTILLATION_WEIGHT:.1f})"
                         if name in TEACHERS else ""),
            "epochs": epochs,
            "training_images": n_train,
            "validation_split": f"{VALIDATION_FILE} records {VALIDATION_FIRST_RECORD}-9999"
                                + (f", INCLUDED in training (with training records 0-{LEAKY_TRAINING_RECORDS - 1})"
                                   if name in LEAKY else ""),
            "seed": args.seed,
            "torch": torch.__version__,
            "command": "/usr/bin/python3 models/train.py " + " ".join(sys.argv[1:]),
        },
    }
    (out / f"{name}.card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"[{name}] exported {onnx_path}: validation {card['validation_accuracy']:.4f} "
          f"test {card['test_accuracy']:.4f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", help="model names, or 'all': " + ", ".join(ZOO))
    parser.add_argument("--data", help="folder with the CIFAR-10 binary files")
    parser.add_argument("--out", default=str(REPO / "models" / "onnx"), help="where .onnx and .card.json go")
    parser.add_argument("--epochs", type=int, help="override each model's epoch count")
    parser.add_argument("--limit", type=int, help="train on only the first N training images (smoke tests)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    names = DEFAULT_SET if args.models == ["all"] else args.models
    unknown = [n for n in names if n not in ZOO]
    if unknown:
        sys.exit(f"unknown model(s) {unknown}; known: {', '.join(ZOO)}")
    torch.set_num_threads(args.threads)
    data_dir = find_data_dir(args.data)
    print(f"CIFAR-10 from {data_dir}", flush=True)
    splits = load_splits(data_dir)
    for name in names:
        train_one(name, splits, args)


if __name__ == "__main__":
    main()
