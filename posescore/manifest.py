"""One reader for every manifest CSV: courses, profiles, visits, ratings, phantom sets.

A manifest's columns are declared (:class:`Column`): required or optional, of a kind (text,
path, number, choice), with a default for an empty cell. :func:`read_manifest` checks the
header, converts every cell and returns typed rows; relative paths are taken from the
manifest's folder, other columns are ignored. Bad input raises :class:`ManifestError` naming
the file, the line (the header is line 1) and the column.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional

from posescore.errors import PosescoreError

REQUIRED: Any = object()
"""``Column.default`` of a cell that must not be empty."""


class ManifestError(PosescoreError):
    """A manifest CSV is malformed; the message names the file, line and column."""


@dataclass(frozen=True)
class Column:
    """One column of a manifest: its name, kind and what an empty cell means."""

    name: str
    kind: Literal["text", "path", "number", "choice"] = "text"
    required: bool = True
    """Whether the header must name it (an absent optional column reads as empty cells)."""
    default: Any = REQUIRED
    """Value of an empty cell; ``REQUIRED``: an empty cell is an error."""
    choices: tuple[str, ...] = ()
    """Allowed values of a ``choice`` column."""
    lower: bool = False
    """Compare a ``choice`` in lower case."""
    bounds: Optional[tuple[float, float]] = None
    """Allowed range of a ``number`` (inclusive)."""
    must_exist: bool = False
    """A ``path`` must name an existing file."""


@dataclass(frozen=True)
class ManifestRow:
    """One row: its line in the file and its converted values by column name."""

    file: Path
    line: int
    values: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        """The converted value of ``column``."""
        return self.values[column]

    def error(self, problem: str) -> ManifestError:
        """An error about this row, naming the file and line."""
        return ManifestError(f"{self.file.name}, line {self.line}: {problem}")


@dataclass(frozen=True)
class Manifest:
    """A manifest read: its file, the columns its header names and its rows."""

    file: Path
    columns: tuple[str, ...]
    rows: list[ManifestRow]


def read_manifest(path: str | Path, columns: Sequence[Column], what: str = "manifest") -> Manifest:
    """Read and check a manifest CSV (UTF-8, with or without a byte-order mark).

    Parameters
    ----------
    path : str or Path
        The CSV; relative paths in it are taken from its folder.
    columns : sequence of Column
        The columns read; others are ignored.
    what : str
        What the file is, for the message when it is missing ("manifest", "ratings").

    Raises
    ------
    ManifestError
        Missing file, missing required column, no row, or a bad cell (empty, not a number,
        out of range, unknown choice, file not found), naming the file, line and column.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"{what} not found: {path.name}")
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = tuple((name or "").strip() for name in reader.fieldnames or ())
        missing = [c.name for c in columns if c.required and c.name not in header]
        if missing:
            raise ManifestError(f"{path.name}: missing column(s) {', '.join(missing)}")
        rows = []
        for raw in reader:
            cells = {(k or "").strip(): (v or "").strip() for k, v in raw.items()
                     if isinstance(v, str)}
            row = ManifestRow(path, reader.line_num, {})
            row.values.update({c.name: _cell(c, cells.get(c.name, ""), row) for c in columns})
            rows.append(row)
    if not rows:
        raise ManifestError(f"{path.name} lists no rows")
    return Manifest(path, header, rows)


def _cell(column: Column, text: str, row: ManifestRow) -> Any:
    """The value of one cell, converted and checked."""
    name = column.name
    if not text:
        if column.default is REQUIRED:
            raise row.error(f"empty {name}")
        return column.default
    if column.kind == "number":
        try:
            value = float(text)
        except ValueError:
            raise row.error(f"{name} {text!r} is not a number") from None
        lo, hi = column.bounds or (-math.inf, math.inf)
        if not (math.isfinite(value) and lo <= value <= hi):
            raise row.error(f"{name} {value:g} is outside {lo:g}-{hi:g}")
        return value
    if column.kind == "choice":
        value = text.lower() if column.lower else text
        if value not in column.choices:
            raise row.error(f"unknown {name} {text!r}; choose one of {', '.join(column.choices)}")
        return value
    if column.kind == "path":
        video = Path(text)
        video = video if video.is_absolute() else row.file.parent / video
        if column.must_exist and not video.is_file():
            raise row.error(f"{name} {text!r} not found")
        return video
    return text
