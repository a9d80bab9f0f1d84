"""``liqwatch alerts test [--webhook NAME]``: a test notification through every configured channel (the bell and
terminal notifications when run in a terminal, desktop notifications, every webhook), or through one webhook,
and each one's result. Webhooks are posted directly, not through the outbox: the point is to see the answer
now. Exit 0 when every channel tried succeeded, 1 when one failed or none could be tried."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from liqwatch.commands.errors import UserError

if TYPE_CHECKING:
    from liqwatch.alerts.delivery.from_config import Deliveries
    from liqwatch.alerts.delivery.notification import Notification
    from liqwatch.config.settings import Settings

EXIT_FAILED = 1


@dataclass(frozen=True, slots=True)
class Result:
    channel: str
    outcome: str  # "ok" | "error" | "skipped"
    detail: str = ""

    def line(self) -> str:
        return f"{self.channel:<20} {self.outcome}{': ' + self.detail if self.detail else ''}"


def add_parser(actions: Any) -> None:
    test = actions.add_parser(
        "test", help="send a test notification through every configured channel",
        description="Send a test notification through every configured channel (bell and terminal "
                    "notifications when run in a terminal, desktop notifications, webhooks), or only the "
                    "webhook --webhook names, and print each one's result. Exit 1 if any failed.")
    test.add_argument("--webhook", metavar="NAME", help="only this webhook of [[alerts.delivery.webhooks]]")
    test.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    test.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                      help="configuration file (for [alerts.delivery])")


def test_notification(now: datetime) -> Notification:
    from liqwatch.alert_levels import AlertLevel
    from liqwatch.alerts.delivery.notification import Notification
    from liqwatch.alerts.model import EventKind

    when = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    # Critical, so that it looks (and, on ntfy, rings) as the alerts that matter will.
    return Notification(f"test-{int(now.timestamp())}", "test", EventKind.TEST, AlertLevel.CRITICAL, "", "test", "",
                        None, None, "test notification from liqwatch alerts test: this channel works", when, when)


async def run_tests(deliveries: Deliveries, n: Notification, webhook: str | None,
                    problems: dict[str, str]) -> list[Result]:
    """Every channel of ``deliveries`` (or only the webhook named ``webhook``); ``problems``: webhooks left
    out of ``deliveries``, by name, with the reason."""
    import aiohttp

    from liqwatch.alerts.delivery.immediate import DeliveryError
    from liqwatch.alerts.delivery.webhooks import PermanentError, RetryableError

    results: list[Result] = []
    if webhook is None:
        for channel in deliveries.immediate:
            try:
                await channel.send_test(n)
                results.append(Result(channel.name, "ok"))
            except DeliveryError as exc:
                results.append(Result(channel.name, "error", str(exc)))
        results.extend(Result(f"webhook {name}", "error", why) for name, why in problems.items())
    elif webhook in problems:
        results.append(Result(f"webhook {webhook}", "error", problems[webhook]))
    hooks = [w for w in deliveries.webhooks if webhook is None or w.name == webhook]
    if hooks:
        # trust_env off, as for the outbox: a proxy from the environment would see the URL's secret path.
        async with aiohttp.ClientSession(trust_env=False) as session:
            for hook in hooks:
                try:
                    await hook.send(session, n)
                    results.append(Result(f"webhook {hook.name}", "ok"))
                except (RetryableError, PermanentError) as exc:
                    results.append(Result(f"webhook {hook.name}", "error", str(exc)))
    return results


def _deliveries(settings: Settings) -> tuple[Deliveries, dict[str, str], list[Result]]:
    from liqwatch.alerts.delivery.from_config import build_deliveries, webhook_channel

    cfg = settings.alerts.delivery
    terminal = sys.stdout.buffer if sys.stdout.isatty() else None
    deliveries = build_deliveries(cfg, terminal=terminal)
    problems: dict[str, str] = {}
    built = {w.name for w in deliveries.webhooks}
    for hook in cfg.webhooks:
        got = webhook_channel(hook, os.environ) if hook.name not in built else None
        if isinstance(got, str):
            problems[hook.name] = got
    skipped: list[Result] = []
    if terminal is None:
        for name, section in (("bell", cfg.bell), ("terminal", cfg.terminal)):
            if section.enabled:
                skipped.append(Result(name, "skipped", "standard output is not a terminal"))
    if cfg.desktop.enabled and not any(c.name == "desktop" for c in deliveries.immediate):
        skipped.append(Result("desktop", "error", "notify-send is not on PATH"))
    return deliveries, problems, skipped


def run(args: argparse.Namespace) -> int:
    from liqwatch.commands.monitor_setup import user_settings

    settings = user_settings(getattr(args, "config", None))
    names = [h.name for h in settings.alerts.delivery.webhooks]
    if args.webhook is not None and args.webhook not in names:
        known = ", ".join(names) if names else "none is configured"
        raise UserError(f"--webhook {args.webhook}: no [[alerts.delivery.webhooks]] has that name ({known})")
    deliveries, problems, extra = _deliveries(settings)
    n = test_notification(datetime.now(UTC))
    results = asyncio.run(run_tests(deliveries, n, args.webhook, problems))
    if args.webhook is None:
        results = extra + results
    if getattr(args, "json", False):
        doc = {"results": [{"channel": r.channel, "result": r.outcome, "detail": r.detail or None} for r in results]}
        sys.stdout.write(json.dumps(doc) + "\n")
    else:
        if not results:
            sys.stdout.write("no notification channel is configured (see [alerts.delivery])\n")
        for r in results:
            sys.stdout.write(r.line() + "\n")
    sys.stdout.flush()
    tried = [r for r in results if r.outcome != "skipped"]
    if not tried or any(r.outcome == "error" for r in tried):
        return EXIT_FAILED
    return 0
