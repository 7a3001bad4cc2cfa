"""Digits rendered from the fonts installed on the machine, on a 280×280 canvas-like image:
a held-out set of "drawings" no model ever trains on."""
from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CANVAS = 280


def installed_fonts() -> list[Path]:
    """Outline fonts that fontconfig knows (``fc-list``), monospace and symbol faces left out."""
    try:
        out = subprocess.run(["fc-list", ":", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = sorted({Path(line.split(":")[0].strip()) for line in out.splitlines() if line.strip()})
    return [p for p in paths if p.suffix.lower() in (".ttf", ".otf") and "mono" not in p.name.lower()
            and "symbol" not in p.name.lower()]


def render(digit: int, font: Path, size: int, stroke: int, slant: float, offset: tuple[int, int]) -> np.ndarray:
    """One digit, white on black, as (CANVAS, CANVAS) uint8: font size, extra stroke width,
    slant (horizontal shear), and the position of its centre relative to the canvas centre."""
    img = Image.new("L", (CANVAS, CANVAS), 0)
    face = ImageFont.truetype(str(font), size)
    draw = ImageDraw.Draw(img)
    x0, y0, x1, y1 = draw.textbbox((0, 0), str(digit), font=face, stroke_width=stroke)
    cx, cy = CANVAS / 2 + offset[0], CANVAS / 2 + offset[1]
    draw.text((cx - (x0 + x1) / 2, cy - (y0 + y1) / 2), str(digit), fill=255, font=face,
              stroke_width=stroke, stroke_fill=255)
    if slant:  # shear about the centre, as a forward-leaning hand does
        img = img.transform(img.size, Image.Transform.AFFINE, (1, slant, -slant * CANVAS / 2, 0, 1, 0),
                            resample=Image.Resampling.BILINEAR)
    return np.asarray(img)


def font_digits(seed: int = 0, fonts: list[Path] | None = None):
    """Yield (image, digit, description) over every font, digit, and a grid of variations."""
    rng = np.random.default_rng(seed)
    for font in fonts if fonts is not None else installed_fonts():
        for digit in range(10):
            for size, stroke, slant in [(120, 0, 0.0), (180, 3, 0.2), (220, 6, -0.15), (90, 2, 0.3)]:
                off = tuple(int(v) for v in rng.integers(-40, 41, 2))
                yield render(digit, font, size, stroke, slant, off), digit, f"{font.stem} size {size} stroke {stroke} slant {slant}"
