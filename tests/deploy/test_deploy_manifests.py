"""deploy/k8s: each overlay builds with kustomize and validates (kubeconform -strict, offline schemas for
the oldest and newest supported Kubernetes, the ServiceMonitor CRD included); the validator refuses
broken manifests; and what a schema cannot see holds: names, selectors, ports, probes and the
convsvc configuration the pods will read."""

from __future__ import annotations

import base64
import signal
import subprocess
import time

import grpc
import pytest
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from convsvc.server.config import Config
from tests.conftest import ROOT
from tests.deploy.conftest import free_port, run, tool_env

OVERLAYS = ROOT / "deploy" / "k8s" / "overlays"
K8S_VERSIONS = ("1.28.0", "1.37.0")


def build(overlay: str) -> list[dict]:
    result = run(ROOT / ".tools" / "bin" / "kustomize", "build", OVERLAYS / overlay)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def one(docs: list[dict], kind: str, name: str | None = None) -> dict:
    found = [doc for doc in docs if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)]
    assert len(found) == 1, f"{kind} {name or ''}: {len(found)} found"
    return found[0]


def container(docs: list[dict]) -> dict:
    [server] = one(docs, "Deployment")["spec"]["template"]["spec"]["containers"]
    return server


def pod_env(docs: list[dict]) -> dict[str, str]:
    """The container's environment as the pod sees it, Secret references resolved."""
    env = {}
    for item in container(docs)["env"]:
        if "value" in item:
            env[item["name"]] = item["value"]
        else:
            ref = item["valueFrom"]["secretKeyRef"]
            secret = one(docs, "Secret", ref["name"])
            env[item["name"]] = base64.b64decode(secret["data"][ref["key"]]).decode()
    return env


def mounted_config(docs: list[dict]) -> dict[str, str]:
    """The files of the projected config volume: file name -> text."""
    volumes = {volume["name"]: volume for volume in one(docs, "Deployment")["spec"]["template"]["spec"]["volumes"]}
    files = {}
    for source in volumes["config"]["projected"]["sources"]:
        if "configMap" in source:
            files.update(one(docs, "ConfigMap", source["configMap"]["name"])["data"])
        else:
            data = one(docs, "Secret", source["secret"]["name"])["data"]
            files.update({name: base64.b64decode(value).decode() for name, value in data.items()})
    return files


def joined(files: dict[str, str]) -> str:
    """What deploy/docker-entrypoint.sh makes of a config directory: *.toml in name order."""
    return "".join(f"# from /etc/convsvc/{name}\n{files[name]}\n" for name in sorted(files) if name.endswith(".toml"))


@pytest.mark.parametrize("overlay, count", [("embedded", 9), ("shared-stores", 10)])
def test_overlay_builds_and_validates_against_kubernetes_schemas(deploy_tools, overlay, count):
    result = run("deploy/validate.sh", "overlays", OVERLAYS / overlay)
    assert result.returncode == 0, result.stdout + result.stderr
    summaries = [line for line in result.stdout.splitlines() if line.startswith("Summary:")]
    assert summaries == [f"Summary: {count} resources found parsing stdin - Valid: {count}, Invalid: 0, "
                         "Errors: 0, Skipped: 0"] * len(K8S_VERSIONS)


BROKEN = {
    "unknown container field": ("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i, readinessProbes: {grpc: {port: 50051}}}]
""", "at '/spec/template/spec/containers/0': additional properties 'readinessProbes' not allowed"),
    "gRPC probe on a named port": ("""
apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers: [{name: c, image: i, livenessProbe: {grpc: {port: grpc}}}]
""", "at '/spec/template/spec/containers/0/livenessProbe/grpc/port': got string, want integer"),
    "PodDisruptionBudget in a removed API version": ("""
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: x}
spec: {maxUnavailable: 1}
""", "could not find schema for PodDisruptionBudget"),
    "ServiceMonitor endpoint typo": ("""
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: x}
spec:
  selector: {matchLabels: {a: b}}
  endpoints: [{port: metrics, intervall: 30s}]
