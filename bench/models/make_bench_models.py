#!/usr/bin/python3
"""Writes benchmark tagger models with random (seeded) weights in the WD tagger layout.

Usage: /usr/bin/python3 bench/models/make_bench_models.py OUT_DIR [--only vit-b16-448|convnext-b-448]
                                                                    [--seed N] [--skeleton]

Writes OUT_DIR/<name>/model.onnx and OUT_DIR/<name>/selected_tags.csv for
  vit-b16-448     ViT-B/16 at 448 px (784 patches + cls, 12 layers, dim 768, 12 heads, MLP 3072)
  convnext-b-448  ConvNeXt-Base at 448 px (depths 3,3,27,3, dims 128,256,512,1024, 7x7 depthwise)
Both take NHWC float32 [batch,448,448,3] BGR 0-255 (normalised inside, like WD exports), transpose to
NCHW inside and end in head -> 10,861 outputs -> Sigmoid. The shapes and op mix match the real models,
so their speed does; the weights are random (trunc normal std 0.02, as timm initialises), so the tags mean
nothing. The head's input is LayerNorm'd (unit variance per image), so the spread of logits over the tags
is known whatever the image; the head biases make ~30 general tags exceed 0.35 per image, a realistic count.
Needs Debian's python3-onnx and python3-numpy (/usr/bin/python3). Models are not committed (~350 MB each).
--skeleton writes the random weights as external data instead (model.onnx of ~100 KB referring to
weights.bin, left out) with weights.txt listing each (name offset length std): bench/gpu/fill_weights.py
writes a statistically equivalent weights.bin with nothing but Python's standard library (machines
without python3-onnx, and copies too large to carry).
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

NUM_TAGS = 10861
NUM_RATING = 4
NUM_GENERAL = 8000  # rows 4..8003 general (category 0), the rest character (category 4)
SIDE = 448
OPSET = 17


class Graph:
    """Accumulates nodes and initializers; names are generated from a running counter."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes = []
        self.inits = []
        self.random = {}  # initializer name -> std, for --skeleton
        self.n = 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def const(self, array, base="c"):
        name = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def weight(self, shape, std=0.02, base="w"):
        w = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
        np.clip(w, -2 * std, 2 * std, out=w)  # truncated at 2 std, as timm's trunc_normal_
        name = self.const(w.astype(np.float32), base)
        self.random[name] = std
        return name

    def op(self, op_type, inputs, base=None, n_out=1, **attrs):
        outs = [self.name(base or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=self.name(op_type), **attrs))
        return outs[0] if n_out == 1 else outs

    def linear(self, x, din, dout, base):
        y = self.op("MatMul", [x, self.weight((din, dout), base=base + "_weight")])
        return self.op("Add", [y, self.const(np.zeros(dout, np.float32), base + "_bias")])

    def layer_norm(self, x, dim, base="ln"):
        scale = self.const(np.ones(dim, np.float32), base + "_scale")
        bias = self.const(np.zeros(dim, np.float32), base + "_bias")
        return self.op("LayerNormalization", [x, scale, bias], axis=-1, epsilon=1e-6)

    def gelu(self, x):
        # Exact GELU as torch.onnx exports it (ORT fuses the pattern into one Gelu kernel).
        t = self.op("Div", [x, self.const(np.float32(math.sqrt(2.0)))])
        t = self.op("Erf", [t])
        t = self.op("Add", [t, self.const(np.float32(1.0))])
        t = self.op("Mul", [x, t])
        return self.op("Mul", [t, self.const(np.float32(0.5))])

    def shape_const(self, values):
        return self.const(np.asarray(values, np.int64), "shape")


def wd_input(g):
    """NHWC BGR 0-255 -> NCHW normalised to [-1, 1] (WD v3 normalises mean 0.5, std 0.5 inside)."""
    x = g.op("Div", ["input", g.const(np.float32(127.5))])
    x = g.op("Sub", [x, g.const(np.float32(1.0))])
    return g.op("Transpose", [x], perm=[0, 3, 1, 2])


