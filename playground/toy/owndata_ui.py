"""Your own data, on the page: "Draw data" (a click on the output map adds a point of the chosen
class or value, the eraser removes one, Clear empties the plane), a CSV file uploaded, and the
data in use downloaded as CSV. The data live in the run (``ToyRun.own``); the widgets here hold
only the drawing tool. Callbacks change the run with the page's ``paused`` context.
"""
from __future__ import annotations

import streamlit as st

from playground.shared.links import plain
from playground.shared.pagestate import seed
from playground.toy.classes import CLASS_HEX
from playground.toy.csvdata import CsvError, read_csv, write_csv
from playground.toy.owndata import MAX_LINK_POINTS, OWN, add_point, empty, erase_near
from playground.toy.settings import ToySettings

ERASER = "eraser"
BINARY_TOOLS = {1: "Blue", -1: "Orange"}  # TF Playground's +1 and -1


def _widgets(s: ToySettings) -> dict:
    """The widgets a change of data may change (by key)."""
    return {"dataset": s.dataset, "problem": s.problem, "head": s.head, "classes": s.classes}


def tools(run) -> list:
    """What a click can add: each class (+1/−1 for two classes), a value (regression); then the eraser."""
    s = run.settings
    if s.problem == "classification":
        return [1, -1, ERASER]
    if s.problem == "multiclass":
        return [*range(s.classes), ERASER]
    return ["value", ERASER]


def _tool_label(run):
    names = run.class_names()
    def label(t):
        if t == ERASER:
            return "Eraser"
        if t == "value":
            return "A value"
        if run.settings.problem == "classification":
            two = run.two_names()  # a file's names: "cat (orange)"
            return f"{two[t > 0]} ({BINARY_TOOLS[t].lower()})" if two else BINARY_TOOLS[t]
        return names[t]
    return label


def _swatches(run) -> str:
    """A coloured dot before each class's button (the classes' own colours)."""
    s = run.settings
    colours = (["#0877bd", "#f59322"] if s.problem == "classification"
               else CLASS_HEX[:s.classes] if s.problem == "multiclass" else [])
    return "".join(f".st-key-draw_tool button:nth-of-type({i + 1}) p::before{{content:'';display:inline-block;width:11px;"
                   f"height:11px;border-radius:50%;background:{c};margin-right:5px;vertical-align:-1px}}"
                   for i, c in enumerate(colours))


def split_sentence(train_ratio: int) -> str:
    """How a new point is assigned to training or test, in words that are true of ``next_is_test``."""
    test = 100 - train_ratio
    if test == 50:
        rule = "every second point you add is a test point"
    else:
        rule = f"a new point is a test point whenever that keeps the test points at {test} % of all or fewer"
    return (f"Training data {train_ratio} %: {rule}; the rest are training points. Test points are drawn outlined "
            f"when Show test data is on.")


def _start_drawing(paused) -> None:
    if not st.session_state.get("draw_mode"):
        return
    with paused() as session:
        run = session.run
        if run.settings.dataset != OWN:  # the points in use become yours, to add to or clear
            seed(_widgets(run.set_own(run.current_data())), force=True)


def _clear(paused) -> None:
    with paused() as session:
        run = session.run
        own = run.own if run.settings.dataset == OWN and run.own is not None else None
        names = own.names if own is not None else ()
        seed(_widgets(run.set_own(empty(run.settings.problem, names))), force=True)
        st.session_state.draw_mode = True


def click(session, where: str) -> None:
    """A click on the map while drawing ("p:x:y"): add a point of the chosen class or value there,
    or erase the point nearest to it. The network keeps learning on the changed data."""
    try:
        _, x, y = where.split(":")
        x, y = float(x), float(y)
    except ValueError:
        return
    run = session.run
    # On a generated data set (chosen while drawing), its points become yours, as Draw data does.
    own = run.own if run.settings.dataset == OWN and run.own is not None else run.current_data()
    tool = st.session_state.get("draw_tool")
    if tool not in tools(run):  # no tool chosen (or one of another problem type): the click does nothing
        return
    if tool == ERASER:
        changed = erase_near(own, x, y)
    else:
        label = float(st.session_state.get("draw_value", 0.5)) if tool == "value" else tool
        changed = add_point(own, x, y, label, run.settings.train_ratio)
    if changed is not own:
        was = run.settings
        if _widgets(run.set_own(changed)) != _widgets(was):  # the widgets follow on the next run
            st.session_state._toy_reseed = True


