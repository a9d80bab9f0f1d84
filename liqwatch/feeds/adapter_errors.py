"""What an adapter raises about an account as a whole (the base decides what becomes of the account)."""

from __future__ import annotations


class MalformedFrame(ValueError):
    """A frame that cannot be used; counted and logged, never fatal."""


class AccountUnusable(Exception):
    """The account's configuration cannot be watched as it stands (a ccxt id the installed ccxt does not have):
    the account is disabled with the reason, not retried."""


class ModeNotModelled(Exception):
    """The account runs under margin rules liqwatch does not implement and its feed cannot go on (e.g. the
    exchange closes this API to such accounts): the account is shown as "mode not modelled", not retried."""
