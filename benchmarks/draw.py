"""Draw-a-digit quality bar: the default model reads digits rendered from the installed fonts
(several sizes, stroke widths, slants and positions on a 280×280 canvas), through the same
preparation code the page uses. No training step ever sees these images.

Run with ``make bench``.
"""
from __future__ import annotations

import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.default_model import train_default  # noqa: E402
from engine.fontdigits import font_digits, installed_fonts  # noqa: E402
from engine.inspect import predict  # noqa: E402
from engine.mnistify import mnistify  # noqa: E402


def main():
    fonts = installed_fonts()
    if not fonts:
        print("skipped: fc-list finds no fonts on this machine")
        return
    t = time.perf_counter()
    params, spec = train_default()
    trained = time.perf_counter() - t
    images, labels, names = [], [], []
    for img, digit, name in font_digits(fonts=fonts):
        images.append(mnistify(img).reshape(-1))
        labels.append(digit)
        names.append(name)
    pred = np.asarray(predict(params, spec, np.stack(images))).argmax(1)
    labels = np.array(labels)
    acc = float((pred == labels).mean())
    per_digit = {d: float((pred[labels == d] == d).mean()) for d in range(10)}
    confusions = Counter((int(a), int(b)) for a, b in zip(labels, pred) if a != b).most_common(5)
    print(f"default model trained in {trained:.1f} s on the 5,000 embedded digits")
    print(f"{len(labels)} font-rendered digits from {len(fonts)} fonts: {acc:.1%} read correctly (target ≥ 90 %)")
    print("per digit: " + ", ".join(f"{d}: {v:.0%}" for d, v in per_digit.items()))
    print("most common mistakes (true, read): " + ", ".join(f"{a}→{b} ×{n}" for (a, b), n in confusions))


if __name__ == "__main__":
    main()
