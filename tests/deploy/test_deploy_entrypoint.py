"""deploy/docker-entrypoint.sh run directly (no Docker engine here): it execs `convsvc serve` with the
container's flags from the environment, prepares the data directory, joins a config directory, answers
the image's HEALTHCHECK, and hands other commands through."""

from __future__ import annotations

import os
import pathlib
import re
import signal
import stat
import shutil
import subprocess
import tempfile
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convsvc.server.keys import digest, new_key
from tests.conftest import ROOT
from tests.deploy.conftest import VENV_BIN, free_port, tool_env

ENTRYPOINT = ROOT / "deploy" / "docker-entrypoint.sh"


class Entrypoint:
    """The entrypoint in a child process, the way a container runtime starts it."""

    def __init__(self, tmp: pathlib.Path, *args: str, **env: str) -> None:
        self.port = free_port()
        self.data_dir = tmp / "data"
        self.log_path = tmp / "entrypoint.log"
        self.env = tool_env(CONVSVC_SERVER_HOST="127.0.0.1", CONVSVC_SERVER_PORT=str(self.port),
                            CONVSVC_SERVER_DATA_DIR=str(self.data_dir), CONVSVC_METRICS_PORT="0",
                            CONVSVC_REGISTRY_REST_PORT="0", **env)
        self.env.pop("CONVSVC_CONFIG", None) if "CONVSVC_CONFIG" not in env else None
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen([str(ENTRYPOINT), *args], stdout=log, stderr=subprocess.STDOUT,
                                            env=self.env, cwd=tmp)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_listening(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if f"listening on 127.0.0.1:{self.port}" in self.log():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"the server did not start:\n{self.log()}")

    def health(self) -> subprocess.CompletedProcess:
        return subprocess.run([str(ENTRYPOINT), "health"], env=self.env, capture_output=True, text=True, timeout=20)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@pytest.fixture
def started(tmp_path, health_probe):
    entrypoints = []

    def start(*args: str, **env: str) -> Entrypoint:
        entrypoint = Entrypoint(tmp_path, *args, **env)
        entrypoints.append(entrypoint)
        entrypoint.wait_listening()
        return entrypoint

    yield start
    for entrypoint in entrypoints:
        entrypoint.stop()


def health_status(port: int) -> str:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def test_entrypoint_execs_the_server_with_flags_from_the_environment(started):
    server = started("--grace", "3")
    cmdline = pathlib.Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")[:-1]
    # exec: the process the runtime started is the server itself, so SIGTERM reaches it
    assert [part.decode() for part in cmdline[1:]] == [
        str(VENV_BIN / "convsvc"), "serve", "--host", "127.0.0.1", "--port", str(server.port),
        "--data-dir", str(server.data_dir), "--grace", "3"]
    assert health_status(server.port) == "SERVING"
    assert (server.data_dir / "registry.db").is_file()  # the embedded registry, in the data directory

    probe = server.health()
    assert (probe.returncode, probe.stderr.strip()) == (0, "status: SERVING")

    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(15) == 0
    assert "stopped" in server.log()
    after = server.health()
    assert after.returncode != 0
    assert (after.returncode, after.stderr.strip()) == (
        2, f'timeout: failed to connect service "127.0.0.1:{server.port}" within 2s')