def tag_head(g, pooled, dim):
    """LayerNorm'd features -> 10,861 logits -> Sigmoid.

    pooled has unit variance over its dim features, so for any image logit_j - bias_j is distributed over
    the tags as N(0, |W_j|^2). Biases -0.62 - z * |W_j| (sigmoid(-0.62) = 0.35) then put a chosen share of
    each category above its usual threshold: ~30 of 8,000 general tags at 0.35 (z = 2.67), ~1 rating,
    ~1 character (which then rarely reaches its own 0.85 threshold).
    """
    w_name = g.weight((dim, NUM_TAGS), base="head_weight")
    w = numpy_helper.to_array(g.inits[-1])
    col = np.linalg.norm(w, axis=0)
    bias = np.empty(NUM_TAGS, np.float32)
    general = slice(NUM_RATING, NUM_RATING + NUM_GENERAL)
    character = slice(NUM_RATING + NUM_GENERAL, NUM_TAGS)
    bias[:NUM_RATING] = -0.62 - 0.67 * col[:NUM_RATING]
    bias[general] = -0.62 - 2.67 * col[general]
    bias[character] = -0.62 - 3.4 * col[character]
    y = g.op("MatMul", [pooled, w_name])
    y = g.op("Add", [y, g.const(bias, "head_bias")])
    return g.op("Sigmoid", [y], base="output")


def build_vit(g, depth=12, dim=768, heads=12, mlp=3072, patch=16):
    tokens = (SIDE // patch) ** 2
    x = wd_input(g)
    x = g.op("Conv", [x, g.weight((dim, 3, patch, patch), base="patch_weight"),
                      g.const(np.zeros(dim, np.float32), "patch_bias")],
             kernel_shape=[patch, patch], strides=[patch, patch])
    x = g.op("Reshape", [x, g.shape_const([0, dim, tokens])])
    x = g.op("Transpose", [x], perm=[0, 2, 1])  # [N, 784, 768]
    # cls token expanded to the batch: Shape -> [N] ++ [1, dim] -> Expand.
    n = g.op("Slice", [g.op("Shape", ["input"]), g.shape_const([0]), g.shape_const([1])])
    cls_shape = g.op("Concat", [n, g.shape_const([1, dim])], axis=0)
    cls = g.op("Expand", [g.weight((1, 1, dim), base="cls_token"), cls_shape])
    x = g.op("Concat", [cls, x], axis=1)
    x = g.op("Add", [x, g.weight((1, tokens + 1, dim), base="pos_embed")])
    head_dim = dim // heads
    scale = g.const(np.float32(1.0 / math.sqrt(head_dim)))
    for layer in range(depth):
        b = f"blocks_{layer}"
        h = g.layer_norm(x, dim, b + "_norm1")
        qkv = g.linear(h, dim, 3 * dim, b + "_attn_qkv")
        qkv = g.op("Reshape", [qkv, g.shape_const([0, 0, 3, heads, head_dim])])
        qkv = g.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])  # [3, N, heads, T, hd]
        q, k, v = (g.op("Gather", [qkv, g.const(np.int64(i))], axis=0) for i in range(3))
        att = g.op("MatMul", [g.op("Mul", [q, scale]), g.op("Transpose", [k], perm=[0, 1, 3, 2])])
        att = g.op("Softmax", [att], axis=-1)
        o = g.op("MatMul", [att, v])
        o = g.op("Transpose", [o], perm=[0, 2, 1, 3])
        o = g.op("Reshape", [o, g.shape_const([0, 0, dim])])
        x = g.op("Add", [x, g.linear(o, dim, dim, b + "_attn_proj")])
        h = g.layer_norm(x, dim, b + "_norm2")
        h = g.gelu(g.linear(h, dim, mlp, b + "_mlp_fc1"))
        x = g.op("Add", [x, g.linear(h, mlp, dim, b + "_mlp_fc2")])
    x = g.layer_norm(x, dim, "norm")
    pooled = g.op("ReduceMean", [x], axes=[1], keepdims=0)  # global average pool over tokens
    pooled = g.layer_norm(pooled, dim, "fc_norm")
    return tag_head(g, pooled, dim)


