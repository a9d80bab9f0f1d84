"""OKX's own fault controls, beside the shared ones (``faults``): the 64008 notice, and OKX-shaped REST errors.

``POST /_emulator/okx/notice`` ``{"target": "okx" | "okx-public" | "okx-private"}`` pushes 64008 to the open
OKX sockets; ``POST /_emulator/okx/revoke`` ``{"account": name}`` deletes an account's API key (every call
with it is then 50111, as OKX answers a deleted key).
"""

from __future__ import annotations

import orjson
from aiohttp import web

from liqwatch.emulator.okx_auth import dumps
from liqwatch.emulator.okx_ws import OkxStreams
from liqwatch.emulator.simulation import Simulation

#: What OKX sends for the statuses the shared ``rest_error`` fault injects (code, msg).
_REST_ERRORS = {
    429: ("50011", "Too Many Requests"),
    503: ("50001", "Service temporarily unavailable. Please try again later."),
    500: ("50026", "System error. Try again later."),
}


def okx_rest_error(status: int, retry_after: int | None) -> web.Response:
    code, msg = _REST_ERRORS.get(status, ("50026", "System error. Try again later."))
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return web.Response(text=dumps({"code": code, "msg": msg, "data": []}), status=status, headers=headers,
                        content_type="application/json")


class OkxFaults:
    def __init__(self, sim: Simulation, streams: OkxStreams) -> None:
        self.sim = sim
        self.streams = streams

    def routes(self) -> list[web.RouteDef]:
        return [web.post("/_emulator/okx/notice", self._notice), web.post("/_emulator/okx/revoke", self._revoke)]

    async def _args(self, request: web.Request) -> dict[str, object]:
        raw = await request.read()
        if not raw:
            return {}
        body = orjson.loads(raw)
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    async def _notice(self, request: web.Request) -> web.Response:
        try:
            target = str((await self._args(request)).get("target", "okx"))
            affected = self.streams.notice(target)
        except (ValueError, orjson.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True, "affected": affected})

    async def _revoke(self, request: web.Request) -> web.Response:
        try:
            account = str((await self._args(request)).get("account", ""))
        except (ValueError, orjson.JSONDecodeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if account not in self.sim.okx.accounts:
            return web.json_response({"error": f"no OKX account {account!r}"}, status=404)
        self.sim.okx.revoke_key(account)
        return web.json_response({"ok": True})
