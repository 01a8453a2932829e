#!/usr/bin/env bash
# Builds the C++ client into build/: installs the Debian packages it needs when they are missing, finds
# google/rpc/{status,error_details}.proto, then CMake generates the stubs (protoc + grpc_cpp_plugin) and
# compiles. A second run with nothing changed does no work.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

packages=(g++ cmake ninja-build libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler)
missing=()
for package in "${packages[@]}"; do
  [[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null)" == ii* ]] || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "build.sh: installing ${missing[*]}" >&2
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  # Other builds may hold the dpkg lock: wait for it rather than fail.
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends "${missing[@]}" >&2
fi

# google/rpc/*.proto: no Debian package ships them; googleapis-common-protos (PyPI) does. The
# project's venv has it; from a clean clone without the venv, pip downloads the same pinned wheel.
rpc_dir=""
for site in ../../.venv/lib/python3*/site-packages; do
  if [[ -f "$site/google/rpc/status.proto" && -f "$site/google/rpc/error_details.proto" ]]; then
    rpc_dir="$(cd "$site" && pwd)"
    break
  fi
done
if [[ -z "$rpc_dir" ]]; then
  version="$(sed -n 's/^googleapis-common-protos==//p' ../../constraints.txt 2>/dev/null | head -n1)"
  version="${version:-1.76.0}"
  rpc_dir="$here/build/googleapis-common-protos-$version"
  if [[ ! -f "$rpc_dir/google/rpc/status.proto" ]]; then
    python3 -m pip download -q --no-deps --only-binary=:all: --dest build/pypi "googleapis-common-protos==$version" >&2
    python3 -m zipfile -e build/pypi/googleapis_common_protos-"$version"-*.whl "$rpc_dir"
  fi
fi

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
# Configure once (and when the proto folder moved); afterwards `cmake --build` reconfigures by itself
# when CMakeLists.txt changes, and does nothing when nothing did.
if ! grep -qxF "GOOGLEAPIS_PROTO_DIR:PATH=$rpc_dir" build/CMakeCache.txt 2>/dev/null ||
   [[ ! -f build/build.ninja && ! -f build/Makefile ]]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "-DGOOGLEAPIS_PROTO_DIR=$rpc_dir" >&2
fi
cmake --build build >&2
