"""Read-only by construction. The exchanges' allowlists are exactly the reads liqwatch makes (a new endpoint
is a deliberate change of this file), and the one REST function refuses everything else before it is sent;
the one socket-send function refuses anything but subscriptions, pings and a login. A static scan finds no
order, cancel, leverage, transfer or withdraw path in the source, written out or built in an f-string."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from liqwatch.feeds import binance, hyperliquid, okx
from liqwatch.feeds.rest import ForbiddenEndpoint, ReadOnlyGuard, RestGate, request_json
from liqwatch.feeds.ws_allowlist import WS_TEXT_ALLOWED, ForbiddenMessage, check_ws_message, check_ws_text
from tests.local_http import recording

ROOT = Path(__file__).resolve().parents[1]

BINANCE_READS = frozenset({
    ("GET", "/fapi/v1/exchangeInfo"), ("GET", "/fapi/v1/time"), ("GET", "/fapi/v1/premiumIndex"),
    ("GET", "/fapi/v1/leverageBracket"), ("GET", "/fapi/v1/fundingInfo"), ("GET", "/fapi/v1/fundingRate"),
    ("GET", "/fapi/v1/income"), ("GET", "/fapi/v1/markPriceKlines"), ("GET", "/fapi/v1/multiAssetsMargin"),
    ("GET", "/fapi/v1/forceOrders"), ("GET", "/fapi/v2/positionRisk"), ("GET", "/fapi/v2/account"),
    ("GET", "/fapi/v2/balance"), ("GET", "/sapi/v1/account/apiRestrictions"),
    ("POST", "/fapi/v1/listenKey"), ("PUT", "/fapi/v1/listenKey"), ("DELETE", "/fapi/v1/listenKey"),
})
HYPERLIQUID_READS = frozenset({("POST", "/info")})
OKX_READS = frozenset({
    ("GET", "/api/v5/public/time"), ("GET", "/api/v5/public/instruments"), ("GET", "/api/v5/public/mark-price"),
    ("GET", "/api/v5/public/funding-rate"), ("GET", "/api/v5/public/position-tiers"),
    ("GET", "/api/v5/account/config"), ("GET", "/api/v5/account/balance"), ("GET", "/api/v5/account/positions"),
    ("GET", "/api/v5/account/bills"), ("GET", "/api/v5/market/mark-price-candles"),
})
GUARDS = ((binance.READ_ONLY, BINANCE_READS), (hyperliquid.READ_ONLY, HYPERLIQUID_READS),
          (okx.READ_ONLY, OKX_READS))
GUARD_IDS = ("binance", "hyperliquid", "okx")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")

# Endpoints that act on an account. The emulator serves none of them either.
WRITE_PATHS = re.compile(
    r"/fapi/v\d/(order|batchOrders|allOpenOrders|leverage|marginType|positionMargin|positionSide/dual|countdownCancelAll)"
    r"(?![A-Za-z])"
    r"|/sapi/v\d/(asset/transfer|capital/withdraw|futures/transfer)"
    r"|/v5/(order|position/set-leverage|position/trading-stop|asset/transfer|asset/withdraw)"
    r"|/api/v5/(trade|asset/withdrawal|asset/transfer|account/set-leverage)"
    r"|[\"']/exchange[\"']"
)
# An exchange API prefix followed by an interpolated segment: f"/fapi/v1/{what}" can become any write path.
INTERPOLATED_PATH = re.compile(r"(/fapi/v\d|/sapi/v\d|/v5|/api/v5)/[\w/]*\{\}")


def _sources() -> list[Path]:
    return [p for pkg in ("liqwatch", "widgets", "tui") for p in sorted((ROOT / pkg).rglob("*.py"))]


# --- the exact allowlists -------------------------------------------------------------------------------
def test_the_allowlists_are_exactly_the_reads_we_make() -> None:
    assert binance.READ_ONLY.allowed == BINANCE_READS
    assert hyperliquid.READ_ONLY.allowed == HYPERLIQUID_READS
    assert okx.READ_ONLY.allowed == OKX_READS


def _unlisted(allowed: frozenset[tuple[str, str]]) -> list[tuple[str, str]]:
    """Every other method on a listed path, and near-misses of each listed path, and the write paths."""
    out = [(m, p) for _, p in allowed for m in METHODS if (m, p) not in allowed]
    for m, p in allowed:
        out += [(m, p + "/"), (m, p.upper()), (m, p + "/../order"), (m, p.replace("/v", "/%76", 1)), (m, "/x" + p)]
    out += [("POST", "/fapi/v1/order"), ("DELETE", "/fapi/v1/allOpenOrders"), ("POST", "/fapi/v1/leverage"),
            ("POST", "/sapi/v1/asset/transfer"), ("POST", "/sapi/v1/capital/withdraw/apply"), ("POST", "/exchange"),
            ("GET", "/fapi/v1/order"), ("GET", "/"), ("POST", "/api/v5/trade/order"),
            ("GET", "/api/v5/trade/orders-pending"), ("POST", "/api/v5/account/set-leverage"),
            ("POST", "/api/v5/asset/withdrawal")]
    return [mp for mp in out if mp not in allowed]


@pytest.mark.parametrize(("guard", "allowed"), GUARDS, ids=GUARD_IDS)
def test_every_path_not_listed_is_refused(guard: ReadOnlyGuard, allowed: frozenset[tuple[str, str]]) -> None:
    for method, path in _unlisted(allowed):
        with pytest.raises(ForbiddenEndpoint):
            guard.check(method, path)
    for method, path in allowed:
        guard.check(method, path)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[tuple[str, str]]]]:
    async with recording() as got:
        yield got


@pytest.mark.parametrize(("guard", "allowed"), GUARDS, ids=GUARD_IDS)
async def test_the_one_request_function_sends_nothing_unlisted(
    server: tuple[str, list[tuple[str, str]]], guard: ReadOnlyGuard, allowed: frozenset[tuple[str, str]]
) -> None:
    base, seen = server
    async with aiohttp.ClientSession() as session:
        for method, path in _unlisted(allowed):
            with pytest.raises(ForbiddenEndpoint):
                await request_json(session, method, base + path + "?signature=x", guard=guard, gate=RestGate(),
                                   timeout_s=2.0)
        assert seen == []  # refused before anything went out
        for method, path in sorted(allowed):
            await request_json(session, method, base + path + "?a=1", guard=guard, gate=RestGate(), timeout_s=2.0)
    assert sorted(seen) == sorted(allowed)


def test_every_rest_call_goes_through_request_json_with_its_guard() -> None:
    """No adapter opens its own HTTP request or socket: the session is only used in feeds/rest.py and
    feeds/stream.py (webhooks, which talk to the user's own endpoints, aside)."""
    direct = re.compile(r"session\.(request|get|post|put|delete|patch|ws_connect)\(|aiohttp\.request\(")
    allowed = {ROOT / "liqwatch/feeds/rest.py", ROOT / "liqwatch/feeds/stream.py"}
    hits = [f"{p.relative_to(ROOT)}:{n}" for p in _sources() if p not in allowed
            and "emulator" not in p.parts and "delivery" not in p.parts
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if direct.search(line)]
    assert hits == []


# --- websocket sends ------------------------------------------------------------------------------------
def test_socket_sends_are_subscriptions_pings_and_logins_only() -> None:
    for ok in ({"method": "SUBSCRIBE", "params": ["btcusdt@markPrice@1s"], "id": 1},
               {"method": "UNSUBSCRIBE", "params": [], "id": 2}, {"method": "ping"},
               {"method": "subscribe", "subscription": {"type": "trades", "coin": "BTC"}},
               {"op": "login", "args": []}, {"op": "subscribe", "args": []}, {"op": "ping"}):
        check_ws_message(ok)
    for bad in ({"method": "post", "id": 1, "request": {"type": "action", "payload": {}}},  # Hyperliquid's signed
                {"op": "order", "args": []}, {"op": "order.create"}, {"method": "order.place"},
                {"method": "SUBSCRIBE", "op": "order"}, {"id": 1}, ["SUBSCRIBE"], "ping", None):
        with pytest.raises(ForbiddenMessage):
            check_ws_message(bad)


def test_plain_text_frames_are_exactly_the_allowed_keepalive() -> None:
    """OKX's keepalive is the text ``ping``: the one text frame allowed, exactly (no other text, no near miss)."""
    assert frozenset({"ping"}) == WS_TEXT_ALLOWED
    check_ws_text("ping")
    for bad in ("PING", "ping ", " ping", "ping\n", "pong", "", '{"op":"order"}', "order", b"ping", None,
                {"op": "ping"}):
        with pytest.raises(ForbiddenMessage):
            check_ws_text(bad)


def test_nothing_is_sent_on_a_socket_but_through_the_guard() -> None:
    """Adapters send through StreamRunner.send_json (guarded) or send_guarded; the raw socket's own send
    appears once, inside send_guarded."""
    send = re.compile(r"\.send_(json|str|bytes)\(|\.send\(")
    runner = re.compile(r"(self\.(market_|user_)?stream)\.send_json\(")
    stream_src = (ROOT / "liqwatch/feeds/stream.py").read_text(encoding="utf-8")
    assert "await send_guarded(ws, obj)" in stream_src  # StreamRunner.send_json
    # The raw text send appears once, inside send_guarded_text, after its exact-allowlist check.
    assert stream_src.count("await ws.send_str(text)") == 1
    assert "    check_ws_text(text)\n    await ws.send_str(text)" in stream_src
    hits = []
    for p in _sources():
        # Not exchange sockets: the emulator, and the notifications (webhooks, heartbeat, `alerts test`).
        # Nor the browser's (liqwatch serve relays the App's screen to its tab and the tab's keys to the App).
        if "emulator" in p.parts or "delivery" in p.parts or p.name in ("heartbeat.py", "alerts_test.py") \
                or p.relative_to(ROOT).as_posix() == "tui/serve.py":
            continue
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if runner.search(line) or (p.name == "stream.py" and line.strip() in (
                    "await ws.send_json(obj)", "await ws.send_str(text)")):
                continue
            if send.search(line):
                hits.append(f"{p.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == []


# --- static scan of the source --------------------------------------------------------------------------
def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string the code can build: literals, f-strings with each interpolation shown as ``{}`` (a
    constant one inlined), and literal concatenations."""
    out: list[tuple[int, str]] = []

    def render(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts = []
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    inner = render(v.value)
                    parts.append(inner if inner is not None else "{}")
                else:
                    parts.append(render(v) or "")
            return "".join(parts)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = render(node.left), render(node.right)
            if left is not None or right is not None:
                return (left if left is not None else "{}") + (right if right is not None else "{}")
        return None

    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr, ast.BinOp)):
            text = render(node)
            if text is not None:
                out.append((getattr(node, "lineno", 0), text))
    return out


def _scan(text: str) -> list[str]:
    return [f"{n}: {s!r}" for n, s in _strings(ast.parse(text))
            if WRITE_PATHS.search(repr(s)) or WRITE_PATHS.search(s) or INTERPOLATED_PATH.search(s)]


def test_no_write_endpoint_in_the_code() -> None:
    hits = []
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        hits += [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for n, line in enumerate(text.splitlines(), 1) if WRITE_PATHS.search(line)]
        hits += [f"{path.relative_to(ROOT)}:{h}" for h in _scan(text)]
    assert hits == []


def test_the_scan_catches_written_out_and_built_write_paths() -> None:
    for src in ('path = "/fapi/v1/order"', "url = base + '/exchange'", 'p = f"/fapi/v1/{kind}"',
                'p = f"/fapi/v1/{\'order\'}"', 'p = "/fapi/v1/" + "leverage"', 'p = "/sapi/v1/" + what',
                'p = f"/sapi/v1/asset/{x}"', 'p = f"{base}/fapi/v2/{name}?{query}"', 'p = f"/v5/{x}"',
                'p = "/fapi/v1/" "order"', 'p = f"/api/v5/{x}/order"'):
        assert _scan(src) or WRITE_PATHS.search(src), src
    for src in ('"/fapi/v2/positionRisk"', '"/fapi/v1/leverageBracket"', 'f"{base}{path}?{q}"',
                'f"{ws}/market/stream?streams="', 'f"{ws}/private/ws?listenKey={key}"'):
        assert not _scan(src) and not WRITE_PATHS.search(src), src
