"""Client input that FastAPI's defaults would answer with a 500, answered with a 422."""

from __future__ import annotations

import math

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def unicode_text(value: str) -> str:
    r"""``value`` if it encodes as UTF-8, else with each lone surrogate written as its escape.

    A JSON body may carry a lone surrogate (the escape ``\ud800``); UTF-8 cannot.
    """
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


JSON_SAFE = {
    float: lambda value: value if math.isfinite(value) else str(value),
    str: unicode_text,
}
"""Encoders of client input echoed in a 422: NaN and Infinity (Python's JSON parser accepts
them) and lone surrogates cannot be rendered as JSON; each made the answer a 500."""


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with the validation errors and their inputs, as FastAPI answers (``JSON_SAFE``)."""
    detail = jsonable_encoder(exc.errors(), custom_encoder=JSON_SAFE)
    return JSONResponse({"detail": detail}, status_code=422)
