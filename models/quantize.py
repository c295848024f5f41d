#!/usr/bin/env python3
"""8-bit integer convolutions for an exported classifier: static post-training quantization in ONNX's
QDQ form, which ONNX Runtime's CPU provider runs as integer kernels (QLinearConv: u8 activations times
s8 weights, VNNI where the CPU has it).

Usage:
  /usr/bin/python3 models/quantize.py airnet --name airnet_int8

Writes <name>.onnx and <name>.card.json into --out (default: the zoo). Every Conv gets:
  - its weights as int8, symmetric, one scale per output channel (max |w| / 127), or in 7 bits
    (max |w| / 63) with --weight-bits 7: then no sum of two products of a uint8 activation and a
    weight leaves 16 bits (2 x 255 x 63 < 2^15), so ONNX Runtime's fast u8s8 kernel, which saturates
    such sums on x86 CPUs without VNNI, is exact, and Sieve lets the model run it (the card says
    "weight_bits": 7; with 8 bits Sieve asks for the runtime's exact, slower kernel on those CPUs);
  - its bias as int32 at scale (input scale x weight scale), as the integer kernel accumulates;
  - its input and output as uint8 (QuantizeLinear then DequantizeLinear), with scale and zero point
    from the range the tensor takes on --images training images (never validation or test images).
Everything else (pools, batch norm, activations, the final layer) stays in float. The card keeps the
source's input, output and classes; accuracies are computed here with train.py's ONNX interpreter,
which carries out QuantizeLinear/DequantizeLinear as the ONNX spec defines them (round half to even,
saturate), and ZooAccuracyIT checks them against ONNX Runtime's integer kernels in Java.
"""
import argparse
import hashlib
import json
import sys
import time

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from exits import count_macs
from train import REPO, OnnxTeacher, find_data_dir, load_splits, normalise, zoo_card


def conv_activations(graph):
    """The tensors quantized to uint8: every Conv's input and output."""
    convs = [n for n in graph.node if n.op_type == "Conv"]
    return sorted({n.input[0] for n in convs} | {n.output[0] for n in convs})


@torch.no_grad()
def activation_ranges(teacher, names, x, batch=256):
    """Each tensor's lowest and highest value over the images x."""
    low = {n: float("inf") for n in names}
    high = {n: float("-inf") for n in names}
    for i in range(0, len(x), batch):
        for name, value in zip(names, teacher.values(normalise(x[i:i + batch]), names)):
            low[name] = min(low[name], value.min().item())
            high[name] = max(high[name], value.max().item())
    return low, high


def uint8_parameters(low, high):
    """Scale and zero point covering [low, high] and zero exactly (padding must quantize to zero)."""
    low, high = min(low, 0.0), max(high, 0.0)
    scale = max(high - low, 1e-8) / 255.0
    zero_point = int(np.clip(round(-low / scale), 0, 255))
    return np.float32(scale), np.uint8(zero_point)


def quantized_graph(model, low, high, weight_bits):
    """The model with its conv_activations quantized to the ranges [low, high] (dicts by tensor name)
    and its Conv weights (in weight_bits bits) and biases stored as integers."""
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    activations = sorted(low)
    new_initializers, replaced = [], set()
    # tensor -> (nodes placed right after its producer, name of the dequantized tensor, scale)
    quantizers = {}
    for name in activations:
        scale, zero_point = uint8_parameters(low[name], high[name])
        new_initializers += [numpy_helper.from_array(np.array(scale), f"{name}_scale"),
                             numpy_helper.from_array(np.array(zero_point), f"{name}_zero_point")]
        quantizers[name] = ([helper.make_node("QuantizeLinear", [name, f"{name}_scale", f"{name}_zero_point"], [f"{name}_q"],
                                              name=f"{name}_quantize"),
                             helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_scale", f"{name}_zero_point"],
                                              [f"{name}_dq"], name=f"{name}_dequantize")], f"{name}_dq", scale)
    weight_nodes = []
    weight_max = 2 ** (weight_bits - 1) - 1
    for conv in convs:
        w_name = conv.input[1]
        if w_name not in initializers:
            sys.exit(f"Conv {conv.name}: its weights '{w_name}' are computed, not stored; only stored weights are quantized")
        w = numpy_helper.to_array(initializers[w_name]).astype(np.float32)
        w_scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(1), 1e-12) / weight_max
        w_q = np.clip(np.round(w / w_scale.reshape(-1, *[1] * (w.ndim - 1))), -weight_max, weight_max).astype(np.int8)
        new_initializers += [numpy_helper.from_array(w_q, f"{w_name}_q"),
                             numpy_helper.from_array(w_scale.astype(np.float32), f"{w_name}_scale"),
                             numpy_helper.from_array(np.zeros(len(w_scale), np.int8), f"{w_name}_zero_point")]
        weight_nodes.append(helper.make_node("DequantizeLinear", [f"{w_name}_q", f"{w_name}_scale", f"{w_name}_zero_point"],
                                             [f"{w_name}_dq"], axis=0, name=f"{w_name}_dequantize"))
        replaced.add(w_name)
        inputs = [quantizers[conv.input[0]][1], f"{w_name}_dq"]
        if len(conv.input) > 2 and conv.input[2]:
            b_name = conv.input[2]
            b = numpy_helper.to_array(initializers[b_name]).astype(np.float32)
            b_scale = (w_scale * quantizers[conv.input[0]][2]).astype(np.float32)
            new_initializers += [numpy_helper.from_array(np.round(b / b_scale).astype(np.int32), f"{b_name}_q"),
                                 numpy_helper.from_array(b_scale, f"{b_name}_scale"),
                                 numpy_helper.from_array(np.zeros(len(b_scale), np.int32), f"{b_name}_zero_point")]
            weight_nodes.append(helper.make_node("DequantizeLinear", [f"{b_name}_q", f"{b_name}_scale", f"{b_name}_zero_point"],
                                                 [f"{b_name}_dq"], axis=0, name=f"{b_name}_dequantize"))
            replaced.add(b_name)
            inputs.append(f"{b_name}_dq")
        conv.input[:] = inputs
    # Every other reader of a quantized tensor reads its dequantized copy, as the integer kernels do.
    nodes = list(weight_nodes)
    graph_inputs = {i.name for i in graph.input}
    for name in activations:
        if name in graph_inputs:
            nodes += quantizers[name][0]
    for node in graph.node:
        if node.op_type != "Conv":
            node.input[:] = [quantizers[i][1] if i in quantizers else i for i in node.input]
        nodes.append(node)
        for output in node.output:
            if output in quantizers:
                nodes += quantizers[output][0]
    for output in graph.output:
        if output.name in quantizers:
            sys.exit(f"graph output '{output.name}' is a Conv's output; quantizing it would change the output's name")
    del graph.node[:]
    graph.node.extend(nodes)
    kept = [t for t in graph.initializer if t.name not in replaced]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_initializers)
    onnx.checker.check_model(model)
    return model


