"""The base of every settings section, and the camera views a setting may name."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

View = Literal["sagittal_left", "sagittal_right", "frontal", "posterior", "oblique"]
"""A camera view (``posescore.constants.VIEWS``)."""


class Section(BaseModel):
    """A settings section: validated, immutable, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")
