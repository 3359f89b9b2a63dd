"""Helpers of the service tests: a small model, a real server process, test videos."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from unittest import mock

import cv2
import httpx
import numpy as np
import pytest
from contract_support import score_dict
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import sessionmaker

from posescore.compare import features_from_legs
from posescore.constants import SIDES
from posescore.features import aggregate_strides, leg_measure_names
from posescore.model import LegSeverityModel
from posescore.model_design import design_column_names
from posescore.model_file import save_model

POSESCORE = str(Path(sys.executable).with_name("posescore"))
SIGNATURE_ONLY = b"\x00\x00\x00\x20ftypisom" + bytes(300)
"""An MP4 signature followed by nothing playable."""


def make_small_model(folder: Path) -> Path:
    """A fast toy model over the real leg measures: severity ~ plantarflexion at heel strike."""
    measures = leg_measure_names()
    n_cols = len(design_column_names(measures))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, n_cols))
    X[:, 0] = rng.uniform(-10, 40, size=80)  # own ankle plantarflexion at heel strike, deg
    y = np.clip(X[:, 0] / 10, 0, 4)
    model = LegSeverityModel(n_estimators=10).fit(X, y, np.repeat(np.arange(40), 2))
    path = folder / "small.skops"
    save_model(
        model,
        path,
        {
            "name": "api-test-small",
            "version": "test",
            "measures": measures,
            "trained_on": "phantom",
            "clinically_validated": False,
        },
    )
    return path


def score_with_strides(
    pf_left: list[float], pf_right: list[float], seed: int = 0, view: str = "sagittal_left",
    path: str = "secret_patient_name.mp4",
) -> dict:
    """A score dict with per-stride values (no video): ankle plantarflexion at heel strike
    given per stride, every other measure noise around 10; features aggregated from them."""
    rng = np.random.default_rng(seed)
    strides = {}
    for side, pf in zip(SIDES, (pf_left, pf_right)):
        n = len(pf)
        block = {m: [float(v) for v in rng.normal(10, 1, n)] for m in leg_measure_names()}
        block["ankle_plantarflexion_hs_deg"] = [float(v) for v in pf]
        block["stride_time_s"] = [float(v) for v in rng.normal(1.1, 0.03, n)]
        block["stride_start_s"] = [1.1 * i for i in range(n)]
        block["stride_end_s"] = [1.1 * (i + 1) for i in range(n)]
        strides[side] = block
    per_side = {
        side: aggregate_strides({k: np.array(v) for k, v in strides[side].items()}, 2)
        for side in SIDES
    }
    return score_dict(
        video={"path": path, "sha256": "ab" * 32, "duration_s": 6.0},
        view=view,
        quality={"scorable": True, "warnings": []},
        legs={side: {"severity": 1.0} for side in SIDES},
        affected_side="left",
        features=features_from_legs(per_side, view),
        model={"name": "api-test-small"},
        strides=strides,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_blank_video(path: Path, seconds: float = 1.0, fps: float = 30.0) -> Path:
    """A valid MP4 of grey frames (no person) written with OpenCV."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (320, 240))
    for _ in range(int(seconds * fps)):
        writer.write(np.full((240, 320, 3), 128, np.uint8))
    writer.release()
    return path


