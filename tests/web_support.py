"""Helpers of the web app tests: headless Chromium, a service scoring with a stub, seeded visits.

``stub_visit_score`` stands in for ``posescore.score.score_video`` in real worker processes
(as ``lease_support.stub_score`` does): it returns a valid score of the contract whose legs
depend on the view the clip was stated to have, so a visit of several clips fuses as a real
one would, in a fraction of a second. The service itself never imports this module.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pytest
from api_support import Server, running_server, store_done_job
from contract_support import clip_score

TESTS_DIR = Path(__file__).resolve().parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
TABLET_PX = (768, 1024)
"""Width and height of a tablet held upright, CSS px."""


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (never ``playwright install``); skips without it."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which("chromium")):
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def clip_result(view: str, left: float, right: float, task: str = "walk_forward") -> dict:
    """A stored score of one clip: the near leg of a side view read narrowly (90 % interval
    +-0.4), the far one widely (+-1.5); front and back views read both legs alike."""
    near = {"sagittal_left": "left", "sagittal_right": "right"}.get(view)

    def reading(side: str, severity: float) -> tuple[float, list[float]]:
        half = 0.4 if near in (None, side) else 1.5
        return severity, [max(0.0, severity - half), min(4.0, severity + half)]

    return {**clip_score(view, reading("left", left), reading("right", right)).to_json(),
            "task": task}


@dataclass(frozen=True)
class StubScore:
    """What the stub scorer returns: a score dict behind ``to_dict`` as ``ScoreResult`` has."""

    score: dict

    def to_dict(self) -> dict[str, Any]:
        """The stored result."""
        return self.score


STUB_LEGS = {"left": 2.5, "right": 0.5}
"""Severities the stub gives every clip (the left leg is the affected one)."""


def stub_visit_score(path: Path, settings: Any, *_: Any, task: str = "walk_forward",
                     **__: Any) -> StubScore:
    """Score of any upload in the view it was stated to have (sagittal_left when detected)."""
    view: Optional[str] = settings.signal.view
    if view is None:
        view = "sagittal_left"
    return StubScore(clip_result(view, STUB_LEGS["left"], STUB_LEGS["right"], task))


def create_web_stub_app() -> Any:
    """uvicorn factory: the service whose workers score with ``stub_visit_score``."""
    import api.app
    from api.jobs import WorkerPool

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    api.app.WorkerPool = lambda *a, **k: WorkerPool(*a, **k, scorer=stub_visit_score)  # type: ignore[misc]
    return api.app.create_app()


def stub_server(tmp: Path) -> AbstractContextManager[tuple[Server, str]]:
    """A started service scoring with the stub, on a fresh SQLite database; it and a key."""
    path = os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH")]))
    serve = (sys.executable, "-m", "uvicorn", "--factory", "web_support:create_web_stub_app")
    return running_server(tmp, "sqlite", serve, PYTHONPATH=path)


def seed_visit(server: Server, patient: str, session: str, phase: str,
               clips: list[tuple[str, float, float]]) -> None:
    """Store a visit's finished clips ``(view, left, right)`` straight in the server's database."""
    from api.db import make_engine, make_sessionmaker

    engine = make_engine(server.env["POSESCORE_DATABASE_URL"])
    sm = make_sessionmaker(engine)
    for view, left, right in clips:
        store_done_job(sm, patient, phase, clip_result(view, left, right), session=session,
                       view=view)
    engine.dispose()


def no_horizontal_overflow(page: Any) -> bool:
    """Whether the page fits its viewport's width (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
