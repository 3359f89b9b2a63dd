"""One validated configuration object; every threshold lives here with its unit.

Defaults are the embedded defaults; a TOML file (``posescore --config FILE``) or keyword
overrides replace them. Objects are immutable: build a new one with ``model_copy(update=...)``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError, model_validator

from posescore.config.analysis import (
    FeatureConfig,
    GaitConfig,
    ModelConfig,
    PhenomenologyConfig,
    QualityConfig,
    SignalConfig,
    VisitConfig,
)
from posescore.config.base import Section, View
from posescore.config.capture import ExecutionConfig, PoseConfig, SubjectConfig, VideoConfig
from posescore.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "ExecutionConfig", "FeatureConfig", "GaitConfig", "ModelConfig", "PhenomenologyConfig",
    "PoseConfig", "QualityConfig", "Settings", "SignalConfig", "SubjectConfig", "VideoConfig",
    "View", "VisitConfig", "load_settings",
]

logger = logging.getLogger(__name__)


MOVED_SETTINGS: dict[tuple[str, str], tuple[str, str]] = {
    ("pose", "chunk_processes"): ("execution", "chunk_processes"),
    ("pose", "decode_thread"): ("execution", "decode_thread"),
    ("pose", "decode_queue_frames"): ("execution", "decode_queue_frames"),
    ("pose", "meta_index"): ("execution", "meta_index"),
    ("pose", "cache_dir"): ("execution", "cache_dir"),
    ("pose", "use_cache"): ("execution", "use_cache"),
    ("subject", "single_pass"): ("execution", "subject_single_pass"),
    ("video", "low_light_luma"): ("quality", "low_light_luma"),
    ("gait", "min_strides"): ("quality", "min_strides_per_leg"),
    ("feature", "min_strides"): ("quality", "min_strides_per_measure"),
}
"""Settings moved to another section (old place -> new place), still read from the old one
with a warning (``Settings`` moves them)."""


class Settings(Section):
    """All posescore settings."""

    video: VideoConfig = VideoConfig()
    pose: PoseConfig = PoseConfig()
    subject: SubjectConfig = SubjectConfig()
    signal: SignalConfig = SignalConfig()
    gait: GaitConfig = GaitConfig()
    feature: FeatureConfig = FeatureConfig()
    quality: QualityConfig = QualityConfig()
    phenomenology: PhenomenologyConfig = PhenomenologyConfig()
    model: ModelConfig = ModelConfig()
    visit: VisitConfig = VisitConfig()
    execution: ExecutionConfig = ExecutionConfig()

    @model_validator(mode="before")
    @classmethod
    def _move_old_keys(cls, data: Any) -> Any:
        """Read a setting named in its old section (``MOVED_SETTINGS``) into its new one."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for (old_section, old_key), (new_section, new_key) in MOVED_SETTINGS.items():
            old = data.get(old_section)
            if not isinstance(old, dict) or old_key not in old:
                continue
            new = data.get(new_section, {})
            if not isinstance(new, dict):
                raise ValueError(f"[{old_section}] {old_key} moved to [{new_section}] {new_key}")
            if new_key in new:
                raise ValueError(
                    f"[{old_section}] {old_key} moved to [{new_section}] {new_key}, which is "
                    "set too: remove the old one"
                )
            logger.warning(
                "setting [%s] %s has moved to [%s] %s; read from its old place for now",
                old_section, old_key, new_section, new_key,
            )
            data[old_section] = {k: v for k, v in old.items() if k != old_key}
            data[new_section] = {**new, new_key: old[old_key]}
        return data


def load_settings(path: str | Path | None = None) -> Settings:
    """Build settings from the defaults and an optional TOML file.

    Raises
    ------
    ConfigError
        If the file is missing, not TOML or holds an unknown or invalid value.
    """
    if path is None:
        return Settings()
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {p}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {p} is not valid TOML: {exc}") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "".join(f"{x}: " for x in [".".join(str(x) for x in first["loc"])] if x)
        raise ConfigError(f"config file {p}: {where}{first['msg']}") from exc