class Server:
    """``posescore serve`` (or another ``serve`` command taking --host and --port) in its own
    process on 127.0.0.1 and a free port."""

    def __init__(
        self, env: dict[str, str], log_path: Path, serve: Sequence[str] = (POSESCORE, "serve")
    ) -> None:
        self.env = env
        self.log_path = log_path
        self.serve = list(serve)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def create_key(
        self, name: str = "test", tenant: str = "default", scopes: str = "submit,read"
    ) -> str:
        out = subprocess.run(
            [POSESCORE, "create-key", "--name", name, "--tenant", tenant, "--scopes", scopes],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    def start(self, timeout_s: float = 60.0) -> Server:
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [*self.serve, "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/ready", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready: {self.log_path.read_text()[-3000:]}")

    def log_after(self, expected: str, timeout_s: float = 10.0) -> str:
        """The server's log once it holds ``expected``: the access line of a request is
        written after its response has left, so a test reading at once can race it."""
        deadline = time.monotonic() + timeout_s
        while True:
            log = self.log_path.read_text()
            if expected in log or time.monotonic() > deadline:
                return log
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server process only (its workers notice and exit by themselves)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def server_env(tmp: Path, model: Path, database_url: str | None = None, **extra: str) -> dict:
    """Environment of a test server: everything under ``tmp``."""
    env = dict(os.environ)
    env.update(
        POSESCORE_DATA_DIR=str(tmp / "data"),
        POSESCORE_MODEL=str(model),
        POSESCORE_WORKERS="1",
        POSESCORE_POLL_INTERVAL_S="0.2",
        POSESCORE_LOG_LEVEL="info",
        POSESCORE_CACHE=str(tmp / "pose_cache"),  # each server runs MediaPipe itself
    )
    if database_url:
        env["POSESCORE_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def store_done_job(
    sm, patient: str, phase: str, result: dict | None, tenant: str = "default",
    status: str = "done", **columns,
) -> str:
    """Store a finished job of ``tenant`` with ``result`` through the sessionmaker ``sm``.

    ``columns`` set other columns of the job (``session``, ``task``, ``view``, ``error``...).
    """
    from api.db import Job, utcnow

    job_id = uuid.uuid4().hex
    values = dict(session="day1", task="walk_forward", upload_name=f"{uuid.uuid4().hex}.mp4",
                  progress=1.0, stage=status, attempts=1, finished_at=utcnow()) | columns
    with sm() as db:
        db.add(Job(id=job_id, tenant=tenant, status=status, patient=patient, phase=phase,
                   result=result, **values))
        db.commit()
    return job_id


def add_done_job(
    server: Server, patient: str, phase: str, result: dict, tenant: str = "default"
) -> str:
    """Store a finished job of ``tenant`` with ``result`` straight in the server's database."""
    from api.db import make_engine, make_sessionmaker

    engine = make_engine(server.env["POSESCORE_DATABASE_URL"])
    job_id = store_done_job(make_sessionmaker(engine), patient, phase, result, tenant)
    engine.dispose()
    return job_id


def wait_for(client: httpx.Client, path: str, timeout_s: float = 120.0) -> dict:
    """Poll a job or comparison at ``path`` until it is done or failed; its last state."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = client.get(path).json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.3)
    raise TimeoutError(f"{path} still {status['status']}")


def wait_for_job(client: httpx.Client, job_id: str, timeout_s: float = 120.0) -> dict:
    return wait_for(client, f"/v1/jobs/{job_id}", timeout_s)


def wait_for_comparison(client: httpx.Client, comparison_id: str) -> dict:
    return wait_for(client, f"/v1/comparisons/{comparison_id}", 60.0)


PG_URL = os.environ.get("POSESCORE_TEST_PG_URL")
DATABASES = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="POSESCORE_TEST_PG_URL is not set"),
    ),
]


@contextmanager
def fresh_database(kind: str, tmp: Path) -> Iterator[str]:
    """URL of an empty database: a SQLite file under ``tmp`` or a new PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'service.db'}"
        return
    assert PG_URL
    name = f"posescore_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def migrated_database(kind: str, tmp: Path) -> Iterator[sessionmaker]:
    """A session factory on a fresh database (``fresh_database``) at the newest schema."""
    from api.db import make_engine, make_sessionmaker, migrate

    with fresh_database(kind, tmp) as url:
        migrate(url)
        engine = make_engine(url)
        yield make_sessionmaker(engine)
        engine.dispose()


def queue_jobs(sm: sessionmaker, n: int) -> list[str]:
    """Queue ``n`` jobs ``job0``, ``job1``, ... (uploads ``u0.mp4``, ... not stored); their ids."""
    from api.jobs import enqueue

    with sm() as db:
        for i in range(n):
            enqueue(db, job_id=f"job{i}", tenant="default", patient="P1", session="s1",
                    phase="pre", task="walk_forward", upload_name=f"u{i}.mp4")
    return [f"job{i}" for i in range(n)]


@contextmanager
def running_server(
    tmp: Path, kind: str, serve: Sequence[str] = (POSESCORE, "serve"), **extra: str
) -> Iterator[tuple[Server, str]]:
    """A started server (``serve`` command) on a fresh database with its own small model;
    yields it and a key. ``extra``: more environment variables."""
    tmp.mkdir(parents=True, exist_ok=True)
    with fresh_database(kind, tmp) as url:
        server = Server(server_env(tmp, make_small_model(tmp), url, **extra), tmp / "server.log",
                        serve)
        key = server.create_key()
        server.start()
        try:
            yield server, key
        finally:
            server.stop()


def phantom_clip(
    folder: Path, name: str, side: str, severity: float, seed: int, view: str = "sagittal_right"
) -> Path:
    """A 4 s phantom clip filmed from ``view``, rendered once per test session into ``folder``.

    The same seed in another view films the same walk."""
    from posescore.phantom import PhantomParams, render_phantom

    path = folder / f"{name}.mp4"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        params = PhantomParams(
            affected_side=side, severity=severity, view=view, seed=seed, duration_s=4
        )
        render_phantom(params, path)
    return path


@contextmanager
def apps_without_workers(
    tmp: Path, model: Path, url: str | None = None, n_apps: int = 1, **settings: object
) -> Iterator[list[TestClient]]:
    """``n_apps`` started in-process apps on one database (as separate servers would be).

    No worker process is started, so queued jobs and comparisons stay queued. The server's
    umask 077 is undone afterwards.
    """
    from api.app import create_app
    from api.jobs import WorkerPool
    from api.settings import ApiSettings

    api_settings = ApiSettings(data_dir=tmp, database_url=url, model=model, **settings)
    umask = os.umask(0o022)
    os.umask(umask)
    try:
        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(WorkerPool, "start", lambda self: None))
            yield [stack.enter_context(TestClient(create_app(api_settings)))
                   for _ in range(n_apps)]
    finally:
        os.umask(umask)


def key_for(app: TestClient, tenant: str, scopes: tuple[str, ...] = ("submit", "read")) -> dict:
    """Headers with a new key of ``tenant`` made in ``app``'s database."""
    from api.keys import create_key

    with app.app.state.sessionmaker() as db:
        return {"X-API-Key": create_key(db, "t", tenant=tenant, scopes=scopes)[1]}


def upload(app: TestClient, key: dict, content: bytes = SIGNATURE_ONLY, phase: str = "pre"):
    """POST ``content`` as the video of a job of patient P1."""
    return app.post("/v1/jobs", headers=key,
                    data={"patient": "P1", "session": "s1", "phase": phase},
                    files={"video": ("v.mp4", content, "video/mp4")})
