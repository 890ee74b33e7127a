"""Typed reads of ``LINKSPIDER_*`` settings whose default is the settings registry's.

The components' options objects (``XxxOptions.from_settings``) read their settings through
these functions, so a default is written once, in :mod:`linkspider.settings_reference`, and
a bad value fails at start with one line naming the setting. Pure: the settings object is
anything with Scrapy's typed getters (no Scrapy import).
"""

from __future__ import annotations

from typing import Any, Protocol

from linkspider.settings_reference import default_of


class SettingsReader(Protocol):
    """The typed getters of Scrapy's ``BaseSettings``."""

    def get(self, name: str, default: Any = None) -> Any: ...
    def getint(self, name: str, default: int = 0) -> int: ...
    def getfloat(self, name: str, default: float = 0.0) -> float: ...
    def getbool(self, name: str, default: bool = False) -> bool: ...


class SettingValueError(ValueError):
    """A setting's value is invalid; the message names the setting and the value."""


def int_setting(settings: SettingsReader, name: str, *, minimum: int | None = None) -> int:
    """An integer setting (default: the registry's), at least ``minimum`` if given."""
    try:
        value = settings.getint(name, default_of(name, int))
    except (TypeError, ValueError):
        raise SettingValueError(
            f"{name}: expected a whole number, got {settings.get(name)!r}"
        ) from None
    if minimum is not None and value < minimum:
        raise SettingValueError(f"{name}: must be {minimum} or more, got {value}")
    return value


def float_setting(settings: SettingsReader, name: str, *, minimum: float | None = None) -> float:
    """A number setting (default: the registry's), at least ``minimum`` if given."""
    try:
        value = settings.getfloat(name, default_of(name, float))
    except (TypeError, ValueError):
        raise SettingValueError(f"{name}: expected a number, got {settings.get(name)!r}") from None
    if minimum is not None and value < minimum:
        raise SettingValueError(f"{name}: must be {minimum:g} or more, got {value:g}")
    return value


def bool_setting(settings: SettingsReader, name: str) -> bool:
    """A true/false setting (default: the registry's)."""
    try:
        return settings.getbool(name, default_of(name, bool))
    except ValueError:
        raise SettingValueError(
            f"{name}: expected true or false, got {settings.get(name)!r}"
        ) from None


def text_setting(settings: SettingsReader, name: str) -> str:
    """A text setting; unset (``None``) is the registry's default, ``""`` stays ``""``."""
    value = settings.get(name)
    return default_of(name, str) if value is None else str(value)
