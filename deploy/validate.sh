#!/usr/bin/env bash
# Checks the deployment files offline with the tools deploy/tools.sh installs into .tools:
#   deploy/validate.sh                      everything below, on the repository's files
#   deploy/validate.sh dockerfile [FILE]    hadolint with deploy/hadolint.yaml (default: ./Dockerfile)
#   deploy/validate.sh scripts [FILE...]    shellcheck (default: the scripts in deploy/)
#   deploy/validate.sh overlays [DIR...]    kustomize build of each overlay, then `manifests` on the output
#   deploy/validate.sh manifests FILE...    kubeconform -strict against each Kubernetes version of
#                                           tools.sh ('-' = stdin), the ServiceMonitor CRD included
# Exit status: 0 when everything passed, 1 when anything failed (every check still runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=${CONVSVC_TOOLS:-$root/.tools}
bin=$tools/bin
schemas=$tools/k8s-schemas
k8s_versions=$(sed -n 's/^K8S_VERSIONS="\(.*\)"/\1/p' "$root/deploy/tools.sh")

need() {
  for tool in "$@"; do
    [ -x "$bin/$tool" ] || { echo "validate: $bin/$tool is missing: run deploy/tools.sh" >&2; exit 2; }
  done
}

dockerfile() {
  need hadolint
  "$bin/hadolint" --config "$root/deploy/hadolint.yaml" --no-color "${1:-$root/Dockerfile}"
}

scripts() {
  need shellcheck
  if [ $# -eq 0 ]; then set -- "$root/deploy/docker-entrypoint.sh" "$root/deploy/tools.sh" "$root/deploy/validate.sh"; fi
  "$bin/shellcheck" --severity=style "$@"
}

manifests() {
  need kubeconform
  [ -d "$schemas" ] || { echo "validate: $schemas is missing: run deploy/tools.sh" >&2; exit 2; }
  local input status=0 version report
  if [ "$1" = "-" ]; then input=$(cat); else input=$(cat "$@"); fi
  for version in $k8s_versions; do
    echo "Kubernetes $version:"
    report=$("$bin/kubeconform" -strict -summary -output text -kubernetes-version "$version" \
      -schema-location "$schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      -schema-location "$schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json" \
      - <<<"$input") || status=1
    echo "$report"
    if grep -q "^Summary: 0 resource" <<<"$report"; then  # nothing checked is not a pass
      echo "validate: no Kubernetes resource in the input" >&2
      status=1
    fi
  done
  return $status
}

overlays() {
  need kustomize
  if [ $# -eq 0 ]; then set -- "$root"/deploy/k8s/overlays/*/; fi
  local overlay built status=0
  for overlay in "$@"; do
    echo "== ${overlay%/}"
    if built=$("$bin/kustomize" build "$overlay"); then
      manifests - <<<"$built" || status=1
    else
      status=1
    fi
  done
  return $status
}

case ${1:-all} in
  dockerfile | scripts | overlays | manifests)
    command=$1
    shift
    "$command" "$@" ;;
  all)
    status=0
    echo "== Dockerfile (hadolint)"; dockerfile || status=1
    echo "== scripts (shellcheck)"; scripts || status=1
    overlays || status=1
    if [ $status -eq 0 ]; then echo "deploy: all checks passed"; else echo "deploy: checks FAILED"; fi
    exit $status ;;
  *)
    sed -n '2,9p' "$0" >&2
    exit 2 ;;
esac
