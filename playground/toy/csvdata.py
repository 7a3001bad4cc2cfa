"""The toy lab's data as a CSV file: read (with one sentence for whatever is wrong, naming the row
and the column) and written, so that a file downloaded and uploaded again gives the same data.
Parsed by Python's ``csv`` module. No Streamlit here.

A file has a header naming ``x1,x2,label`` (or ``x,y,label``), in any order, and optionally
``split`` (train or test, as the page writes it). Labels are -1/1, 0/1 or 1/2 (two classes), whole
numbers 0…k−1 or 1…k for k = 3 to 6 classes, up to 6 names (text), or other numbers (regression).
Lines before the header that start with ``#`` are comments. The page's own downloads start with
one that says what the labels are (``# nn-playground data: {"problem": …}``): read back, such a
file is taken as it says, not guessed from its labels, and its points are not scaled, so that it
gives exactly the data that was downloaded.
"""
from __future__ import annotations

import csv
import io
import json
import math

import numpy as np

from engine.toydata import DOMAIN, MAX_CLASSES
from playground.shared.fields import shown
from playground.toy.owndata import PROBLEM_CODES, OwnData, all_names, n_classes, split_in_turn

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 10_000
MIN_ROWS = 4
COLUMNS = (("x1", "x"), ("x2", "y"), ("label",))  # each needed column and the names it may have
MAX_NAME = 24  # characters in a class's name (it labels a neuron, a legend and a link)
META = "# nn-playground data:"  # the first line of the page's own files


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
    lines = text.splitlines()
    meta, skip = _meta(lines)
    first = next((line for line in lines[skip:] if line.strip()), "")
    delimiter = next((d for d in ",;\t" if d in first), ",")
    body = io.StringIO(text, newline="")
    for _ in range(skip):
        body.readline()
    reader = csv.reader(body, delimiter=delimiter, strict=True)  # strict: a quote left open is an error
    try:
        done = 0
        header = next(r for r in reader if any(c.strip() for c in r))
        done = reader.line_num
        head_row = reader.line_num + skip
        names = [c.strip().lower() for c in header]
        if all(_number(c) is not None for c in names if c) or len(names) > 1 and all(
                _number(c) is not None for c in names[:2]):
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
            done = reader.line_num  # the rows read so far: an error is in the record after them
            if not any(c.strip() for c in r):
                continue  # a blank line
            row = reader.line_num + skip
            if len(rows) == MAX_ROWS:
                raise CsvError(f"The file has more than {MAX_ROWS:,} rows of data: row {row:,} is one too many.")
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
        row = done + 1 + skip
        if "unexpected end of data" in str(e):
            raise CsvError(f"Row {row:,} opens a quote (\") that is never closed.") from None
        raise CsvError(f"Row {row:,} cannot be read as CSV ({e}).") from None
    except StopIteration:
        raise CsvError("The file is empty.") from None
    if len(rows) < MIN_ROWS:
        raise CsvError(f"The file has {len(rows)} row{'s' * (len(rows) != 1)} of data; at least {MIN_ROWS} are needed.")
    notices = [f"Columns ignored: {', '.join(map(shown, ignored))}."] if ignored else []
    if meta:
        problem, y, class_names, said = _labels_as_said(meta, labels, rows, cols[2], header[cols[2]].strip())
    else:
        problem, y, class_names, said = _labels(labels, rows, cols[2], header[cols[2]].strip())
    notices += said
    points = np.asarray(xy, np.float64)
    reach = float(np.abs(points).max())
    if reach > DOMAIN and not meta:  # the page's own points stay where they were (a noisy set reaches past 6)
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
        if set(values) == {1.0, 2.0}:  # classes numbered from 1: 1 is orange, 2 is blue
            return "classification", np.where(v > 1, 1.0, -1.0).astype(np.float32), (), []
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
            _check_name(s, where(i))
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


def _check_name(s: str, where: str) -> None:
    """A class's name: text, short, printable (it names a neuron, a legend entry and a link)."""
    v = _number(s)
    if v is not None and not math.isfinite(v):
        raise CsvError(f"{where} is {'NaN (not a number)' if math.isnan(v) else 'infinite'}; labels must be finite "
                       f"numbers or class names.")
    if len(s) > MAX_NAME:
        raise CsvError(f"{where}: a class name has at most {MAX_NAME} characters; this one has {len(s):,}.")
    if not s.isprintable():
        raise CsvError(f"{where}: a class name cannot hold control characters (tabs, line breaks and the like).")


