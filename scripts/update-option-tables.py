#!/usr/bin/env python3
"""Regenerate the option tables in docs/*.md from the operation declarations.

Usage: scripts/update-option-tables.py [path/to/tagmetry]   (default: build/bin/tagmetry)

Each operation with a docs page gets its table between `<!-- options:NAME -->` and `<!-- /options:NAME -->`.
A page without the markers gets them around its first `| option | default | description |` table that
lists the same flags, or an error naming the page. tests/cli/operations_test.cpp checks the result.
"""
import json, pathlib, subprocess, sys

root = pathlib.Path(__file__).resolve().parent.parent
exe = sys.argv[1] if len(sys.argv) > 1 else str(root / "build/bin/tagmetry")
ops = json.loads(subprocess.run([exe, "options", "--json"], check=True, capture_output=True, text=True).stdout)
failed = False
for op in ops["operations"]:
    if not op["doc_page"]:
        continue
    name = op["name"]
    table = subprocess.run([exe, "options", *name.split()], check=True, capture_output=True, text=True).stdout
    page = root / "docs" / op["doc_page"]
    text = page.read_text()
    open_m, close_m = f"<!-- options:{name} -->\n", f"<!-- /options:{name} -->"
    a, b = text.find(open_m), text.find(close_m)
    if a < 0 or b < 0:
        first_flag = next((f"| `--{o['name']}` |" for o in op["options"] if not o["positional"]), None)
        lines = text.split("\n")
        start = next((i for i, l in enumerate(lines) if l.startswith("| option | default | description |")
                      and first_flag and any(first_flag in x for x in lines[i:i + 80])), None)
        if start is None:
            print(f"docs/{op['doc_page']}: no markers {open_m.strip()} and no option table for `{name}`", file=sys.stderr)
            failed = True
            continue
        end = start
        while end < len(lines) and lines[end].startswith("|"):
            end += 1
        lines[start:end] = [open_m.rstrip("\n")] + table.rstrip("\n").split("\n") + [close_m]
        page.write_text("\n".join(lines))
    else:
        page.write_text(text[: a + len(open_m)] + table + text[b:])
    print(f"docs/{op['doc_page']}: {name}")
sys.exit(1 if failed else 0)
