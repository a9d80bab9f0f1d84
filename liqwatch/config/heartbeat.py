"""``[alerts.delivery.heartbeat]``: a periodic ping for a dead-man's-switch service (healthchecks.io, Dead Man's
Snitch, Uptime Kuma "push", Cronitor...), which alerts you when the pings stop, and the "liqwatch stopped"
notice sent to the same place at a clean exit."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, model_validator

from liqwatch.config.alerts_common import MODEL_CONFIG, EnvName, SecretUrl, webhook_name
from liqwatch.config.errors import field_error


class Heartbeat(BaseModel):
    """``[alerts.delivery.heartbeat]``: off unless ``url``, ``url_env`` or ``webhook`` is set."""

    model_config = MODEL_CONFIG

    url: SecretUrl | None = None
    """The ping URL, written in the file (a secret: prefer ``url_env``). Each ping is an HTTP POST with a
    small JSON body (``"event": "heartbeat"``)."""

    url_env: EnvName | None = None
    """The NAME of an environment variable holding the ping URL (recommended)."""

    webhook: Annotated[str, AfterValidator(webhook_name)] | None = None
    """Or the name of one of ``[[alerts.delivery.webhooks]]``: the pings go there, in its format. Set one
    of ``url``, ``url_env`` and ``webhook``."""

    interval_s: float = Field(default=60.0, ge=5, le=86400)
    """Seconds between pings, in [5, 86400]. A ping is sent only while snapshots are being evaluated, so a
    stalled monitor stops pinging too. Set the service's grace period above this."""

    on_stop: bool = True
    """Also send "liqwatch stopped" there when liqwatch exits cleanly. An unclean stop (killed, crashed)
    cannot send it: the next start reports it as an alert instead."""

    timeout_s: float = Field(default=10.0, gt=0, le=60)
    """Timeout of one ping in seconds, in (0, 60]."""

    @property
    def enabled(self) -> bool:
        return self.url is not None or self.url_env is not None or self.webhook is not None

    @model_validator(mode="after")
    def _one_target(self) -> Heartbeat:
        if sum(x is not None for x in (self.url, self.url_env, self.webhook)) > 1:
            raise field_error("url_env", "choose one: url, url_env or webhook")
        return self
