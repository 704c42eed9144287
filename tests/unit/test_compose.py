"""The Dockerfile and docker-compose.yml: the shape operators rely on; `docker compose config`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parents[2]
COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DATA_DIR = "/app/data"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def _dockerfile_lines() -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_the_bot_service_uses_the_env_file_a_named_volume_and_the_http_port(
    compose: dict[str, Any],
) -> None:
    bot = compose["services"]["bot"]
    assert bot["build"] == "."
    assert "profiles" not in bot  # started by a plain `docker compose up`
    assert [entry["path"] for entry in bot["env_file"]] == [".env"]
    assert f"rapport-data:{DATA_DIR}" in bot["volumes"]
    url = bot["environment"]["RAPPORT_DATABASE_URL"]
    assert url == f"${{RAPPORT_DATABASE_URL:-sqlite+aiosqlite:///{DATA_DIR}/rapport.db}}"
    # published on the host's loopback unless RAPPORT_PUBLISH_ADDRESS says otherwise
    port = "${RAPPORT_HTTP_PORT:-8080}"
    assert bot["ports"] == [f"${{RAPPORT_PUBLISH_ADDRESS:-127.0.0.1}}:{port}:{port}"]
    assert bot["depends_on"]["postgres"] == {"condition": "service_healthy", "required": False}


def test_the_postgres_profile_adds_postgres_16_with_a_healthcheck_and_a_volume(
    compose: dict[str, Any],
) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    assert postgres["profiles"] == ["postgres"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "postgres-data:/var/lib/postgresql/data" in postgres["volumes"]
    assert set(compose["volumes"]) == {"rapport-data", "postgres-data"}


def test_the_documented_postgres_url_matches_the_postgres_service(
    compose: dict[str, Any],
) -> None:
    env = compose["services"]["postgres"]["environment"]
    example = (ROOT / ".env.example").read_text()
    assert "COMPOSE_PROFILES=postgres" in example
    expected = f"postgresql+asyncpg://{env['POSTGRES_USER']}:"
    assert expected in example and f"@postgres:5432/{env['POSTGRES_DB']}" in example


def test_the_dockerfile_runs_rapport_as_a_non_root_user_with_a_healthcheck() -> None:
    lines = _dockerfile_lines()
    assert lines[0] == "FROM python:3.11-slim"
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
    assert lines[-1] == 'CMD ["rapport", "run"]'
    assert any(re.match(r"RUN pip install \.( |$)", line) for line in lines)
    assert any(line.startswith("COPY questions") for line in lines)
    # inside the container the server must listen on every interface for the published port
    assert any("RAPPORT_HTTP_HOST=0.0.0.0" in line for line in lines if line.startswith("ENV"))
    [healthcheck] = [line for line in lines if line.startswith("HEALTHCHECK")]
    assert "urllib.request" in healthcheck and "/healthz" in healthcheck


def test_secrets_and_local_state_stay_out_of_the_image() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".venv", "data", ".git"} <= set(ignored)


def _compose_cli() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(
            ["docker", "compose", "version"], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def test_docker_compose_config_accepts_the_file(tmp_path: Path) -> None:
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker client with the compose plugin (`docker compose version` failed)")
    for profile in ([], ["--profile", "postgres"]):
        result = subprocess.run(
            [*cli, "-f", str(COMPOSE), *profile, "config", "--quiet"],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stderr
