"""Install anywhere: the wheel runs the demo and the bank lint from any directory.

The wheel is built from a copy of the source tree and installed into a new virtualenv whose
dependencies come from this one's site-packages (a `.pth` line), so nothing is downloaded; the
commands run in a directory where no `questions/` folder exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SOURCES = ("pyproject.toml", "README.md", "bot", "questions")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_wheel_runs_the_demo_and_the_lint_from_any_directory(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    pip = (sys.executable, "-m", "pip")
    _run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        tmp_path,
        source,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("rapport-*.whl")

    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # the dependencies: this environment's packages, after the venv's own (the wheel's `bot`)
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    where = _run(python, "-c", "import bot.config as c; print(c.DEFAULT_QUESTIONS_DIR)",
                 cwd=elsewhere, env=env)  # fmt: skip
    assert Path(where.strip()).is_relative_to(site)
    demo = _run(venv / "bin" / "rapport", "demo", "--auto", cwd=elsewhere, env=env)
    assert "That's the end of this round" in demo
    lint = _run(venv / "bin" / "rapport", "questions", "lint", cwd=elsewhere, env=env)
    assert "workplace" in lint
    version = _run(venv / "bin" / "rapport", "--version", cwd=elsewhere, env=env)
    assert (
        version.strip()
        == f"rapport {tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['version']}"
    )


def _make_dry_run(target: str, tmp_path: Path) -> str:
    """What `make TARGET` would run on a fresh clone (a virtualenv that doesn't exist yet)."""
    if shutil.which("make") is None:
        pytest.skip("no make")
    return _run("make", "-n", f"VENV={tmp_path / 'fresh'}", target, cwd=ROOT)


def test_make_demo_installs_the_runtime_only(tmp_path: Path) -> None:
    commands = _make_dry_run("demo", tmp_path)
    assert "pip install --quiet -e ." in commands and "[dev]" not in commands


def test_make_test_installs_the_dev_tools(tmp_path: Path) -> None:
    commands = _make_dry_run("test", tmp_path)
    assert "-e '.[dev]'" in commands and "pytest" in commands
