import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from posescore.config import (
    MOVED_SETTINGS,
    ExecutionConfig,
    QualityConfig,
    Settings,
    load_settings,
)
from posescore.errors import ConfigError
from posescore.pose.cache import cache_path
from posescore.types import VideoMeta


def test_defaults_are_valid_and_frozen():
    s = Settings()
    assert s.pose.model_complexity == 1
    with pytest.raises(ValidationError):
        s.signal.max_gap_s = 3  # frozen


def test_toml_overrides(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text("[signal]\nlowpass_cutoff_hz = 5.0\n")
    s = load_settings(f)
    assert s.signal.lowpass_cutoff_hz == 5.0
    assert Settings().signal.lowpass_cutoff_hz != 5.0  # defaults untouched


@pytest.mark.parametrize(
    "text,match",
    [("[signal]\nlowpass_cutoff_hz = -1\n", "lowpass_cutoff_hz"), ("[nope]\nx=1\n", "nope"),
     ("not toml ===", "not valid TOML")],
)
def test_bad_config_is_named(tmp_path, text, match):
    f = tmp_path / "s.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_settings(f)


def test_missing_config(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_command_line_tracks_chunks_on_the_usable_cores_unless_configured(tmp_path, monkeypatch):
    import argparse

    from posescore.cli.common import settings_from

    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3})
    default = settings_from(argparse.Namespace(config=None))
    assert default.execution.chunk_processes == default.pose.chunks == 2
    assert Settings().execution.chunk_processes == 1  # the library spawns nothing by itself
    toml = tmp_path / "c.toml"
    toml.write_text("[execution]\nchunk_processes = 1\n")
    assert settings_from(argparse.Namespace(config=str(toml))).execution.chunk_processes == 1
    three = settings_from(argparse.Namespace(config=None, chunks=3))
    assert three.pose.chunks == three.execution.chunk_processes == 3
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert settings_from(argparse.Namespace(config=None)).execution.chunk_processes == 1


def test_a_setting_in_its_old_section_is_read_into_its_new_one_with_a_warning(tmp_path, caplog):
    f = tmp_path / "old.toml"
    f.write_text(
        "[pose]\nchunks = 3\nchunk_processes = 3\nuse_cache = false\n"
        "[gait]\nmin_strides = 4\n[feature]\nmin_strides = 5\n"
        "[video]\nlow_light_luma = 20\n[subject]\nsingle_pass = false\n"
    )
    with caplog.at_level(logging.WARNING, logger="posescore.config"):
        s = load_settings(f)
    assert s.pose.chunks == s.execution.chunk_processes == 3
    assert not s.execution.use_cache and not s.execution.subject_single_pass
    assert s.quality.min_strides_per_leg == 4 and s.quality.min_strides_per_measure == 5
    assert s.quality.low_light_luma == 20
    assert "[gait] min_strides has moved to [quality] min_strides_per_leg" in caplog.text
    assert len(caplog.records) == 6


def test_a_setting_in_both_its_old_and_new_section_is_refused(tmp_path):
    f = tmp_path / "both.toml"
    f.write_text("[pose]\nuse_cache = false\n[execution]\nuse_cache = true\n")
    with pytest.raises(ConfigError, match=r"\[pose\] use_cache moved to \[execution\] use_cache"):
        load_settings(f)


def test_every_moved_setting_exists_in_its_new_place_and_not_in_its_old():
    s = Settings()
    for (old_section, old_key), (new_section, new_key) in MOVED_SETTINGS.items():
        assert old_key not in type(getattr(s, old_section)).model_fields
        assert new_key in type(getattr(s, new_section)).model_fields


EXECUTION_CHANGES = {
    "chunk_processes": 4, "decode_thread": False, "decode_queue_frames": 2,
    "subject_single_pass": False, "meta_index": False, "cache_dir": Path("/elsewhere"),
    "use_cache": False,
}


def test_execution_settings_never_change_the_pose_cache_key():
    assert set(EXECUTION_CHANGES) == set(ExecutionConfig.model_fields)  # a new one: add it
    meta = VideoMeta("x.mp4", "0" * 64, 30.0, 180, 640, 480)
    key = cache_path(meta, Settings()).name
    for name, value in EXECUTION_CHANGES.items():
        changed = Settings(execution=ExecutionConfig(**{name: value}))
        assert cache_path(meta, changed).name == key, name
    assert cache_path(meta, Settings(execution=ExecutionConfig(cache_dir=Path("/e")))).parent == (
        Path("/e")
    )


@pytest.mark.parametrize(
    "section,values",
    [("pose", {"chunks": 3}), ("pose", {"min_detection_confidence": 0.6}),
     ("pose", {"hold_repeated_frames": False}), ("subject", {"screen_first": False}),
     ("subject", {"enabled": False})],
)
def test_algorithm_settings_change_the_pose_cache_key(section, values):
    meta = VideoMeta("x.mp4", "0" * 64, 30.0, 180, 640, 480)
    base = Settings()
    changed = base.model_copy(update={section: getattr(base, section).model_copy(update=values)})
    assert cache_path(meta, changed).name != cache_path(meta, base).name


def test_the_quality_sections_low_light_threshold_reaches_the_probe(tmp_path):
    import cv2
    import numpy as np
    from pose_support import FakeBackend, pose_settings

    from posescore.pose import extract_pose_meta

    dark = tmp_path / "dark.avi"
    writer = cv2.VideoWriter(str(dark), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    for _ in range(20):
        writer.write(np.full((120, 160, 3), 20, np.uint8))
    writer.release()
    settings = pose_settings(tmp_path)
    codes = [w.code for w in extract_pose_meta(dark, settings, backend=FakeBackend())[2].warnings]
    assert "low_light" in codes
    lenient = settings.model_copy(update={"quality": QualityConfig(low_light_luma=10.0)})
    meta = extract_pose_meta(dark, lenient, backend=FakeBackend())[2]
    assert "low_light" not in [w.code for w in meta.warnings]
