"""Rapport's version, from the installed package's metadata (pyproject.toml's `version`)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    VERSION = version("rapport")
except PackageNotFoundError:  # run from a source tree that was never installed
    VERSION = "0+unknown"
