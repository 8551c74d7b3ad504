#!/usr/bin/env python3
"""Builds the lint full-decode benchmark dataset: N JPEG photos of about 1 MP (1152x864) with a .txt
caption each. Eight base pictures (smooth gradients with noise, quality 90, like phone photos after
resizing) are encoded once; every file gets its own JPEG comment segment of its own length, so all
files differ in content and byte size as real photos do (no duplicate-image work), while decoding costs
what a real 1 MP JPEG costs.

usage: make_images.py OUT_DIR [N]
"""
import io
import os
import random
import struct
import sys

from PIL import Image, ImageFilter


def base_jpeg(seed):
    rnd = random.Random(seed)
    w, h = 1152, 864
    im = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    r, g, b = im.split()
    noise = Image.effect_noise((w, h), 40 + seed * 5).filter(ImageFilter.GaussianBlur(1))
    im = Image.merge("RGB", (r, Image.blend(g, noise, 0.5), b.rotate(rnd.randint(0, 359)).resize((w, h))))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=90)
    return out.getvalue()


def main():
    out_dir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    os.makedirs(out_dir, exist_ok=True)
    bases = [base_jpeg(s) for s in range(8)]
    tags = ["1girl", "solo", "long_hair", "smile", "looking_at_viewer", "blue_eyes", "outdoors", "dress", "sky"]
    for i in range(n):
        data = bases[i % len(bases)]
        comment = ("tagmetry bench image %d " % i).encode().ljust(32 + i, b".")
        segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        name = os.path.join(out_dir, "img%05d" % i)
        with open(name + ".jpg", "wb") as f:
            f.write(data[:2] + segment + data[2:])
        with open(name + ".txt", "w") as f:
            f.write("zkw, " + ", ".join(tags[(i + k) % len(tags)] for k in range(6)))


if __name__ == "__main__":
    main()
