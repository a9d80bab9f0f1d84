"""``--record FILE`` holds the accounts' balances and positions and must not hold a bearer token: the file is
its owner's alone (0600, tightened if it already existed with a looser mode, never through a symlink), and a
listen key (a ``listenKeyExpired`` event carries it) is masked before it is written."""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import stat
import subprocess
from pathlib import Path

import pytest

from liqwatch.demo_environment import demo_environment
from liqwatch.feeds.frame_recorder import FrameRecorder, RecordFileError, read_recording
from tests.feeds.harness import FAST, eventually
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_recording_is_created_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        r = FrameRecorder(tmp_path / "new" / "frames.jsonl.gz")
        r.write(1.0, "a/market", "{}")
        r.close()
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "new" / "frames.jsonl.gz") == 0o600
    assert mode_of(tmp_path / "new") == 0o700  # the directory made for it is private too


def test_an_existing_loose_recording_is_tightened_with_a_warning(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "frames.jsonl.gz"
    first = FrameRecorder(path)
    first.write(1.0, "a/market", "one")
    first.close()
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING, logger="liqwatch.feeds.frame_recorder"):
        again = FrameRecorder(path)
    again.write(2.0, "a/market", "two")
    again.close()
    assert mode_of(path) == 0o600
    assert "permissions 0644 were too open" in caplog.text and "changed to 0600" in caplog.text
    assert [f["raw"] for f in read_recording(path)] == ["one", "two"]  # appended, not replaced


def test_a_symlink_is_refused_and_its_target_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.gz"
    target.write_bytes(b"")
    os.chmod(target, 0o644)
    link = tmp_path / "frames.jsonl.gz"
    link.symlink_to(target)
    with pytest.raises(RecordFileError, match="symbolic link"):
        FrameRecorder(link)
    assert target.read_bytes() == b"" and mode_of(target) == 0o644


def test_check_names_a_record_file_it_cannot_use(tmp_path: Path) -> None:
    link = tmp_path / "frames.jsonl.gz"
    link.symlink_to(tmp_path / "target")
    proc = subprocess.run([*tui_argv(), "check", "--demo", "--record", str(link)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=dict(os.environ))
    assert proc.returncode == 3  # "unknown", as every usage error of check
    assert "--record" in proc.stderr and "symbolic link" in proc.stderr and "Traceback" not in proc.stderr


async def test_a_recorded_demo_run_holds_no_listen_key(tmp_path: Path) -> None:
    path = tmp_path / "frames.jsonl.gz"
    async with asyncio.timeout(60), demo_environment(record_path=path, options=FAST) as (emu, monitor):
        assert await monitor.wait_live(20), "feeds never went LIVE"
        adapter = next(a for a in monitor.adapters if a.account.name == "binance-main")
        rotations = adapter.listen_key_rotations
        # Binance pushes the expired key itself in this event: the one frame that carries a listen key.
        assert emu.faults.expire_listen_key("binance-main") >= 1
        await eventually(lambda: adapter.listen_key_rotations > rotations, 10, "the listen key to rotate")
        await eventually(lambda: emu.listen_keys.active("binance-main") is not None
                         and adapter.listen_key == emu.listen_keys.active("binance-main").key, 10, "the new key")
        keys = list(emu.listen_keys.by_key)
        assert len(keys) >= 2
    with gzip.open(path) as fh:
        data = fh.read()
    frames = list(read_recording(path))
    assert any('"listenKeyExpired"' in f["raw"] for f in frames), "the expiry event was recorded"
    for key in keys:
        assert key.encode() not in data
    assert mode_of(path) == 0o600


def test_the_demo_app_refuses_a_bad_record_file_before_the_app_starts(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    import tui.launch

    def no_app(*args: object, **kwargs: object) -> None:
        raise AssertionError("the App was started with a --record file it cannot use")

    monkeypatch.setattr("tui.app.make_app", no_app)
    link = tmp_path / "frames.jsonl.gz"
    link.symlink_to(tmp_path / "target")
    args = argparse.Namespace(seconds=None, speed=1.0, config=None, record=str(link))
    with pytest.raises(RecordFileError, match="symbolic link"):
        tui.launch.run_demo_app(args)
