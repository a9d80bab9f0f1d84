"""Issue 10: a listen key that expires while the user socket is down. The socket cannot carry a
``listenKeyExpired``, so the only sign is the refused handshake (HTTP 400 -1125): that must rotate the key,
once, then resync and go LIVE on the new key; over real sockets against the emulator."""

from __future__ import annotations

from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import eventually, running

MAIN = ("binance-main",)


async def test_rejected_handshake_rotates_the_listen_key_once() -> None:
    async with running(only=MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        user = env.channel("binance-main", "user")
        old_key, resyncs, connects = adapter.listen_key, adapter.resyncs, adapter.user_stream.connects
        # Binance's REST fails for a second: the rotation's POST is retried while the stream keeps dialling
        # the dead key, so several rejections come close together.
        env.emu.faults.rest_error(500, exchange="binance", seconds=1.0)
        assert env.emu.faults.expire_listen_key_while_down("binance-main") == 1
        await eventually(lambda: adapter.listen_key != old_key, 10, "a new listen key")
        await eventually(lambda: adapter.user_stream.connects > connects and user.state is ChannelState.LIVE, 10,
                         "the user stream LIVE on the new key")
        assert adapter.user_stream.rejected_handshakes >= 3  # several refusals...
        assert adapter.listen_key_rotations == 1  # ...one rotation
        assert adapter.resyncs > resyncs  # a REST snapshot before LIVE again
        # A refusal answered for a dial of the key already replaced does not rotate again.
        adapter._dialled_key = old_key
        adapter._user_rejected(400)
        assert adapter.listen_key_rotations == 1 and not adapter._rotating
