"""The HTTP control endpoint under ``/_emulator``: fault injection, stepping and state inspection.

Every fault of ``Faults`` is ``POST /_emulator/faults/<name>`` with its keyword arguments as a JSON
object; ``DELETE /_emulator/faults`` lifts them all; ``GET /_emulator/faults`` shows what is active.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

from liqwatch.emulator.faults import Faults

Json = dict[str, Any]

# name -> the keyword arguments it accepts and their JSON types (checked before the call, so that a typo
# in a curl command is a 400 that names it rather than a silently ignored key).
FAULT_ARGS: dict[str, dict[str, tuple[type, ...]]] = {
    "drop": {"target": (str,), "reset": (bool,), "code": (int,)},
    "half_open": {"target": (str,)},
    "stop_data": {"target": (str,)},
    "ack_without_data": {"target": (str,), "on": (bool,)},
    "malformed": {"target": (str,), "kind": (str,)},
    "unknown_event": {"target": (str,)},
    "duplicate": {"target": (str,), "count": (int,)},
    "reorder": {"target": (str,), "count": (int,)},
    "replay_stale": {"target": (str,)},
    "rest_error": {
        "status": (int,),
        "exchange": (str,),
        "count": (int,),
        "seconds": (int, float),
        "retry_after": (int,),
        "path": (str,),
    },
    "slow": {"delay": (int, float), "exchange": (str,), "count": (int,), "seconds": (int, float)},
    "expire_listen_key": {"account": (str,)},
    "expire_listen_key_while_down": {"account": (str,)},
    "refuse_connections": {"seconds": (int, float)},
    "bad_position": {"kind": (str,), "symbol": (str,), "exchange": (str,), "on": (bool,)},
}


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


class ControlApi:
    def __init__(
        self,
        faults: Faults,
        tick: Callable[[int], Awaitable[Json]],
        snapshot: Callable[[], Json],
    ) -> None:
        self.faults = faults
        self._tick = tick
        self._snapshot = snapshot

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_emulator/state", self.state),
            web.post("/_emulator/tick", self.tick),
            web.get("/_emulator/faults", self.status),
            web.delete("/_emulator/faults", self.clear),
            web.post("/_emulator/faults/{name}", self.inject),
        ]

    async def state(self, request: web.Request) -> web.StreamResponse:
        return _json(self._snapshot())

    async def tick(self, request: web.Request) -> web.StreamResponse:
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        steps = body.get("steps", 1)
        if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 1_000_000:
            return _json({"error": "steps must be an integer from 1 to 1000000"}, 400)
        return _json(await self._tick(steps))

    async def status(self, request: web.Request) -> web.StreamResponse:
        return _json(self.faults.status())

    async def clear(self, request: web.Request) -> web.StreamResponse:
        await self.faults.clear()
        return _json({"ok": True})

    @staticmethod
    async def _body(request: web.Request) -> Json | web.Response:
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _json({"error": "the body must be a JSON object"}, 400)
        if not isinstance(body, dict):
            return _json({"error": "the body must be a JSON object"}, 400)
        return body

    async def inject(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        spec = FAULT_ARGS.get(name)
        if spec is None:
            return _json({"error": f"unknown fault {name!r}; one of {', '.join(FAULT_ARGS)}"}, 404)
        body = await self._body(request)
        if isinstance(body, web.Response):
            return body
        for key, value in body.items():
            types = spec.get(key)
            if types is None:
                return _json({"error": f"{name}: unknown argument {key!r}; allowed: {', '.join(spec)}"}, 400)
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                return _json({"error": f"{name}: {key} has the wrong type"}, 400)
        try:
            affected = await self._dispatch(name, body)
        except (TypeError, ValueError) as exc:
            return _json({"error": f"{name}: {exc}"}, 400)
        return _json({"ok": True, "fault": name, "affected": affected})

    async def _dispatch(self, name: str, args: Json) -> int | None:
        f = self.faults
        if name == "drop":
            return await f.drop(**args)
        if name == "refuse_connections":
            if "seconds" not in args:
                raise ValueError("seconds is required")
            await f.refuse_connections(float(args["seconds"]))
            return None
        if name == "rest_error":
            if "status" not in args:
                raise ValueError("status is required")
            f.rest_error(**args)
            return None
        if name == "slow":
            if "delay" not in args:
                raise ValueError("delay is required")
            f.slow(**args)
            return None
        if name == "bad_position":
            if "kind" not in args or "symbol" not in args:
                raise ValueError("kind and symbol are required")
            return f.bad_position(**args)
        if name == "ack_without_data":
            f.ack_without_data(**args)
            return None
        method: Callable[..., int] = getattr(f, name)
        return method(**args)
