#!/usr/bin/env python3
"""Early exits for an exported classifier: split its graph at an inner feature map, train an exit head
there, and write the two halves as zoo models that a cascade runs as consecutive stages.

Usage:
  /usr/bin/python3 models/exits.py airnet --split /groups.1/groups.1.6/Mul_1_output_0 --name airnet_exit2 --rest airnet_tail

Writes, in --out (default: the zoo):
  <name>.onnx, .card.json   the network up to the split, and the exit head on the split's feature map.
                            Its output is the head's logits; it also hands on the feature map ("features").
  <rest>.onnx, .card.json   the rest of the network: continues <name> from its feature map (the card's
                            "continues") and computes the original model's logits, so the two stages
                            together cost what the original does, plus the head.
The trunk is not changed. The head (global max and average pools, one linear layer) is trained here
on the frozen trunk's feature maps of the training split (the training images and their mirror
images), with the original model's own outputs as a soft teacher: a cascade's accuracy loss counts
disagreement with its last stage, so an exit that imitates the network it leaves exits more frames.
Accuracies on the cards are computed here (train.py's ONNX interpreter); ZooAccuracyIT checks them in
Java, the rest as the chain <name> -> <rest>.
"""
import argparse
import hashlib
import json
import sys
import time

import onnx
import onnx.utils
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper, shape_inference

from train import REPO, OnnxTeacher, find_data_dir, load_splits, normalise, zoo_card

FEATURES = "features"
HEAD_EPOCHS = 60
HEAD_BATCH = 512
DISTILLATION_WEIGHT = 0.9


@torch.no_grad()
def pooled_features(teacher, split, x, batch=500):
    """[images, 2C] global max and average of the split's feature map, and the original model's logits."""
    pooled, logits = [], []
    for i in range(0, len(x), batch):
        features, out = teacher.values(normalise(x[i:i + batch]), [split, teacher.output])
        pooled.append(torch.cat([features.amax(dim=(2, 3)), features.mean(dim=(2, 3))], 1))
        logits.append(out)
    return torch.cat(pooled), torch.cat(logits)


def train_head(features, labels, teacher_logits, seed):
    torch.manual_seed(seed)
    head = torch.nn.Linear(features.shape[1], teacher_logits.shape[1])
    optimiser = torch.optim.Adam(head.parameters(), lr=1e-3, weight_decay=1e-5)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, HEAD_EPOCHS)
    soft = F.softmax(teacher_logits, 1)
    for epoch in range(HEAD_EPOCHS):
        order = torch.randperm(len(features))
        for i in range(0, len(order), HEAD_BATCH):
            b = order[i:i + HEAD_BATCH]
            out = head(features[b])
            loss = (1 - DISTILLATION_WEIGHT) * F.cross_entropy(out, labels[b]) + DISTILLATION_WEIGHT * F.kl_div(
                F.log_softmax(out, 1), soft[b], reduction="batchmean")
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        schedule.step()
    return head


def count_macs(model):
    """MACs per image as Sieve's Java counter (OnnxGraph) counts them: Conv, Gemm and MatMul."""
    inferred = shape_inference.infer_shapes(model)
    shapes = {v.name: [d.dim_value if d.dim_value > 0 else 1 for d in v.type.tensor_type.shape.dim]
              for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)}
    shapes.update({t.name: list(t.dims) for t in inferred.graph.initializer})
    macs = 0
    for node in inferred.graph.node:
        if node.op_type == "Conv":
            w, out = shapes[node.input[1]], shapes[node.output[0]]
            macs += prod(out[1:]) * prod(w[1:])
        elif node.op_type == "Gemm":
            macs += prod(shapes[node.input[1]])
        elif node.op_type == "MatMul":
            a, b = shapes[node.input[0]], shapes[node.input[1]]
            macs += prod(a[1:]) * b[-1]
    return macs


def parameters(model):
    return sum(prod(t.dims) for t in model.graph.initializer)


def prod(values):
    p = 1
    for v in values:
        p *= v
    return p


def renamed(model, old, new):
    for node in model.graph.node:
        node.input[:] = [new if t == old else t for t in node.input]
        node.output[:] = [new if t == old else t for t in node.output]
    for value in list(model.graph.input) + list(model.graph.output):
        if value.name == old:
            value.name = new
    return model


