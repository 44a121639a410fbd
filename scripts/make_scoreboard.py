"""Draw presets/assets/scoreboard.mp4: the short clip the video preset sends.

A scoreboard whose score changes over time (``scripts/scoreboard.json``), written frame by frame with
PyAV (H.264 in MP4). The local engine reads each sampled frame by OCR, so the text is large and dark
on a light board. Deterministic: the same data gives the same frames.

Usage: .venv/bin/python scripts/make_scoreboard.py [--out presets/assets/scoreboard.mp4]
"""

from __future__ import annotations

import argparse
import json
import sys
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).with_name("scoreboard.json")
OUT = ROOT / "presets" / "assets" / "scoreboard.mp4"
WIDTH, HEIGHT, RATE = 640, 360, 5
BOARD, INK = (245, 245, 240), (15, 15, 20)
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/usr/share/fonts/TTF"))

FontT = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(name: str, size: int) -> FontT:
    for d in FONT_DIRS:
        if (d / name).exists():
            return ImageFont.truetype(str(d / name), size)
    return ImageFont.load_default(size=size)


def score_at(data: dict, t: float) -> tuple[int, int]:
    home = away = 0
    for e in data["goals"]:
        if e["second"] <= t:
            home, away = (home + 1, away) if e["team"] == data["home"] else (home, away + 1)
    return home, away


def draw_frame(data: dict, t: float) -> Image.Image:
    img = Image.new("RGB", (WIDTH, HEIGHT), BOARD)
    d = ImageDraw.Draw(img)
    big, mid = font("DejaVuSans-Bold.ttf", 64), font("DejaVuSans-Bold.ttf", 40)
    home, away = score_at(data, t)
    d.text((40, 40), data["home"], font=mid, fill=INK)
    d.text((WIDTH - 40, 40), data["away"], font=mid, fill=INK, anchor="ra")
    d.text((WIDTH // 2, 150), f"{home} - {away}", font=big, fill=INK, anchor="ma")
    minute = data["match_minute_start"] + int(t)
    d.text((WIDTH // 2, 270), f"MINUTE {minute}", font=mid, fill=INK, anchor="ma")
    return img


def make(data: dict, out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(out), mode="w") as container:
        stream = container.add_stream("libx264", rate=RATE)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.time_base = Fraction(1, RATE)
        stream.options = {"crf": "28", "preset": "veryslow", "tune": "stillimage"}
        for i in range(int(data["seconds"] * RATE)):
            frame = av.VideoFrame.from_image(draw_frame(data, i / RATE))
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    out = make(json.loads(DATA.read_text(encoding="utf-8")), args.out)
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def expected_events(data: dict, fps: float) -> list[dict[str, str]]:
    """The events a viewer of frames sampled at ``fps`` can report: each score change at the first
    sampled frame showing it (a goal between two samples is seen late)."""
    events, last = [], (0, 0)
    for i in range(int(data["seconds"] * fps + 1e-6)):
        t = i / fps
        score = score_at(data, t)
        if score != last:
            events.append({"event_time": f"{int(t) // 60:02d}:{int(t) % 60:02d}", "score": f"{score[0]}-{score[1]}"})
            last = score
    return events
