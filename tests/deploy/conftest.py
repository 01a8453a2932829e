"""Deployment fixtures: the tools deploy/tools.sh installs, free ports, and fresh shared stores.

The tools live in .tools (`deploy/tools.sh`, which `make test` runs); without them these tests fail under
CI=true and are skipped otherwise. PostgreSQL and Redis are the shared test services
(`scripts/services.sh env`): every test gets a database and a key prefix of its own, because other tests
use the same servers at the same time.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import ROOT

TOOLS = ROOT / ".tools"
VENV_BIN = ROOT / ".venv" / "bin"


def missing(what: str, how: str):
    """Fail under CI (the setup is broken), skip elsewhere (a partial checkout)."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is missing: {how}")
    pytest.skip(f"{what} is missing: {how}")


@pytest.fixture(scope="session")
def deploy_tools():
    """.tools/bin with hadolint, shellcheck, kustomize, kubeconform and the offline schemas."""
    needed = [TOOLS / "bin" / name for name in ("hadolint", "shellcheck", "kustomize", "kubeconform")]
    needed.append(TOOLS / "k8s-schemas" / "monitoring.coreos.com" / "servicemonitor_v1.json")
    absent = [str(path.relative_to(ROOT)) for path in needed if not path.exists()]
    if absent:
        missing(", ".join(absent), "run deploy/tools.sh (make test does)")
    return TOOLS / "bin"


@pytest.fixture(scope="session")
def health_probe():
    path = TOOLS / "bin" / "grpc-health-probe"
    if not path.exists():
        missing(str(path.relative_to(ROOT)), "run make tools")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tool_env(**extra: str) -> dict[str, str]:
    """The environment with the venv's `convsvc` and .tools/bin first on PATH."""
    path = f"{VENV_BIN}{os.pathsep}{TOOLS / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path, **extra}


def run(*command, **options) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=ROOT, capture_output=True, text=True,
                          timeout=options.pop("timeout", 120), **options)


def _service(variable: str, start: str) -> str:
    value = os.environ.get(variable)
    if not value:
        missing(f"${variable}", f"run `scripts/services.sh start {start}` and `eval \"$(scripts/services.sh env)\"` "
                "(make test does both)")
    return value


@pytest.fixture
def postgres_dsn():
    """A database of this test's own on the shared PostgreSQL, dropped afterwards."""
    import psycopg

    admin = _service("CONVSVC_TEST_POSTGRES_DSN", "postgres")
    name = f"convsvc_deploy_{secrets.token_hex(6)}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def redis_url():
    return _service("CONVSVC_TEST_REDIS_URL", "redis")


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this test's own on the shared Redis; its keys are deleted afterwards."""
    import redis

    prefix = f"convsvc-deploy-test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
