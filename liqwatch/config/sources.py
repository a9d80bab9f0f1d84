"""The pydantic-settings sources behind ``Settings``: the TOML data and the ``LIQWATCH_*`` environment.

The loader reads and checks the file itself (permissions, literal secrets) and hands the parsed data
over through a context variable, because ``settings_customise_sources`` is a classmethod and cannot take
arguments; ``Settings()`` built without the loader sees no file and ``os.environ``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource

ENV_PREFIX = "LIQWATCH_"
ENV_DELIMITER = "__"
FILE_ONLY_FIELDS = frozenset({"accounts"})


@dataclass(frozen=True)
class LoadInputs:
    toml_data: Mapping[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] | None = None


_INPUTS: ContextVar[LoadInputs] = ContextVar("liqwatch_config_inputs")
_NO_INPUTS = LoadInputs()


@contextmanager
def load_inputs(toml_data: Mapping[str, Any], environ: Mapping[str, str] | None) -> Iterator[None]:
    """Make ``toml_data`` and ``environ`` the sources of the ``Settings`` built inside the block."""
    token = _INPUTS.set(LoadInputs(toml_data, environ))
    try:
        yield
    finally:
        _INPUTS.reset(token)


def current_inputs() -> LoadInputs:
    return _INPUTS.get(_NO_INPUTS)


class TomlDataSource(PydanticBaseSettingsSource):
    """The already parsed TOML file. Keys are passed as they are (case-sensitive), so ``[UI]`` is an
    unknown option rather than an alias of ``[ui]``."""

    def __init__(self, settings_cls: type[BaseSettings], data: Mapping[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = dict(data)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)

    def __repr__(self) -> str:
        # The data may hold literal secrets.
        return f"{type(self).__name__}(keys={sorted(self._data)})"


class FileOnlyAwareEnvSource(EnvSettingsSource):
    """``LIQWATCH_*`` variables with ``__`` nesting, read from a given mapping; never ``accounts``.

    Accounts come from the file only: an environment that could add an account could point the monitor
    at someone else's keys.
    """

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str] | None = None) -> None:
        self._environ: Mapping[str, str] = os.environ if environ is None else environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        if self.case_sensitive:
            return dict(self._environ)
        return {key.lower(): value for key, value in self._environ.items()}

    def prepare_field_value(self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool) -> Any:
        if field_name in FILE_ONLY_FIELDS:
            return None
        return super().prepare_field_value(field_name, field, value, value_is_complex)


def env_override_names(environ: Mapping[str, str], fields: frozenset[str]) -> tuple[list[str], list[str]]:
    """The ``LIQWATCH_*`` variable names that override ``fields``, and those ignored (file-only fields)."""
    applied, ignored = [], []
    for name in sorted(environ):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        head = name[len(ENV_PREFIX) :].split(ENV_DELIMITER, 1)[0].lower()
        if head in FILE_ONLY_FIELDS:
            ignored.append(name)
        elif head in fields:
            applied.append(name)
    return applied, ignored
