#!/usr/bin/env python3
"""Builds the `tagmetry buckets` benchmark folder: N images of random sizes (a phone-photo mix of
aspect ratios, 300..6000 px a side) whose headers are all `buckets` reads. 60% JPEG with a 12 KiB
EXIF segment before the frame header (the marker walk seeks past it), 30% PNG, 10% WebP (VP8X).
One small picture per format is encoded with Pillow and its size fields are rewritten per file, so
building 100,000 files takes seconds; the pixels do not match the size, which a header reader never sees.

usage: make_headers.py OUT_DIR [N]
"""
import io
import os
import random
import struct
import sys
import zlib

from PIL import Image


def main():
    out_dir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    os.makedirs(out_dir, exist_ok=True)
    rnd = random.Random(17)
    small = Image.new("RGB", (16, 16), (120, 80, 200))
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=90)
    jpeg = buf.getvalue()
    exif = b"\xff\xe1" + struct.pack(">H", 12 * 1024 + 2) + b"Exif\0\0" + bytes(12 * 1024 - 6)
    jpeg = jpeg[:2] + exif + jpeg[2:]
    sof = jpeg.index(b"\xff\xc0")
    buf = io.BytesIO()
    small.save(buf, "PNG")
    png = buf.getvalue()
    buf = io.BytesIO()
    Image.new("RGBA", (16, 16), (1, 2, 3, 128)).save(buf, "WEBP")
    webp = buf.getvalue()
    ratios = [1.0, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9, 9 / 16, 2.0, 0.5, 1.25, 0.8]
    for i in range(n):
        ar = rnd.choice(ratios) * rnd.uniform(0.97, 1.03)
        long_side = rnd.randint(300, 6000)
        w, h = (long_side, max(1, int(long_side / ar))) if ar >= 1 else (max(1, int(long_side * ar)), long_side)
        k = i % 10
        if k < 6:
            data = bytearray(jpeg)
            data[sof + 5:sof + 9] = struct.pack(">HH", h, w)
            name = "%06d.jpg" % i
        elif k < 9:
            data = bytearray(png)
            data[16:24] = struct.pack(">LL", w, h)
            data[29:33] = struct.pack(">L", zlib.crc32(bytes(data[12:29])))
            name = "%06d.png" % i
        else:
            data = bytearray(webp)
            if data[12:16] == b"VP8X":
                data[24:30] = struct.pack("<I", w - 1)[:3] + struct.pack("<I", h - 1)[:3]
            name = "%06d.webp" % i
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
