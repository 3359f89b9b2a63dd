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