def _upload(key: str, paused) -> None:
    file = st.session_state.get(key)
    if file is None:
        return
    st.session_state.toy_csv_n = st.session_state.get("toy_csv_n", 0) + 1  # an empty uploader again
    name = plain(file.name[:80])
    with paused() as session:
        run = session.run
        try:
            own, notices = read_csv(file.getvalue(), run.settings.train_ratio)
        except CsvError as e:
            text = str(e)
            st.session_state.toy_csv_said = ("error", f"{name} was not loaded: {plain(text[:1].lower() + text[1:])}")
            return
        seed(_widgets(run.set_own(own, keep_network=False)), force=True)
    kinds = {"classification": "two classes", "multiclass": f"{run.settings.classes} classes",
             "regression": "regression"}
    names = f" ({', '.join(own.names)})" if own.names else ""
    said = f"Loaded {own.n:,} points from {name}: {kinds[own.problem]}{plain(names)}, {int((~own.test).sum()):,} for " \
           f"training and {int(own.test.sum()):,} for testing."
    st.session_state.toy_csv_said = ("ok", " ".join([said, *map(plain, notices)]))


def link_note(run) -> str:
    """What the link leaves out: your data when it has more than 200 points ("" when nothing)."""
    if run.settings.dataset == OWN and run.own is not None and run.own.n > MAX_LINK_POINTS:
        return (f"The link does not include your {run.own.n:,} points (a link carries up to {MAX_LINK_POINTS}): "
                f"download them as CSV and share the file.")
    return ""


def own_data_ui(session, paused, teacher) -> None:
    """The data column's part: the drawing mode's switch, the CSV upload and download."""
    run = session.run
    locked = teacher.locks("draw") or teacher.locks("dataset")
    st.toggle("Draw data", key="draw_mode", on_change=_start_drawing, args=(paused,), disabled=locked,
              help="Click on the output map to add points; the network goes on learning from them")
    drawing = bool(st.session_state.get("draw_mode")) and not locked
    if run.settings.dataset == OWN and run.own is not None and run.own.n == 0 and not drawing:
        st.info("No points yet: switch on Draw data and click on the map, or upload a CSV file.",
                icon=":material/touch_app:")
    with st.container(key="toy_csv"), st.expander("CSV file", icon=":material/table:"):
        n = st.session_state.get("toy_csv_n", 0)
        st.file_uploader("Upload your data", key=f"toy_csv_{n}", on_change=_upload, args=(f"toy_csv_{n}", paused),
                         disabled=teacher.locks("csv") or teacher.locks("dataset"),
                         help="Columns x1,x2,label with a header (or x,y,label). Labels: -1/1 or 0/1 (two classes), "
                              "up to 6 class names, or numbers (regression). At most 10,000 rows and 2 MB.")
        said = st.session_state.pop("toy_csv_said", None)
        if said:
            (st.error if said[0] == "error" else st.success)(said[1], icon=":material/error:" if said[0] == "error"
                                                             else ":material/check_circle:")
        st.download_button("Download the data", data=write_csv(run.current_data()), key="toy_csv_download",
                           file_name=f"{run.settings.dataset}.csv", mime="text/csv", icon=":material/download:",
                           use_container_width=True, help="The points in use (generated, drawn or uploaded) as CSV; "
                           "uploading the file again gives the same data")


def draw_tools_ui(session, paused, teacher) -> None:
    """While drawing, above the live view (near the map it acts on): what a click adds, the
    eraser, Clear, and how new points are split. Sets ``session.drawing`` for the map."""
    run = session.run
    session.drawing = ""
    if not st.session_state.get("draw_mode") or teacher.locks("draw") or teacher.locks("dataset"):
        return
    options = tools(run)
    if st.session_state.get("draw_tool") not in options:  # none yet, another problem's, or unchosen by a click
        last = st.session_state.get("_draw_last")
        st.session_state.draw_tool = last if last in options else options[0]
    st.html(f"<style>.st-key-draw_tool div{{flex-wrap:wrap;row-gap:4px}}{_swatches(run)}</style>")
    with st.container(key="draw_bar"):
        cols = st.columns([3.8, 1.7, 1.7, 4], vertical_alignment="bottom")
        with cols[0]:
            tool = st.segmented_control("Each click on the map adds", options, format_func=_tool_label(run),
                                        key="draw_tool", help="The class (or value) of the points a click on the map "
                                        "adds; the eraser removes the point nearest to the click")
        st.session_state._draw_last = tool
        if tool == "value":
            cols[1].slider("Value of new points", -1.0, 1.0, 0.5, 0.1, key="draw_value")
        cols[2].button("Clear", icon=":material/delete_sweep:", key="draw_clear", on_click=_clear, args=(paused,),
                       use_container_width=True, help="Remove every point: start from an empty plane")
        cols[3].caption(("Click on the output map to add a point. " if tool != ERASER else
                         "Click on a point on the output map to remove it. ") + split_sentence(run.settings.train_ratio))
    session.drawing = "erase" if tool == ERASER else "draw"
