"""The ssh-style rule for a config file that holds literal secrets: a regular file (not a symlink), owned
by the current user, readable by that user alone."""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Sequence
from pathlib import Path

from liqwatch.config.errors import ConfigError

_INSTEAD = (
    "Or keep the secrets out of the file: api_key_env / api_secret_env / passphrase_env name environment "
    "variables that hold them."
)


def check_secret_file(path: Path, link_stat: os.stat_result, file_stat: os.stat_result, fields: Sequence[str]) -> None:
    """Refuse ``path`` unless it is safe to hold the literal secrets ``fields`` (e.g. ``accounts[0].api_key``).

    ``link_stat`` is ``os.lstat(path)`` and ``file_stat`` the ``fstat`` of the descriptor the file was read
    from, so a file swapped after the check is caught by its inode.
    """
    shown = shlex.quote(str(path))
    holds = f"It contains literal secrets ({', '.join(fields)})"
    if stat.S_ISLNK(link_stat.st_mode) or (link_stat.st_dev, link_stat.st_ino) != (
        file_stat.st_dev,
        file_stat.st_ino,
    ):
        target = shlex.quote(os.path.realpath(path))
        raise ConfigError(
            f"refusing {shown}: it is a symbolic link.\n"
            f"{holds}, so it must be a regular file that only you can read.\n"
            f"Fix: use the file itself: --config {target} (and chmod 600 {target}).\n{_INSTEAD}",
            path=path,
        )
    uid = os.getuid()
    if file_stat.st_uid != uid:
        raise ConfigError(
            f"refusing {shown}: it is owned by uid {file_stat.st_uid}, not by you (uid {uid}).\n"
            f"{holds}, so it must belong to you and be readable by you alone.\n"
            f"Fix: copy it to a file of your own: install -m 600 {shown} <new path>\n{_INSTEAD}",
            path=path,
        )
    mode = stat.S_IMODE(file_stat.st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"UNPROTECTED CONFIGURATION FILE: permissions {mode:04o} for {shown} are too open.\n"
            f"{holds}, so it must not be accessible by others. This file is ignored.\n"
            f"Fix: chmod 600 {shown}\n{_INSTEAD}",
            path=path,
        )
