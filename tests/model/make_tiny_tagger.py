#!/usr/bin/env python3
"""Writes a tiny tagger model folder for `tagmetry models info` tests.

usage: make_tiny_tagger.py wd|joytag OUT_DIR

wd:     input NHWC float32 [N,32,32,3] -> ReduceMean(H,W) -> MatMul [3,4] -> Sigmoid; selected_tags.csv (4 rows)
joytag: input NCHW float32 [N,3,32,32] -> ReduceMean(H,W) -> MatMul [3,5] (logits); top_tags.txt (5 lines)
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def build(kind, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    wd = kind == "wd"
    labels = 4 if wd else 5
    in_shape = ["N", 32, 32, 3] if wd else ["N", 3, 32, 32]
    axes = [1, 2] if wd else [2, 3]
    weights = numpy_helper.from_array(np.ones((3, labels), dtype=np.float32), "w")
    nodes = [
        helper.make_node("ReduceMean", ["pixels"], ["means"], axes=axes, keepdims=0),
        helper.make_node("MatMul", ["means", "w"], ["scores" if wd else "logits"]),
    ]
    if wd:
        nodes.append(helper.make_node("Sigmoid", ["scores"], ["probs"]))
    out_name = "probs" if wd else "logits"
    graph = helper.make_graph(
        nodes, "tiny_" + kind,
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, ["N", labels])],
        initializer=[weights])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="tagmetry-test")
    model.ir_version = 8
    save(model, os.path.join(out_dir, "model.onnx"))
    if wd:
        with open(os.path.join(out_dir, "selected_tags.csv"), "w") as f:
            f.write("tag_id,name,category,count\n0,general,9,10\n1,sensitive,9,5\n2,1girl,0,100\n3,hatsune_miku,4,7\n")
    else:
        with open(os.path.join(out_dir, "top_tags.txt"), "w") as f:
            f.write("1girl\nsolo\nsmile\nlong_hair\nblue_eyes\n")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("wd", "joytag"):
        sys.exit(__doc__)
    build(sys.argv[1], sys.argv[2])
