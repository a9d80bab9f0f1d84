"""Alert thresholds: the global ``[alerts]`` table and the per-account ``[accounts.alerts]`` overrides.

``risk`` is maintenance margin / equity: 0 is no risk, 1.0 is the exchange's liquidation point. The
rules add up: an account's level is the worst of its risk and of each position's distance to liquidation
in % and in σ (``liqwatch.danger``), so a high-leverage isolated position, whose risk jumps from low to
1.0 within the last fraction of a percent, is warned about by its distance while there is time to act.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from liqwatch.config.alerts_common import MODEL_CONFIG, EnvName, SecretToken, SecretUrl, webhook_name
from liqwatch.config.errors import field_error
from liqwatch.config.heartbeat import Heartbeat

__all__ = ["MODEL_CONFIG", "AlertDelivery", "AlertOverrides", "AlertThresholds", "Heartbeat", "Webhook"]

RiskLevel = Annotated[float, Field(gt=0, le=1.5)]
Hysteresis = Annotated[float, Field(ge=0, lt=0.5)]
DistancePct = Annotated[float, Field(gt=0, le=100)]
DistanceSigma = Annotated[float, Field(gt=0, le=20)]
Seconds = Annotated[float, Field(gt=0, le=3600)]
FundingPerDay = Annotated[float, Field(gt=0)]


AlertLevelName = Literal["info", "warning", "critical", "liquidation_imminent"]
RatePerMinute = Annotated[int, Field(ge=1, le=600)]
TerminalProtocol = Literal["auto", "osc9", "osc777", "osc99"]
WebhookKind = Literal["generic", "ntfy", "telegram", "slack"]


class BellDelivery(BaseModel):
    """``[alerts.delivery.bell]``: the terminal bell (BEL), repeated while a critical alert is unacknowledged."""

    model_config = MODEL_CONFIG

    enabled: bool = True
    """Ring the terminal bell for alerts. Default true."""

    min_level: AlertLevelName = "critical"
    """The lowest level that rings: ``info``, ``warning``, ``critical`` or ``liquidation_imminent``."""

    repeat_s: float = Field(default=30.0, ge=0, le=3600)
    """Ring again every this many seconds while a critical alert is neither acknowledged nor snoozed;
    0 rings once. In [0, 3600]."""

    rate_limit_per_min: RatePerMinute = 6
    """At most this many rings per minute; more are dropped. In [1, 600]."""


class TerminalDelivery(BaseModel):
    """``[alerts.delivery.terminal]``: notifications by terminal escape codes (OSC 9, OSC 777, OSC 99), which
    the terminal turns into desktop notifications, also over SSH and (wrapped for passthrough) inside tmux."""

    model_config = MODEL_CONFIG

    enabled: bool = True
    """Send terminal notifications. Default true; terminals that do not know a code ignore it."""

    min_level: AlertLevelName = "warning"
    """The lowest level that is sent."""

    protocols: tuple[TerminalProtocol, ...] = ("auto",)
    """Which codes to send: ``osc9`` (iTerm2, WezTerm, Windows Terminal, Ghostty), ``osc777`` (foot,
    urxvt, VTE terminals), ``osc99`` (kitty), or ``auto`` (chosen from ``$TERM``/``$TERM_PROGRAM``; OSC 9
    and OSC 777 when the terminal is unknown)."""

    rate_limit_per_min: RatePerMinute = 10
    """At most this many notifications per minute; more are dropped (the app still shows them)."""


class DesktopDelivery(BaseModel):
    """``[alerts.delivery.desktop]``: desktop notifications with ``notify-send`` (Linux), when it is on PATH."""

    model_config = MODEL_CONFIG

    enabled: bool = False
    """Run ``notify-send`` for alerts. Default false (terminal notifications usually suffice)."""

    min_level: AlertLevelName = "critical"
    """The lowest level that is sent."""

    rate_limit_per_min: RatePerMinute = 10
    """At most this many notifications per minute; more are dropped."""


class Webhook(BaseModel):
    """``[[alerts.delivery.webhooks]]``: one HTTP endpoint alerts are POSTed to. Deliveries are kept in the
    database until they succeed, so they survive a restart and are sent once."""

    model_config = MODEL_CONFIG

    name: Annotated[str, AfterValidator(webhook_name)]
    """A unique name, used in the alert log instead of the URL (1-32 characters: ``a-z``, digits, ``_``,
    ``-``). Renaming a webhook orphans its pending deliveries."""

    kind: WebhookKind = "generic"
    """``generic`` (the alert as JSON), ``ntfy`` (a topic URL), ``telegram`` (Bot API ``sendMessage``) or
    ``slack`` (an incoming-webhook URL; Mattermost and Discord's ``/slack`` endpoint accept it too)."""

    enabled: bool = True
    """Set to false to keep the entry without sending to it."""

    url: SecretUrl | None = None
    """The URL, written in the file. It is a secret (anyone holding it can post to you), so prefer
    ``url_env``; it is never logged, stored or printed. For ``telegram``: the Bot API base URL, default
    ``https://api.telegram.org``."""

    url_env: EnvName | None = None
    """The NAME of an environment variable holding the URL (recommended). Set ``url`` or ``url_env``."""

    bot_token: SecretToken | None = None
    """``telegram`` only: the bot token, written in the file (prefer ``bot_token_env``)."""

    bot_token_env: EnvName | None = None
    """``telegram`` only: the NAME of an environment variable holding the bot token."""

    chat_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[-@A-Za-z0-9_]+$")
    """``telegram`` only, and required there: the chat to post to (a number, or ``@channelname``)."""

    min_level: AlertLevelName = "critical"
    """The lowest level that is sent."""

    rate_limit_per_min: RatePerMinute = 20
    """At most this many requests per minute; more wait in the outbox (nothing is dropped)."""

    timeout_s: float = Field(default=10.0, gt=0, le=120)
    """Timeout of one request in seconds, in (0, 120]."""

    retry_for_s: float = Field(default=3600.0, ge=0, le=7 * 86400)
    """Keep retrying a failed delivery (with backoff) for this many seconds after the alert, then give
    up and log it as failed. In [0, 604800]."""

    @model_validator(mode="after")
    def _check_sources(self) -> Webhook:
        if self.url is not None and self.url_env is not None:
            raise field_error("url_env", "choose one: url or url_env")
        telegram = self.kind == "telegram"
        if not telegram and self.url is None and self.url_env is None:
            raise field_error("url", "is required (or url_env)")
        for name in ("bot_token", "bot_token_env", "chat_id"):
            if not telegram and getattr(self, name) is not None:
                raise field_error(name, 'is only used with kind = "telegram"')
        if telegram:
            if self.bot_token is None and self.bot_token_env is None:
                raise field_error("bot_token_env", "is required for telegram (or bot_token)")
            if self.bot_token is not None and self.bot_token_env is not None:
                raise field_error("bot_token_env", "choose one: bot_token or bot_token_env")
            if self.chat_id is None:
                raise field_error("chat_id", "is required for telegram")
        return self


class AlertDelivery(BaseModel):
    """``[alerts.delivery]``: how alerts reach you besides the app: the terminal bell, terminal and desktop
    notifications, and webhooks. Global only (not per account)."""

    model_config = MODEL_CONFIG

    bell: BellDelivery = BellDelivery()
    """``[alerts.delivery.bell]``: the terminal bell."""

    terminal: TerminalDelivery = TerminalDelivery()
    """``[alerts.delivery.terminal]``: OSC 9 / 777 / 99 terminal notifications."""

    desktop: DesktopDelivery = DesktopDelivery()
    """``[alerts.delivery.desktop]``: ``notify-send``."""

    webhooks: tuple[Webhook, ...] = ()
    """``[[alerts.delivery.webhooks]]``: HTTP endpoints (generic JSON, ntfy, Telegram, Slack-compatible)."""

    resend_critical_s: float = Field(default=300.0, ge=0, le=86400)
    """Send a critical alert again through the webhooks every this many seconds while it is neither
    acknowledged nor snoozed, as the bell repeats; 0 sends it once. In [0, 86400]. Default 300."""

    heartbeat: Heartbeat = Heartbeat()
    """``[alerts.delivery.heartbeat]``: a periodic ping for a dead-man's-switch service (off by default)."""

    @model_validator(mode="after")
    def _heartbeat_webhook_exists(self) -> AlertDelivery:
        name = self.heartbeat.webhook
        if name is not None and name not in {h.name for h in self.webhooks}:
            raise field_error("heartbeat.webhook", f"no [[alerts.delivery.webhooks]] is named {name}")
        return self

    @field_validator("webhooks")
    @classmethod
    def _unique_names(cls, value: tuple[Webhook, ...]) -> tuple[Webhook, ...]:
        seen: set[str] = set()
        for hook in value:
            if hook.name in seen:
                raise ValueError(f"two webhooks are named {hook.name}")
            seen.add(hook.name)
        return value


class AlertThresholds(BaseModel):
    """``[alerts]``: when an account or position raises an alert. Also the effective thresholds of one
    account (see ``Settings.alerts_for``)."""

    model_config = MODEL_CONFIG

    warning: RiskLevel = 0.6
    """Risk (maintenance margin / equity) at which a warning is raised. In (0, 1.5]. Default 0.6, above the
    0.5 at which a position opened at its asset's maximum leverage starts wherever maintenance is half the
    initial margin there (Hyperliquid: 1 / (2 x max leverage); Binance's smaller symbols), so that such an
    ordinary position is not warned about at open; the distance rules warn the higher leverages in time."""

    critical: RiskLevel = 0.8
    """Risk at which the alert becomes critical. Must be above ``warning``."""

    liquidation_imminent: RiskLevel = 0.9
    """Risk at which liquidation is imminent (1.0 is the liquidation point). Must be above ``critical``."""

    hysteresis: Hysteresis = 0.05
    """How far risk must fall below a level before its alert clears, so that a ratio hovering at a
    threshold does not flap. In risk units, in [0, 0.5) and below ``warning``."""

    distance_pct_warning: DistancePct | None = 2.0
    """Warn when the mark is within this many percent of a position's liquidation price. Default 2 %:
    about two hours of an ordinary BTC or ETH move, time to add margin or cut the position, and well
    inside the distance at which a 10x position opens (about 9 %)."""

    distance_pct_critical: DistancePct | None = 1.0
    """Critical when the mark is within this many percent of the liquidation price. Default 1 %: a move
    markets make within an hour, often within minutes. Must be below ``distance_pct_warning``."""

    distance_sigma_warning: DistanceSigma | None = 1.0
    """Warn when liquidation is within this many hourly standard deviations of the mark's recent moves
    (volatility-scaled distance): at 1σ the market's ordinary moves reach it within the hour about one
    time in three. Default 1. Adds to the distance and risk rules (a volatile market is warned about
    sooner than 2 %); unused until σ is known."""

    distance_sigma_critical: DistanceSigma | None = 0.5
    """Critical when liquidation is within this many hourly standard deviations: more likely than not
    within the hour. Default 0.5. Must be below ``distance_sigma_warning``."""

    stale_feed_s: Seconds = 30.0
    """Alert when an account's feed has delivered nothing for this many seconds. In (0, 3600]."""

    funding_cost_per_day: FundingPerDay | None = None
    """Optional: alert when the projected funding paid per day exceeds this amount, in the account's
    settlement currency (e.g. USDT)."""

    delivery: AlertDelivery = AlertDelivery()
    """``[alerts.delivery]``: how alerts reach you (see ``AlertDelivery``); global only."""

    @model_validator(mode="after")
    def _check_order(self) -> AlertThresholds:
        if not self.warning < self.critical:
            raise field_error("critical", "must be greater than warning (warning < critical < liquidation_imminent)")
        if not self.critical < self.liquidation_imminent:
            raise field_error(
                "liquidation_imminent",
                "must be greater than critical (warning < critical < liquidation_imminent)",
            )
        if not self.hysteresis < self.warning:
            raise field_error("hysteresis", "must be smaller than warning, or the warning could never clear")
        _check_distance_pair(self.distance_pct_warning, self.distance_pct_critical, "distance_pct")
        _check_distance_pair(self.distance_sigma_warning, self.distance_sigma_critical, "distance_sigma")
        return self


def _check_distance_pair(warning: float | None, critical: float | None, stem: str) -> None:
    # A smaller distance is closer to liquidation, so the critical distance is the smaller one.
    if warning is not None and critical is not None and not critical < warning:
        raise field_error(f"{stem}_critical", f"must be smaller than {stem}_warning (closer to liquidation)")


class AlertOverrides(BaseModel):
    """``[accounts.alerts]``: per-account overrides of ``[alerts]``; an option left out keeps the global
    value. The merged result must satisfy the same rules as ``[alerts]``."""

    model_config = MODEL_CONFIG

    warning: RiskLevel | None = None
    """Overrides ``[alerts].warning`` for this account."""

    critical: RiskLevel | None = None
    """Overrides ``[alerts].critical`` for this account."""

    liquidation_imminent: RiskLevel | None = None
    """Overrides ``[alerts].liquidation_imminent`` for this account."""

    hysteresis: Hysteresis | None = None
    """Overrides ``[alerts].hysteresis`` for this account."""

    distance_pct_warning: DistancePct | None = None
    """Overrides ``[alerts].distance_pct_warning`` for this account."""

    distance_pct_critical: DistancePct | None = None
    """Overrides ``[alerts].distance_pct_critical`` for this account."""

    distance_sigma_warning: DistanceSigma | None = None
    """Overrides ``[alerts].distance_sigma_warning`` for this account."""

    distance_sigma_critical: DistanceSigma | None = None
    """Overrides ``[alerts].distance_sigma_critical`` for this account."""

    stale_feed_s: Seconds | None = None
    """Overrides ``[alerts].stale_feed_s`` for this account."""

    funding_cost_per_day: FundingPerDay | None = None
    """Overrides ``[alerts].funding_cost_per_day`` for this account."""

    def merged_over(self, defaults: AlertThresholds) -> AlertThresholds:
        """The thresholds in force: these overrides over ``defaults``. Raises ``ValidationError``."""
        merged: dict[str, Any] = defaults.model_dump()
        merged.update(self.model_dump(exclude_none=True))
        return AlertThresholds.model_validate(merged)