def _meta(lines: list[str]) -> tuple[dict | None, int]:
    """The page's own line, if the file starts with one, and how many comment lines come before the
    header (blank lines and lines that start with ``#``)."""
    meta, skip = None, 0
    for line in lines:
        if line.strip() and not line.lstrip().startswith("#"):
            break
        skip += 1
        if line.lstrip().startswith(META):
            meta = _meta_value(line.lstrip()[len(META):], skip)
    return meta, skip


def _meta_value(text: str, row: int) -> dict:
    damaged = CsvError(f"Row {row} begins as this page's files do ({META} …) but the rest of it cannot be read: "
                       f"delete the line and the labels are read from the file itself.")
    try:
        meta = json.loads(text)
    except ValueError:
        raise damaged from None
    if not isinstance(meta, dict) or meta.get("problem") not in PROBLEM_CODES:
        raise damaged
    names = meta.get("names", [])
    if not isinstance(names, list) or len(names) > MAX_CLASSES or not all(isinstance(n, str) for n in names) \
            or len(set(names)) != len(names):
        raise damaged
    for n in names:
        _check_name(n, f"Row {row}")
    if meta["problem"] == "multiclass":
        k = meta.get("classes")
        if not isinstance(k, int) or isinstance(k, bool) or not 3 <= k <= MAX_CLASSES or names and len(names) != k:
            raise damaged
    elif meta["problem"] == "classification" and names and len(names) != 2:
        raise damaged
    return meta


def _labels_as_said(meta: dict, labels: list[str], rows: list[int], col: int, name: str):
    """(problem, y, class names, notices) as the page's own line says the labels are."""
    problem, names = meta["problem"], tuple(meta.get("names", ()))
    where = lambda i: _where(rows[i], col, name)
    if problem == "regression":
        y = []
        for i, s in enumerate(labels):
            v = _number(s)
            if v is None or not math.isfinite(v) or abs(v) > 1:
                raise CsvError(f"{where(i)}: {shown(s)} is not a target between −1 and 1, as row 1 says the labels are.")
            y.append(v)
        return problem, np.asarray(y, np.float32), (), []
    if problem == "classification":
        index = {n: c for n, c in zip(names, (-1.0, 1.0))} if names else {"-1": -1.0, "1": 1.0}
    else:
        index = {n: c for c, n in enumerate(names or map(str, range(meta["classes"])))}
    y = []
    for i, s in enumerate(labels):
        if s not in index:
            raise CsvError(f"{where(i)}: {shown(s)} is not one of the classes row 1 names "
                           f"({', '.join(map(shown, index))}).")
        y.append(index[s])
    return problem, np.asarray(y, np.float32 if problem == "classification" else np.int32), names, []


def _num(v) -> str:
    """The shortest text that reads back as the same float32."""
    return np.format_float_positional(np.float32(v), unique=True, trim="-")


def label_texts(own: OwnData) -> list[str]:
    """Each point's label as the file writes it: a number, or its class's name when the classes
    have names (the file's own, then "class 4" … for classes added on the page)."""
    if own.problem == "regression":
        return [_num(v) for v in own.y]
    if own.problem == "classification":
        if own.names:
            return [own.names[int(v > 0)] for v in own.y]
        return ["1" if v > 0 else "-1" for v in own.y]
    if not own.names:
        return [str(int(v)) for v in own.y]
    names = all_names(own.names, n_classes(own))
    return [names[int(v)] for v in own.y]


def meta_line(own: OwnData) -> str:
    """The first line of the page's own file: what the labels are, so that reading the file back
    gives the same problem, classes and names (a drawn set of 3 classes may hold only two)."""
    meta: dict = {"problem": own.problem}
    if own.problem == "multiclass":
        meta["classes"] = n_classes(own)
    if own.names and own.problem != "regression":
        meta["names"] = list(all_names(own.names, n_classes(own)))
    return f"{META} {json.dumps(meta, ensure_ascii=False)}"


def write_csv(own: OwnData) -> bytes:
    """``own`` as CSV: the page's own line, then x1,x2,label,split, one row per point in their order."""
    out = io.StringIO(newline="")
    out.write(meta_line(own) + "\n")
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["x1", "x2", "label", "split"])
    for (a, b), label, test in zip(own.points.tolist(), label_texts(own), own.test.tolist()):
        w.writerow([_num(a), _num(b), label, "test" if test else "train"])
    return out.getvalue().encode()
