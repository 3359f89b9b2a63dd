"""``python -m posescore.contract --write DIR``: write the JSON Schemas of the contract."""

from __future__ import annotations

import argparse
from pathlib import Path

from posescore.contract import schema_texts


def main(argv: list[str] | None = None) -> None:
    """Write every schema into ``--write`` (default docs/schema)."""
    parser = argparse.ArgumentParser(prog="python -m posescore.contract", description=__doc__)
    parser.add_argument("--write", type=Path, default=Path("docs/schema"), metavar="DIR")
    out = parser.parse_args(argv).write
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_texts().items():
        (out / name).write_text(text)


if __name__ == "__main__":
    main()
