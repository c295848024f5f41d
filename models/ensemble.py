#!/usr/bin/env python3
"""Compose exported classifiers into one ONNX ensemble graph with a model card.

Usage:
  /usr/bin/python3 models/ensemble.py airnet airnet-without-label_smoothing --mirror --name airnet_pair_mirror
  /usr/bin/python3 models/ensemble.py airnet airnet-without-label_smoothing --mirror --continues airnet --name airnet_pair_mirror_rest

The ensemble's output is the mean of its members' softmax probabilities, each member run on the
frame and, with --mirror, on its mirror image as well (test-time flips): one graph, so a Sieve stage
runs it with one ONNX Runtime call per batch, and its cost is the members' MACs times the views.
Members must share their input (the zoo's NCHW 3x32x32, normalisation) and classes; each is named
by its card in --zoo. Its validation and test accuracies are computed here from the members' graphs, run one by
one (train.py's interpreter), not from the composed graph, so the Java stage's reproduction of the
card (ZooAccuracyIT) also checks the composition.

With --continues STAGE, the graph is the rest of the ensemble after its first member has run on the
frame as the cascade stage STAGE (the first member itself, or a chain of stages ending in its logits,
such as the rest of it after an early exit): it continues that stage (the card's "continues"), takes
its logits, handed on in memory, as an input instead of running that member on the frame again, and
costs that member's MACs less. The stages before it and this graph together compute the ensemble.
A graph identical to one already in --out is shared by the new card, not written again.
"""
import argparse
import hashlib
import json
import sys
from pathlib import Path

import onnx
import torch
from onnx import TensorProto, helper

from train import REPO, OnnxTeacher, find_data_dir, load_splits, normalise

OPSET = 13
SHARED_CARD_FIELDS = ("input", "classes")


def load_members(zoo, names):
    cards = []
    for name in names:
        card_path = zoo / f"{name}.card.json"
        if not card_path.is_file():
            sys.exit(f"no card {card_path}: train or add the model first")
        card = json.loads(card_path.read_text())
        if card["output"]["kind"] != "logits":
            sys.exit(f"{card_path}: the ensemble averages softmax probabilities and needs members with logits output")
        cards.append((card_path, card))
    first_path, first = cards[0]
    for path, card in cards[1:]:
        for field in SHARED_CARD_FIELDS:
            if card[field] != first[field]:
                sys.exit(f"{path} and {first_path} differ in '{field}': an ensemble's members must share it")
    return cards


CARRIED_LOGITS = "carried_logits"
INTEGER_OPS = {"DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger"}


def weight_bits(cards, zoo):
    """The widest integer weights among the members (the card's "weight_bits", which tells Sieve whether the
    runtime's fast int8 kernel is exact), or None when no member is quantized or one is quantized without
    saying in how many bits: then Sieve keeps the exact kernel."""
    widths = []
    for _, card in cards:
        if "weight_bits" in card:
            widths.append(card["weight_bits"])
        elif any(node.op_type in INTEGER_OPS for node in onnx.load(str(zoo / card["onnx"])).graph.node):
            return None
    return max(widths, default=None)


