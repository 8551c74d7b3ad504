"""Writes N small PNG images with seeded random colours (distinct content, varied known-answer tags).

usage: make_many_images.py OUT_DIR N [SEED]
"""
import os
import random
import sys

from PIL import Image


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    for i in range(n):
        w, h = rng.choice([(64, 64), (96, 48), (40, 80)])
        left = tuple(rng.randrange(256) for _ in range(3))
        right = tuple(rng.randrange(256) for _ in range(3))
        img = Image.new("RGB", (w, h), left)
        img.paste(Image.new("RGB", (w // 2, h), right), (w // 2, 0))
        img.save(os.path.join(out, "img%03d.png" % i))


if __name__ == "__main__":
    main()
