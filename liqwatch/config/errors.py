"""The configuration's error type and the formatting of validation errors as ``field.path: message``.

Pydantic's own rendering prints the offending input; a config file holds API keys, so every message here
is built from the field path and the error text only, never from the input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

FIELD_ERROR_TYPE = "liqwatch_field"

# Friendlier wording for the error types a user meets most; the rest keep pydantic's text, which names
# the expected values but not the input.
_MESSAGES = {
    "extra_forbidden": "unknown option (check the spelling; config.example.toml lists every option)",
    "missing": "required option is missing",
}


class ConfigError(ValueError):
    """The configuration cannot be used; ``str(error)`` is a complete multi-line message for the user.

    Attributes:
        problems: one line per problem, ``field.path: message``.
        path: the file that was read, if any.
    """

    def __init__(self, message: str, problems: Sequence[str] = (), path: Path | None = None) -> None:
        super().__init__(message)
        self.problems = tuple(problems)
        self.path = path


def field_error(field: str, message: str) -> PydanticCustomError:
    """An error a model validator raises to blame one field (pydantic would blame the whole model).

    ``field`` is appended to the location of the model being validated, e.g. ``"address"`` inside
    ``accounts[2]`` reads ``accounts[2].address``.
    """
    return PydanticCustomError(FIELD_ERROR_TYPE, "{message}", {"field": field, "message": message})


def format_location(loc: Sequence[str | int]) -> str:
    """``("accounts", 1, "exchange")`` -> ``accounts[1].exchange``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def _join(base: str, field: str) -> str:
    if not base:
        return field
    return f"{base}{field}" if field.startswith("[") else f"{base}.{field}"


def _scrub(message: str, value: Any) -> str:
    # Defence in depth: should some pydantic message ever quote the input, cut it out.
    if isinstance(value, str) and len(value) >= 4 and value in message:
        return message.replace(value, "<hidden>")
    return message


def validation_problems(exc: ValidationError) -> list[str]:
    """One ``path: message`` line per error, without input values."""
    problems = []
    for err in exc.errors(include_url=False, include_input=True):
        ctx = err.get("ctx") or {}
        path = format_location(err["loc"])
        if err["type"] == FIELD_ERROR_TYPE:
            path = _join(path, str(ctx["field"]))
            message = str(ctx["message"])
        else:
            message = _MESSAGES.get(err["type"], err["msg"])
            message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        message = _scrub(message, err.get("input"))
        problems.append(f"{path}: {message}" if path else message)
    return problems


def toml_problem(exc: Exception) -> str:
    """A TOML syntax error without the character it tripped on (it may be part of a secret)."""
    return re.sub(r"((?:invalid|Illegal) character) \S+", r"\1", str(exc))