def compose(cards, zoo, mirror, output_name, continues=False):
    """One graph: [frame; mirror] along the batch axis, each member once on that, softmax, the mean over
    views and members. With continues, the first member's logits on the frame are an input
    (CARRIED_LOGITS) and it runs only on the mirror image, if at all."""
    input_spec = cards[0][1]["input"]
    frames = input_spec["name"]
    classes = len(cards[0][1]["classes"])
    nodes, initializers = [], []
    views = 2 if mirror else 1
    if mirror:
        initializers += [
            helper.make_tensor("mirror_starts", TensorProto.INT64, [1], [-1]),
            helper.make_tensor("mirror_ends", TensorProto.INT64, [1], [-(2 ** 63)]),
            helper.make_tensor("mirror_axes", TensorProto.INT64, [1], [3]),  # NCHW's width
            helper.make_tensor("mirror_steps", TensorProto.INT64, [1], [-1]),
            helper.make_tensor("views_shape", TensorProto.INT64, [3], [views, -1, classes]),
        ]
        nodes += [helper.make_node("Slice", [frames, "mirror_starts", "mirror_ends", "mirror_axes", "mirror_steps"],
                                   ["mirrored"]),
                  helper.make_node("Concat", [frames, "mirrored"], ["views"], axis=0)]
    member_probabilities = []
    for i, (_, card) in enumerate(cards):
        prefix = f"m{i}_"
        if continues and i == 0:
            nodes.append(helper.make_node("Softmax", [CARRIED_LOGITS], [f"{prefix}frame_probabilities"], axis=1))
            if not mirror:
                member_probabilities.append(f"{prefix}frame_probabilities")
                continue
        graph = onnx.load(str(zoo / card["onnx"])).graph
        views_input = "mirrored" if continues and i == 0 else "views" if mirror else frames
        renamed = {graph.input[0].name: views_input, graph.output[0].name: f"{prefix}logits"}

        def name_of(tensor):
            return renamed.get(tensor, prefix + tensor if tensor else tensor)

        for node in graph.node:
            copy = onnx.NodeProto()
            copy.CopyFrom(node)
            copy.name = prefix + node.name
            copy.input[:] = [name_of(t) for t in node.input]
            copy.output[:] = [name_of(t) for t in node.output]
            nodes.append(copy)
        for tensor in graph.initializer:
            copy = onnx.TensorProto()
            copy.CopyFrom(tensor)
            copy.name = name_of(tensor.name)
            initializers.append(copy)
        nodes.append(helper.make_node("Softmax", [f"{prefix}logits"], [f"{prefix}view_probabilities"], axis=1))
        if continues and i == 0:
            nodes.append(helper.make_node("Mean", [f"{prefix}frame_probabilities", f"{prefix}view_probabilities"],
                                          [f"{prefix}probabilities"]))
            member_probabilities.append(f"{prefix}probabilities")
        elif mirror:
            nodes += [helper.make_node("Reshape", [f"{prefix}view_probabilities", "views_shape"], [f"{prefix}by_view"]),
                      helper.make_node("ReduceMean", [f"{prefix}by_view"], [f"{prefix}probabilities"], axes=[0],
                                       keepdims=0)]
            member_probabilities.append(f"{prefix}probabilities")
        else:
            member_probabilities.append(f"{prefix}view_probabilities")
    nodes.append(helper.make_node("Mean", member_probabilities, [output_name]))
    shape = ["batch"] + list(input_spec["shape"][1:])
    inputs = [helper.make_tensor_value_info(frames, TensorProto.FLOAT, shape)]
    if continues:
        inputs.append(helper.make_tensor_value_info(CARRIED_LOGITS, TensorProto.FLOAT, ["batch", classes]))
    graph = helper.make_graph(
        nodes, "ensemble", inputs,
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", classes])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="sieve models/ensemble.py")
    onnx.checker.check_model(model)
    return model


@torch.no_grad()
def accuracy(members, mirror, x, y, batch=500):
    correct = 0
    for i in range(0, len(x), batch):
        xb = normalise(x[i:i + batch])
        views = [xb, xb.flip(3)] if mirror else [xb]
        probabilities = sum(torch.softmax(member(v), 1) for member in members for v in views)
        correct += (probabilities.argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("members", nargs="+", help="model names with a card in --zoo")
    parser.add_argument("--name", required=True, help="the ensemble's name (its .onnx and .card.json)")
    parser.add_argument("--mirror", action="store_true", help="also run every member on the mirror image")
    parser.add_argument("--continues", metavar="STAGE",
                        help="the rest of the ensemble after the cascade stage STAGE, which computes the first member's logits")
    parser.add_argument("--zoo", default=str(REPO / "models" / "onnx"), help="where the members' cards are")
    parser.add_argument("--out", help="where the ensemble goes (default: --zoo)")
    parser.add_argument("--data", help="folder with the CIFAR-10 binary files (for the card's accuracies)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    zoo = Path(args.zoo)
    out = Path(args.out or zoo)
    cards = load_members(zoo, args.members)
    first = cards[0][1]
    if first["input"]["layout"] != "NCHW" or first["input"]["shape"][1:] != [3, 32, 32]:
        sys.exit(f"{first['name']}: the ensemble's accuracies are measured on CIFAR-10 by train.py's interpreter, which "
                 f"takes the zoo's NCHW 3x32x32 input, not {first['input']['layout']} {first['input']['shape'][1:]}")
    output_name = "probabilities"
    model = compose(cards, zoo, args.mirror, output_name, args.continues is not None)
    out.mkdir(parents=True, exist_ok=True)
    serialised = model.SerializeToString()
    onnx_path = next((f for f in sorted(out.glob("*.onnx")) if f.stat().st_size == len(serialised) and f.read_bytes() == serialised),
                     out / f"{args.name}.onnx")
    if not onnx_path.exists():
        onnx_path.write_bytes(serialised)

    splits = load_splits(find_data_dir(args.data))
    (_, _), (xval, yval), (xte, yte) = splits
    members = [OnnxTeacher(zoo / card["onnx"]) for _, card in cards]
    views = 2 if args.mirror else 1
    card = {
        "name": args.name,
        "description": f"ensemble: mean softmax of {', '.join(args.members)}"
                       + (", each on the frame and its mirror image" if args.mirror else ""),
        "onnx": onnx_path.name,
        "input": first["input"],
        "output": {"name": output_name, "shape": [-1, len(first["classes"])], "kind": "probabilities"},
        "classes": first["classes"],
        "params": sum(c["params"] for _, c in cards) - (first["params"] if args.continues and not args.mirror else 0),
        "macs": views * sum(c["macs"] for _, c in cards) - (first["macs"] if args.continues else 0),
        **({"weight_bits": bits} if (bits := weight_bits(cards, zoo)) else {}),
        "validation_accuracy": round(accuracy(members, args.mirror, xval, yval), 4),
        "test_accuracy": round(accuracy(members, args.mirror, xte, yte), 4),
        "training": {
            "recipe": "no training of its own: its members' trained graphs composed",
            "members": [{"card": path.name, "sha256": hashlib.sha256((zoo / c["onnx"]).read_bytes()).hexdigest(),
                         "test_accuracy": c.get("test_accuracy")} for path, c in cards],
            "views": ["frame", "mirror image"] if args.mirror else ["frame"],
            "command": "/usr/bin/python3 models/ensemble.py " + " ".join(sys.argv[1:]),
        },
    }
    if args.continues:
        stage = json.loads((zoo / f"{args.continues}.card.json").read_text())
        card["description"] += (f"; the rest after the stage {args.continues}, which computes {first['name']}'s logits "
                                f"on the frame and hands them on")
        card = {**{k: v for k, v in card.items() if k != "classes"},
                "continues": {"model": args.continues, "inputs": {CARRIED_LOGITS: stage["output"]["name"]}},
                "classes": card["classes"]}
    (out / f"{args.name}.card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"[{args.name}] exported {onnx_path}: {card['macs'] / 1e6:.1f} MMAC, validation "
          f"{card['validation_accuracy']:.4f} test {card['test_accuracy']:.4f}", flush=True)


if __name__ == "__main__":
    main()
