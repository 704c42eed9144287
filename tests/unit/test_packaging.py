"""Packaging: pyproject.toml lists every package under bot/ and maps in the shipped banks.

`tests/e2e/test_install.py` builds and installs the wheel itself.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_folder_of_python_modules_under_bot_is_a_listed_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "bot").rglob("__init__.py")
    }
    mapped = set(config["package-dir"])
    assert set(config["packages"]) == on_disk | mapped, "update packages in pyproject.toml"
    assert config["package-dir"]["bot.questions.shipped"] == "questions"
