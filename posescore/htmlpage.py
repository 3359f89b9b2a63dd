"""Building blocks of the self-contained HTML reports (``report``, ``visit_report``).

One page with its style sheet, escaped cells, tables, the plain-language summary, the
model's validation statement, and matplotlib figures embedded as base64 PNG URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from posescore import __version__
from posescore.plain import feature_label

SIDE_COLOURS = {"left": "#1f77b4", "right": "#d62728"}

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;
max-width:1100px;color:#222;line-height:1.4;padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;border-bottom:1px solid #ccc;
padding-bottom:3px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.notice{background:#fff3cd;border:1px solid #e0b400;padding:8px 12px;border-radius:4px}
.warn{color:#8a4b00}.yes{color:#0a6b0a;font-weight:600}.no{color:#666}
.chg{color:#123f80;font-weight:700}.inc{color:#b00000;font-weight:600}
img{max-width:100%;height:auto;display:block;margin:6px 0}
.small{font-size:.85em;color:#555}
"""


def esc(x: Any) -> str:
    """``x`` as escaped HTML text; None is empty."""
    return html.escape("" if x is None else str(x))


def num(x: Any, digits: int = 2) -> str:
    """A number with ``digits`` decimals, a dash for None, yes/no for a bool."""
    if x is None:
        return "&ndash;"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float, np.floating)):
        return f"{float(x):.{digits}f}"
    return esc(x)


def figure_png(fig: Figure) -> str:
    """A figure as a ``data:image/png;base64`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def png_bytes(uri: str) -> bytes:
    """The PNG file inside a ``figure_png`` URI."""
    return base64.b64decode(uri.split(",", 1)[1])


def img(uri: str, alt: str) -> str:
    """An embedded image (``figure_png``) with its alternative text."""
    return f'<img src="{uri}" alt="{esc(alt)}">'


def notice_html(notice: Mapping[str, str], tag: str) -> str:
    """One warning (``{code, stage, message}``) as an HTML element; the code in ``data-code``."""
    return (f"<{tag} class='warn' data-code='{esc(notice['code'])}'>"
            f"{esc(notice['message'])}</{tag}>")


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of ready HTML cells (escape text with ``esc``)."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, body: str) -> str:
    """The whole page: title, version and time stamp, then ``body``."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{esc(title)}</h1><p class='small'>posescore {__version__}, {stamp}</p>"
        f"{body}</body></html>"
    )


def model_notice(model: Mapping[str, Any]) -> str:
    """The model's validation statement; always shown."""
    validated = bool(model.get("clinically_validated", False))
    text = (
        f"Model <b>{esc(model.get('name'))}</b> (trained on {esc(model.get('trained_on'))}) "
        f"is {'clinically validated' if validated else '<b>not clinically validated</b>'}."
    )
    if not validated:
        text += (
            " It was trained on synthetic phantom videos only: scores are research "
            "measurements, not a diagnosis; do not base clinical decisions on them."
        )
    if model.get("notice"):
        text += f" <span class='small'>({esc(model['notice'])})</span>"
    return f"<p class='notice'>{text}</p>"



def summary_html(sentences: Sequence[str]) -> str:
    """The plain-language summary (``plain``) as the report's opening list."""
    return "<h2>Summary</h2><ul>" + "".join(f"<li>{esc(s)}</li>" for s in sentences) + "</ul>"



def trends_table_html(trends: Sequence[Mapping[str, Any]]) -> str:
    """Trends (``contract.course.Trend`` as dicts): slope per session with its 95 % CI.

    Measures by their plain names with units (``plain.feature_label``).
    """
    rows = [
        [esc(t["patient_id"]), esc(t["phase"]), esc(t["task"]),
         esc(feature_label(t["measure"], t.get("unit") or "")), num(t["slope_per_session"], 3),
         f"[{t['ci95'][0]:+.3g}, {t['ci95'][1]:+.3g}]" if t.get("ci95") else "&ndash;",
         str(t["n_sessions"]), esc(t["direction"])]
        for t in trends
    ]
    return table(["patient", "phase", "task", "measure (unit)", "slope / session",
                       "95% CI", "n", "trend"], rows)
