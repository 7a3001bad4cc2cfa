"""Pictures as data: the orange-white-blue colour scale, a minimal PNG encoder, value ranges.

Maps and images travel to the browser as small PNGs inside SVG or HTML, not as arrays of
numbers, so a frame stays light. Nothing here calls Streamlit.
"""
from __future__ import annotations

import base64
import struct
import zlib

import numpy as np

# TF Playground's diverging scale: orange for -1, light grey-white for 0, blue for +1.
ORANGE, WHITE, BLUE = np.array([245, 147, 34]), np.array([232, 234, 235]), np.array([8, 119, 189])
_t = np.linspace(-1, 1, 256)[:, None]
LUT = np.where(_t < 0, WHITE + (ORANGE - WHITE) * -_t, WHITE + (BLUE - WHITE) * _t).astype(np.uint8)  # (256, 3)
FONT = "Helvetica, Arial, sans-serif"


# The output map behind the points is paler, so that the points stand out (as in TF Playground).
MAP_LUT = (LUT * 0.72 + 255 * 0.28).astype(np.uint8)


HEX = [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in LUT]


def colour(v: float) -> str:
    """The scale's colour for a value in [-1, 1], as #rrggbb."""
    return HEX[min(255, max(0, int((v + 1) * 127.5)))]


def png_uri(values: np.ndarray, lo: float = -1.0, hi: float = 1.0, discretise: bool = False,
            lut: np.ndarray = LUT) -> str:
    """(H, W) values -> data URI of a PNG coloured on the orange-white-blue scale."""
    v = np.nan_to_num(np.asarray(values, np.float32))
    if discretise:
        v = np.where(v >= (lo + hi) / 2, hi, lo)
    idx = np.clip((v - lo) / (hi - lo) * 255, 0, 255).astype(np.uint8)
    # A map of many pixels goes as its scale's indices with the scale as the palette: the same
    # colours in every pixel, a third of the bytes to compress (three times faster: this runs for
    # every map of every frame) and a smaller file. A small one stays RGB, smaller without a palette.
    data = png_indexed(idx, lut) if idx.size >= PALETTE_FROM and len(lut) == 256 else png_bytes(np.take(lut, idx, axis=0))
    return "data:image/png;base64," + base64.b64encode(data).decode()


PALETTE_FROM = 1024  # pixels: from here on a palette (768 bytes) costs less than the RGB it saves


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(rgb: np.ndarray) -> bytes:
    """(H, W, 3) uint8 -> PNG file bytes. A minimal encoder: three times faster than Pillow's
    for the small maps sent every frame."""
    h, w, _ = rgb.shape
    raw = np.zeros((h, w * 3 + 1), np.uint8)  # each row starts with filter type 0
    raw[:, 1:] = rgb.reshape(h, -1)
    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def png_indexed(idx: np.ndarray, palette: np.ndarray) -> bytes:
    """(H, W) uint8 indices into ``palette`` ((256, 3) uint8) -> the bytes of a PNG whose pixels
    are ``palette[idx]`` (colour type 3: the decoder looks the colours up)."""
    h, w = idx.shape
    raw = np.empty((h, w + 1), np.uint8)
    raw[:, 0] = 0  # each row starts with filter type 0
    raw[:, 1:] = idx
    header = struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)  # 8-bit indices into a palette
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"PLTE", np.ascontiguousarray(palette, np.uint8).tobytes())
            + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), 1)) + _png_chunk(b"IEND", b""))


def symmetric_range(values: np.ndarray) -> float:
    m = float(np.nanmax(np.abs(values))) if values.size else 1.0
    return m if m > 1e-9 else 1.0


def downsample(y: np.ndarray, max_points: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) with at most ``max_points`` points, always keeping the last one."""
    n = len(y)
    if n <= max_points:
        return np.arange(n), y
    idx = np.linspace(0, n - 1, max_points).astype(int)  # steps of at least 1: no repeats; ends at n - 1
    idx[-1] = n - 1
    return idx, y[idx]


# --- digits as pictures ---------------------------------------------------------------------------
GREY = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, 1)  # 0 black .. 255 white, as MNIST


def tile(images: np.ndarray, cols: int, pad: int = 1, fill: float = 0.0) -> np.ndarray:
    """(k, h, w) images -> one (rows·(h+pad), cols·(w+pad)) mosaic, row by row."""
    k, h, w = images.shape
    rows = max(1, -(-k // cols))
    out = np.full((rows * (h + pad) - pad, cols * (w + pad) - pad), fill, np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = img
    return out


def as_grid(v: np.ndarray) -> np.ndarray:
    """A layer's activation vector laid out as a near-square image (extra cells are NaN)."""
    n = len(v)
    cols = int(np.ceil(np.sqrt(n)))
    rows = -(-n // cols)
    out = np.full(rows * cols, np.nan, np.float32)
    out[:n] = v
    return out.reshape(rows, cols)
