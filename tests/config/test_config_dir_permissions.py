"""A config file with literal secrets is refused, as ssh refuses ``~/.ssh``, when someone else can write to a
directory on its path (they could swap the file for their own): the message names the directory and gives the
exact fix. A file without secrets is not held to it."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from liqwatch.config import ConfigError, load_settings

CANARY = "dIrCaNaRy-7e51a"
WITH_SECRET = f"""
[[accounts]]
name = "emu"
exchange = "bybit"
api_key = "{CANARY}"
api_secret = "{CANARY}x"
"""
WITHOUT_SECRET = """
[[accounts]]
name = "main"
exchange = "bybit"
api_key_env = "BYBIT_KEY"
api_secret_env = "BYBIT_SECRET"
"""
OTHER_UID = 4242
as_root = pytest.mark.skipif(os.getuid() != 0, reason="giving a directory to another user needs root")


def config_in(directory: Path, text: str = WITH_SECRET, dir_mode: int = 0o700) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o600)
    directory.chmod(dir_mode)
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    message = str(info.value)
    assert CANARY not in message
    return message


def test_a_world_writable_directory_of_yours_is_refused_with_the_chmod_fix(tmp_path: Path) -> None:
    d = tmp_path / "conf"
    path = config_in(d, dir_mode=0o777)
    message = refusal(path)
    assert "UNPROTECTED CONFIGURATION DIRECTORY" in message
    assert f"permissions 0777 for the directory {d} are too open" in message
    assert f"chmod 700 {d}" in message and f"chmod go-w {d}" in message
    os.chmod(d, 0o755)  # the fix as printed (go-w) is enough
    assert load_settings(path, environ={}).accounts[0].name == "emu"


def test_a_sticky_world_writable_directory_is_still_refused_as_the_files_own(tmp_path: Path) -> None:
    d = tmp_path / "shared"
    assert "too open" in refusal(config_in(d, dir_mode=0o1777))


def test_a_world_writable_directory_higher_up_is_refused_unless_sticky(tmp_path: Path) -> None:
    top = tmp_path / "top"
    path = config_in(top / "mine")
    top.chmod(0o777)
    message = refusal(path)
    assert f"the directory {top} are too open" in message
    top.chmod(0o1777)  # like /tmp: others cannot rename what is yours in it
    assert load_settings(path, environ={}).accounts[0].name == "emu"


def test_a_group_writable_directory_of_yours_is_accepted(tmp_path: Path) -> None:
    assert load_settings(config_in(tmp_path / "g", dir_mode=0o770), environ={}).accounts[0].name == "emu"


@as_root
def test_a_directory_owned_by_someone_else_is_refused(tmp_path: Path) -> None:
    d = tmp_path / "theirs"
    path = config_in(d, dir_mode=0o755)
    os.chown(d, OTHER_UID, OTHER_UID)  # its owner can rename the file away, whatever the mode
    message = refusal(path)
    assert f"owned by uid {OTHER_UID}, not by you" in message and "a directory of your own" in message


@as_root
def test_group_write_refused_in_a_root_directory_that_is_not_yours(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "rootgroup"
    path = config_in(d, dir_mode=0o775)
    path_uid = os.stat(path).st_uid
    os.chown(path, OTHER_UID, -1)  # the file is the (pretend) user's own, the directory root's
    monkeypatch.setattr(os, "getuid", lambda: OTHER_UID)
    message = refusal(path)
    assert f"permissions 0775 for the directory {d} let its group write to it" in message
    assert f"chmod g-w {d}" in message
    os.chown(path, path_uid, -1)


def test_a_symlinked_directory_is_checked_where_it_points(tmp_path: Path) -> None:
    open_dir = tmp_path / "open"
    real = config_in(open_dir / "real")
    open_dir.chmod(0o777)  # the real directory's parent: anyone could swap "real" for their own
    link = tmp_path / "conf"
    link.symlink_to(open_dir / "real", target_is_directory=True)
    assert f"the directory {open_dir} are too open" in refusal(link / "config.toml")
    open_dir.chmod(0o755)
    assert load_settings(link / "config.toml", environ={}).accounts[0].name == "emu"
    assert real.exists()


def test_a_file_without_secrets_may_live_in_an_open_directory(tmp_path: Path) -> None:
    path = config_in(tmp_path / "pub", WITHOUT_SECRET, dir_mode=0o777)
    assert load_settings(path, environ={}).accounts[0].name == "main"
