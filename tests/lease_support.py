"""Test support of the job leases: a stub scorer, and a uvicorn factory serving with it.

``stub_score`` stands in for ``posescore.score.score_video`` in real worker processes: tests
pass it to ``api.jobs.WorkerPool``, which hands it to its spawned workers by reference, so this
module must be importable there (spawn passes on ``sys.path``; a server started by a test gets
``PYTHONPATH``). The service itself never imports it and has no switch to score otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class StubScore:
    """A stub ``ScoreResult``: records which worker process scored."""

    scored_by: int

    def to_dict(self) -> dict[str, Any]:
        """The stored result."""
        return {"video": {}, "scored_by": self.scored_by}


def stub_score(path: Path, *_: Any, seconds: float, log: Path, **__: Any) -> StubScore:
    """Append ``<upload name> <pid>`` to ``log`` (one line per attempt), sleep, return.

    ``seconds`` long enough (an hour) makes a job that hangs.
    """
    with open(log, "a") as fh:  # one short append: atomic between processes
        fh.write(f"{path.name} {os.getpid()}\n")
    time.sleep(seconds)
    return StubScore(os.getpid())


def attempts_logged(log: Path) -> list[tuple[str, int]]:
    """The (upload name, worker pid) lines ``stub_score`` wrote, in order."""
    lines = log.read_text().splitlines() if log.exists() else []
    return [(name, int(pid)) for name, pid in (line.split() for line in lines)]


def create_stub_app() -> Any:
    """uvicorn factory: the service whose workers score with ``stub_score``.

    ``STUB_SCORE_S`` and ``STUB_SCORE_LOG`` (environment) set its ``seconds`` and ``log``.
    """
    import api.app
    from api.jobs import WorkerPool

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    seconds, log = float(os.environ["STUB_SCORE_S"]), Path(os.environ["STUB_SCORE_LOG"])
    scorer = partial(stub_score, seconds=seconds, log=log)
    api.app.WorkerPool = partial(WorkerPool, scorer=scorer)  # type: ignore[misc]
    return api.app.create_app()


STUB_SERVE = (sys.executable, "-m", "uvicorn", "--factory", "lease_support:create_stub_app")
"""``Server``'s serve command of a service scoring with ``stub_score`` (see ``stub_env``)."""


def stub_env(env: dict[str, str], seconds: float, log: Path) -> dict[str, str]:
    """``env`` (``api_support.server_env``) for ``STUB_SERVE``: stub settings, tests on the path."""
    return {
        **env,
        "STUB_SCORE_S": str(seconds),
        "STUB_SCORE_LOG": str(log),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")])),
    }
