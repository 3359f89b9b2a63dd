"""Fixtures shared by every tier: an isolated pose cache, toy models, counted decoding.

Set-up and shared state are fixtures here (and in ``e2e/conftest.py``); the support modules
beside this file keep the pure helpers (builders of arrays, settings and score dicts, schema
assertions) and the building blocks the fixtures wrap, importable as before.
"""

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _isolated_pose_cache(tmp_path_factory):
    """Tests never write into the user's pose cache."""
    cache = tmp_path_factory.mktemp("pose_cache")
    old = os.environ.get("POSESCORE_CACHE")
    os.environ["POSESCORE_CACHE"] = str(cache)
    yield cache
    if old is None:
        os.environ.pop("POSESCORE_CACHE", None)
    else:
        os.environ["POSESCORE_CACHE"] = old


@pytest.fixture
def decode_counter(monkeypatch):
    """Every OpenCV capture opened during the test: ``{"grabbed", "retrieved"}`` frames each.

    ``grab``/``read`` count a frame grabbed (demuxed and decoded), ``retrieve``/``read`` one
    retrieved (converted to BGR).
    """
    import cv2

    real = cv2.VideoCapture
    captures: list[dict[str, int]] = []

    class CountingCapture:
        def __init__(self, *args):
            self._cap = real(*args)
            self.stats = {"grabbed": 0, "retrieved": 0}
            captures.append(self.stats)

        def grab(self):
            ok = self._cap.grab()
            self.stats["grabbed"] += bool(ok)
            return ok

        def retrieve(self, *args):
            ok, frame = self._cap.retrieve(*args)
            self.stats["retrieved"] += bool(ok)
            return ok, frame

        def read(self, *args):
            ok, frame = self._cap.read(*args)
            self.stats["grabbed"] += bool(ok)
            self.stats["retrieved"] += bool(ok)
            return ok, frame

        def __getattr__(self, name):
            return getattr(self._cap, name)

    monkeypatch.setattr(cv2, "VideoCapture", CountingCapture)
    return captures


@pytest.fixture(scope="session")
def small_model_path(tmp_path_factory):
    """The service tests' toy model file (``api_support.make_small_model``), fitted once."""
    from api_support import make_small_model

    return make_small_model(tmp_path_factory.mktemp("small_model"))


@pytest.fixture(scope="session")
def phantom_model_path(tmp_path_factory):
    """The model trained on stored phantom features (``session_support.phantom_model``)."""
    from session_support import phantom_model

    return phantom_model(tmp_path_factory.mktemp("phantom_model"))


@pytest.fixture(scope="session")
def phantom_clips(tmp_path_factory):
    """``phantom_clips(name, side, severity, seed, view="sagittal_right")``: a 4 s phantom
    clip, rendered once a session.

    The same name gives the same file in every test (``api_support.phantom_clip``).
    """
    from api_support import phantom_clip

    folder = tmp_path_factory.mktemp("phantom_clips")

    def clip(name, side, severity, seed, view="sagittal_right"):
        return phantom_clip(folder, name, side, severity, seed, view)

    return clip
