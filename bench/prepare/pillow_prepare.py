#!/usr/bin/env python3
"""The baseline: the reference prepare step done with Pillow in one process, as the common
prepare_images scripts do it (EXIF orientation, RGB, centre crop, Image.LANCZOS, PNG with Pillow's
defaults, img001.png ... in natural order).

  pillow_prepare.py IN OUT [SIZE]
"""
import os
import re
import sys

from PIL import Image, ImageOps


def main():
    src, dst = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    os.makedirs(dst, exist_ok=True)
    natural = lambda n: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", n)]  # img2 < img10
    names = sorted((n for n in os.listdir(src) if n.lower().endswith((".jpg", ".jpeg", ".png", ".webp"))), key=natural)
    digits = max(3, len(str(len(names))))
    for i, name in enumerate(names, 1):
        im = ImageOps.exif_transpose(Image.open(os.path.join(src, name))).convert("RGB")
        w, h = im.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.LANCZOS)
        im.save(os.path.join(dst, "img%0*d.png" % (digits, i)))


if __name__ == "__main__":
    main()
