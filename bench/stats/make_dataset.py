#!/usr/bin/env python3
"""Builds a synthetic caption dataset for the stats/lint benchmark: N tiny PNG images (unique content
but for a planted duplicate every 4,999) with a .txt caption each. Tags are drawn Zipf-like from the
most frequent Danbooru tags of the shipped list (data/tags/danbooru.csv.gz), 15-45 per caption, the trigger first, a few planted problems (typos,
duplicate tags and images, missing captions) so every lint rule has work to do.

usage: make_dataset.py OUT_DIR [N] [--seed S]
"""
import argparse
import csv
import gzip
import io
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
TAGS = os.path.join(HERE, "..", "..", "data", "tags", "danbooru.csv.gz")


def png(width, height, seed):
    # The first row starts with the seed's three bytes: every image is different (an earlier version
    # repeated every 6,400 images, which made 93,600 "duplicates" and timed the hashing, not the lint).
    ident = bytes(((seed >> 16) & 0xFF, (seed >> 8) & 0xFF, seed & 0xFF))
    rows = b"".join(b"\x00" + (ident if y == 0 else b"") + bytes((seed + x * 7 + y * 13) & 0xFF for x in range(width - (3 if y == 0 else 0)))
                    for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("n", type=int, nargs="?", default=100000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    with gzip.open(TAGS, "rt", encoding="utf-8") as f:
        vocab = [row[0] for row, _ in zip(csv.reader(f), range(3000)) if row and row[1] == "0"]
    weights = [1.0 / (i + 1) ** 0.9 for i in range(len(vocab))]
    os.makedirs(args.out, exist_ok=True)
    for i in range(args.n):
        stem = os.path.join(args.out, "img%06d" % i)
        # A planted duplicate every 4,999 images (the same bytes as the image before it).
        src = i - 1 if i % 4999 == 4998 else i
        with open(stem + ".png", "wb") as f:
            f.write(png(8 + src % 5, 8 + (src // 5) % 5, src))
        if i % 1000 == 999:
            continue  # missing caption
        k = rng.randint(15, 45)
        tags = list(dict.fromkeys(rng.choices(vocab, weights, k=k)))
        if i % 997 == 0:
            tags.append(tags[0])  # duplicate tag
        if i % 991 == 0:
            tags.append("blue_hiar")  # typo
        caption = ", ".join(["zkw"] + tags)
        if i % 3 == 0:
            caption += "\nzkw, a girl with long hair smiling outdoors"
        with open(stem + ".txt", "w", encoding="utf-8") as f:
            f.write(caption)


if __name__ == "__main__":
    main()
