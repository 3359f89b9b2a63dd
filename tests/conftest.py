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
