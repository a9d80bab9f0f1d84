"""OKX v5 adapter (USDT-margined swaps, single- and multi-currency margin): signed REST snapshots and two
sockets, ``/ws/v5/public`` (mark-price, funding-rate) and ``/ws/v5/private`` (login, then positions, account,
liquidation-warning).

OKX's rules kept here: every answer is an envelope whose string ``code`` decides (``okx_errors``, errors with
HTTP 200); sizes are contracts of ``ctVal`` coins; tiers are by contracts; the margin ratio is equity /
(MM + fee) (``risk.okx``); the keepalive is the plain text ``ping`` before 30 s of silence (the shared
sender's text allowlist); a ``64008`` notice (service restart within 60 s) renews the socket at once,
make-before-break. The wire is read in ``okx_wire``; this file ties it to the engine's objects.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from datetime import datetime
from typing import Any

import aiohttp
import orjson

from liqwatch.feeds.adapter_frames import Apply
from liqwatch.feeds.adapter_marks import streams_named
from liqwatch.feeds.adapter_streams import EventHandler, FrameRoutes, StreamSpec
from liqwatch.feeds.okx_client import READ_ONLY, OkxClient, Pushed, leg_key
from liqwatch.feeds.okx_errors import LOGIN_CLOCK_CODES, LOGIN_TRANSIENT_CODES
from liqwatch.feeds.okx_wire import (
    WirePosition,
    inst_id_of,
    parse_balance,
    parse_funding_rate,
    parse_mark,
    unified,
)
from liqwatch.feeds.okx_wire import parse_position as parse_position_row
from liqwatch.feeds.rest import AuthError, RestError
from liqwatch.feeds.signing import hmac_sha256
from liqwatch.feeds.stream import WS, send_guarded, send_guarded_text
from liqwatch.feeds.wire import WireError, opt_ms_time
from liqwatch.model import BalanceUpdate, PositionUpdate, Side, Stamp
from liqwatch.redact import redact, register_signature
from liqwatch.risk_events import FeedNote, RiskEvent, RiskEventKind

log = logging.getLogger(__name__)

__all__ = ["READ_ONLY", "OkxAdapter"]
#: Answers that prove nothing about data: acknowledgements, the login's (read in ``_login``), the pong.
_IGNORED = frozenset({"subscribe", "unsubscribe", "pong", "login"})


def _event_type(msg: dict[str, Any]) -> str:
    """An answer's ``event`` (subscribe, error, notice), else a push's ``arg.channel``."""
    if "event" in msg:
        return str(msg["event"])
    arg = msg.get("arg")
    if arg is None:
        return "None"  # neither an answer nor a push: an event OKX may have added, logged once as unknown
    if not isinstance(arg, dict):
        raise WireError("a push whose arg is not an object")
    return str(arg.get("channel"))


class OkxAdapter(OkxClient):
    """The sockets of an OKX account; the REST side is ``OkxClient``."""

    # --- streams -----------------------------------------------------------------------------------------
    def stream_specs(self) -> list[StreamSpec]:
        base = self.account.ws_url.rstrip("/")

        async def public_url() -> str:
            return f"{base}/ws/v5/public"

        async def private_url() -> str:
            return f"{base}/ws/v5/private"

        handlers = {"mark-price": self._on_mark, "funding-rate": self._on_funding_rate, "error": self._on_error}
        public = FrameRoutes(event_type=_event_type, handlers={**handlers, "notice": self._notice_on("public")},
                             ignored=_IGNORED)
        private = FrameRoutes(event_type=_event_type, handlers={
            **handlers, "notice": self._notice_on("private"), "positions": self._on_positions,
            "account": self._on_account, "liquidation-warning": self._on_liquidation_warning}, ignored=_IGNORED)
        return [StreamSpec("public", public_url, self._open_public, (self.mark,), public, app_ping=self._ping,
                           on_renew=self._renew_public),
                StreamSpec("private", private_url, self._open_private, (self.user,), private, app_ping=self._ping,
                           on_renew=self._login)]

    def decode(self, source: str, raw: str, receive: datetime, stream: Any) -> Any:
        if raw == "pong":  # OKX answers the text ping with the text pong: a keepalive, no data
            self.record(source, raw, receive)
            return {"event": "pong"}
        return super().decode(source, raw, receive, stream)

    async def _ping(self, ws: WS) -> None:
        self.pings += 1
        await send_guarded_text(ws, "ping")

    def mark_topic(self, symbol: str) -> str:
        return inst_id_of(symbol)

    def mark_messages(self, topics: list[str], subscribe: bool) -> list[dict[str, Any]]:
        args = [{"channel": c, "instId": t} for t in topics for c in ("mark-price", "funding-rate")]
        return [{"op": "subscribe" if subscribe else "unsubscribe", "args": args}] if args else []

    async def _open_public(self, ws: WS) -> None:
        topics = self.open_topics()
        self.mark.source = f"mark-price of {streams_named(topics)} at {self.account.ws_url.rstrip('/')}/ws/v5/public"
        await self.subscribe_marks(ws, topics)
        self.stream_opened("public")

    async def _renew_public(self, ws: WS) -> None:
        await self.subscribe_marks(ws, sorted(self.mark_topics))

    async def _login(self, ws: WS) -> None:
        """``op: login`` signed as OKX wants it (base64 HMAC of timestamp in seconds + GET + /users/self/verify),
        its answer awaited (OKX refuses a private subscription before it), then the private channels. Run before
        the socket is read (an opening, a renewal's new socket); a refused login is an AuthError: the key."""
        a = self.account
        assert a.api_key is not None and a.api_secret is not None and a.passphrase is not None
        stamp = str(int(self.server_clock.now().timestamp()))
        sign = base64.b64encode(hmac_sha256(a.api_secret, stamp + "GET/users/self/verify")).decode()
        register_signature(sign)  # before sending: OKX may echo it in its refusal, which is shown and recorded
        await send_guarded(ws, {"op": "login", "args": [
            {"apiKey": a.api_key.get(), "passphrase": a.passphrase.get(), "timestamp": stamp, "sign": sign}]})
        async with asyncio.timeout(self.opts.connect_timeout_s):
            while True:
                msg = await ws.receive()
                if msg.type not in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    raise ConnectionError("the private socket closed before the login's answer")
                raw = msg.data.decode("utf-8", "replace") if isinstance(msg.data, bytes) else str(msg.data)
                if raw == "pong":
                    continue
                try:
                    answer = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    self.bad_frame("private", raw, "not JSON (before the login's answer)")
                    continue
                if isinstance(answer, dict) and answer.get("event") in ("login", "error"):
                    break
        code = str(answer.get("code"))
        if answer.get("event") != "login" or code != "0":
            # What OKX echoes of the login never reaches a text: the signature is registered (above), the key
            # and the passphrase are masked here (a key is not a registered secret everywhere).
            said = str(answer.get("msg"))
            for sent in (a.api_key.get(), a.passphrase.get()):
                said = said.replace(sent, "***") if sent else said
            text = redact(f"OKX login refused: {code[:10]} {said[:120]}")
            if code in LOGIN_TRANSIENT_CODES:
                if code in LOGIN_CLOCK_CODES:  # signed with a stale offset: measured again before the next try
                    try:
                        await self._sync_time()
                    except RestError as exc:
                        text = f"{text}; OKX's clock could not be measured again: {exc}"
                raise ConnectionError(f"{text} (not the key: retried)")
            # 60005 invalid key, 60024 wrong passphrase, 60007 invalid sign...: the key, not the connection.
            raise AuthError(text)
        await send_guarded(ws, {"op": "subscribe", "args": [
            {"channel": "positions", "instType": "SWAP"}, {"channel": "account"},
            {"channel": "liquidation-warning", "instType": "SWAP"}]})

    async def _open_private(self, ws: WS) -> None:
        await self._login(ws)
        self.stream_opened("private")  # after subscribing: the resync's snapshot may not predate the stream

    def _on_mark(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        rows = msg.get("data")
        if not isinstance(rows, list) or not rows:
            raise WireError("mark-price without data")
        effects = [self.judged_tick(self._with_funding(parse_mark(row, receive)), self.mark, mono) for row in rows]

        def apply() -> None:
            for effect in effects:
                effect()

        return apply

    def _on_funding_rate(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        rows = msg.get("data")
        if not isinstance(rows, list):
            raise WireError("funding-rate without data")
        found = [parse_funding_rate(r) for r in rows]
        for r in rows:
            when = opt_ms_time(r, "ts")
            if when is not None:
                self.judge_time(when, receive)  # one implausible time refuses the whole frame

        def apply() -> None:
            for f in found:
                self._note_funding(f)

        return apply

    def _on_positions(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        """Each row is one leg's update, dated by the push (``pTime``, else its arrival on OKX's clock): a leg's
        ``uTime`` is when it was last adjusted, not how new the row is (it is judged all the same)."""
        rows = msg.get("data")
        if not isinstance(rows, list):
            raise WireError("positions without data")
        updates: dict[str, tuple[WirePosition | None, list[PositionUpdate]]] = {}
        for row in rows:
            if not isinstance(row, dict):
                raise WireError("a positions row that is not an object")
            pos_side = str(row.get("posSide") or "net")
            leg = leg_key(str(row.get("instId")), pos_side)
            w = parse_position_row(row)  # a flat row (pos "0") closes it
            for when in (w.time if w is not None else opt_ms_time(row, "uTime"), opt_ms_time(row, "pTime")):
                if when is not None:
                    self.judge_time(when, receive)  # one implausible time refuses the whole frame
            stamp = Stamp(opt_ms_time(row, "pTime") or self.server_clock.exchange_time(receive), receive)
            if w is not None:
                p = self._position(w)
                updates[leg] = w, [PositionUpdate(self.account.name, p.key, p, stamp)]
            else:
                updates[leg] = None, [PositionUpdate(self.account.name, key, None, stamp)
                                      for key in self._leg_keys(leg, str(row.get("instId")), pos_side)]

        def apply() -> None:
            merged = dict(self._pushed.positions)
            for leg, (w, events) in updates.items():
                for event in events:
                    self.emit(event)
                if w is None:
                    merged.pop(leg, None)
                else:
                    merged[leg] = w
            self._pushed = Pushed(self._pushed.balance, merged)
            self.user.data(mono)
            self.hold_symbols({w.symbol for w, _ in updates.values() if w is not None})

        return apply

    def _leg_keys(self, leg: str, inst_id: str, pos_side: str) -> list[tuple[str, Side]]:
        """The store's keys of the leg a flat row closes: the one held under ``leg``, else by its side."""
        held = self._pushed.positions.get(leg)
        if held is not None:
            return [(held.symbol, held.side)]
        if pos_side in ("long", "short"):
            return [(unified(inst_id), Side(pos_side))]
        return [(unified(inst_id), side) for side in (Side.LONG, Side.SHORT)]  # net: whichever side it was

    def _on_account(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        """The wallet, dated by the push (``uTime``, else its arrival): derived from the balance and the
        positions as last said (``Pushed``), handed over alone; the positions are the ``positions`` pushes'."""
        rows = msg.get("data")
        balance = self.checked_balance(parse_balance(rows if isinstance(rows, list) else []))
        if balance.time is not None:
            self.judge_time(balance.time, receive)
        stamp = Stamp(balance.time or self.server_clock.exchange_time(receive), receive)

        def apply() -> None:
            self._pushed = Pushed(balance, self._pushed.positions)
            wires = list(self._pushed.positions.values())
            wallet = self._state(balance, wires, stamp.exchange_time, from_stream=True).wallet_balance
            if self.emit(BalanceUpdate(self.account.name, wallet, stamp)):
                self.user.data(mono)

        return apply

    def _on_liquidation_warning(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        rows = msg.get("data")
        if not isinstance(rows, list):
            raise WireError("liquidation-warning without data")
        warned = [w for w in (parse_position_row(r) for r in rows) if w]
        for w in warned:
            if w.time is not None:
                self.judge_time(w.time, receive)  # one implausible time refuses the whole frame

        def apply() -> None:
            self.user.data(mono)
            for w in warned:
                ratio = f" (OKX margin ratio {w.mgn_ratio:.3f})" if w.mgn_ratio is not None else ""
                self.sink.report(RiskEvent(RiskEventKind.MARGIN_CALL, self.account.name,
                                           f"OKX liquidation-warning for {w.symbol}{ratio}", receive,
                                           exchange=self.account.exchange, symbol=w.symbol, side=w.side))

        return apply

    def _notice_on(self, name: str) -> EventHandler:
        """OKX's notices on socket ``name``; 64008 (the service restarts, the socket closes within 60 s) renews
        that socket at once, make-before-break, so that no channel goes stale for the restart."""
        def on_notice(msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
            code = str(msg.get("code"))

            def apply() -> None:
                if code != "64008":
                    return
                self.notices += 1
                stream = self.runner(name)
                if stream is not None and stream.connected and not stream.renewing \
                        and not stream.renew("OKX 64008: service upgrade"):
                    stream.force_reconnect("OKX 64008: service upgrade")

            return apply

        return on_notice

    def _on_error(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        text = f"OKX error {str(msg.get('code'))[:10]}: {str(msg.get('msg'))[:200]}"
        return lambda: self.sink.report(FeedNote(self.account.name, text, receive, exchange=self.account.exchange))
