"""Exchange profiles: what the adapter contract suite needs to know of one exchange to run every scenario on it.

A profile says how to reach the exchange in the emulator (its fault targets and socket kinds), which demo
account the suite watches, the channels that account has, the REST paths of its snapshot, and how to craft
its frames. A later adapter (Bybit, OKX, ccxt) joins the suite by adding one profile to ``PROFILES`` (and its
emulator): every contract test then runs on it too. A scenario only one exchange has lives in a test file
named for it (``test_binance_only.py``, ...), not here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liqwatch.emulator.streams import ConnKind
from tests.feeds.contract import bybit_frames, frames

#: A decoded frame -> its exchange time in ms if it is one of the frames a renewal must hand on once, else None.
Stamp = Callable[[Any], int | None]
#: (template frame or None, price, exchange time in ms) -> a crafted mark frame.
MarkFrame = Callable[[str | None, str, int], str]
#: (template frame or None, BTC long size, exchange time in ms, wallet or None) -> a crafted account frame.
PositionFrame = Callable[[str | None, str, int, str | None], str]


@dataclass(frozen=True)
class ExchangeProfile:
    id: str  # the exchange id (pytest id, ``exchange_of`` of the emulator's REST paths)
    account: str  # the demo account the suite watches
    fault_target: str  # the emulator's fault target for every socket of the exchange
    market_target: str  # ... for the socket carrying the marks
    market_kind: ConnKind  # its kind, to count its connections at the emulator
    user_target: str  # the socket carrying the account's own data
    kinds: tuple[ConnKind, ...]  # every socket one account opens
    channels: tuple[str, ...]  # the account's channels, as the store lists them
    market_route: str  # the websocket path of the mark socket (relay injection, endpoint in messages)
    user_route: str
    mark_subscription: str  # how the "no data" detail names the mark subscription
    malformed_kinds: tuple[str, ...]  # the emulator's malformed-frame kinds this exchange's sockets carry
    symbol: str  # a symbol the account holds long
    held_size: float  # its size in the demo
    snapshot_path: str  # a REST path every full account snapshot (resync and reconciliation) calls
    mark_snapshot_path: str  # the REST path of the marks' snapshot (the mark channel's resync)
    exchange_accounts: tuple[str, ...]  # every demo account on this exchange
    #: What a REST call of a reconciliation's account snapshot carries in its body ("" : its path says it).
    snapshot_body: str
    has_listen_key: bool  # a user stream opened on a listen key (Binance), rotated when it expires
    #: The account snapshot's path is called once per reconciliation and by nothing else (so it counts them).
    snapshot_path_counts: bool
    mark_frame: MarkFrame
    position_frame: PositionFrame
    marks_carry_time: bool = True  # a mark frame has an exchange time (Hyperliquid's contexts do not)
    mark_marker: str = ""  # a text only the real mark frames carry (to swallow them at the relay)
    renewal_stamp: Stamp | None = None  # the time-stamped frames of the market socket (renewal hands on once)
    #: A user-stream frame setting the wallet at an exchange time (ms), where the stream carries the wallet.
    wallet_frame: Callable[[int, str], str] | None = None
    mark_template: str | None = None  # relay marker of the real frame a crafted mark is built from
    position_template: str | None = None
    #: Emulator settings under which the exchange sends no server pings (row 5); None: it never does.
    no_server_pings: dict[str, Any] | None = None
    #: How long a REST pause met at start may still be shown once the channels are LIVE (0: not at all).
    pause_shown_after_live_s: float = 0.0
    secret: str | None = None  # a secret of the account that must never reach a log
    #: Is this (kind, text) that liqwatch sent on a socket (as ws_relay.Relay records it) its keepalive ping?
    is_ping: Callable[[str, str], bool] = lambda kind, _text: kind == "PING"
    #: Contract tests this exchange does not pass yet (test name -> why): expected to fail, listed in its hand-over.
    known_gaps: dict[str, str] | None = None

    def __str__(self) -> str:
        return self.id


BINANCE = ExchangeProfile(
    id="binance",
    account="binance-main",
    fault_target="binance",
    market_target="binance-market",
    market_kind=ConnKind.BINANCE_MARKET,
    user_target="binance-user",
    kinds=(ConnKind.BINANCE_MARKET, ConnKind.BINANCE_USER),
    channels=("mark", "user"),
    market_route="/market/stream",
    user_route="/private/ws",
    mark_subscription="@markPrice@1s",
    mark_marker="markPriceUpdate",
    malformed_kinds=("truncated", "invalid_utf8", "nan", "not_json", "binary"),
    symbol="BTC/USDT:USDT",
    held_size=0.5,
    snapshot_path="/fapi/v2/positionRisk",
    mark_snapshot_path="/fapi/v1/premiumIndex",
    exchange_accounts=("binance-main", "binance-degen"),
    snapshot_path_counts=True,
    snapshot_body="",
    has_listen_key=True,
    mark_frame=lambda _t, price, e_ms: frames.binance_mark(price, e_ms),
    position_frame=lambda _t, size, e_ms, wallet: frames.binance_position(size, e_ms, wallet),
    no_server_pings={"binance_ping_interval": None},
    renewal_stamp=frames.binance_mark_time,
    wallet_frame=frames.binance_wallet,
    secret="LiqwatchDemoMainSecret",
)

HYPERLIQUID = ExchangeProfile(
    id="hyperliquid",
    account="hl-whale",
    fault_target="hyperliquid",
    market_target="hyperliquid",
    market_kind=ConnKind.HYPERLIQUID,
    user_target="hyperliquid",
    kinds=(ConnKind.HYPERLIQUID,),
    channels=("mark", "account", "funding"),
    market_route="/ws",
    user_route="/ws",
    mark_subscription="activeAssetCtx of",
    mark_marker='"activeAssetCtx"',
    marks_carry_time=False,
    # Measured: its socket's snapshot makes it LIVE before the next REST answer clears the pause.
    pause_shown_after_live_s=2.0,
    malformed_kinds=("truncated", "nan", "not_json"),
    symbol="BTC/USDC:USDC",
    held_size=1.5,
    snapshot_path="/info",
    mark_snapshot_path="/info",
    exchange_accounts=("hl-whale",),
    snapshot_path_counts=False,  # every info request is a POST /info
    snapshot_body="clearinghouseState",
    has_listen_key=False,
    mark_frame=lambda t, price, _e: frames.hl_mark(_need(t), price),
    position_frame=lambda t, size, e_ms, wallet: frames.hl_position(_need(t), size, e_ms, wallet),
    mark_template=frames.HL_BTC_CTX,
    renewal_stamp=frames.hl_state_time,
    is_ping=lambda kind, text: kind == "TEXT" and '"method":"ping"' in text.replace(" ", ""),
    position_template=frames.HL_STATE,
)

BYBIT = ExchangeProfile(
    id="bybit",
    account="bybit-uta",
    fault_target="bybit",
    market_target="bybit-public",
    market_kind=ConnKind.BYBIT_PUBLIC,
    user_target="bybit-private",
    kinds=(ConnKind.BYBIT_PUBLIC, ConnKind.BYBIT_PRIVATE),
    channels=("mark", "user"),
    market_route="/v5/public/linear",
    user_route="/v5/private",
    mark_subscription="tickers",
    mark_marker=bybit_frames.BYBIT_BTC_TICKER,
    malformed_kinds=("truncated", "nan", "not_json"),
    symbol="BTC/USDT:USDT",
    held_size=0.2,
    snapshot_path="/v5/position/list",
    mark_snapshot_path="/v5/market/tickers",
    exchange_accounts=("bybit-uta",),
    snapshot_path_counts=True,
    snapshot_body="",
    has_listen_key=False,
    mark_frame=lambda _t, price, e_ms: bybit_frames.bybit_mark(price, e_ms),
    position_frame=lambda _t, size, e_ms, wallet: bybit_frames.bybit_position(size, e_ms, wallet),
    renewal_stamp=bybit_frames.bybit_mark_time,
    wallet_frame=bybit_frames.bybit_wallet,
    secret="demobybitsecret00000000000000000001",
    # As Hyperliquid's: the socket's snapshot makes it LIVE before the next REST answer clears the pause.
    pause_shown_after_live_s=2.0,
    is_ping=lambda kind, text: kind == "TEXT" and '"op":"ping"' in text.replace(" ", ""),
)

OKX = ExchangeProfile(
    id="okx",
    account="okx-iso",
    fault_target="okx",
    market_target="okx-public",
    market_kind=ConnKind.OKX_PUBLIC,
    user_target="okx-private",
    kinds=(ConnKind.OKX_PUBLIC, ConnKind.OKX_PRIVATE),
    channels=("mark", "user"),
    market_route="/ws/v5/public",
    user_route="/ws/v5/private",
    mark_subscription="mark-price of",
    mark_marker=frames.OKX_MARK,
    malformed_kinds=("truncated", "invalid_utf8", "nan", "not_json", "binary"),
    symbol="ETH/USDT:USDT",
    held_size=10.0,  # 100 contracts of 0.1 ETH
    snapshot_path="/api/v5/account/positions",
    mark_snapshot_path="/api/v5/public/mark-price",
    exchange_accounts=("okx-iso", "okx-multi"),
    snapshot_path_counts=True,
    snapshot_body="",
    has_listen_key=False,
    mark_frame=lambda _t, price, e_ms: frames.okx_mark(price, e_ms),
    position_frame=lambda _t, size, e_ms, wallet: frames.okx_position(size, e_ms, wallet),
    renewal_stamp=frames.okx_mark_time,
    position_template=frames.OKX_POSITIONS,  # only to tell the real positions pushes (built from scratch)
    secret="0D5E7C1A9B3F4E6D8C2B1A0F9E8D7C6B",
    is_ping=lambda kind, text: kind == "TEXT" and text == "ping",
    pause_shown_after_live_s=2.0,  # as Hyperliquid's: the REST answer after LIVE clears the pause
)

PROFILES = (BINANCE, HYPERLIQUID, BYBIT, OKX)


def _need(template: str | None) -> str:
    assert template is not None, "this exchange's frames are built from a real one the relay saw"
    return template
