"""The scoring service's commands: ``serve``, ``keys`` (and ``create-key``), ``audit``."""

from __future__ import annotations

import argparse
import json
import sys

from posescore.errors import PosescoreError


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the scoring service (FastAPI + worker pool) with uvicorn."""
    from api.app import serve

    serve(args.host, args.port)
    return 0


def _aligned(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in rows)


def cmd_keys(args: argparse.Namespace) -> int:
    """Create, list, revoke or rotate API keys of the service (stored hashed)."""
    from api.db import configured_session
    from api.keys import create_key, key_table, parse_scopes, revoke_key, rotate_key

    with configured_session() as db:
        if args.action == "create":
            expires = None if args.expires_days <= 0 else args.expires_days
            row, key = create_key(db, args.name, args.tenant, parse_scopes(args.scopes), expires)
        elif args.action == "rotate":
            row, key = rotate_key(db, args.id)
        elif args.action == "revoke":
            revoke_key(db, args.id)
            print(f"key {args.id} revoked")
            return 0
        else:
            rows = key_table(db)
            if args.format == "jsonl":
                print("\n".join(json.dumps(r) for r in rows))
            else:
                print(_aligned([list(rows[0])] + [list(r.values()) for r in rows]) if rows else "")
            return 0
    print(key)  # shown once: only its SHA-256 is stored
    print(f"key {row.id} (tenant {row.tenant}, scopes {row.scopes})", file=sys.stderr)
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """Export the service's audit log from a time on, as CSV or JSON lines."""
    import csv
    from datetime import datetime

    from api.audit import FIELDS, audit_rows
    from api.db import configured_session

    try:
        since = datetime.fromisoformat(args.since)
    except ValueError:
        raise PosescoreError(
            f"--since {args.since!r} is not an ISO date or time, e.g. 2026-12-01T08:00"
        ) from None
    with configured_session() as db:
        rows = audit_rows(db, since)
        if args.format == "jsonl":
            for row in rows:
                print(json.dumps(row))
        else:
            writer = csv.DictWriter(sys.stdout, FIELDS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return 0


def add_serve(sub: argparse._SubParsersAction) -> None:
    """The ``serve`` command's options."""
    p = sub.add_parser("serve", help="run the scoring service (REST API and upload page)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (0.0.0.0 in a container)")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_serve)


def add_keys(sub: argparse._SubParsersAction) -> None:
    """The ``keys`` command's options."""
    p = sub.add_parser("keys", help="API keys of the service: create, list, revoke, rotate")
    keys = p.add_subparsers(dest="action", required=True)
    create = keys.add_parser("create", help="create a key and print it once")
    # `posescore create-key` is the same command under its first name (existing scripts)
    alias = sub.add_parser("create-key", help="same as `keys create`")
    for q in (create, alias):
        q.add_argument("--name", required=True, help="who or what uses the key")
        q.add_argument("--tenant", default="default",
                       help="clinic or department whose jobs and patients the key sees")
        q.add_argument("--scopes", default="submit,read",
                       help="comma-separated among submit, read, admin")
        q.add_argument("--expires-days", type=float, default=365,
                       help="lifetime in days; 0 = never expires")
        q.set_defaults(func=cmd_keys, action="create")
    q = keys.add_parser("list", help="every key: id, name, tenant, scopes, state, times")
    q.add_argument("--format", choices=("table", "jsonl"), default="table",
                   help="aligned table, or one JSON object per line")
    for action, text in (("revoke", "revoke a key at once"),
                         ("rotate", "print a new key with the same settings; revoke the old")):
        keys.add_parser(action, help=text).add_argument("id", type=int, help="key id (keys list)")
    p.set_defaults(func=cmd_keys)


def add_audit(sub: argparse._SubParsersAction) -> None:
    """The ``audit`` command's options."""
    p = sub.add_parser("audit", help="export the service's audit log (who read or wrote what)")
    p.add_argument("--since", required=True, help="ISO date or time (UTC unless it has a zone)")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.set_defaults(func=cmd_audit)
