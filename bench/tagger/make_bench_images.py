#!/usr/bin/env python3
"""Writes N photo-like JPEGs of 1-4 megapixels (seeded) for the tagging benchmarks.

    make_bench_images.py OUTDIR [--count 24] [--seed 1]

Content is smooth colour fields plus noise so JPEG decoding costs what it costs on photos.
"""
import argparse
import os

import numpy as np
from PIL import Image

SIZES = [(1280, 800), (1600, 1200), (2048, 1365), (1920, 1920), (2448, 1632), (1200, 1800)]  # 1.0-4.0 MP


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    rng = np.random.default_rng(a.seed)
    for i in range(a.count):
        w, h = SIZES[i % len(SIZES)]
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack([np.sin(x / rng.uniform(50, 300) + rng.uniform(0, 6)),
                         np.cos(y / rng.uniform(50, 300) + rng.uniform(0, 6)),
                         np.sin((x + y) / rng.uniform(80, 400))], axis=-1)
        img = (base * 90 + 128 + rng.normal(0, 12, (h, w, 3))).clip(0, 255).astype(np.uint8)
        Image.fromarray(img).save(os.path.join(a.out, f"photo{i + 1:03d}.jpg"), quality=90)


if __name__ == "__main__":
    main()
