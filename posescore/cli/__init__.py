"""Command line: ``posescore score|compare|course|batch|phantom|...``: a thin shell.

One module per group of commands (``scoring``, ``sessions``, ``phantom``, ``models``,
``service``); each defines its commands and an ``add_<command>`` that declares the options.
Nothing heavy is imported before a command runs (``posescore --help`` imports neither
pydantic nor numpy; see ``tests/integration/test_startup.py``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Optional

from posescore import __version__
from posescore.cli import models, phantom, scoring, service, sessions
from posescore.cli.common import check_outputs
from posescore.errors import PosescoreError
from posescore.logs import filter_native_stderr, quiet_native_logs

COMMANDS = (
    scoring.add_score,
    sessions.add_compare,
    sessions.add_course,
    scoring.add_batch,
    sessions.add_profile,
    sessions.add_visit,
    phantom.add_phantom,
    models.add_train,
    models.add_evaluate,
    models.add_normative,
    models.add_train_phantom,
    service.add_serve,
    service.add_keys,
    service.add_audit,
)
"""The sub-commands in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """Argument parser of the ``posescore`` command."""
    parser = argparse.ArgumentParser(
        prog="posescore", description="Score focal leg dystonia from walking videos."
    )
    parser.add_argument("--version", action="version", version=f"posescore {__version__}")
    parser.add_argument("--config", help="TOML settings file (see docs)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 error, 2 usage)."""
    quiet_native_logs()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        check_outputs(args)
        return int(args.func(args))
    except PosescoreError as exc:
        if args.debug:
            raise
        print(f"posescore: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("posescore: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"posescore: internal error: {type(exc).__name__}: {exc} (rerun with --debug)",
            file=sys.stderr,
        )
        return 1


def run() -> None:
    """The ``posescore`` program: :func:`main` on the command line.

    MediaPipe's native log lines are kept off stderr unless ``--verbose``
    (``logs.filter_native_stderr``).
    """
    if not {"-v", "--verbose"} & set(sys.argv[1:]):
        filter_native_stderr()
    sys.exit(main())

