#!/usr/bin/env python3
"""Derives Tagmetry's shipped tag data from the upstream files in a shared data folder.

  scripts/derive-data/derive_tags.py [SRC_DIR] [DATA_DIR]     (defaults: /work/shared/data, data/)

Writes (deterministically: gzip mtime 0, sorted as upstream):
  DATA_DIR/tags/danbooru.csv.gz   tagcomplete rows (name,category,count,"aliases") with count >= MIN_COUNT
  DATA_DIR/ja/danbooru-ja.csv.gz  tag,日本語 for those tags: hand translations first, machine second;
                                  artist tags (category 1) are left out (names are not translated)
  /tmp/review-top.txt             (with --review) the 2,000 most frequent non-artist tags and their
                                  upstream Japanese, the list data/ja/overrides.csv was reviewed from
  /tmp/review-names.txt           (with --review) copyright tags with > 1,000 posts and character tags
                                  with > 5,000 posts and their upstream Japanese, the list
                                  data/ja/names.tsv was reviewed from
data/ja/overrides.csv and data/ja/names.tsv are edited by hand and never written here.
"""
import csv
import gzip
import io
import os
import sys

MIN_COUNT = 100


def write_gz(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with open(path, "wb") as f:
        f.write(raw.getvalue())


def csv_line(fields):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue()


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if len(args) > 0 else "/work/shared/data"
    dst = args[1] if len(args) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "data")

    rows = []
    with open(os.path.join(src, "tagcomplete-danbooru.csv"), encoding="utf-8", newline="") as f:
        for r in csv.reader(f):
            if len(r) < 3 or not r[2].isdigit() or int(r[2]) < MIN_COUNT:
                continue
            rows.append((r[0], r[1], r[2], r[3] if len(r) > 3 else ""))
    write_gz(os.path.join(dst, "tags", "danbooru.csv.gz"),
             "".join(csv_line([n, c, k, a]) for n, c, k, a in rows))
    category = {r[0]: r[1] for r in rows}

    ja = {}
    order = []
    for name in ("booru-japanese-tag-danbooru-jp.csv", "booru-japanese-tag-danbooru-machine-jp.csv"):
        with open(os.path.join(src, name), encoding="utf-8", newline="") as f:
            for r in csv.reader(f):
                if len(r) < 2:
                    continue
                tag, text = r[0].strip(), r[1].strip()
                if tag not in category or category[tag] == "1" or not text or tag in ja:
                    continue
                if text.replace(" ", "_").lower() == tag.lower():
                    continue
                ja[tag] = text
                order.append(tag)
    write_gz(os.path.join(dst, "ja", "danbooru-ja.csv.gz"), "".join(csv_line([t, ja[t]]) for t in order))

    if "--review" in sys.argv:
        by_count = sorted(rows, key=lambda r: -int(r[2]))
        with open("/tmp/review-top.txt", "w", encoding="utf-8") as f:
            top = [r for r in by_count if r[1] != "1"][:2000]
            for name, cat, count, _ in top:
                f.write(f"{name},{cat},{count},{ja.get(name, '')}\n")
        with open("/tmp/review-names.txt", "w", encoding="utf-8") as f:
            for name, cat, count, _ in by_count:
                if (cat == "3" and int(count) > 1000) or (cat == "4" and int(count) > 5000):
                    f.write(f"{name},{cat},{count},{ja.get(name, '')}\n")
    print(f"{len(rows)} tags, {len(ja)} translations", file=sys.stderr)


if __name__ == "__main__":
    main()