def accuracy(teacher, x, y, batch=500):
    correct = 0
    for i in range(0, len(x), batch):
        correct += (teacher(normalise(x[i:i + batch])).argmax(1) == y[i:i + batch]).sum().item()
    return round(correct / len(x), 4)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="a model name with a card in --zoo")
    parser.add_argument("--name", required=True, help="name of the quantized model")
    parser.add_argument("--weight-bits", type=int, choices=(7, 8), default=8,
                        help="bits of the Conv weights (7: exact under ONNX Runtime's fast kernel on CPUs without VNNI)")
    parser.add_argument("--images", type=int, default=2048, help="training images whose activation ranges set the scales")
    parser.add_argument("--zoo", default=str(REPO / "models" / "onnx"))
    parser.add_argument("--out", help="where the model goes (default: --zoo)")
    parser.add_argument("--data", help="folder with the CIFAR-10 binary files")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    zoo, out, card_path, card = zoo_card(args)
    if "continues" in card or card["input"]["layout"] != "NCHW" or card["input"]["shape"][1:] != [3, 32, 32]:
        sys.exit(f"{card_path}: quantized here on CIFAR-10 through train.py's interpreter, which takes the zoo's "
                 f"NCHW 3x32x32 input (and a model that does not continue another)")
    source = zoo / card["onnx"]
    started = time.time()
    (xtr, _), (xval, yval), (xte, yte) = load_splits(find_data_dir(args.data))
    model = onnx.load(str(source))
    calibration = xtr[torch.randperm(len(xtr), generator=torch.Generator().manual_seed(2026))[:args.images]]
    low, high = activation_ranges(OnnxTeacher(source), conv_activations(model.graph), calibration)
    quantized = quantized_graph(model, low, high, args.weight_bits)
    out.mkdir(parents=True, exist_ok=True)
    onnx_path = out / f"{args.name}.onnx"
    onnx.save(quantized, str(onnx_path))
    student = OnnxTeacher(onnx_path)
    quantized_card = {
        "name": args.name,
        "description": f"{args.model} with 8-bit integer convolutions (static post-training quantization, QDQ)"
                       + (f", weights in {args.weight_bits} bits" if args.weight_bits != 8 else ""),
        "onnx": onnx_path.name,
        **{k: card[k] for k in ("input", "output", "classes", "params")},
        "macs": count_macs(quantized),
        "weight_bits": args.weight_bits,
        "validation_accuracy": accuracy(student, xval, yval),
        "test_accuracy": accuracy(student, xte, yte),
        "training": {"recipe": f"{args.model}'s weights, quantized: int8 per-output-channel symmetric weights "
                               f"({args.weight_bits} bits), int32 biases, "
                               f"uint8 Conv inputs and outputs with ranges from {args.images} training images",
                     "source": {"card": card_path.name, "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                                "validation_accuracy": card["validation_accuracy"], "test_accuracy": card["test_accuracy"]},
                     "training_minutes": round((time.time() - started) / 60, 1),
                     "command": "/usr/bin/python3 models/quantize.py " + " ".join(sys.argv[1:])},
    }
    (out / f"{args.name}.card.json").write_text(json.dumps(quantized_card, indent=2) + "\n")
    print(f"[{args.name}] exported {onnx_path}: {quantized_card['macs'] / 1e6:.1f} MMAC, validation "
          f"{quantized_card['validation_accuracy']:.4f} (was {card['validation_accuracy']:.4f}), test "
          f"{quantized_card['test_accuracy']:.4f} (was {card['test_accuracy']:.4f})", flush=True)


if __name__ == "__main__":
    main()
