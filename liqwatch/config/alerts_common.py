"""What the alert and heartbeat config models share: the model settings, the checks of environment-variable
names, webhook names, URLs and tokens."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, ConfigDict, SecretStr

MODEL_CONFIG = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True, use_attribute_docstrings=True)

_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_WEBHOOK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# What `config check` prints in place of a secret (the same mask as liqwatch.config.accounts.REDACTED,
# which cannot be imported here: accounts imports this module).
_REDACTED = "**********"


def _env_name(value: str) -> str:
    # Upper case only, so a URL or token pasted here by mistake is refused instead of echoed later.
    if not _ENV_NAME.fullmatch(value):
        raise ValueError("must be the NAME of an environment variable (upper-case letters, digits and _)")
    return value


def webhook_name(value: str) -> str:
    if not _WEBHOOK_NAME.fullmatch(value):
        raise ValueError("must be 1-32 characters: lower-case letters, digits, '_' and '-'")
    return value


def _http_url(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value().strip()
    if raw == _REDACTED:
        raise ValueError("is the redaction placeholder printed by `liqwatch config check`, not a URL")
    try:
        parts = urlsplit(raw)
        _ = parts.port
    except ValueError:
        raise ValueError("is not a valid URL (bad host or port)") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return SecretStr(raw)


def _token(value: SecretStr) -> SecretStr:
    raw = value.get_secret_value().strip()
    if not raw:
        raise ValueError("must not be empty")
    if raw == _REDACTED:
        raise ValueError("is the redaction placeholder printed by `liqwatch config check`, not a token")
    return SecretStr(raw)


EnvName = Annotated[str, AfterValidator(_env_name)]
SecretUrl = Annotated[SecretStr, AfterValidator(_http_url)]
SecretToken = Annotated[SecretStr, AfterValidator(_token)]
