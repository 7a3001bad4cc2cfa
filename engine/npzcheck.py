"""Reading an uploaded ``.npz`` archive without trusting it (``engine.modelio``'s helper).

Before any array data is unpacked, the zip's own table and each ``.npy`` member's header are
checked: how many members there are, how they are stored, the shape and type each declares
(against what the caller expects) and the size the zip records for it. Data is then read in
exactly that size, so a lying header, a zip bomb or a pickle never gets memory or code. Every
refusal is ``NpzRefusal`` with a clause for the user ("it is not ..."), never another exception.
"""
from __future__ import annotations

import io
import math
import zipfile
from typing import Callable

import numpy as np
from numpy.lib import format as npy

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first member; an empty zip
NPY_HEADER_MAX = 4096  # bytes of a .npy member before its data (NumPy writes 128)


class NpzRefusal(Exception):
    """Why an archive cannot be used, as a clause: "it is not a .npz archive"."""


class Npz:
    """The members of a ``.npz`` archive by name (``w0`` for ``w0.npy``), none of them read yet.

    ``max_members`` bounds the zip's table; ``max_total`` the bytes all reads together unpack."""

    def __init__(self, data: bytes, max_members: int, max_total: int):
        if data[:4] not in ZIP_MAGIC:
            raise NpzRefusal("it is not an nn-playground model file (not a .npz archive)")
        # Each entry of a zip's table starts with this signature, so this bounds the entries
        # zipfile would parse (and their memory) before it parses any.
        if data.count(b"PK\x01\x02") > max_members:
            raise NpzRefusal(f"it holds more than {max_members} arrays, far more than a model has")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except Exception:  # hostile bytes can fail inside zipfile in many ways
            raise NpzRefusal("it is not a complete .npz archive (damaged or truncated?)") from None
        for info in infos:
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 1:
                raise NpzRefusal("it is not a plain .npz archive")  # other compression, or encrypted
        self.members = {i.filename.removesuffix(".npy"): i for i in infos}
        self._budget = max_total

    def __contains__(self, name: str) -> bool:
        return name in self.members

    def read(self, name: str, what: str, expect: Callable[[tuple, np.dtype], str | None],
             max_data: int) -> np.ndarray:
        """Member ``name`` (``what`` names it for the user: "layer 1's weights").

        ``expect(shape, dtype)`` returns a clause when the declared shape or type is wrong;
        ``max_data`` bounds the bytes the member's data may take, checked before unpacking."""
        info = self.members[name]
        if info.file_size > NPY_HEADER_MAX + max_data or info.file_size > self._budget:
            raise NpzRefusal(f"the size recorded for {what} does not match its contents")
        self._budget -= info.file_size
        try:
            with self._zip.open(info) as f:
                return self._array(f, info.file_size, what, expect, max_data)
        except NpzRefusal:
            raise
        except Exception:  # a damaged entry or .npy header: zipfile, zlib and NumPy raise many kinds
            raise NpzRefusal(f"{what} cannot be read (damaged?)") from None

    @staticmethod
    def _array(f, file_size: int, what: str, expect, max_data: int) -> np.ndarray:
        version = npy.read_magic(f)
        read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}[version]
        shape, fortran_order, dtype = read_header(f)  # reads no further than the size checked above
        if dtype.hasobject:
            raise NpzRefusal("it holds Python objects, which this app never unpickles")
        problem = expect(shape, dtype)
        if problem:
            raise NpzRefusal(problem)
        nbytes = math.prod(shape) * dtype.itemsize
        if min(shape, default=0) < 0 or nbytes > max_data or file_size != f.tell() + nbytes:
            raise NpzRefusal(f"the size recorded for {what} does not match its contents")
        raw = f.read(nbytes)  # no more than the recorded size; the zip's CRC is checked at its end
        if len(raw) != nbytes or f.read(1):
            raise ValueError("shorter or longer than recorded")
        a = np.frombuffer(raw, dtype)
        return a.reshape(shape[::-1]).T if fortran_order else a.reshape(shape)
