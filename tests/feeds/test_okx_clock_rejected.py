"""OKX answers a signed call stamped outside its 30 s window with code 50102 and HTTP 401, as it does for a
wrong key. It is the clock (a laptop waking, a wall clock stepped between two measurements), not the key: the
adapter measures OKX's clock again, signs again, and goes on watching the account; never disabled for it."""

from __future__ import annotations

from tests.feeds.harness import eventually, running

ACCOUNT = "okx-iso"


async def test_a_call_refused_for_its_timestamp_is_re_signed_and_the_account_stays_watched() -> None:
    async with running(only=(ACCOUNT,), okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter(ACCOUNT)
        seen = len(env.emu.requests)
        clock = adapter.server_clock
        measure, armed = clock.measure, [True]

        def stepped(before, server, after):  # type: ignore[no-untyped-def]
            # The wall clock stepped a minute right after this measurement (a laptop waking): the next
            # signed call is a minute off OKX's clock, past its 30 s window. Once.
            measure(before, server, after)
            if armed:
                armed.clear()
                clock.offset_s += 60.0

        clock.measure = stepped  # type: ignore[method-assign]
        measured = clock.measurements

        def answered() -> list[tuple[str, int]]:
            return [(r[1], r[2]) for r in list(env.emu.requests)[seen:] if r[1].startswith("/api/v5/account")]

        await eventually(lambda: any(s == 401 for _, s in answered()), 10, "a signed call refused (50102)")
        def answered_after_the_refusal() -> bool:
            statuses = [s for _, s in answered()]
            return 401 in statuses and 200 in statuses[statuses.index(401):]

        await eventually(answered_after_the_refusal, 10, "the call signed again and answered")
        assert not armed and clock.measurements >= measured + 2  # OKX's clock measured again after the 401
        assert abs(clock.offset_s) < 5.0
        view = env.monitor.store.snapshot().account(ACCOUNT)
        assert view.disabled_reason is None, view.disabled_reason
        assert "authentication" not in str(adapter.last_error)
        assert await env.monitor.wait_live(15)
