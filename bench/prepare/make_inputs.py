#!/usr/bin/env python3
"""Generates N seeded photo-like JPEGs of 1-4 megapixels (various aspect ratios) for the prepare benchmark.

  make_inputs.py OUT_DIR N
"""
import os
import random
import sys

from PIL import Image, ImageDraw, ImageFilter


def photo(w, h, rnd):
    # Smooth background gradient + soft shapes + fine detail + sensor-like noise: compresses like a photo.
    base = Image.linear_gradient("L").resize((w, h))
    im = Image.merge("RGB", (base, base.transpose(Image.FLIP_LEFT_RIGHT), base.transpose(Image.FLIP_TOP_BOTTOM)))
    d = ImageDraw.Draw(im)
    for _ in range(30):
        x, y = rnd.randrange(w), rnd.randrange(h)
        r = rnd.randrange(20, max(21, min(w, h) // 3))
        d.ellipse([x - r, y - r, x + r, y + r], fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    im = im.filter(ImageFilter.GaussianBlur(3))
    d = ImageDraw.Draw(im)
    for _ in range(200):
        x, y = rnd.randrange(w), rnd.randrange(h)
        d.line([x, y, x + rnd.randrange(-60, 60), y + rnd.randrange(-60, 60)], fill=(rnd.randrange(256),) * 3, width=1)
    noise = Image.effect_noise((w, h), 24).convert("RGB")
    return Image.blend(im, noise, 0.08)


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(2026)
    for i in range(n):
        mp = rnd.uniform(1.0, 4.0) * 1e6
        aspect = rnd.choice([1.0, 4 / 3, 3 / 2, 16 / 9, 3 / 4, 2 / 3])
        w = int((mp * aspect) ** 0.5)
        h = int(mp / w)
        photo(w, h, rnd).save(os.path.join(out, "photo%d.jpg" % (i + 1)), quality=90)


if __name__ == "__main__":
    main()