def build_convnext(g, depths=(3, 3, 27, 3), dims=(128, 256, 512, 1024), layer_scale=0.1):
    x = wd_input(g)
    x = g.op("Conv", [x, g.weight((dims[0], 3, 4, 4), base="stem_weight"),
                      g.const(np.zeros(dims[0], np.float32), "stem_bias")],
             kernel_shape=[4, 4], strides=[4, 4])

    def norm_nchw(t, dim, base):  # timm LayerNorm2d: permute, LayerNorm over C, permute back
        t = g.op("Transpose", [t], perm=[0, 2, 3, 1])
        t = g.layer_norm(t, dim, base)
        return g.op("Transpose", [t], perm=[0, 3, 1, 2])

    x = norm_nchw(x, dims[0], "stem_norm")
    for stage, (depth, dim) in enumerate(zip(depths, dims)):
        if stage > 0:
            x = norm_nchw(x, dims[stage - 1], f"stages_{stage}_downsample_norm")
            x = g.op("Conv", [x, g.weight((dim, dims[stage - 1], 2, 2), base="down_weight"),
                              g.const(np.zeros(dim, np.float32), "down_bias")],
                     kernel_shape=[2, 2], strides=[2, 2])
        for block in range(depth):
            b = f"stages_{stage}_blocks_{block}"
            h = g.op("Conv", [x, g.weight((dim, 1, 7, 7), base=b + "_dw_weight"),
                              g.const(np.zeros(dim, np.float32), b + "_dw_bias")],
                     kernel_shape=[7, 7], pads=[3, 3, 3, 3], group=dim)
            h = g.op("Transpose", [h], perm=[0, 2, 3, 1])
            h = g.layer_norm(h, dim, b + "_norm")
            h = g.gelu(g.linear(h, dim, 4 * dim, b + "_mlp_fc1"))
            h = g.linear(h, 4 * dim, dim, b + "_mlp_fc2")
            h = g.op("Mul", [h, g.const(np.full(dim, layer_scale, np.float32), b + "_gamma")])
            h = g.op("Transpose", [h], perm=[0, 3, 1, 2])
            x = g.op("Add", [x, h])
    pooled = g.op("ReduceMean", [x], axes=[2, 3], keepdims=0)
    pooled = g.layer_norm(pooled, dims[-1], "head_norm")
    return tag_head(g, pooled, dims[-1])


def write_labels(path):
    ratings = ["general", "sensitive", "questionable", "explicit"]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("tag_id,name,category,count\n")
        for i in range(NUM_TAGS):
            if i < NUM_RATING:
                name, cat = ratings[i], 9
            elif i < NUM_RATING + NUM_GENERAL:
                name, cat = f"tag_{i:05d}", 0
            else:
                name, cat = f"character_{i:05d}", 4
            f.write(f"{9000000 + i},{name},{cat},{100000 - i * 9}\n")


def externalize(model, random, d):
    """Moves the random weights out of `model` into a manifest (weights.txt); their bytes are not written."""
    offset = 0
    lines = []
    for t in model.graph.initializer:
        if t.name not in random:
            continue
        length = len(t.raw_data)
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", "weights.bin"), ("offset", str(offset)), ("length", str(length))):
            e = t.external_data.add()
            e.key, e.value = k, v
        lines.append(f"{t.name} {offset} {length} {random[t.name]}")
        offset += (length + 4095) // 4096 * 4096  # page-aligned, as ORT likes to map them
    with open(os.path.join(d, "weights.txt"), "w") as f:
        f.write(f"weights.bin {offset}\n" + "\n".join(lines) + "\n")


def write_model(out_dir, name, seed, skeleton=False):
    g = Graph(seed)
    out = build_vit(g) if name == "vit-b16-448" else build_convnext(g)
    inp = helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", SIDE, SIDE, 3])
    outp = helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", NUM_TAGS])
    g.nodes.append(helper.make_node("Identity", [out], ["output"], name="output_identity"))
    graph = helper.make_graph(g.nodes, name.replace("-", "_"), [inp], [outp], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="tagmetry-bench", doc_string=f"{name}, random weights seed {seed}")
    model.ir_version = 8
    onnx.checker.check_model(model)
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    if skeleton:
        externalize(model, g.random, d)
    onnx.save(model, os.path.join(d, "model.onnx"))
    write_labels(os.path.join(d, "selected_tags.csv"))
    params = sum(int(np.prod(t.dims)) for t in g.inits)
    print(f"{d}/model.onnx: {len(g.nodes)} nodes, {params / 1e6:.1f} M parameters")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", choices=["vit-b16-448", "convnext-b-448"])
    ap.add_argument("--seed", type=int, default=20240901)
    ap.add_argument("--skeleton", action="store_true", help="random weights as external data, not written")
    args = ap.parse_args()
    for i, name in enumerate(["vit-b16-448", "convnext-b-448"]):
        if args.only in (None, name):
            write_model(args.out_dir, name, args.seed + i, args.skeleton)
    return 0


if __name__ == "__main__":
    sys.exit(main())
