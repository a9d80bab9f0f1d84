"""The liqwatch configuration: models (pydantic-settings), file loading and credential resolution.

Call ``load_settings(path)`` for the validated ``Settings``, ``settings.alerts_for(account)`` for an
account's effective alert thresholds, and ``resolve_credentials(account)`` when connecting it.
"""

from liqwatch.config.accounts import Account
from liqwatch.config.alerts import AlertDelivery, AlertOverrides, AlertThresholds
from liqwatch.config.errors import ConfigError
from liqwatch.config.loader import LoadedConfig, default_config_path, load_config, load_settings
from liqwatch.config.secrets import Credentials, Disabled, resolve_all, resolve_credentials
from liqwatch.config.settings import FeedSettings, Settings, StorageSettings, UiSettings

__all__ = [
    "Account",
    "AlertDelivery",
    "AlertOverrides",
    "AlertThresholds",
    "ConfigError",
    "Credentials",
    "Disabled",
    "FeedSettings",
    "LoadedConfig",
    "Settings",
    "StorageSettings",
    "UiSettings",
    "default_config_path",
    "load_config",
    "load_settings",
    "resolve_all",
    "resolve_credentials",
]
