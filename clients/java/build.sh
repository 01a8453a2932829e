#!/usr/bin/env bash
# Builds the Java client: the stubs from ../../proto (protoc and protoc-gen-grpc-java come from Maven
# Central), the Convert example, the Snippet of docs/clients.md, the JUnit checks and
# target/classpath.txt. Everything lands in target/ (git-ignored) and ~/.m2; a second run with nothing
# changed compiles nothing.
set -euo pipefail
cd "$(dirname "$0")"

java_major() { javac -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p'; }
if ! command -v javac >/dev/null || [ "$(java_major)" -lt 17 ] 2>/dev/null || ! command -v mvn >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi

# Maven 3.8's -q still writes bare ANSI resets to stdout; strip them so the output stays plain text.
mvn -q package -DskipTests 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
