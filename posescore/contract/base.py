"""The base of every contract model: strict fields, JSON written as validated."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """A part of posescore's JSON output; an unknown field is an error (drift fails tests).

    Fields with a default are optional: :meth:`to_json` leaves them out unless the producer
    set them, so the JSON holds exactly what was produced.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready dict written to disk and returned by the API."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)
