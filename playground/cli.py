"""``nn-playground``: a thin wrapper around ``streamlit run`` for the app."""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")


def command(args: list[str]) -> list[str]:
    """The ``streamlit run`` command line for the app, with the user's extra arguments."""
    # A full garbage collection after every run (Streamlit's default) costs ~50 ms with JAX
    # loaded: it would cap live training at a few frames per second.
    defaults = ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--runner.postScriptGC", "false"]
    return [sys.executable, "-m", "streamlit", "run", str(APP), *defaults, *args]


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    port = next((a.split("=", 1)[1] for a in args if a.startswith("--server.port=")), None)
    if port is None and "--server.port" in args:
        port = args[args.index("--server.port") + 1]
    print(f"nn-playground: open http://localhost:{port or 8501} in your browser (Ctrl+C stops it)",
          flush=True)
    cmd = command(args)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
