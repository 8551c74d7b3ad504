#!/usr/bin/python3
"""Writes OUT_DIR/model.onnx: only the MLP matrix products of ViT-B/16@448 (12 x [784x768]·[768x3072] and
[784x3072]·[3072x768], random weights std 0.02), NHWC [1,448,448,3] input reshaped to 784 tokens x 768.
Timing it fp32 vs int8 isolates the speed of ONNX Runtime's int8 GEMM from everything that stays fp32
(docs/quantize.md, "Measured"). Usage: /usr/bin/python3 make_gemm_only_model.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1)
    nodes = [helper.make_node("Reshape", ["input", "shape"], ["x0"])]
    inits = [numpy_helper.from_array(np.array([1, 784, 768], np.int64), "shape")]
    x = "x0"
    for i in range(12):
        for j, (a, b) in enumerate([(768, 3072), (3072, 768)]):
            w = f"w{i}_{j}"
            inits.append(numpy_helper.from_array(rng.standard_normal((a, b), dtype=np.float32) * 0.02, w))
            nodes.append(helper.make_node("MatMul", [x, w], [f"y{i}_{j}"]))
            x = f"y{i}_{j}"
    nodes.append(helper.make_node("ReduceMean", [x], ["output"], axes=[1], keepdims=0))
    g = helper.make_graph(nodes, "gemm_only", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 448, 448, 3])],
                          [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 768])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.save(m, os.path.join(out, "model.onnx"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
