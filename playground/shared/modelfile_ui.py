"""Model files on a page: download the run (weights, settings, history) as ``.npz``, upload one
to continue training, export the weights as JSON with a standalone NumPy ``predict``."""
from __future__ import annotations

from typing import Callable

import streamlit as st

from engine.modelio import PREDICT_SOURCE, ModelFileError, export_json, load_model
from playground.shared.links import plain
from playground.shared.run import Run


def _load(prefix: str, run_cls: type[Run], adopt: Callable[[Run], None]) -> None:
    """Upload callback: a good file replaces the run; a bad one leaves it exactly as it was."""
    upload = st.session_state.get(f"{prefix}_upload")
    if upload is None:
        return
    try:
        run, notices = run_cls.from_file(load_model(upload.getvalue()))
    except ModelFileError as e:
        st.session_state[f"{prefix}_file_msg"] = ("error", f"{e} The current model is unchanged.")
        return
    adopt(run)
    skipped = f" Skipped settings: {'; '.join(notices)}." if notices else ""
    st.session_state[f"{prefix}_file_msg"] = ("success", f"Loaded “{upload.name}”: epoch {run.epoch}, "
                                                         f"ready to continue training.{skipped}")


def model_file_ui(run: Run, *, prefix: str, adopt: Callable[[Run], None],
                  features: list[str] | None = None) -> None:
    """The model-file controls (for a sidebar or an expander); ``adopt`` receives a loaded run."""
    kind = run.KIND
    st.download_button("Download this model (.npz)", data=run.to_file, file_name=f"nn-playground-{kind}.npz",
                       mime="application/octet-stream", on_click="ignore", key=f"{prefix}_download",
                       icon=":material/download:", use_container_width=True,
                       help="Weights, every setting and the loss history in one file; upload it later to go on")
    st.file_uploader("Continue from a model file", type=["npz"], key=f"{prefix}_upload",
                     on_change=_load, args=(prefix, type(run), adopt))
    message = st.session_state.pop(f"{prefix}_file_msg", None)
    if message:  # it repeats the file's name and what the file says: as plain text, never Markdown
        (st.error if message[0] == "error" else st.success)(plain(message[1]))
    a, b = st.columns(2)
    a.download_button("Weights (JSON)", data=lambda: export_json(run.state.params, run.config.spec, features),
                      file_name=f"nn-playground-{kind}-weights.json", mime="application/json", on_click="ignore",
                      key=f"{prefix}_json", use_container_width=True)
    b.download_button("predict.py", data=PREDICT_SOURCE, file_name="predict.py", mime="text/x-python",
                      on_click="ignore", key=f"{prefix}_predict", use_container_width=True,
                      help="A short NumPy-only function that runs the exported weights")
