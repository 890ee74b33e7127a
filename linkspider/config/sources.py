"""Read an argument that may be a file path or inline text."""

from __future__ import annotations

from pathlib import Path

#: Endings that mark an argument as a file name even when the file is missing.
FILE_SUFFIXES = (".txt", ".csv", ".tsv", ".list", ".toml", ".lst")


class ConfigError(ValueError):
    """A user-supplied configuration value is wrong; the message says what and where."""


def read_source(spec: str, what: str) -> tuple[str, str | None]:
    """Return ``(text, path)``: the file's text if ``spec`` names a file, else ``spec``.

    A value ending in a file suffix that does not exist is an error rather than being
    read as inline text: a typo in a path must not silently become a one-domain list.
    """
    candidate = spec.strip()
    if "\n" not in candidate and candidate:
        path = Path(candidate).expanduser()
        if path.is_file():
            try:
                return path.read_text(encoding="utf-8-sig"), str(path)
            except UnicodeDecodeError as exc:
                raise ConfigError(f"{what} file {path} is not UTF-8 text: {exc}") from exc
            except OSError as exc:
                raise ConfigError(f"cannot read {what} file {path}: {exc}") from exc
        if path.is_dir():
            raise ConfigError(f"{what} {path} is a folder, not a file")
        if candidate.lower().endswith(FILE_SUFFIXES):
            raise ConfigError(f"{what} file not found: {path}")
    return spec, None
