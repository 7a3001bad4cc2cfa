"""MNIST-style preparation of drawings."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from engine.mnistify import CENTRE, mnistify


def canvas(h=280, w=280):
    return np.zeros((h, w, 4), np.uint8)


def stroke(c, r0, r1, c0, c1):
    c[r0:r1, c0:c1, :3] = 255
    c[r0:r1, c0:c1, 3] = 255
    return c


def bbox(img, t=0.05):
    r, c = np.flatnonzero(img.max(1) > t), np.flatnonzero(img.max(0) > t)
    return r[-1] - r[0] + 1, c[-1] - c[0] + 1


def test_a_small_off_centre_digit_ends_up_centred_and_20_pixels_tall():
    c = stroke(canvas(), 10, 70, 200, 215)  # a short "1" in the top-right corner
    img = mnistify(c)
    assert img.shape == (28, 28) and img.dtype == np.float32
    h, w = bbox(img, 0.3)
    assert 19 <= h <= 21
    cy, cx = ndimage.center_of_mass(img)
    assert abs(cy - CENTRE[0]) < 0.3 and abs(cx - CENTRE[1]) < 0.3


def test_aspect_ratio_is_kept():
    c = stroke(canvas(), 100, 140, 40, 240)  # a wide bar: 200 × 40
    h, w = bbox(mnistify(c), 0.3)
    assert 19 <= w <= 21 and 3 <= h <= 6  # 20 wide, about 4 tall


def test_strokes_are_anti_aliased_not_blocky():
    from PIL import Image, ImageDraw
    pic = Image.new("L", (280, 280))
    ImageDraw.Draw(pic).line([(60, 250), (220, 30)], fill=255, width=22)  # a slanted "1"
    img = mnistify(np.asarray(pic))
    values = np.unique(np.round(img, 2))
    assert len(values) > 5 and img.max() > 0.9


@pytest.mark.parametrize("image", [canvas(), np.full((280, 280, 4), 255, np.uint8), np.zeros((50, 80))])
def test_empty_or_all_white_canvas_gives_none(image):
    assert mnistify(image) is None


def test_grey_and_rgb_inputs():
    g = np.zeros((100, 100), np.float32)
    g[20:80, 45:55] = 1.0
    a = mnistify(g)
    b = mnistify(np.repeat((g * 255).astype(np.uint8)[..., None], 3, 2))
    np.testing.assert_allclose(a, b, atol=1e-2)


def test_transparent_background_counts_as_black():
    c = np.zeros((280, 280, 4), np.uint8)
    c[..., :3] = 255  # white everywhere, but only the stroke is opaque
    c[60:220, 130:150, 3] = 255
    img = mnistify(c)
    assert img is not None and bbox(img, 0.3)[0] >= 19
