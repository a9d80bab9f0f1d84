"""Keep secrets out of logs, screens and tracebacks.

Known secret values (API keys, secrets, passphrases, listen keys) are registered when they are loaded or
issued, and every log record passes through ``RedactingFilter``. Frames and URLs are also scrubbed by shape:
``listenKey=...``, ``signature=...`` and long token-like strings.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import deque
from urllib.parse import quote, quote_plus

_MASK = "***"
_PATTERNS = (
    re.compile(r"(listenKey=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(signature=)[0-9a-fA-F]+", re.IGNORECASE),
    re.compile(r"(\"listenKey\"\s*:\s*\")[^\"]+", re.IGNORECASE),
    # A user-data stream URL carries the listen key as its path (Binance: wss://host/ws/<listenKey>).
    re.compile(r"(/ws/)[A-Za-z0-9]{60,}"),
    # The key, signature and passphrase headers of Binance, Bybit v5 and OKX v5, wherever a header dict is shown.
    re.compile(r"((?:X-MBX-APIKEY|X-BAPI-API-KEY|X-BAPI-SIGN|OK-ACCESS-KEY|OK-ACCESS-SIGN|OK-ACCESS-PASSPHRASE)"
               r"['\"]?\s*[:=]\s*['\"]?)[^'\"\s,}]+", re.IGNORECASE),
)

_lock = threading.Lock()
_secrets: set[str] = set()
#: Credentials shorter than this are masked only as whole tokens (not inside a longer word): an exchange may
#: allow a short one (an OKX passphrase, a ccxt password), and masking it inside other words would garble text.
SHORT_SECRET = 8
_short: set[str] = set()
_short_pattern: re.Pattern[str] | None = None


def register_secret(value: str | None) -> None:
    """Remember a secret so that it is masked wherever it would be logged, whatever its length: a long one
    wherever it occurs, a short one (under SHORT_SECRET) wherever it stands as a token of its own."""
    if not value:
        return
    # As written, and as a URL (a query string) or a JSON text (``\/``) would carry it: a base64 key holds
    # ``+``, ``/`` and ``=``, and an exchange may echo it in either form.
    for form in {value, quote(value, safe=""), quote_plus(value), quote(value), value.replace("/", "\\/")}:
        _register(form)


def _register(value: str) -> None:
    global _short_pattern
    with _lock:
        if len(value) >= SHORT_SECRET:
            _secrets.add(value)
        elif value not in _short:
            _short.add(value)
            # Longest first, so that one short secret inside another does not leave a piece of it shown.
            alternatives = "|".join(re.escape(v) for v in sorted(_short, key=len, reverse=True))
            _short_pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")


#: How many of the latest signatures made (``register_signature``) are masked: one is made per login, and an
#: exchange echoes only the one it was just sent, so the set is bounded rather than grown each reconnect.
RECENT_SIGNATURES = 32
_signatures: deque[str] = deque(maxlen=RECENT_SIGNATURES)


def register_signature(value: str | None) -> None:
    """Remember a signature just made (a websocket login's), masked wherever it would be shown or recorded:
    an exchange may echo it in its refusal. Unlike a credential, only the latest ``RECENT_SIGNATURES`` are
    kept; a short one is never registered (no signature is short)."""
    if not value or len(value) < SHORT_SECRET:
        return
    with _lock:
        if value not in _signatures:
            _signatures.append(value)


def redact(text: str) -> str:
    for pat in _PATTERNS:
        text = pat.sub(lambda m: m.group(1) + _MASK, text)
    with _lock:
        secrets, short = (*_secrets, *_signatures), _short_pattern
    for s in secrets:
        if s in text:
            text = text.replace(s, _MASK)
    if short is not None:
        text = short.sub(_MASK, text)
    return text


def excerpt(raw: str | bytes, limit: int = 200) -> str:
    """A redacted, bounded view of a frame for a log line."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = redact(text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


# A number standing alone (not part of a name such as 1000PEPE or x2): in a frame, an amount, a price or a time.
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w.])")
# An ISO time in a reason written by the feeds ("exchange time 2031-01-01T00:00:00+00:00 is ... ahead"): kept.
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?")
_EVENT_FIELDS = ("e", "channel", "method", "type", "op", "event")


def mask_numbers(text: str) -> str:
    """``text`` with every number replaced by ``#`` (ISO times kept): a log line about a frame says what is
    wrong with it, never the trader's balances, sizes or prices."""
    out, last = [], 0
    for m in _ISO_TIME.finditer(text):
        out.append(_NUMBER.sub("#", text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_NUMBER.sub("#", text[last:]))
    return "".join(out)


def _event_type(text: str) -> str | None:
    try:
        doc = json.loads(text)
    except ValueError:
        return None
    for obj in (doc, doc.get("data") if isinstance(doc, dict) else None):
        if isinstance(obj, dict):
            for key in _EVENT_FIELDS:
                value = obj.get(key)
                if isinstance(value, str) and value:
                    return redact(value)[:40]
    return None


def frame_summary(raw: str | bytes, prefix: int = 80) -> str:
    """What identifies a bad frame in a log line without its content: its length, its event type, and a
    short redacted prefix with every number masked (``excerpt`` would print balances and positions)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    kind = _event_type(text)
    head = mask_numbers(redact(text))  # cut after both: a cut secret or number would escape its pattern
    head = head if len(head) <= prefix else head[:prefix] + "..."
    return f"{len(text)} chars, event {kind or 'unknown'}, starts {head!r}"


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
