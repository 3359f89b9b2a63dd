"""Batch on a real Dask cluster (worker processes over TCP on loopback) equals the local run."""

import json

import pytest

from posescore.batch import run_batch
from posescore.config import Settings
from posescore.errors import PosescoreError
from posescore.phantom import PhantomParams, render_phantom

distributed = pytest.importorskip("distributed")


def _settings(cache):
    s = Settings()
    return s.model_copy(update={"execution": s.execution.model_copy(update={"cache_dir": cache})})


def _comparable(path):
    data = json.loads(path.read_text())
    data.pop("timings")
    data.pop("batch")  # run id and time stamp
    return data


@pytest.mark.slow
def test_dask_batch_equals_local_run(tmp_path):
    videos = tmp_path / "videos"
    render_phantom(
        PhantomParams(affected_side="left", severity=2.0, duration_s=4.0, seed=1),
        videos / "a.mp4",
    )
    render_phantom(
        PhantomParams(affected_side="none", severity=0.0, duration_s=4.0, seed=2,
                      view="sagittal_right"),
        videos / "site" / "b.mp4",
    )
    local = run_batch(videos, tmp_path / "local", _settings(tmp_path / "cache_local"),
                      progress=False)
    assert local.scored == 2

    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        remote = run_batch(videos, tmp_path / "dask", _settings(tmp_path / "cache_dask"),
                           progress=False, scheduler=address)
    assert remote.scored == 2 and remote.failed == 0
    for name in ("a.mp4.json", "site__b.mp4.json"):
        remote_json = _comparable(tmp_path / "dask" / name)
        assert remote_json == _comparable(tmp_path / "local" / name)
        assert remote_json["pose_from_cache"] is False  # computed on the cluster, not reused
    assert (tmp_path / "dask" / "scores.csv").read_text() == (
        tmp_path / "local" / "scores.csv"
    ).read_text()


@pytest.mark.slow
def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "x.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    with pytest.raises(PosescoreError, match="Dask scheduler"):
        run_batch(videos, tmp_path / "out", Settings(), progress=False,
                  scheduler="tcp://127.0.0.1:9")
