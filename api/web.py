"""The web app: its page at ``/``, its static files under ``/static``, the measure labels.

Plain HTML, CSS and JavaScript in ``api/static`` (no build step, nothing loaded from another
origin). The page holds no patient data; everything it shows comes from ``/v1`` with the
user's key. ``/vocabulary.json`` gives the tasks, the views a filmer can state, and the
plain-language label of every per-video feature (``posescore.plain``), so the page never
shows a code name.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from posescore.constants import TASKS, VIEWS
from posescore.features.registry import FEATURES
from posescore.plain import measure_label, split_feature

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = STATIC_DIR / "index.html"

web = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def measure_labels() -> dict[str, dict[str, str]]:
    """Feature name -> ``{"side": left|right|asym, "measure": ..., "label": "... (unit)"}``."""
    out = {}
    for name, spec in FEATURES.items():
        side, measure = split_feature(name)
        out[name] = {"side": side, "measure": measure, "label": measure_label(measure, spec.unit)}
    return out


@web.get("/")
def index() -> FileResponse:
    """The web app."""
    return FileResponse(PAGE, media_type="text/html")


@web.get("/vocabulary.json")
def vocabulary() -> dict[str, object]:
    """Tasks, views a clip can be stated to have, and the features' plain labels and legs."""
    return {
        "tasks": list(TASKS),
        "views": list(VIEWS),
        "measures": measure_labels(),
    }


def add_web(app: FastAPI) -> None:
    """Serve the page, its static files and the measure labels from ``app``."""
    app.include_router(web)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
