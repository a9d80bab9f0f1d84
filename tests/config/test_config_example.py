"""``config.example.toml`` validates, and it and the models document every option."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

from pydantic import BaseModel

import liqwatch.config
from liqwatch.config import (
    AlertThresholds,
    Credentials,
    Disabled,
    FeedSettings,
    StorageSettings,
    UiSettings,
    load_settings,
    resolve_all,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def _config_models() -> set[type[BaseModel]]:
    """Every model defined in the liqwatch.config package."""
    found: set[type[BaseModel]] = set()
    for info in pkgutil.iter_modules(liqwatch.config.__path__, "liqwatch.config."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == info.name:
                found.add(value)
    return found


ALL_MODELS = _config_models()


def test_example_file_validates() -> None:
    settings = load_settings(EXAMPLE, environ={})
    names = [a.name for a in settings.accounts]
    assert names == ["binance-main", "bybit-hedge", "okx", "hl-vault", "kraken", "binance-testnet"]
    # The example shows the defaults.
    assert (settings.alerts, settings.ui, settings.feeds) == (AlertThresholds(), UiSettings(), FeedSettings())
    assert settings.storage.retention_days == StorageSettings().retention_days


def test_example_per_account_override_is_merged() -> None:
    settings = load_settings(EXAMPLE, environ={})
    hedge = settings.alerts_for("bybit-hedge")
    assert (hedge.warning, hedge.critical, hedge.liquidation_imminent) == (0.4, 0.7, 0.9)
    assert hedge.stale_feed_s == 15
    assert settings.alerts_for(settings.accounts[0]) == settings.alerts


def test_example_accounts_without_their_variables_are_disabled_not_invalid() -> None:
    outcome = resolve_all(load_settings(EXAMPLE, environ={}).accounts, environ={})
    assert isinstance(outcome["hl-vault"], Credentials)
    assert isinstance(outcome["binance-main"], Disabled)
    assert "BINANCE_API_KEY" in outcome["binance-main"].reason


def test_every_model_hides_input_and_forbids_unknown_keys() -> None:
    assert {m.__name__ for m in ALL_MODELS} >= {"Settings", "Account", "AlertOverrides", "UiSettings"}
    for model in ALL_MODELS:
        assert model.model_config.get("hide_input_in_errors") is True, model.__name__
        assert model.model_config.get("extra") == "forbid", model.__name__


def test_every_field_has_a_docstring_and_is_documented_in_the_example() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for model in ALL_MODELS:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no docstring"
            assert re.search(rf"\b{name}\b", text), f"{model.__name__}.{name} is not in config.example.toml"
