"""The toy lab's data as a CSV file: read (with one sentence for whatever is wrong, naming the row
and the column) and written, so that a file downloaded and uploaded again gives the same data.
Parsed by Python's ``csv`` module. No Streamlit here.

A file has a header naming ``x1,x2,label`` (or ``x,y,label``), in any order, and optionally
``split`` (train or test, as the page writes it). Labels are -1/1 or 0/1 (two classes), whole
numbers 0…k−1 or 1…k for k = 3 to 6 classes, up to 6 names (text), or other numbers (regression).
"""
from __future__ import annotations

import csv
import io
import math

import numpy as np

from engine.toydata import DOMAIN, MAX_CLASSES
from playground.shared.fields import shown
from playground.toy.owndata import OwnData, split_in_turn

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
MIN_ROWS = 4
COLUMNS = (("x1", "x"), ("x2", "y"), ("label",))  # each needed column and the names it may have


class CsvError(ValueError):
    """A file that cannot be read; the message is the one sentence the page shows."""


def _text(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CsvError(f"The file is {len(data) / 1024 / 1024:.1f} MB; files up to 2 MB can be read.")
    if not data.strip():
        raise CsvError("The file is empty.")
    zero = data.find(b"\x00")
    if zero >= 0:
        raise CsvError(f"This is not a text file: byte {zero + 1:,} is a binary zero (a spreadsheet or an image, "
                       f"perhaps); save the table as CSV.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        try:
            return data.decode("cp1252")  # a spreadsheet's "CSV" on Windows
        except UnicodeDecodeError:
            raise CsvError(f"This is not a text file: byte {e.start + 1:,} is not text; save the table as CSV.") from None


def _number(s: str) -> float | None:
    try:
        return float(s)
    except ValueError:
        return None


def _where(row: int, col: int, name: str) -> str:
    return f"Row {row:,}, column {col + 1} ({name})"


def read_csv(data: bytes, train_ratio: int = 50) -> tuple[OwnData, list[str]]:
    """The data in a CSV file's bytes, and notices (sentences) about what was changed to read it:
    the problem type it implies, coordinates scaled into the plane, targets scaled into [-1, 1],
    columns ignored. Points without a ``split`` column are split in turn (``split_in_turn``).
    Raises CsvError with one sentence naming what is wrong and where."""
    text = _text(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = next((d for d in ",;\t" if d in first), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(r for r in reader if any(c.strip() for c in r))
        head_row = reader.line_num
        names = [c.strip().lower() for c in header]
        if all(_number(c) is not None for c in names if c):
            raise CsvError(f"Row {head_row} is not a header: the first line must name the columns, "
                           f"x1,x2,label (or x,y,label).")
        cols = []
        for options in COLUMNS:
            found = [names.index(o) for o in options if o in names]
            if not found:
                raise CsvError(f"The header (row {head_row}) has no column {' or '.join(map(repr, options))}: "
                               f"it needs x1, x2 and label (or x, y and label).")
            cols.append(found[0])
        split_col = names.index("split") if "split" in names else None
        used = set(cols) | {split_col}
        ignored = [header[i].strip() for i in range(len(header)) if i not in used and header[i].strip()]
        xy, labels, rows, split = [], [], [], []
        for r in reader:
            if not any(c.strip() for c in r):
                continue  # a blank line
            if len(rows) == MAX_ROWS:
                raise CsvError(f"The file has more than {MAX_ROWS:,} rows of data: row {reader.line_num:,} is one "
                               f"too many.")
            row = reader.line_num
            cells = []
            for c, name in zip(cols + ([split_col] if split_col is not None else []),
                               ("x1", "x2", "label", "split")):
                if c >= len(r) or not r[c].strip():
                    raise CsvError(f"{_where(row, c, header[c].strip())} is empty.")
                cells.append(r[c].strip())
            for k in range(2):
                v = _number(cells[k])
                if v is None:
                    raise CsvError(f"{_where(row, cols[k], header[cols[k]].strip())}: {shown(cells[k])} is not a number.")
                if not math.isfinite(v):
                    raise CsvError(f"{_where(row, cols[k], header[cols[k]].strip())} is "
                                   f"{'NaN (not a number)' if math.isnan(v) else 'infinite'}; coordinates must be "
                                   f"finite numbers.")
                cells[k] = v
            if split_col is not None:
                if cells[3].lower() not in ("train", "test"):
                    raise CsvError(f"{_where(row, split_col, header[split_col].strip())}: {shown(cells[3])} is "
                                   f"neither train nor test.")
                split.append(cells[3].lower() == "test")
            xy.append(cells[:2])
            labels.append(cells[2])
            rows.append(row)
    except csv.Error as e:
        raise CsvError(f"Row {reader.line_num:,} cannot be read as CSV ({e}).") from None
    except StopIteration:
        raise CsvError("The file is empty.") from None
    if len(rows) < MIN_ROWS:
        raise CsvError(f"The file has {len(rows)} row{'s' * (len(rows) != 1)} of data; at least {MIN_ROWS} are needed.")
    notices = [f"Columns ignored: {', '.join(map(shown, ignored))}."] if ignored else []
    problem, y, class_names, said = _labels(labels, rows, cols[2], header[cols[2]].strip())
    notices += said
    points = np.asarray(xy, np.float64)
    reach = float(np.abs(points).max())
    if reach > DOMAIN:
        factor = DOMAIN / reach
        points = points * factor
        notices.append(f"The coordinates reach {reach:g}, outside the plane (−6 to 6): all were multiplied by "
                       f"{factor:.3g} to fit.")
    test = np.array(split, bool) if split_col is not None else split_in_turn(len(rows), train_ratio)
    return OwnData(problem, points.astype(np.float32), y, test, class_names), notices


def _labels(labels: list[str], rows: list[int], col: int, name: str):
    """(problem, y, class names, notices) from the label column's texts."""
    numbers = [_number(s) for s in labels]
    where = lambda i: _where(rows[i], col, name)
    if all(v is not None for v in numbers):
        for i, v in enumerate(numbers):
            if not math.isfinite(v):
                raise CsvError(f"{where(i)} is {'NaN (not a number)' if math.isnan(v) else 'infinite'}; "
                               f"labels must be finite numbers or class names.")
        v = np.asarray(numbers)
        values = sorted(set(numbers))
        if len(values) == 1:
            raise CsvError(f"Every row has the label {values[0]:g}: at least two classes (or different targets) "
                           f"are needed.")
        if set(values) <= {-1.0, 1.0} or set(values) <= {0.0, 1.0}:
            return "classification", np.where(v > 0, 1.0, -1.0).astype(np.float32), (), []
        k = len(values)
        if 3 <= k <= MAX_CLASSES and values in (list(range(k)), list(range(1, k + 1))):
            said = f"The labels {', '.join(f'{x:g}' for x in values)} are read as {k} classes."
            return "multiclass", (v - values[0]).astype(np.int32), (), [said]
        said = ["The labels are numbers (not -1/1, 0/1 or class numbers), so the problem is now regression."]
        top = float(np.abs(v).max())
        if top > 1:
            v = v / top
            said.append(f"The targets reach {top:g}: all were divided by {top:g} to lie between −1 and 1.")
        return "regression", v.astype(np.float32), (), said
    order: list[str] = []
    for i, s in enumerate(labels):
        if s not in order:
            if len(order) == MAX_CLASSES:
                raise CsvError(f"{where(i)}: {shown(s)} would be a 7th class; at most {MAX_CLASSES} classes can be read.")
            order.append(s)
    if len(order) == 1:
        raise CsvError(f"Every row has the label {shown(order[0])}: at least two classes are needed.")
    names = tuple(sorted(order))
    index = {s: i for i, s in enumerate(names)}
    y = np.array([index[s] for s in labels], np.int32)
    if len(names) == 2:
        return "classification", np.where(y == 1, 1.0, -1.0).astype(np.float32), names, []
    return "multiclass", y, names, []


def _num(v) -> str:
    """The shortest text that reads back as the same float32."""
    return np.format_float_positional(np.float32(v), unique=True, trim="-")


def label_texts(own: OwnData) -> list[str]:
    if own.problem == "regression":
        return [_num(v) for v in own.y]
    if own.problem == "classification":
        if own.names:
            return [own.names[int(v > 0)] for v in own.y]
        return ["1" if v > 0 else "-1" for v in own.y]
    names = own.names or class_names(int(own.y.max()) + 1 if own.n else 0)
    return [names[int(v)] for v in own.y]


def class_names(k: int) -> tuple[str, ...]:
    """Names for k classes that have none: "class 1" … (sorted as they are numbered)."""
    return tuple(f"class {i + 1}" for i in range(k))


def write_csv(own: OwnData) -> bytes:
    """``own`` as CSV: x1,x2,label,split, one row per point in their order."""
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["x1", "x2", "label", "split"])
    for (a, b), label, test in zip(own.points.tolist(), label_texts(own), own.test.tolist()):
        w.writerow([_num(a), _num(b), label, "test" if test else "train"])
    return out.getvalue().encode()
