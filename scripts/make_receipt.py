"""Draw presets/assets/receipt.png: the train-ticket receipt the image presets send.

The reference's image example points at a URL that cannot be reached offline, so the presets ship
their own receipt carrying the documented values (``scripts/receipt.json``). The local engine reads
images by OCR (tesseract), so the text is large, black on light paper, in a plain sans/mono face,
and the decorations (perforations, stamp, barcode) stay clear of it. The output is deterministic:
the barcode comes from a seeded generator.

Usage: .venv/bin/python scripts/make_receipt.py [--out presets/assets/receipt.png] [--check]
(--check runs tesseract on the result and fails if a value is not read back).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).with_name("receipt.json")
OUT = ROOT / "presets" / "assets" / "receipt.png"

WIDTH, HEIGHT = 1000, 1320
PAPER = (250, 246, 236)
INK = (20, 20, 24)
RULE = (120, 120, 120)
RED = (200, 40, 40)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/share/fonts/TTF"), Path("/Library/Fonts"))

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(name: str, size: int) -> FontT:
    """A DejaVu face when installed; PIL's built-in scalable default otherwise (Pillow >= 10.1)."""
    for d in FONT_DIRS:
        p = d / name
        if p.exists():
            return ImageFont.truetype(str(p), size)
    return ImageFont.load_default(size=size)


def centered(draw: ImageDraw.ImageDraw, y: int, text: str, f: FontT, fill: tuple[int, int, int] = INK) -> int:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
    draw.text(((WIDTH - (right - left)) // 2, y), text, font=f, fill=fill)
    return y + (bottom - top)


def dashed_line(draw: ImageDraw.ImageDraw, y: int, x0: int = 60, x1: int = WIDTH - 60) -> None:
    for x in range(x0, x1, 24):
        draw.line([(x, y), (min(x + 12, x1), y)], fill=RULE, width=3)


def barcode(draw: ImageDraw.ImageDraw, x: int, y: int, width: int, height: int, seed: str) -> None:
    rng = random.Random(seed)
    cx = x
    while cx < x + width:
        w = rng.choice((2, 3, 4, 6))
        if rng.random() < 0.55:
            draw.rectangle([cx, y, cx + w - 1, y + height], fill=INK)
        cx += w + rng.choice((2, 3, 4))


def make(data: dict, out: Path) -> Path:
    img = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(img)
    title, sub = font("DejaVuSans-Bold.ttf", 54), font("DejaVuSans-Bold.ttf", 36)
    label_f, value_f = font("DejaVuSans.ttf", 36), font("DejaVuSansMono-Bold.ttf", 38)
    small = font("DejaVuSans.ttf", 26)

    # paper edge with ticket-style perforation holes
    draw.rectangle([20, 20, WIDTH - 20, HEIGHT - 20], outline=RULE, width=3)
    for x in range(50, WIDTH - 30, 40):
        draw.ellipse([x - 6, 8, x + 6, 20], fill=(255, 255, 255), outline=RULE)
        draw.ellipse([x - 6, HEIGHT - 20, x + 6, HEIGHT - 8], fill=(255, 255, 255), outline=RULE)

    y = centered(draw, 70, data["title"], title) + 24
    y = centered(draw, y, data["subtitle"], sub) + 40
    dashed_line(draw, y)
    y += 36

    def rows(pairs: list[list[str]], y: int) -> int:
        for label, value in pairs:
            draw.text((80, y), f"{label}:", font=label_f, fill=INK)
            draw.text((420, y - 2), value, font=value_f, fill=INK)
            y += 72
        return y

    y = rows(data["invoice"], y) + 6
    dashed_line(draw, y)
    y = rows(data["ticket"], y + 36) + 6
    dashed_line(draw, y)
    y += 40
    for line in data["footer"]:
        y = centered(draw, y, line, small) + 16

    # a red "paid" stamp, bottom right, away from the values
    sx, sy = WIDTH - 300, HEIGHT - 300
    draw.ellipse([sx, sy, sx + 220, sy + 130], outline=RED, width=6)
    stamp_f = font("DejaVuSans-Bold.ttf", 44)
    left, top, right, bottom = draw.textbbox((0, 0), data["stamp"], font=stamp_f)
    draw.text((sx + 110 - (right - left) // 2, sy + 65 - (bottom - top) // 2 - top), data["stamp"],
              font=stamp_f, fill=RED)

    barcode(draw, 80, HEIGHT - 230, 520, 110, seed=data["invoice"][0][1])

    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, format="PNG", optimize=True)
    return out


def expected_values(data: dict) -> list[str]:
    return [v for _, v in data["invoice"] + data["ticket"]]


def check(path: Path, data: dict) -> list[str]:
    """The values tesseract does not read back from the image (empty when all are read)."""
    exe = shutil.which("tesseract")
    if exe is None:
        raise SystemExit("tesseract is not installed; cannot --check")
    text = subprocess.run([exe, str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [v for v in expected_values(data) if v not in text]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="read the image back with tesseract")
    args = ap.parse_args()
    data = json.loads(DATA.read_text(encoding="utf-8"))
    out = make(data, args.out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    if args.check:
        missing = check(out, data)
        if missing:
            print(f"tesseract did not read: {missing}", file=sys.stderr)
            return 1
        print("tesseract read every value")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
