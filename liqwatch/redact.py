"""Keep secrets out of logs, screens and tracebacks.

Known secret values (API keys, secrets, passphrases, listen keys) are registered when they are loaded or
issued, and every log record passes through ``RedactingFilter``. Frames and URLs are also scrubbed by shape:
``listenKey=...``, ``signature=...`` and long token-like strings.
"""

from __future__ import annotations

import logging
import re
import threading

_MASK = "***"
_PATTERNS = (
    re.compile(r"(listenKey=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(signature=)[0-9a-fA-F]+", re.IGNORECASE),
    re.compile(r"(\"listenKey\"\s*:\s*\")[^\"]+", re.IGNORECASE),
    # A user-data stream URL carries the listen key as its path (Binance: wss://host/ws/<listenKey>).
    re.compile(r"(/ws/)[A-Za-z0-9]{60,}"),
    re.compile(r"(X-MBX-APIKEY['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE),
)

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is masked wherever it would be logged. Short values are not masked
    (they would mask ordinary text) and are refused as secrets by the config layer anyway."""
    if value and len(value) >= 8:
        with _lock:
            _secrets.add(value)


def redact(text: str) -> str:
    for pat in _PATTERNS:
        text = pat.sub(lambda m: m.group(1) + _MASK, text)
    with _lock:
        secrets = tuple(_secrets)
    for s in secrets:
        if s in text:
            text = text.replace(s, _MASK)
    return text


def excerpt(raw: str | bytes, limit: int = 200) -> str:
    """A redacted, bounded view of a frame for a log line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        clean = redact(msg)
        if clean != msg or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Format the traceback here, redacted; the handler's formatter then uses this text as it is.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Filter every handler of ``logger`` (the root by default) and logging's last-resort handler.

    Handlers, not loggers: a logger's own filters do not see records propagated from its children."""
    target = logger or logging.getLogger()
    handlers = list(target.handlers)
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
