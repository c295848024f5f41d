#!/usr/bin/env python3
"""Writes two small ONNX classifiers of colour, built with the onnx package, for the bring-your-own-model test.

They tell red, green and blue pictures apart by their mean colour, which makes them predictable enough to
check a whole cascade against, yet they look like users' models from the outside:
  colour64.onnx   NCHW input [N, 3, 64, 64], logits: a 4x4 averaging convolution, global pooling, a slightly
                  mis-weighted linear layer (it errs on pictures whose colours are close)
  colour224.onnx  NHWC input [N, 224, 224, 3] (a Transpose first, as TensorFlow exports), probabilities:
                  an 8x8 averaging convolution, global pooling, an exact linear layer and a Softmax
Inputs are (pixel / 255 - 0.5) / 0.25. With --images N it also writes a labelled image folder
OUT_DIR/images/{red,green,blue}/*.png of N pictures per class (three sizes, pixel noise; the other channels come
within a random gap of the dominant one, so some pictures are hard), as README's walk-through uses.
Run: /usr/bin/python3 models/byo_fixtures.py OUT_DIR [--images N]
"""
import argparse
import struct
import zlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def averaging_conv(kernel):
    weights = np.zeros((3, 3, kernel, kernel), dtype=np.float32)
    for c in range(3):
        weights[c, c] = 1.0 / (kernel * kernel)
    return weights


def classifier(name, side, layout, kernel, linear, softmax):
    dims = [None, side, side, 3] if layout == "NHWC" else [None, 3, side, side]
    image = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch"] + dims[1:])
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", 3])
    init = [numpy_helper.from_array(averaging_conv(kernel), "conv_w"),
            numpy_helper.from_array(linear.astype(np.float32), "fc_w"),
            numpy_helper.from_array(np.zeros(3, dtype=np.float32), "fc_b")]
    nodes = []
    x = "image"
    if layout == "NHWC":
        nodes.append(helper.make_node("Transpose", [x], ["nchw"], perm=[0, 3, 1, 2]))
        x = "nchw"
    nodes += [helper.make_node("Conv", [x, "conv_w"], ["pooled"], kernel_shape=[kernel, kernel], strides=[kernel, kernel]),
              helper.make_node("GlobalAveragePool", ["pooled"], ["mean"]),
              helper.make_node("Flatten", ["mean"], ["features"], axis=1),
              helper.make_node("Gemm", ["features", "fc_w", "fc_b"], ["logits" if softmax else "scores"], transB=1)]
    if softmax:
        nodes.append(helper.make_node("Softmax", ["logits"], ["scores"], axis=1))
    graph = helper.make_graph(nodes, name, [image], [scores], init)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="sieve-byo-fixtures")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_png(path, pixels):
    """An 8-bit RGB PNG of an (height, width, 3) uint8 array, with nothing but zlib."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def write_images(root, per_class):
    rng = np.random.default_rng(42)
    sizes = [(96, 72), (256, 256), (320, 180)]
    for c, name in enumerate(["red", "green", "blue"]):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            width, height = sizes[i % len(sizes)]
            dominant = 110 + rng.integers(90)
            colour = [dominant if k == c else max(0, dominant - 2 - rng.integers(70)) for k in range(3)]
            noise = rng.integers(-15, 16, size=(height, width, 3))
            write_png(folder / f"{i:04d}.png", np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--images", type=int, default=0, help="pictures per class to write under OUT/images")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    centred = np.eye(3) - 1.0 / 3
    skewed = 4.0 * centred
    skewed[0, 1] += 1.5  # the cheap model leans towards red when green is strong
    onnx.save(classifier("colour64", 64, "NCHW", 4, skewed, False), str(out / "colour64.onnx"))
    onnx.save(classifier("colour224", 224, "NHWC", 8, 12.0 * centred, True), str(out / "colour224.onnx"))
    print("wrote", out / "colour64.onnx", out / "colour224.onnx")
    if args.images:
        write_images(out / "images", args.images)
        print("wrote", 3 * args.images, "labelled pictures under", out / "images")


if __name__ == "__main__":
    main()