""", "at '/spec/endpoints/0': additional properties 'intervall' not allowed"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validator_refuses_a_broken_manifest(deploy_tools, tmp_path, case):
    manifest, error = BROKEN[case]
    (tmp_path / "broken.yaml").write_text(manifest)
    result = run("deploy/validate.sh", "manifests", tmp_path / "broken.yaml")
    assert result.returncode == 1
    assert result.stdout.count(error) == len(K8S_VERSIONS), result.stdout


def test_validator_refuses_an_empty_input(deploy_tools, tmp_path):
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    result = run("deploy/validate.sh", "manifests", tmp_path / "empty.yaml")
    assert result.returncode == 1
    assert result.stderr.count("validate: no Kubernetes resource in the input") == len(K8S_VERSIONS)


@pytest.mark.parametrize("overlay, kinds", [
    ("embedded", ["ConfigMap", "Deployment", "PersistentVolumeClaim", "PodDisruptionBudget", "Secret", "Service",
                  "Service", "ServiceAccount", "ServiceMonitor"]),
    ("shared-stores", ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret",
                       "Secret", "Service", "Service", "ServiceAccount", "ServiceMonitor"]),
])
def test_overlay_has_its_resources(deploy_tools, overlay, kinds):
    assert sorted(doc["kind"] for doc in build(overlay)) == kinds


@pytest.mark.parametrize("overlay", ["embedded", "shared-stores"])
def test_ports_probes_and_selectors_agree(deploy_tools, overlay):
    docs = build(overlay)
    server = container(docs)
    ports = {port["name"]: port["containerPort"] for port in server["ports"]}
    env = pod_env(docs)
    config = Config.load(_write(joined(mounted_config(docs))), env=env)
    assert ports == {"grpc": int(env["CONVSVC_SERVER_PORT"]), "metrics": config.metrics.port,
                     "rest": config.registry.rest_port}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert server[probe]["grpc"] == {"port": ports["grpc"]}, probe

    deployment = one(docs, "Deployment")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    for name in ("convsvc", "convsvc-headless"):
        service = one(docs, "Service", name)
        assert service["spec"]["selector"].items() <= pod_labels.items()
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= set(ports)
    assert one(docs, "Service", "convsvc-headless")["spec"]["clusterIP"] == "None"
    assert one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()

    monitor = one(docs, "ServiceMonitor")["spec"]
    scraped = [doc for doc in docs if doc["kind"] == "Service"
               and monitor["selector"]["matchLabels"].items() <= doc["metadata"]["labels"].items()]
    assert [service["metadata"]["name"] for service in scraped] == ["convsvc"]  # once per pod, not twice
    assert [endpoint["port"] for endpoint in monitor["endpoints"]] == ["metrics"]
    assert "metrics" in {port["name"] for port in scraped[0]["spec"]["ports"]}

    hpa = [doc for doc in docs if doc["kind"] == "HorizontalPodAutoscaler"]
    for autoscaler in hpa:
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                                        "name": deployment["metadata"]["name"]}


def test_pods_run_as_the_images_user_with_a_read_only_root(deploy_tools):
    dockerfile_user = next(line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines()
                           if line.startswith("USER "))
    for overlay in ("embedded", "shared-stores"):
        docs = build(overlay)
        pod = one(docs, "Deployment")["spec"]["template"]["spec"]
        context = pod["securityContext"]
        assert f"{context['runAsUser']}:{context['runAsGroup']}" == dockerfile_user
        assert context["fsGroup"] == context["runAsGroup"] and context["runAsNonRoot"] is True
        assert container(docs)["securityContext"] == {"allowPrivilegeEscalation": False,
                                                      "readOnlyRootFilesystem": True,
                                                      "capabilities": {"drop": ["ALL"]}}
        mounts = {mount["mountPath"] for mount in container(docs)["volumeMounts"]}
        assert mounts == {"/etc/convsvc", "/var/lib/convsvc", "/tmp"}  # the only writable places: data and tmp
        # the server drains for grace_seconds after SIGTERM: the kubelet must wait longer
        config = Config.load(_write(joined(mounted_config(docs))), env=pod_env(docs))
        assert config.grace_seconds < pod["terminationGracePeriodSeconds"]
        assert config.worker_count == 1


def test_embedded_overlay_is_one_replica_on_a_claim(deploy_tools):
    docs = build("embedded")
    spec = one(docs, "Deployment")["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}  # rollingUpdate is refused with Recreate
    volumes = {volume["name"]: {key: value for key, value in volume.items() if key != "name"}
               for volume in spec["template"]["spec"]["volumes"]}
    assert volumes["data"] == {"persistentVolumeClaim": {"claimName": "convsvc-data"}}  # one source only
    claim = one(docs, "PersistentVolumeClaim", "convsvc-data")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    config = Config.load(_write(joined(mounted_config(docs))), env=pod_env(docs))
    assert (config.registry.store, config.idempotency.store) == ("sqlite", "sqlite")
    assert pod_env(docs)["CONVSVC_SERVER_DATA_DIR"] == "/var/lib/convsvc"


def test_shared_stores_overlay_reads_its_stores_from_the_secret(deploy_tools):
    docs = build("shared-stores")
    spec = one(docs, "Deployment")["spec"]
    assert "replicas" not in spec  # the autoscaler owns the count
    hpa = one(docs, "HorizontalPodAutoscaler")["spec"]
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (3, 20)
    volumes = {volume["name"]: {key: value for key, value in volume.items() if key != "name"}
               for volume in spec["template"]["spec"]["volumes"]}
    assert volumes["data"] == {"emptyDir": {"sizeLimit": "1Gi"}}  # nothing to keep: the stores are shared
    env = pod_env(docs)
    config = Config.load(_write(joined(mounted_config(docs))), env=env)
    assert (config.registry.store, config.registry.postgres_dsn) == ("postgres", env["CONVSVC_REGISTRY_POSTGRES_DSN"])
    assert (config.idempotency.store, config.idempotency.redis_url) == ("redis", env["CONVSVC_IDEMPOTENCY_REDIS_URL"])
    assert env["CONVSVC_REGISTRY_POSTGRES_DSN"].startswith("postgresql://")
    assert env["CONVSVC_IDEMPOTENCY_REDIS_URL"].startswith("redis://")


def test_embedded_overlays_config_and_keys_start_a_server(deploy_tools, health_probe, tmp_path):
    """The pod's mounted files and environment, through the real entrypoint (on loopback, a free port)."""
    docs = build("embedded")
    etc = tmp_path / "etc-convsvc"
    etc.mkdir()
    for name, text in mounted_config(docs).items():
        (etc / name).write_text(text)
    port = free_port()
    env = tool_env(**{**pod_env(docs), "CONVSVC_CONFIG": str(etc), "CONVSVC_SERVER_HOST": "127.0.0.1",
                      "CONVSVC_SERVER_PORT": str(port), "CONVSVC_SERVER_DATA_DIR": str(tmp_path / "data"),
                      "CONVSVC_METRICS_PORT": "0", "CONVSVC_REGISTRY_REST_PORT": "0"})
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([str(ROOT / "deploy" / "docker-entrypoint.sh")], env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while f"listening on 127.0.0.1:{port}" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10).status
        assert status == health_pb2.HealthCheckResponse.SERVING
        assert '"level":"info"' in log.read_text()  # [log] format = "json" from the ConfigMap
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0


def _write(text: str):
    import tempfile

    handle = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
    with handle:
        handle.write(text)
    return handle.name