def split_graphs(source, split, output, head, workdir):
    """The trunk with the exit head (outputs: logits, FEATURES) and the rest (input: FEATURES)."""
    trunk_path, rest_path = workdir / "trunk.onnx", workdir / "rest.onnx"
    onnx.utils.extract_model(str(source), str(trunk_path), [onnx.load(str(source)).graph.input[0].name], [split])
    onnx.utils.extract_model(str(source), str(rest_path), [split], [output])
    trunk = renamed(onnx.load(str(trunk_path)), split, FEATURES)
    rest = renamed(onnx.load(str(rest_path)), split, FEATURES)
    graph = trunk.graph
    graph.initializer.extend([numpy_helper.from_array(head.weight.detach().numpy(), "exit_weight"),
                              numpy_helper.from_array(head.bias.detach().numpy(), "exit_bias")])
    graph.node.extend([
        helper.make_node("GlobalMaxPool", [FEATURES], ["exit_max"]),
        helper.make_node("GlobalAveragePool", [FEATURES], ["exit_mean"]),
        helper.make_node("Concat", ["exit_max", "exit_mean"], ["exit_pooled"], axis=1),
        helper.make_node("Flatten", ["exit_pooled"], ["exit_flat"], axis=1),
        helper.make_node("Gemm", ["exit_flat", "exit_weight", "exit_bias"], [output], transB=1),
    ])
    features_info = graph.output[0]
    del graph.output[:]
    graph.output.extend([helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", head.out_features]), features_info])
    for model in (trunk, rest):
        onnx.checker.check_model(model)
    return trunk, rest


def accuracy(predicted_logits, y):
    return round((predicted_logits.argmax(1) == y).float().mean().item(), 4)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model name with a card in --zoo")
    parser.add_argument("--split", required=True, help="the inner tensor (a feature map [batch, C, H, W]) to exit at")
    parser.add_argument("--name", required=True, help="name of the trunk with its exit")
    parser.add_argument("--rest", required=True, help="name of the rest of the network")
    parser.add_argument("--zoo", default=str(REPO / "models" / "onnx"))
    parser.add_argument("--out", help="where the two models go (default: --zoo)")
    parser.add_argument("--data", help="folder with the CIFAR-10 binary files")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    zoo, out, card_path, card = zoo_card(args)
    if card["output"]["kind"] != "logits" or card["input"]["layout"] != "NCHW" or card["input"]["shape"][1:] != [3, 32, 32]:
        sys.exit(f"{card_path}: exits are trained here on CIFAR-10 through train.py's interpreter, which takes the zoo's "
                 f"NCHW 3x32x32 input and a logits output")
    source = zoo / card["onnx"]
    teacher = OnnxTeacher(source)
    if args.split not in {o for node, _ in teacher.nodes for o in node.output}:
        sys.exit(f"{source} has no tensor '{args.split}'")

    started = time.time()
    (xtr, ytr), (xval, yval), (xte, yte) = load_splits(find_data_dir(args.data))
    print(f"[{args.name}] feature maps at {args.split} of {len(xtr)} training images and their mirror images", flush=True)
    train_features, train_logits = pooled_features(teacher, args.split, torch.cat([xtr, xtr.flip(3)]))
    val_features, val_logits = pooled_features(teacher, args.split, xval)
    test_features, test_logits = pooled_features(teacher, args.split, xte)
    head = train_head(train_features, torch.cat([ytr, ytr]), train_logits, args.seed)
    with torch.no_grad():
        val_exit, test_exit = head(val_features), head(test_features)
    agreement = round((val_exit.argmax(1) == val_logits.argmax(1)).float().mean().item(), 4)
    print(f"[{args.name}] exit head: validation {accuracy(val_exit, yval):.4f}, test {accuracy(test_exit, yte):.4f}, "
          f"agrees with {args.model} on {agreement:.2%} of validation ({(time.time() - started) / 60:.1f} min)", flush=True)

    out.mkdir(parents=True, exist_ok=True)
    trunk, rest = split_graphs(source, args.split, card["output"]["name"], head, out)
    (out / "trunk.onnx").unlink()
    (out / "rest.onnx").unlink()
    onnx.save(trunk, str(out / f"{args.name}.onnx"))
    onnx.save(rest, str(out / f"{args.rest}.onnx"))
    source_hash = hashlib.sha256(source.read_bytes()).hexdigest()
    command = "/usr/bin/python3 models/exits.py " + " ".join(sys.argv[1:])
    common = {k: card[k] for k in ("input", "output")}
    trunk_card = {
        "name": args.name,
        "description": f"{args.model} up to {args.split}, with an exit head there (global max and mean pools, linear)",
        "onnx": f"{args.name}.onnx", **common,
        "classes": card["classes"],
        "params": parameters(trunk),
        "macs": count_macs(trunk),
        "validation_accuracy": accuracy(val_exit, yval), "test_accuracy": accuracy(test_exit, yte),
        "training": {"recipe": f"the trunk is {args.model}'s, unchanged; the head: Adam lr 1e-3 cosine, {HEAD_EPOCHS} "
                               f"epochs, batch {HEAD_BATCH}, on frozen feature maps of the training images and their "
                               f"mirror images, distilled from {args.model}'s outputs (weight {DISTILLATION_WEIGHT})",
                     "source": {"card": card_path.name, "sha256": source_hash}, "split": args.split,
                     "validation_agreement_with_source": agreement, "seed": args.seed,
                     "training_minutes": round((time.time() - started) / 60, 1), "command": command},
    }
    rest_card = {
        "name": args.rest,
        "description": f"{args.model} after {args.split}: continues {args.name} from its feature map",
        "onnx": f"{args.rest}.onnx", **common,
        "continues": {"model": args.name, "inputs": {FEATURES: FEATURES}},
        "classes": card["classes"],
        "params": parameters(rest),
        "macs": count_macs(rest),
        "validation_accuracy": accuracy(val_logits, yval), "test_accuracy": accuracy(test_logits, yte),
        "training": {"recipe": f"none: the rest of {args.model}'s graph, unchanged; its accuracy is {args.model}'s",
                     "source": {"card": card_path.name, "sha256": source_hash}, "split": args.split, "command": command},
    }
    for c in (trunk_card, rest_card):
        (out / f"{c['name']}.card.json").write_text(json.dumps(c, indent=2) + "\n")
        print(f"[{c['name']}] exported: {c['macs'] / 1e6:.1f} MMAC, validation {c['validation_accuracy']:.4f}, "
              f"test {c['test_accuracy']:.4f}", flush=True)


if __name__ == "__main__":
    main()
