"""The toy lab's CSV reader and writer: each bad file gets its one sentence naming what is wrong
and where; every kind of label is read as the module says; a file written and read back gives
the same data, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

from playground.toy.csvdata import CsvError, read_csv, write_csv
from playground.toy.owndata import OwnData, split_in_turn
from playground.toy.run import ToyRun
from playground.toy.settings import ToySettings

GOOD = "x1,x2,label\n1,2,1\n-1,0.5,-1\n3,-2,1\n0,0,-1\n"


def _read(text: str | bytes):
    return read_csv(text.encode() if isinstance(text, str) else text)


@pytest.mark.parametrize("text,sentence", [
    ("1,2,1\n3,4,-1\n5,6,1\n7,8,-1\n",
     "Row 1 is not a header: the first line must name the columns, x1,x2,label (or x,y,label)."),
    ("x1,x2,class\n1,2,1\n3,4,-1\n5,6,1\n7,8,-1\n",
     "The header (row 1) has no column 'label': it needs x1, x2 and label (or x, y and label)."),
    ("x1,label\n1,1\n3,-1\n5,1\n7,-1\n",
     "The header (row 1) has no column 'x2' or 'y': it needs x1, x2 and label (or x, y and label)."),
    ("x1,x2,label\n1,2,1\n3,abc,-1\n5,6,1\n7,8,-1\n", "Row 3, column 2 (x2): 'abc' is not a number."),
    ("x1,x2,label\n1,2,1\n3,4,-1\n5,6\n7,8,-1\n", "Row 4, column 3 (label) is empty."),
    ("x1,x2,label\n1,2,1\n3,4,-1\n5,,1\n7,8,-1\n", "Row 4, column 2 (x2) is empty."),
    ("x1,x2,label\n1,2,1\nnan,4,-1\n5,6,1\n7,8,-1\n",
     "Row 3, column 1 (x1) is NaN (not a number); coordinates must be finite numbers."),
    ("x1,x2,label\n1,2,1\n3,4,-1\n5,-inf,1\n7,8,-1\n",
     "Row 4, column 2 (x2) is infinite; coordinates must be finite numbers."),
    ("x1,x2,label\n1,2,1\n3,4,-1\n5,6,nan\n7,8,-1\n",
     "Row 4, column 3 (label) is NaN (not a number); labels must be finite numbers or class names."),
    ("x1,x2,label\n1,2,1\n3,4,-1\n5,6,1\n", "The file has 3 rows of data; at least 4 are needed."),
    ("x1,x2,label\n" + "".join(f"{i},{i},{c}\n" for i, c in enumerate("abcdefg")),
     "Row 8, column 3 (label): 'g' would be a 7th class; at most 6 classes can be read."),
    ("x1,x2,label\n1,2,cat\n3,4,cat\n5,6,cat\n7,8,cat\n",
     "Every row has the label 'cat': at least two classes are needed."),
    ("x1,x2,label\n1,2,1\n3,4,1\n5,6,1\n7,8,1\n",
     "Every row has the label 1: at least two classes (or different targets) are needed."),
    ("", "The file is empty."),
    ("\n  \n", "The file is empty."),
    ("x,y,label\n1,2,a\n3,4,b\n5,6,a\n7,,b\n", "Row 5, column 2 (y) is empty."),
    # Found by review: a file without a header whose labels are names; NaN among names; names
    # too long for a neuron's label or holding a control character; a quote left open.
    ("1,2,cat\n3,4,dog\n5,6,cat\n7,8,dog\n",
     "Row 1 is not a header: the first line must name the columns, x1,x2,label (or x,y,label)."),
    ("x1,x2,label\n1,2,cat\n3,4,nan\n5,6,cat\n7,8,dog\n",
     "Row 3, column 3 (label) is NaN (not a number); labels must be finite numbers or class names."),
    ("x1,x2,label\n1,2,cat\n3,4," + "d" * 30 + "\n5,6,cat\n7,8,dog\n",
     "Row 3, column 3 (label): a class name has at most 24 characters; this one has 30."),
    ("x1,x2,label\n1,2,cat\n3,4,d\x1fog\n5,6,cat\n7,8,dog\n",
     "Row 3, column 3 (label): a class name cannot hold control characters (tabs, line breaks and the like)."),
    ('x1,x2,label\n1,2,cat\n3,4,"dog\n5,6,cat\n7,8,dog\n',
     'Row 3 opens a quote (") that is never closed.'),
    # The page's own first line, damaged or contradicted by the rows under it.
    ('# nn-playground data: {"problem": "multiclass"\nx1,x2,label\n1,2,0\n3,4,1\n5,6,2\n7,8,0\n',
     "Row 1 begins as this page's files do (# nn-playground data: …) but the rest of it cannot be read: delete "
     "the line and the labels are read from the file itself."),
    ('# nn-playground data: {"problem": "multiclass", "classes": 3}\nx1,x2,label\n1,2,0\n3,4,1\n5,6,7\n7,8,0\n',
     "Row 5, column 3 (label): '7' is not one of the classes row 1 names ('0', '1', '2')."),
    ('# nn-playground data: {"problem": "regression"}\nx1,x2,label\n1,2,0.5\n3,4,2\n5,6,0\n7,8,0\n',
     "Row 4, column 3 (label): '2' is not a target between −1 and 1, as row 1 says the labels are."),
])
def test_each_bad_file_gets_one_sentence_naming_what_and_where(text, sentence):
    with pytest.raises(CsvError) as e:
        _read(text)
    assert str(e.value) == sentence


def test_a_binary_file_is_refused_naming_the_byte():
    with pytest.raises(CsvError) as e:
        _read(b"PK\x03\x04\x14\x00\x06\x00 spreadsheet")
    assert str(e.value) == ("This is not a text file: byte 6 is a binary zero (a spreadsheet or an image, perhaps); "
                            "save the table as CSV.")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(1, 200))  # no zero byte, but not text either
    with pytest.raises(CsvError, match="This is not a text file"):
        _read(png.replace(b"\x81", b"\xff\xfe\x81"))


def test_files_over_the_limits_are_refused():
    big = ("x1,x2,label\n" + "1.00000000000000000001,2,1\n" * 80_000).encode()  # 2.1 MB
    with pytest.raises(CsvError) as e:
        _read(big)
    assert str(e.value) == f"The file is {len(big) / 1024 / 1024:.1f} MB; files up to 2 MB can be read."
    many = "x1,x2,label\n" + "1,2,1\n2,1,-1\n" * 5001  # 10,002 rows of data
    with pytest.raises(CsvError) as e:
        _read(many)
    assert str(e.value) == "The file has more than 10,000 rows of data: row 10,002 is one too many."
    exactly = "x1,x2,label\n" + "1,2,1\n2,1,-1\n" * 5000
    assert _read(exactly)[0].n == 10_000


def test_labels_minus_one_one_zero_one_names_numbers_and_class_numbers():
    own, said = _read(GOOD)
    assert own.problem == "classification" and own.y.tolist() == [1, -1, 1, -1] and said == []
    own, _ = _read("x,y,label\n1,2,0\n3,4,1\n5,6,1\n7,8,0\n")  # x,y and 0/1: 0 is orange (-1)
    assert own.problem == "classification" and own.y.tolist() == [-1, 1, 1, -1]
    own, _ = _read("label,x2,x1\nsetosa,2,1\nvirginica,4,3\nversicolor,6,5\nsetosa,-6,-5\n")  # any column order
    assert own.problem == "multiclass" and own.names == ("setosa", "versicolor", "virginica")
    assert own.y.tolist() == [0, 2, 1, 0] and own.points.tolist() == [[1, 2], [3, 4], [5, 6], [-5, -6]]
    own, _ = _read("x1,x2,label\n1,2,1\n3,4,2\n5,6,2\n7,8,1\n")  # classes numbered from 1: 1 is orange
    assert own.problem == "classification" and own.y.tolist() == [-1, 1, 1, -1]
    own, said = _read("x1,x2,label\n1,2,0\n3,4,2\n5,6,1\n-5,-6,2\n")
    assert own.problem == "multiclass" and own.y.tolist() == [0, 2, 1, 2]
    assert said == ["The labels 0, 1, 2 are read as 3 classes."]
    own, said = _read("x1,x2,label\n1,2,0.5\n3,4,4\n5,6,-2\n-5,-6,1\n")
    assert own.problem == "regression" and np.allclose(own.y, [0.125, 1, -0.5, 0.25])
    assert said == ["The labels are numbers (not -1/1, 0/1 or class numbers), so the problem is now regression.",
                    "The targets reach 4: all were divided by 4 to lie between −1 and 1."]


def test_coordinates_outside_the_plane_are_scaled_in_and_the_notice_says_by_how_much():
    own, said = _read("x1,x2,label\n100,-20,1\n-300,50,-1\n0,0,1\n150,10,-1\n")
    factor = 6 / 300
    assert np.allclose(own.points, np.array([[100, -20], [-300, 50], [0, 0], [150, 10]]) * factor)
    assert said == ["The coordinates reach 300, outside the plane (−6 to 6): all were multiplied by 0.02 to fit."]


def test_a_semicolon_file_with_a_bom_blank_lines_and_an_extra_column_is_read():
    own, said = _read("\ufeffid;x1;x2;label\n\n1;1;2;a\n2;3;4;b\n\n3;5;6;a\n4;-5;-6;b\n")
    assert own.n == 4 and own.names == ("a", "b") and said == ["Columns ignored: 'id'."]


def test_points_are_split_in_turn_unless_the_file_says():
    own, _ = read_csv(("x1,x2,label\n" + "1,2,1\n2,1,-1\n" * 5).encode(), train_ratio=70)
    # 70 % training: a point is a test point when the test points stay at most 30 % of all.
    assert own.test.tolist() == [False, False, False, True, False, False, True, False, False, True]
    own, _ = _read("x1,x2,label,split\n1,2,1,train\n2,1,-1,test\n3,3,1,TEST\n0,0,-1,train\n")
    assert own.test.tolist() == [False, True, True, False]
    with pytest.raises(CsvError) as e:
        _read("x1,x2,label,split\n1,2,1,train\n2,1,-1,later\n3,3,1,test\n0,0,-1,train\n")
    assert str(e.value) == "Row 3, column 4 (split): 'later' is neither train nor test."


@pytest.mark.parametrize("settings", [
    ToySettings(dataset="spiral", noise=35),
    ToySettings(dataset="gauss", noise=50),  # its points reach past 6: they stay where they were
    ToySettings(problem="multiclass", dataset="blobs", head="softmax_ce", classes=5, noise=30),
    ToySettings(problem="multiclass", dataset="arms", head="softmax_ce", classes=6, noise=20),
    ToySettings(problem="regression", dataset="multi_gauss", head="linear_mse", noise=10),
], ids=["two classes", "noisy gauss", "noisy blobs", "six classes", "regression"])
def test_download_then_upload_gives_the_same_data(settings):
    data = ToyRun(settings).current_data()
    back, said = read_csv(write_csv(data), train_ratio=10)  # the file's split wins over the slider
    assert back.problem == data.problem and said == []
    assert np.array_equal(back.points, data.points) and back.points.dtype == np.float32
    assert np.array_equal(back.y, data.y) and back.y.dtype == data.y.dtype
    assert np.array_equal(back.test, data.test)
    assert write_csv(back) == write_csv(data)  # and a second round trip changes nothing either


def test_named_classes_round_trip_and_the_file_is_what_it_says():
    own = OwnData("multiclass", np.array([[0.1, -5.25], [1 / 3, 2], [6, -6], [0, 1e-7]], np.float32),
                  np.array([2, 0, 1, 2], np.int32), split_in_turn(4, 50), ("bird", "cat", "dog"))
    text = write_csv(own).decode()
    assert text.splitlines() == ['# nn-playground data: {"problem": "multiclass", "classes": 3, "names": ["bird", '
                                 '"cat", "dog"]}', "x1,x2,label,split", "0.1,-5.25,dog,train", "0.33333334,2,bird,test",
                                 "6,-6,cat,train", "0,0.0000001,dog,test"]
    back, _ = read_csv(text.encode())
    assert back.names == own.names and np.array_equal(back.points, own.points) and np.array_equal(back.y, own.y)
    # Without the page's line the same rows are read from their labels alone, as any file is.
    alone, _ = read_csv("\n".join(text.splitlines()[1:]).encode())
    assert alone.names == own.names and np.array_equal(alone.y, own.y)


@pytest.mark.parametrize("own", [
    # Drawn on a 3-class plane, one class never used: still three classes.
    OwnData("multiclass", np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.float32), np.array([0, 2, 2, 0], np.int32),
            split_in_turn(4, 50)),
    # Regression targets that happen to be only -1 and 1: still regression.
    OwnData("regression", np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.float32),
            np.array([1, -1, -1, 1], np.float32), split_in_turn(4, 50)),
    # A file's three named classes, and a fifth drawn with the Classes slider at 5.
    OwnData("multiclass", np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.float32), np.array([0, 1, 2, 4], np.int32),
            split_in_turn(4, 50), ("ant", "bee", "cat")),
    # Two named classes, one name with a comma and quotes (csv quotes it).
    OwnData("classification", np.array([[0, 0], [1, 1], [2, 2], [3, 3]], np.float32),
            np.array([1, -1, -1, 1], np.float32), split_in_turn(4, 50), ('no, "never"', "yes")),
], ids=["a class unused", "regression of ±1", "names and a drawn class", "quoted names"])
def test_what_the_labels_alone_would_not_say_comes_back_too(own):
    back, said = read_csv(write_csv(own))
    assert back.problem == own.problem and said == []
    assert np.array_equal(back.y, own.y) and back.y.dtype == own.y.dtype and np.array_equal(back.points, own.points)
    assert back.names[:len(own.names)] == own.names
    assert write_csv(back) == write_csv(own)


def test_comment_lines_before_the_header_are_skipped_and_rows_keep_their_numbers():
    own, _ = _read("# measured on Monday\n\n# by the class\nx1,x2,label\n1,2,1\n3,4,-1\n5,6,1\n7,8,-1\n")
    assert own.n == 4
    with pytest.raises(CsvError) as e:
        _read("# measured on Monday\nx1,x2,label\n1,2,1\n3,x,-1\n5,6,1\n7,8,-1\n")
    assert str(e.value) == "Row 4, column 2 (x2): 'x' is not a number."
