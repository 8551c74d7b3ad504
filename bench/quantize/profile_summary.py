#!/usr/bin/env python3
"""Summarise ONNX Runtime profiles (quantize_bench --profile DIR) by operator type.

    profile_summary.py PROFILE.json [PROFILE.json ...]

For each profile: the time per run spent in each operator type (node kernels only, the first run, a
warm-up, left out), its share of the run, and the node count. Standard library only.
"""
import collections
import json
import sys


def summarise(path):
    events = json.load(open(path))
    runs = sorted((e for e in events if e.get("name") == "model_run"), key=lambda e: e["ts"])
    if len(runs) < 2:
        sys.exit(f"{path}: needs at least two runs (one warm-up), found {len(runs)}")
    timed = runs[1:]
    spans = [(r["ts"], r["ts"] + r["dur"]) for r in timed]
    per_op = collections.Counter()
    nodes = collections.defaultdict(set)
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith("_kernel_time"):
            continue
        if not any(a <= e["ts"] < b for a, b in spans):
            continue
        op = e.get("args", {}).get("op_name", "?")
        per_op[op] += e["dur"]
        nodes[op].add(e["name"])
    run_us = sum(r["dur"] for r in timed) / len(timed)
    kernels = sum(per_op.values()) / len(timed)
    print(f"== {path}: {len(timed)} timed runs, {run_us / 1e3:.1f} ms per run, "
          f"{kernels / 1e3:.1f} ms in kernels")
    for op, us in per_op.most_common():
        ms = us / len(timed) / 1e3
        print(f"  {op:32s} {ms:9.1f} ms  {100 * ms * 1e3 / run_us:5.1f}%  {len(nodes[op]):4d} nodes")


for p in sys.argv[1:]:
    summarise(p)
