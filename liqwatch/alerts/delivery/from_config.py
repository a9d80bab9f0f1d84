"""Delivery channels from ``[alerts.delivery]``. A webhook whose URL or token cannot be resolved is left
out with a reason (like an account without its key); the others still work."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from pydantic import SecretStr

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.desktop import DesktopNotifier
from liqwatch.alerts.delivery.immediate import ImmediateSender
from liqwatch.alerts.delivery.terminal import ByteStream, TerminalBell, TerminalNotifier, resolve_protocols
from liqwatch.alerts.delivery.webhooks import TELEGRAM_API, WebhookChannel
from liqwatch.config.alerts import AlertDelivery, Webhook
from liqwatch.redact import register_secret


@dataclass(slots=True)
class Deliveries:
    immediate: list[ImmediateSender] = field(default_factory=list)
    webhooks: list[WebhookChannel] = field(default_factory=list)
    bell: TerminalBell | None = None
    problems: list[str] = field(default_factory=list)  # one line each, no secret


def _secret_from(value: SecretStr | None, env_name: str | None, environ: Mapping[str, str],
                 what: str) -> SecretStr | str:
    """The secret, or why it is missing (a str)."""
    if value is not None:
        return value
    if env_name is None:
        return f"no {what} configured"
    raw = environ.get(env_name, "").strip()
    if not raw:
        return f"environment variable {env_name} is not set"
    return SecretStr(raw)


def webhook_channel(hook: Webhook, environ: Mapping[str, str],
                    monotonic: Callable[[], float] = time.monotonic) -> WebhookChannel | str:
    """The channel, or why the webhook is left out."""
    if not hook.enabled:
        return "disabled in the config (enabled = false)"
    token: SecretStr | None = None
    if hook.kind == "telegram":
        url: SecretStr | str = hook.url or (
            _secret_from(None, hook.url_env, environ, "url") if hook.url_env else SecretStr(TELEGRAM_API)
        )
        got = _secret_from(hook.bot_token, hook.bot_token_env, environ, "bot token")
        if isinstance(got, str):
            return got
        token = got
    else:
        url = _secret_from(hook.url, hook.url_env, environ, "url")
    if isinstance(url, str):
        return url
    if hook.url_env is not None and not url.get_secret_value().lower().startswith(("http://", "https://")):
        return f"environment variable {hook.url_env} does not hold an http(s) URL"
    for secret in (url, token):
        if secret is not None:
            register_secret(secret.get_secret_value())  # masked in every log line from now on
    return WebhookChannel(hook.name, hook.kind, url, token=token, chat_id=hook.chat_id,
                          min_level=AlertLevel(hook.min_level), per_minute=hook.rate_limit_per_min,
                          timeout_s=hook.timeout_s, retry_for_s=hook.retry_for_s, monotonic=monotonic)


def build_deliveries(
    cfg: AlertDelivery,
    *,
    terminal: ByteStream | None,
    environ: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] = shutil.which,
    monotonic: Callable[[], float] = time.monotonic,
) -> Deliveries:
    """``terminal``: where the bell and OSC notifications go (the app's TTY); None for no terminal output
    (headless, or output that is not a terminal)."""
    env = os.environ if environ is None else environ
    out = Deliveries()
    if terminal is not None and cfg.bell.enabled:
        out.bell = TerminalBell(terminal, min_level=AlertLevel(cfg.bell.min_level), repeat_s=cfg.bell.repeat_s,
                                per_minute=cfg.bell.rate_limit_per_min, monotonic=monotonic)
        out.immediate.append(out.bell)
    if terminal is not None and cfg.terminal.enabled:
        protocols = resolve_protocols(cfg.terminal.protocols, env)
        out.immediate.append(TerminalNotifier(terminal, protocols, tmux=bool(env.get("TMUX")),
                                              min_level=AlertLevel(cfg.terminal.min_level),
                                              per_minute=cfg.terminal.rate_limit_per_min, monotonic=monotonic))
    if cfg.desktop.enabled:
        desktop = DesktopNotifier(min_level=AlertLevel(cfg.desktop.min_level),
                                  per_minute=cfg.desktop.rate_limit_per_min, which=which, monotonic=monotonic)
        if desktop.available:
            out.immediate.append(desktop)
        else:
            out.problems.append("desktop notifications: notify-send is not on PATH; not sending them")
    for hook in cfg.webhooks:
        got = webhook_channel(hook, env, monotonic)
        if isinstance(got, str):
            out.problems.append(f"webhook {hook.name}: {got}; not sending to it")
        else:
            out.webhooks.append(got)
    return out
