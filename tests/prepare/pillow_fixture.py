#!/usr/bin/env python3
"""Test fixture for prepare and the Lanczos resampler: makes input images with Pillow and the outputs the
Pillow reference step gives for them (ImageOps.exif_transpose, RGB, centre crop / ImageOps.pad /
ImageOps.contain, Image.LANCZOS).

  pillow_fixture.py check                      exit 0 when Pillow is importable, 3 otherwise
  pillow_fixture.py inputs DIR                 writes the test inputs into DIR
  pillow_fixture.py exif DIR W H [progressive] writes W x H JPEGs with EXIF orientations 1-8 (o1.jpg … o8.jpg)
  pillow_fixture.py reference IN OUT SIZE MODE writes Pillow's result for every image of IN into OUT (PNG)
  pillow_fixture.py resize IN OUT W H          Image.open(IN).convert("RGB").resize((W, H), LANCZOS) -> OUT
"""
import os
import random
import sys

try:
    from PIL import Image, ImageDraw, ImageOps
except ImportError:
    sys.exit(3)


def pattern(w, h, seed):
    rnd = random.Random(seed)
    im = Image.new("RGB", (w, h), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    d = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rnd.randrange(w), rnd.randrange(h)
        colour = (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        d.ellipse([x, y, x + rnd.randrange(4, w // 2 + 5), y + rnd.randrange(4, h // 2 + 5)], fill=colour)
        d.line([rnd.randrange(w), rnd.randrange(h), rnd.randrange(w), rnd.randrange(h)], fill=colour, width=2)
    return Image.blend(im, Image.effect_noise((w, h), 50).convert("RGB"), 0.2)


def inputs(out):
    os.makedirs(out, exist_ok=True)
    pattern(640, 480, 1).save(os.path.join(out, "wide.png"))
    pattern(300, 700, 2).save(os.path.join(out, "tall.png"))
    pattern(333, 333, 3).save(os.path.join(out, "square.png"))
    pattern(100, 60, 4).save(os.path.join(out, "small.png"))
    pattern(900, 600, 5).save(os.path.join(out, "photo.jpg"), quality=92)
    # EXIF orientation 6 (rotate 90 clockwise to view): stored 80x40, left half red, right half blue.
    im = Image.new("RGB", (80, 40), (255, 0, 0))
    im.paste((0, 0, 255), (40, 0, 80, 40))
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(os.path.join(out, "rotated.jpg"), quality=95, exif=exif.tobytes())
    # RGBA: left half transparent, right half opaque green.
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    rgba.paste((0, 255, 0, 255), (32, 0, 64, 64))
    rgba.save(os.path.join(out, "alpha.png"))


def exif_inputs(out, w, h, progressive):
    """One picture stored with each EXIF orientation; only the orientation tag differs between the files."""
    os.makedirs(out, exist_ok=True)
    im = pattern(w, h, w + h)
    # A marker in the stored top-left corner, so a wrong rotation cannot hide in a symmetric picture.
    ImageDraw.Draw(im).rectangle([0, 0, w // 4, h // 5], fill=(255, 0, 0))
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        im.save(os.path.join(out, "o%d.jpg" % orientation), quality=90, progressive=progressive, exif=exif.tobytes())


def reference(src, dst, size, mode):
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        im = ImageOps.exif_transpose(Image.open(os.path.join(src, name))).convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im).convert("RGB")
        w, h = im.size
        if mode == "crop":
            s = min(w, h)
            left, top = (w - s) // 2, (h - s) // 2
            im = im.crop((left, top, left + s, top + s)).resize((size, size), Image.LANCZOS)
        elif mode == "fit":
            im = ImageOps.contain(im, (size, size), Image.LANCZOS)
        else:
            im = ImageOps.pad(im, (size, size), Image.LANCZOS, color=(255, 255, 255))
        im.save(os.path.join(dst, os.path.splitext(name)[0] + ".png"))


def main():
    cmd = sys.argv[1]
    if cmd == "check":
        return 0
    if cmd == "inputs":
        inputs(sys.argv[2])
    elif cmd == "exif":
        exif_inputs(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "progressive")
    elif cmd == "reference":
        reference(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    elif cmd == "resize":
        im = Image.open(sys.argv[2]).convert("RGB")
        im.resize((int(sys.argv[4]), int(sys.argv[5])), Image.LANCZOS).save(sys.argv[3])
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
