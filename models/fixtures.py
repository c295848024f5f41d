#!/usr/bin/env python3
"""Writes the tiny ONNX models the Java unit tests load (cascade/src/test/resources/fixtures).

They are untrained and only exercise loading, shapes and output kinds:
  tiny_logits.onnx        a small CNN returning logits
  tiny_softmax.onnx       the same CNN with a softmax, returning probabilities
  tiny_fixed_batch.onnx   the CNN exported with a fixed batch of 1 and a 28x28 input (a shape mismatch)
  tiny_nhwc.onnx          tiny_logits' weights behind an NHWC input (channels last, as TensorFlow exports)
  tiny_trunk.onnx         a trunk segment with an exit head: returns logits and hands on its feature map
  tiny_trunk_rest.onnx    the rest of that network: continues tiny_trunk from the feature map alone
  tiny_trunk_whole.onnx   trunk and rest in one graph, for checking that the hand-on computes the same
  tiny_pair_rest.onnx     the second half of an ensemble: continues tiny_trunk from its logits and the frame
Run: /usr/bin/python3 models/fixtures.py
"""
import json
from pathlib import Path

import torch
import torch.nn as nn

OUT = Path(__file__).resolve().parent.parent / "cascade" / "src" / "test" / "resources" / "fixtures"
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


class Tiny(nn.Module):
    def __init__(self, softmax):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 10))
        self.softmax = softmax

    def forward(self, x):
        y = self.net(x)
        return torch.softmax(y, dim=1) if self.softmax else y


class ChannelsLast(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x.permute(0, 3, 1, 2))


def export(name, model, side, dynamic, kind, layout="NCHW"):
    model.eval()
    kwargs = {"dynamic_axes": {"input": {0: "batch"}, "scores": {0: "batch"}}} if dynamic else {}
    example = torch.zeros(1, side, side, 3) if layout == "NHWC" else torch.zeros(1, 3, side, side)
    torch.onnx.export(model, example, str(OUT / f"{name}.onnx"), input_names=["input"],
                      output_names=["scores"], opset_version=13, **kwargs)
    shape = [-1, 32, 32, 3] if layout == "NHWC" else [-1, 3, 32, 32]
    card = {"name": name, "description": "untrained test fixture", "onnx": f"{name}.onnx",
            "input": {"name": "input", "shape": shape, "layout": layout, "scale": 1 / 255,
                      "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
            "output": {"name": "scores", "shape": [-1, 10], "kind": kind},
            "classes": CLASSES, "params": sum(p.numel() for p in model.parameters()), "macs": 0}
    (OUT / f"{name}.card.json").write_text(json.dumps(card, indent=2) + "\n")


class Trunk(nn.Module):
    def __init__(self):
        super().__init__()
        self.segment = nn.Sequential(nn.Conv2d(3, 4, 3, 2, 1), nn.ReLU())
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(16, 10))

    def forward(self, x):
        features = self.segment(x)
        return self.head(features), features


class Rest(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(4, 8, 3, 2, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 10))

    def forward(self, features):
        return self.net(features)


class Whole(nn.Module):
    def __init__(self, trunk, rest):
        super().__init__()
        self.trunk, self.rest = trunk, rest

    def forward(self, x):
        return self.rest(self.trunk(x)[1])


class PairRest(nn.Module):
    """Averages the softmax of the trunk's logits, handed on, with that of another net on the frame."""

    def __init__(self):
        super().__init__()
        self.other = Tiny(softmax=True)

    def forward(self, x, logits):
        return (torch.softmax(logits, dim=1) + self.other(x)) / 2


def export_graph(name, model, examples, inputs, outputs, kind, continues=None):
    model.eval()
    torch.onnx.export(model, examples, str(OUT / f"{name}.onnx"), input_names=inputs, output_names=outputs, opset_version=13,
                      dynamic_axes={n: {0: "batch"} for n in inputs + outputs})
    card = {"name": name, "description": "untrained test fixture", "onnx": f"{name}.onnx",
            "input": {"name": "input", "shape": [-1, 3, 32, 32], "layout": "NCHW", "scale": 1 / 255,
                      "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]},
            "output": {"name": outputs[0], "shape": [-1, 10], "kind": kind},
            "classes": CLASSES, "params": sum(p.numel() for p in model.parameters()), "macs": 0}
    if continues:
        card["continues"] = continues
    (OUT / f"{name}.card.json").write_text(json.dumps(card, indent=2) + "\n")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    logits = Tiny(softmax=False)
    export("tiny_logits", logits, 32, True, "logits")
    probabilities = Tiny(softmax=True)
    probabilities.load_state_dict(logits.state_dict())
    export("tiny_softmax", probabilities, 32, True, "probabilities")
    export("tiny_fixed_batch", logits, 28, False, "logits")
    export("tiny_nhwc", ChannelsLast(logits), 32, True, "logits", "NHWC")
    trunk, rest = Trunk(), Rest()
    image, features = torch.zeros(1, 3, 32, 32), torch.zeros(1, 4, 16, 16)
    export_graph("tiny_trunk", trunk, (image,), ["input"], ["scores", "features"], "logits")
    export_graph("tiny_trunk_rest", rest, (features,), ["features"], ["scores"], "logits",
                 {"model": "tiny_trunk", "inputs": {"features": "features"}})
    export_graph("tiny_trunk_whole", Whole(trunk, rest), (image,), ["input"], ["scores"], "logits")
    export_graph("tiny_pair_rest", PairRest(), (image, torch.zeros(1, 10)), ["input", "scores_in"], ["scores"], "probabilities",
                 {"model": "tiny_trunk", "inputs": {"scores_in": "scores"}})


if __name__ == "__main__":
    main()
