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


# A name that reads like a credential: an unknown option with such a name most likely holds one (a typo of
# api_secret, a ``passwd`` or ``token`` the user expected us to read). ``*_env`` names a variable instead.
_SECRET_NAME = re.compile(r"secret|passw|passphrase|pwd|token|api_?key|private|mnemonic|seed|credential|"
                          r"(?:^|[_.-])key(?:$|[_.-])", re.IGNORECASE)
_ALNUM_RUN = re.compile(r"[A-Za-z0-9]+")


def secret_like_name(name: str) -> bool:
    """Whether an option called ``name`` looks like it holds a secret, or is itself one (``looks_like_token``)."""
    if name.lower().endswith("_env"):
        return False
    return bool(_SECRET_NAME.search(name)) or looks_like_token(name)


def looks_like_token(name: str) -> bool:
    """Whether ``name`` reads like a key pasted where an option name goes (TOML keys can be any quoted text):
    a long run of letters mixed with digits, or anything too long or oddly shaped to be an option name."""
    if len(name) > 48 or not re.fullmatch(r"[A-Za-z0-9_.+:/@-]+", name):
        return True
    return any(len(run) >= 12 and not run.isalpha() and not run.isdigit() for run in _ALNUM_RUN.findall(name))


# Parts of an error location that pydantic adds itself: ``[key]`` (a dict key), ``function-after[...]``.
_PYDANTIC_PART = re.compile(r"\[key\]|[a-z][a-z-]*\[.*\]")


def shown_name(name: str) -> str:
    """``name`` as an error message may print it: hidden (only its length said) if it could be a secret."""
    if _PYDANTIC_PART.fullmatch(name) or not looks_like_token(name):
        return name
    return f"<name hidden: {len(name)} characters>"


def format_location(loc: Sequence[str | int]) -> str:
    """``("accounts", 1, "exchange")`` -> ``accounts[1].exchange``; a part that could be a key is hidden."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = shown_name(part)
            out += f".{name}" if out else name
    return out


def _unknown_option(name: str) -> str:
    if looks_like_token(name):
        return ("unknown option whose name looks like a pasted key or secret (neither it nor its value is shown); "
                "remove that line")
    message = _MESSAGES["extra_forbidden"]
    if secret_like_name(name):
        message += "; it looks like a secret: its value is not shown"
    return message


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
            last = err["loc"][-1] if err["loc"] else ""
            if err["type"] == "extra_forbidden" and isinstance(last, str):
                message = _unknown_option(last)
            else:
                message = _MESSAGES.get(err["type"], err["msg"])
            message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        if not path.startswith("ui.bindings."):  # a key name is no secret, and the message must name it
            message = _scrub(message, err.get("input"))
        problems.append(f"{path}: {message}" if path else message)
    return problems


def toml_problem(exc: Exception) -> str:
    """A TOML syntax error without the character it tripped on (it may be part of a secret)."""
    return re.sub(r"((?:invalid|Illegal) character) \S+", r"\1", str(exc))
