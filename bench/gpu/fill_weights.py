#!/usr/bin/env python3
"""Writes DIR/weights.bin for a model made with make_bench_models.py --skeleton, from DIR/weights.txt.

    fill_weights.py DIR [--seed 1]

Only Python's standard library (no numpy, no onnx): each tensor is a slice of a seeded block of 2^20
truncated-normal float32 values (its std, cut at 2 std), starting at a random place and repeated as needed.
The values are not the ones make_bench_models.py draws, but have the same distribution, so the model runs
at the same speed and tags a similar number of tags (its head biases were set for that distribution).
"""
import argparse
import array
import os
import random
import sys

BLOCK = 1 << 20


def block(rng, std):
    values = array.array("f", (max(-2 * std, min(2 * std, rng.gauss(0.0, std))) for _ in range(BLOCK)))
    if sys.byteorder != "little":
        values.byteswap()
    raw = values.tobytes()
    return raw + raw  # a slice of up to one block from any start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    with open(os.path.join(a.dir, "weights.txt")) as f:
        location, size = f.readline().split()
        entries = [line.split() for line in f if line.strip()]
    blocks = {}
    out_path = os.path.join(a.dir, location)
    with open(out_path + ".tmp", "wb") as out:
        out.truncate(int(size))
        for name, offset, length, std in entries:
            if std not in blocks:
                blocks[std] = block(rng, float(std))
            src = blocks[std]
            out.seek(int(offset))
            left = int(length)
            while left > 0:
                start = rng.randrange(BLOCK) * 4
                n = min(left, BLOCK * 4)
                out.write(src[start:start + n])
                left -= n
    os.replace(out_path + ".tmp", out_path)
    print(f"{out_path}: {len(entries)} tensors, {int(size) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
