"""Review 15: an OKX answer whose envelope says one thing and an item of ``data`` another, one of them a
timestamp code (50102/50112). OKX judges a request's timestamp before its key: a refused timestamp means the key
was not judged. So a timestamp code anywhere is the clock (re-measured, signed again, backed off), never an auth
failure that disables the account for good; the text names both codes."""

from __future__ import annotations

import pytest

from liqwatch.feeds.okx_errors import OKX_ERRORS
from liqwatch.feeds.rest import AuthError, ClockRejected


def _okx(code: str, msg: str, data: object) -> dict[str, object]:
    return {"code": code, "msg": msg, "data": data}


@pytest.mark.parametrize("body", [
    _okx("50112", "Invalid OK-ACCESS-TIMESTAMP", [{"sCode": "50113", "sMsg": "Invalid Sign"}]),
    _okx("50102", "Timestamp request expired", {"sCode": "50111", "sMsg": "Invalid OK-ACCESS-KEY"}),
    _okx("50113", "Invalid Sign", [{"sCode": "50102", "sMsg": "Timestamp request expired"}]),
])
def test_a_timestamp_code_beside_an_auth_code_is_the_clock(body: dict[str, object]) -> None:
    err = OKX_ERRORS.decode(401, {}, body, "GET /api/v5/account/balance")
    assert isinstance(err, ClockRejected) and not isinstance(err, AuthError), repr(err)
    data = body["data"]
    item = data[0] if isinstance(data, list) else data
    assert isinstance(item, dict)
    for code in (str(body["code"]), str(item["sCode"])):
        assert code in str(err)


def test_an_auth_code_alone_in_an_item_is_still_the_key() -> None:
    err = OKX_ERRORS.decode(401, {}, _okx("1", "Operation failed", [{"sCode": "50113", "sMsg": "Invalid Sign"}]),
                            "GET /api/v5/account/balance")
    assert isinstance(err, AuthError)
