"""Binance USDⓈ-M adapter, its user-data side: the private stream's events (ACCOUNT_UPDATE applied whole
or not at all, liquidation and ADL fills from ORDER_TRADE_UPDATE, MARGIN_CALL, listenKeyExpired) and the
listen key's life (creation, keepalive, rotation)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from liqwatch.feeds.adapter_frames import Apply
from liqwatch.feeds.adapter_streams import FrameRoutes, event_type_in
from liqwatch.feeds.binance_client import LISTEN_KEY_MISSING
from liqwatch.feeds.binance_market import BinanceMarket
from liqwatch.feeds.binance_wire import AccountUpdate, WirePosition, parse_account_update, unified
from liqwatch.feeds.rest import ApiError, AuthError, RestError
from liqwatch.feeds.stream import WS
from liqwatch.feeds.wire import WireError, ms_time, num, opt_num, text
from liqwatch.liquidations import SIZE_TOLERANCE, LiquidatedPosition, is_partial
from liqwatch.model import BalanceUpdate, PositionUpdate, Side
from liqwatch.redact import register_secret
from liqwatch.risk_events import FeedNote, RiskEvent, RiskEventKind

log = logging.getLogger("liqwatch.feeds.binance")  # one logger for the adapter, whichever file
#: How far apart (exchange time) a liquidation fill and the account update that took it off the book may be.
FILL_UPDATE_WINDOW_S = 5.0
#: A fresh listen key refused at the handshake too says the refusals are not about the key (the user-stream
#: endpoint, a gateway): another key is tried at most this often, not at every dial.
FRESH_KEY_ROTATION_MIN_S = 60.0


class BinanceUser(BinanceMarket):
    """The user-data stream and its listen key."""

    async def _open_user(self, ws: WS) -> None:
        self._opened_since_rotation, self._refusals_told = True, False  # the key works: a refusal is news
        # Stream events apply at once; the snapshot cannot undo them (the store keeps what is newer).
        self.stream_opened("user")

    def user_routes(self) -> FrameRoutes:
        return FrameRoutes(
            event_type=event_type_in("e"),
            handlers={"listenKeyExpired": self._on_key_expired, "MARGIN_CALL": self._on_margin_call,
                      "ORDER_TRADE_UPDATE": self._on_trade, "ACCOUNT_UPDATE": self._on_account_update},
            exchange_time=lambda e: ms_time(e, "E") if "E" in e else None,
        )

    def _on_key_expired(self, event: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        def apply() -> None:
            self.user.data(mono)
            if event.get("listenKey") in (None, self.listen_key):
                self._request_rotation("listenKeyExpired")

        return apply

    def _on_margin_call(self, event: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        def apply() -> None:
            self.user.data(mono)
            self.sink.report(RiskEvent(RiskEventKind.MARGIN_CALL, self.account.name, "Binance MARGIN_CALL (risk "
                                       "guidance from the exchange)", receive, exchange=self.account.exchange))

        return apply

    def _on_trade(self, event: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        self._judge_trade_time(event, receive)
        record = self._liquidation_effect(event)

        def apply() -> None:
            self.user.data(mono)
            if record is not None:
                record()

        return apply

    def _on_account_update(self, event: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        apply_update = self._user_event(event, receive)

        def apply() -> None:
            if apply_update():
                self.user.data(mono)
                a = event.get("a")
                if isinstance(a, dict) and a.get("m") == "FUNDING_FEE":
                    # A settlement: book it while the legs still have the sizes they were funded on.
                    self.spawn(self._fetch_funding())

        return apply

    def _judge_trade_time(self, event: Any, receive: datetime) -> None:
        """The order's own trade time ``o.T`` (what a liquidation record is dated by) is judged like the
        event's: a fill in seconds, or years ahead, makes the frame bad (raises) and nothing of it is kept."""
        order = event.get("o")
        if not isinstance(order, dict) or order.get("T") in (None, "", 0):
            return
        try:
            when = ms_time(order, "T")
        except WireError as exc:
            raise WireError(f"order trade time: {exc}") from None
        self.judge_time(when, receive)

    def _liquidation_effect(self, event: Any) -> Apply | None:
        """A read-only monitor places no orders: the only fills it must report are the exchange's own
        liquidation and auto-deleveraging orders (``ot`` LIQUIDATION/ADL, client id ``autoclose-``/``adl_``).
        A liquidation is kept by the store (listed as LIQUIDATED until acknowledged); each fill of the order
        (Binance may take a position in slices, tier by tier) adds the size it took. The fill is read whole
        here: one whose symbol or figures cannot be read (NaN, inf, not a number) raises WireError (a bad
        frame, nothing of it kept). The effect returned keeps it; None: not such a fill."""
        order = event.get("o")
        if not isinstance(order, dict) or order.get("X") not in ("FILLED", "PARTIALLY_FILLED"):
            return None
        client_id = str(order.get("c", ""))
        kind = "liquidated" if order.get("ot") == "LIQUIDATION" or client_id.startswith("autoclose-") else (
            "auto-deleveraged" if order.get("ot") == "ADL" or client_id.startswith("adl_") else None)
        if kind is None:
            return None
        try:
            symbol = unified(text(order, "s"))
            size, price = _figure(order, "z"), _figure(order, "ap", "p")
            fill = _read_fill(order, event) if kind == "liquidated" else None
        except WireError as exc:
            raise WireError(f"{kind} fill: {exc}") from None

        def apply() -> None:
            liq = self._liquidation_of(symbol, fill) if fill is not None else None
            if liq is not None:
                self.sink.record_liquidation(liq)
                return
            if order.get("X") == "FILLED":
                # An ADL fill (or a liquidation fill already counted or taking nothing): said as such, typed.
                what = RiskEventKind.LIQUIDATION if kind == "liquidated" else RiskEventKind.AUTO_DELEVERAGE
                side = {"LONG": Side.LONG, "SHORT": Side.SHORT}.get(str(order.get("ps")))
                # The price as Binance wrote it (read as a finite number above, so it is one).
                said = str(order.get("ap") or order.get("p")).strip()
                self.sink.report(RiskEvent(what, self.account.name, f"{symbol} {kind} by Binance at {said}",
                                           self.clock.now(), exchange=self.account.exchange, symbol=symbol,
                                           side=side, size=size, price=price))

        return apply

    def _liquidation_of(self, symbol: str, fill: _Fill) -> LiquidatedPosition | None:
        """One liquidation fill (read whole) -> the slice it took; None for a fill already counted or taking
        nothing."""
        if fill.fill_id in self._liquidation_fills:
            return None  # the same fill twice: counted once
        if not fill.taken > 0:
            return None
        if None not in fill.fill_id:
            self._liquidation_fills.add(fill.fill_id)
        before = self._size_before_fill((symbol, fill.side), fill.taken, fill.when)
        return LiquidatedPosition(self.account.name, symbol, fill.side, fill.taken, fill.price, fill.when, before,
                                  fill.pnl, is_partial(fill.taken, before))

    def _size_before_fill(self, key: tuple[str, Side], taken: float, when: datetime) -> float | None:
        """The leg's size before this fill, whichever of its two frames came first. Binance does not order
        the ORDER_TRADE_UPDATE and the ACCOUNT_UPDATE of one fill: when the account update already took the
        fill off the book, the size before is the one before that update (less the fills of it already
        counted), not what is left."""
        held = self.held.get(key)
        left = held.size if held is not None else 0.0
        red = self._reductions.get(key)
        if red is not None:
            old, new, at = red
            eps = SIZE_TOLERANCE * max(old, 1.0)
            recent = abs((when - at).total_seconds()) <= FILL_UPDATE_WINDOW_S
            if recent and abs(new - left) <= eps and old - new >= taken - eps:
                rest = old - taken
                if rest > new + eps:
                    self._reductions[key] = (rest, new, at)  # more fills of this update to come
                else:
                    del self._reductions[key]
                return old
        return held.size if held is not None else None

    def _note_reductions(self, before: dict[tuple[str, Side], float], at: datetime) -> None:
        """Legs an applied ACCOUNT_UPDATE made smaller (or closed)."""
        after = {p.key: p.size for p in self.held.positions()}
        for key, size in before.items():
            if after.get(key, 0.0) < size:
                self._reductions[key] = (size, after.get(key, 0.0), at)


    def _user_event(self, event: Any, receive: datetime) -> Callable[[], bool]:
        """One ACCOUNT_UPDATE, whole or not at all: every change is built (and checked) here, raising
        WireError before anything is applied, so a frame with one bad position changes nothing, not even the
        wallet. The effect returned applies them: True when applied."""
        try:
            upd = parse_account_update(event, receive)
            changes, held, one_way = self._user_changes(upd)
        except WireError:
            raise
        except ValueError as exc:  # whatever cannot be built makes the frame bad
            raise WireError(str(exc)) from None

        def apply() -> bool:
            sizes = {p.key: p.size for p in self.held.positions()}
            applied = [self.emit(e) for e in changes]
            self._note_reductions(sizes, upd.stamp.exchange_time)
            for symbol, side in one_way.items():
                if side is None:
                    self.one_way_side.pop(symbol, None)
                else:
                    self.one_way_side[symbol] = side
            if held:
                self.hold_symbols(held)
            return not changes or any(applied)

        return apply

    def _user_changes(self, upd: AccountUpdate
                      ) -> tuple[list[BalanceUpdate | PositionUpdate], set[str], dict[str, Side | None]]:
        """The store events of one ACCOUNT_UPDATE, the symbols it holds and the one-way sides it sets (None:
        forgotten); raises on anything unusable, before anything is applied."""
        changes: list[BalanceUpdate | PositionUpdate] = []
        one_way: dict[str, Side | None] = {}
        if upd.cross_wallet is not None:
            changes.append(BalanceUpdate(self.account.name, upd.cross_wallet, upd.stamp))
        book = self.held
        held: set[str] = set()
        for w in upd.positions:
            if w.position_side == "BOTH":
                prev = self.one_way_side.get(w.symbol)
                if prev is not None and prev is not w.side:
                    # A one-way position that closed or flipped: its old leg is gone.
                    changes.append(PositionUpdate(self.account.name, (w.symbol, prev), None, upd.stamp))
                    one_way[w.symbol] = None
            if w.side is None:
                sides = (Side.LONG, Side.SHORT) if w.position_side == "BOTH" else (
                    (Side.LONG,) if w.position_side == "LONG" else (Side.SHORT,))
                changes.extend(PositionUpdate(self.account.name, (w.symbol, s), None, upd.stamp) for s in sides)
                continue
            if not w.entry_price > 0:
                raise WireError(f"{w.symbol}: an open position with entry price {w.entry_price:g}")
            old = book.get((w.symbol, w.side))
            unchanged = old is not None and old.size == w.size and old.entry_price == w.entry_price
            merged = WirePosition(
                w.symbol, w.side, w.size, w.entry_price, w.margin_mode, w.isolated_wallet, w.position_side,
                leverage=self.leverage.get(w.symbol),
                # Binance's own price holds only for the position it was computed for.
                liquidation_price=old.exchange_liquidation_price if old is not None and unchanged else None,
                # The stream's "bep" where it sends one, else the last one Binance gave for this position.
                break_even_price=w.break_even_price if w.break_even_price is not None else (
                    old.exchange_break_even_price if old is not None and unchanged else None),
            )
            pos = self._position(merged)
            if pos is not None:
                changes.append(PositionUpdate(self.account.name, pos.key, pos, upd.stamp))
                held.add(w.symbol)
                if w.position_side == "BOTH":
                    one_way[w.symbol] = w.side
        return changes, held, one_way

    # --- listen key ------------------------------------------------------------------------------------
    async def _new_listen_key(self) -> None:
        data = await self._listen_key("POST")
        key = data.get("listenKey") if isinstance(data, dict) else None
        if not isinstance(key, str) or not key:
            raise RestError("listenKey: no key in the answer")
        register_secret(key)
        self.listen_key = key
        self.listen_key_time = self.clock.monotonic()

    def _user_rejected(self, status: int) -> None:
        """The user socket's handshake was refused (Binance answers an unknown or expired listen key with a
        4xx): the key died while the socket was down, and no ``listenKeyExpired`` will ever come on a socket
        that cannot open. Rotate, once: a rejection of a key already replaced (a dial that raced the
        rotation) is not a reason for another. Nor, at every dial, is a refusal of a fresh key (one no socket
        opened since the last such rotation; Binance may answer the POST with the same key): the refusals
        are then not about the key, and a new one is asked at most every ``FRESH_KEY_ROTATION_MIN_S``, while
        an alert says the socket keeps being refused."""
        if self._dialled_key is None or self._dialled_key != self.listen_key:
            return
        now = self.clock.monotonic()
        why = f"user stream handshake rejected with HTTP {status}"
        if self._opened_since_rotation or now - self._refusal_rotated_at >= FRESH_KEY_ROTATION_MIN_S:
            self._refusal_rotated_at, self._opened_since_rotation = now, False
            self._request_rotation(why)
        elif not self._refusals_told:  # once per run of refusals: the socket's opening ends it
            self._refusals_told = True
            self.sink.report(FeedNote(self.account.name, f"{why} with a fresh listen key too: the user stream keeps "
                                      f"being refused (not the key); retrying, with a new key at most every "
                                      f"{FRESH_KEY_ROTATION_MIN_S:g} s", self.clock.now(),
                                      exchange=self.account.exchange))

    def _request_rotation(self, why: str) -> None:
        if self._rotating:
            return  # duplicate triggers (two listenKeyExpired in a row) coalesce into one rotation
        self._rotating = True
        self.user.resyncing(f"rotating listen key ({why})")
        self.spawn(self._rotate(why))

    async def _rotate(self, why: str) -> None:
        try:
            delay = 1.0
            while True:
                try:
                    await self._new_listen_key()  # the old key stays in place until a new one is in hand
                    break
                except AuthError as exc:
                    self.key_refused(exc)
                    return
                except RestError as exc:
                    self.last_error = f"listen key rotation failed: {exc}"
                    self.sink.report(FeedNote(self.account.name, self.last_error, self.clock.now(),
                                              exchange=self.account.exchange))
                    await asyncio.sleep(delay)
                    delay = min(30.0, delay * 2)
            self.listen_key_rotations += 1
            log.info("%s: listen key rotated (%s)", self.account.name, why)
            if self.user_stream is not None:
                self.user_stream.force_reconnect(f"listen key rotated ({why})")
        finally:
            self._rotating = False

    async def _keepalive(self) -> None:
        try:
            await self._listen_key("PUT")
            self.keepalives += 1
            self.listen_key_time = self.clock.monotonic()
        except AuthError as exc:
            self.key_refused(exc)
        except ApiError as exc:
            self._request_rotation("keepalive: listen key does not exist" if exc.code == LISTEN_KEY_MISSING
                                   else f"keepalive failed: {exc}")
        except RestError as exc:
            self._request_rotation(f"keepalive failed: {exc}")


class _Fill(NamedTuple):
    """What a liquidation fill says, read before anything of it is kept."""

    fill_id: tuple[object, object]
    taken: float
    price: float | None
    pnl: float | None
    when: datetime
    side: Side


def _read_fill(order: dict[str, Any], event: Any) -> _Fill:
    """A liquidation fill's figures (WireError when one cannot be read)."""
    ps = order.get("ps")
    side = Side.LONG if ps == "LONG" else Side.SHORT if ps == "SHORT" else (
        Side.LONG if order.get("S") == "SELL" else Side.SHORT)  # one-way: a SELL closes a long
    return _Fill((order.get("i"), order.get("t")), _figure(order, "l", "z") or 0.0,
                 _figure(order, "L", "ap", "p") or None, opt_num(order, "rp"),
                 ms_time(order, "T") if order.get("T") else ms_time(event, "E"), side)


def _figure(order: dict[str, Any], *keys: str) -> float | None:
    """The first of ``keys`` the fill sets (Binance leaves unused ones empty or 0), as a finite number;
    WireError when it is not one."""
    for key in keys:
        if order.get(key):
            return num(order, key)
    return None
