#!/usr/bin/env python3
"""Writes the five sample images of `make demo` (scripts/demo.sh) and of the container image into OUT.

    demo_images.py OUT
"""
import os, sys
from PIL import Image, ImageDraw
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
def scene(name, size, bg, shapes):
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    for kind, box, colour in shapes:
        (d.ellipse if kind == "o" else d.rectangle)(box, fill=colour)
    img.save(os.path.join(out, name), quality=92)
scene("sunset.jpg", (1200, 800), (250, 120, 40), [("o", (500, 300, 700, 500), (255, 220, 60))])
scene("ocean.jpg", (1024, 1024), (20, 60, 200), [("r", (0, 700, 1024, 1024), (10, 30, 120))])
scene("forest.png", (800, 1200), (30, 140, 50), [("r", (350, 700, 450, 1200), (90, 60, 30))])
scene("night.png", (800, 800), (10, 10, 25), [("o", (600, 80, 700, 180), (240, 240, 220))])
scene("snow.jpg", (1000, 700), (245, 245, 250), [("o", (400, 250, 600, 450), (200, 200, 210))])
