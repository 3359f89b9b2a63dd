"""Service settings, read from ``POSESCORE_*`` environment variables (pydantic-settings).

Built on first use by ``get_settings()`` (cached), never at import time.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "posescore"


class ApiSettings(BaseSettings):
    """Settings of the scoring service; each field is the env var ``POSESCORE_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="POSESCORE_", extra="ignore", frozen=True)

    data_dir: Path = Field(
        DEFAULT_DATA_DIR, description="Folder of the default SQLite database and the uploads."
    )
    database_url: Optional[str] = Field(
        None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; "
        "None = SQLite file <data_dir>/posescore.db.",
    )
    upload_dir: Optional[Path] = Field(None, description="Uploads; None = <data_dir>/uploads.")
    max_upload_mb: float = Field(500.0, gt=0, description="Largest accepted upload, MB.")
    min_free_disk_mb: float = Field(
        1024.0, ge=0, description="Disk space, MB, left free: an upload that would eat into "
        "it gets 507."
    )
    retain_uploads: bool = Field(
        False, description="Keep uploaded videos after scoring (default: delete them)."
    )
    overlays: bool = Field(
        True, description="Render each scored job's overlay video (skeleton, flags, every face "
        "found blurred), shown in the web app; erased with the job."
    )
    retention_days: float = Field(
        90.0, ge=0, description="Days a job (score, comparisons, kept video) is kept after "
        "upload; 0 = for ever."
    )
    cors_origins: str = Field(
        "", description="Comma-separated origins allowed by CORS; empty = same origin only."
    )
    docs: bool = Field(
        False, description="Serve the interactive API docs at /docs (Swagger UI from its CDN)."
    )
    workers: int = Field(2, ge=1, le=64, description="Scoring worker processes.")
    poll_interval_s: float = Field(0.5, gt=0, description="Idle worker's queue poll period, s.")
    tenant_queue_limit: int = Field(
        50, ge=1, description="Jobs and comparisons one tenant may have waiting or running; "
        "more get 429."
    )
    queue_limit: int = Field(
        200, ge=1, description="Jobs and comparisons waiting or running over all tenants; "
        "more get 503."
    )
    rate_limit: int = Field(
        600, ge=1, description="/v1 calls one tenant may make per rate window; more get 429."
    )
    rate_window_s: int = Field(60, ge=1, description="Length of the rate window, s.")
    max_attempts: int = Field(
        3, ge=1, description="Times a job is started before a crashing job is marked failed."
    )
    lease_s: float = Field(
        30.0, gt=0, description="Lease of a running job, s: its server renews it every third "
        "of this; a job whose lease expired (its server died) is re-queued by any server."
    )
    job_timeout_s: float = Field(
        1800.0, ge=0, description="Longest a job may run, s: then its worker is killed and "
        "replaced and the job fails; 0 = no limit."
    )
    shutdown_grace_s: float = Field(
        8.0, ge=0, description="On shutdown, time running jobs get to finish, s; then they "
        "go back to the queue (not counted as an attempt)."
    )
    model: Optional[Path] = Field(
        None, description="Severity model (.skops); None = the shipped default."
    )
    config: Optional[Path] = Field(None, description="posescore TOML settings for scoring.")
    log_level: str = Field("info", description="uvicorn and service log level.")

    @property
    def url(self) -> str:
        """The database URL actually used."""
        return self.database_url or f"sqlite:///{self.data_dir / 'posescore.db'}"

    @property
    def uploads(self) -> Path:
        """The folder uploads are stored in (under random names)."""
        return self.upload_dir or self.data_dir / "uploads"

    @property
    def overlays_dir(self) -> Path:
        """The folder of the jobs' overlay videos (``api.overlays``)."""
        return self.data_dir / "overlays"

    @property
    def max_upload_bytes(self) -> int:
        """The upload cap in bytes."""
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def cors_origin_list(self) -> list[str]:
        """CORS origins as a list."""
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


@lru_cache(maxsize=1)
def get_settings() -> ApiSettings:
    """Return the service settings from the environment, built once."""
    return ApiSettings()