def test_serve_is_the_default_command_and_the_container_defaults_apply(tmp_path, health_probe):
    env = tool_env(CONVSVC_SERVER_PORT=str(free_port()), CONVSVC_METRICS_PORT="0", CONVSVC_REGISTRY_REST_PORT="0")
    env.pop("CONVSVC_SERVER_HOST", None)
    data_dir = tmp_path / "default-data"
    # The image's default data directory is /var/lib/convsvc; this checks the fallback names it.
    script = ENTRYPOINT.read_text()
    assert "data_dir=${CONVSVC_SERVER_DATA_DIR:-/var/lib/convsvc}" in script
    env["CONVSVC_SERVER_DATA_DIR"] = str(data_dir)
    with open(tmp_path / "log", "wb") as log:
        process = subprocess.Popen([str(ENTRYPOINT)], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        # no host given: every interface, as a container needs; the health check probes loopback
        listening = f"listening on 0.0.0.0:{env['CONVSVC_SERVER_PORT']}"
        deadline = time.monotonic() + 30
        while listening not in (tmp_path / "log").read_text():
            assert process.poll() is None and time.monotonic() < deadline, (tmp_path / "log").read_text()
            time.sleep(0.05)
        probe = subprocess.run([str(ENTRYPOINT), "health"], env=env, capture_output=True, text=True, timeout=20)
        assert (probe.returncode, probe.stderr.strip()) == (0, "status: SERVING")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0


def test_entrypoint_joins_a_config_directory_of_settings_and_api_keys(tmp_path, started):
    key = new_key()
    config = tmp_path / "etc-convsvc"
    config.mkdir()
    (config / "convsvc.toml").write_text('[log]\nformat = "text"\n\n[deadlines]\ndefault_seconds = 7\n')
    (config / "keys.toml").write_text(f'[[auth.keys]]\nname = "ci"\nsha256 = "{digest(key)}"\nscopes = ["convert"]\n')
    (config / "README").write_text("not a toml file: left out")
    server = started(CONVSVC_CONFIG=str(config))

    joined = server.data_dir / ".convsvc-config.toml"
    assert stat.S_IMODE(joined.stat().st_mode) == 0o600  # key digests: the server's user only
    assert joined.read_text() == (f"# from {config}/convsvc.toml\n" + (config / "convsvc.toml").read_text() + "\n"
                                  f"# from {config}/keys.toml\n" + (config / "keys.toml").read_text() + "\n")
    assert "API keys required: 1 configured" in server.log()
    assert re.search(r"^\S+ \S+ INFO ", server.log(), re.MULTILINE)  # [log] format = "text" took effect

    from convsvc.v1 import conversion_pb2, conversion_pb2_grpc

    with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        stub = conversion_pb2_grpc.ConversionServiceStub(channel)
        with pytest.raises(grpc.RpcError) as refused:
            stub.ListFormats(conversion_pb2.ListFormatsRequest(), timeout=10)
        assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
        formats = stub.ListFormats(conversion_pb2.ListFormatsRequest(), timeout=10,
                                   metadata=[("authorization", f"Bearer {key}")])
        assert len(formats.formats) == 5
    assert health_status(server.port) == "SERVING"  # health stays public for the probes


@pytest.mark.parametrize("setup, env, message", [
    ("file", {}, "docker-entrypoint: data directory {data} exists and is not a directory"),
    ("missing-config", {"CONVSVC_CONFIG": "{tmp}/nowhere.toml"},
     "docker-entrypoint: CONVSVC_CONFIG={tmp}/nowhere.toml is not a readable file or directory"),
    ("empty-config-dir", {"CONVSVC_CONFIG": "{tmp}/conf.d"},
     "docker-entrypoint: CONVSVC_CONFIG={tmp}/conf.d is a directory without *.toml files"),
])
def test_entrypoint_refuses_a_bad_setup_before_starting(tmp_path, setup, env, message):
    data = tmp_path / "data"
    if setup == "file":
        data.write_text("")
    (tmp_path / "conf.d").mkdir()
    env = {name: value.format(tmp=tmp_path) for name, value in env.items()}
    result = subprocess.run([str(ENTRYPOINT)], env=tool_env(CONVSVC_SERVER_DATA_DIR=str(data), **env),
                            capture_output=True, text=True, timeout=20)
    assert (result.returncode, result.stdout, result.stderr.strip()) == (
        1, "", message.format(data=data, tmp=tmp_path))


def test_entrypoint_names_a_data_directory_the_user_cannot_write(tmp_path):
    base = pathlib.Path(tempfile.mkdtemp(prefix="convsvc-entrypoint-"))  # pytest's own is private to root
    base.chmod(0o755)
    data = base / "data"
    data.mkdir(mode=0o755)
    command = [str(ENTRYPOINT)]
    uid = os.getuid()
    if uid == 0:  # root writes anywhere: run as nobody, as a container with a root-owned volume would
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        uid = 65534
    else:
        data.chmod(0o555)
    try:
        result = subprocess.run(command, env=tool_env(CONVSVC_SERVER_DATA_DIR=str(data)), capture_output=True,
                                text=True, timeout=20)
    finally:
        data.chmod(0o755)
        shutil.rmtree(base)
    assert (result.returncode, result.stderr.strip()) == (
        1, f"docker-entrypoint: data directory {data} is not writable by uid {uid}: give the volume to that "
           "user (Kubernetes: securityContext.fsGroup)")


def test_entrypoint_hands_convsvc_commands_and_programs_through(tmp_path):
    env = tool_env(CONVSVC_SERVER_DATA_DIR=str(tmp_path / "untouched"))
    formats = subprocess.run([str(ENTRYPOINT), "formats", "--json"], env=env, capture_output=True, text=True,
                             timeout=60)
    direct = subprocess.run([str(VENV_BIN / "convsvc"), "formats", "--json"], capture_output=True, text=True,
                            timeout=60)
    assert (formats.returncode, formats.stdout) == (0, direct.stdout)
    echo = subprocess.run([str(ENTRYPOINT), "echo", "any", "program"], env=env, capture_output=True, text=True,
                          timeout=20)
    assert (echo.returncode, echo.stdout) == (0, "any program\n")
    assert not (tmp_path / "untouched").exists()  # only `serve` prepares the data directory
