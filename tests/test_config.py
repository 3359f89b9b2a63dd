import pytest
from pydantic import ValidationError

from posescore.config import Settings, load_settings
from posescore.errors import ConfigError


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
    assert default.pose.chunk_processes == default.pose.chunks == 2
    assert Settings().pose.chunk_processes == 1  # the library spawns nothing by itself
    toml = tmp_path / "c.toml"
    toml.write_text("[pose]\nchunk_processes = 1\n")
    assert settings_from(argparse.Namespace(config=str(toml))).pose.chunk_processes == 1
    three = settings_from(argparse.Namespace(config=None, chunks=3))
    assert three.pose.chunks == three.pose.chunk_processes == 3
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0})
    assert settings_from(argparse.Namespace(config=None)).pose.chunk_processes == 1
