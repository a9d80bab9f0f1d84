"""The ssh-style rule for a config file that holds literal secrets: a regular file (not a symlink), owned
by the current user, readable by that user alone, in a directory that nobody else can write to.

The directory matters as much as the file: whoever can write to it can rename the file away and put their own
in its place (a config pointing ``rest_url`` at their server, which then receives the key). As ssh does for
``~/.ssh``, every directory on the way is checked, by the path as given and by its real path (a symlinked
``~/.config`` is checked where it points, and where the link itself lives): the file's own directory must be
owned by you or root and writable by nobody else (group-writable is accepted only in a directory of your
own, as with per-user groups); a directory above it may be world-writable only with the sticky bit (``/tmp``).
"""

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
    for directory, is_parent in _directories(path):
        problem = _directory_problem(directory, is_parent, uid)
        if problem is not None:
            why, fix = problem
            raise ConfigError(
                f"UNPROTECTED CONFIGURATION DIRECTORY: refusing {shown}: {why}.\n"
                f"{holds}, and whoever can write to a directory on its path can replace it with a file of "
                f"their own. This file is ignored.\nFix: {fix}\n{_INSTEAD}",
                path=path,
            )


def _directories(path: Path) -> list[tuple[Path, bool]]:
    """The directories that hold ``path``, by its path as given and by its real path, nearest first; each with
    whether it is the file's own directory. ``path`` is absolute (the loader makes it so)."""
    out: list[tuple[Path, bool]] = []
    seen: set[Path] = set()
    for start in (path.parent, Path(os.path.realpath(path.parent))):
        for i, directory in enumerate((start, *start.parents)):
            if directory not in seen:
                seen.add(directory)
                out.append((directory, i == 0))
    return out


def _directory_problem(directory: Path, is_parent: bool, uid: int) -> tuple[str, str] | None:
    """Why nobody else must be able to write to ``directory``, and the exact fix; ``None`` if it is safe."""
    try:
        st = os.stat(directory)
    except OSError:
        return None  # the file was just read through it: a directory that vanished since is no attack surface
    shown = shlex.quote(str(directory))
    mode = stat.S_IMODE(st.st_mode)
    own = st.st_uid == uid
    elsewhere = "move the file into a directory of your own: mkdir -m 700 DIR && mv FILE DIR/"
    if st.st_uid not in (uid, 0):
        return f"its directory {shown} is owned by uid {st.st_uid}, not by you (uid {uid}) or root", elsewhere
    sticky = bool(mode & stat.S_ISVTX) and not is_parent  # a sticky directory keeps others off your entries
    if mode & 0o002 and not sticky:
        fix = f"chmod 700 {shown} (or chmod go-w {shown} to keep it readable)" if own else elsewhere
        return f"permissions {mode:04o} for the directory {shown} are too open: anyone can write to it", fix
    if mode & 0o020 and not own and not sticky:
        return (f"permissions {mode:04o} for the directory {shown} let its group write to it, and it is not yours",
                f"as its owner, chmod g-w {shown}; or {elsewhere}")
    return None
