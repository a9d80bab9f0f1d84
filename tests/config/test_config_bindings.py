"""``[ui.bindings]``: one key serves one action per screen (the app-wide keys count on every screen). A remap
that puts two actions on one key is refused, by the app at start and by ``config check``, with the conflict
named; the same key on different screens stays allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from liqwatch.config import ConfigError, load_settings
from liqwatch.config.keys import binding_conflicts
from liqwatch.config.settings import UiSettings
from tests.cli.watched import run_main


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_quit_bound_to_the_ack_key_is_refused_naming_the_conflict(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={"LIQWATCH_UI__BINDINGS__QUIT": "a"})
    message = str(caught.value)
    assert "ui.bindings" in message
    assert "'a' is bound to quit and ack on the main screen" in message
    assert "one key cannot serve two actions" in message


@pytest.mark.parametrize(("bindings", "conflict"), [
    ({"what_if": "s"}, "'s' is bound to sort_next and what_if on the main screen"),
    ({"cursor_down": "n"}, "'n' is bound to what_if_asset and cursor_down on the what-if screen"),  # its table
    ({"theme": "y"}, "'y' is bound to theme and quit_yes on the quit question"),  # app-wide keys count
    ({"ack": "x", "snooze": "x"}, "'x' is bound to ack and snooze on the main screen"),
])
def test_conflicts_within_one_screen_are_named(bindings: dict[str, str], conflict: str) -> None:
    assert conflict in binding_conflicts(bindings)


@pytest.mark.parametrize("bindings", [
    {},  # the defaults: escape and ? on several screens, each screen's own
    {"what_if_asset": "x", "quit_yes": "x"},  # one key on two different screens
    {"quit": "ctrl+q", "what_if": "w,f6"},  # README's example
    {"ack": "A", "ack_all": "a"},  # swapped
])
def test_the_same_key_on_different_screens_is_allowed(bindings: dict[str, str]) -> None:
    assert binding_conflicts(bindings) == []


def test_config_check_and_the_app_refuse_a_conflicting_binding(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[ui.bindings]\nquit = "a"\n')
    rc, _, err = run_main("config", "check", "--config", str(cfg))
    assert rc == 2 and "'a' is bound to quit and ack on the main screen" in err
    rc, out, err = run_main("--config", str(cfg))  # the app, at start
    assert rc == 2 and "'a' is bound to quit and ack on the main screen" in err and "usage" not in out


def test_a_binding_to_an_action_that_does_not_exist_is_refused_with_the_names() -> None:
    # config.example.toml once suggested ``refresh``, which no screen has: it bound nothing, silently.
    with pytest.raises(ValidationError) as err:
        UiSettings.model_validate({"bindings": {"refresh": "f5"}})
    text = str(err.value)
    assert "unknown action(s) refresh" in text and "what_if" in text
