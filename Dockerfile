# syntax=docker/dockerfile:1
# convsvc: the gRPC server as the container's entrypoint, non-root, data directory as a volume.
#   docker build -t convsvc .
#   docker run -p 50051:50051 -v convsvc-data:/var/lib/convsvc convsvc
# Checked by hadolint (deploy/hadolint.yaml) in tests/deploy/test_deploy_dockerfile.py; the entrypoint
# script is tested on its own in tests/deploy/test_deploy_entrypoint.py. See docs/operations.md.

# The gRPC health probe for HEALTHCHECK: a static Go binary from the Go module proxy.
FROM golang:1.26-bookworm AS probe
ARG HEALTH_PROBE_VERSION=v0.4.61
RUN CGO_ENABLED=0 GOBIN=/out go install "github.com/grpc-ecosystem/grpc-health-probe@${HEALTH_PROBE_VERSION}"

# The package and its dependencies in a virtualenv, pinned by constraints.txt; only the venv moves on.
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/convsvc
COPY pyproject.toml constraints.txt README.md ./
COPY convsvc/ convsvc/
# grpcio-tools is a runtime dependency: .proto schemas compile with its protoc, in process.
RUN /opt/convsvc/bin/pip install --no-cache-dir -c constraints.txt .

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="convsvc" \
      org.opencontainers.image.description="gRPC conversion between JSON, YAML, Avro, Protobuf and XML, with a schema registry" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 convsvc \
    && useradd --system --uid 10001 --gid convsvc --home-dir /var/lib/convsvc --no-create-home \
       --shell /usr/sbin/nologin convsvc \
    && install -d -o convsvc -g convsvc -m 0750 /var/lib/convsvc
COPY --from=build /opt/convsvc /opt/convsvc
COPY --from=probe /out/grpc-health-probe /usr/local/bin/grpc-health-probe
COPY --chmod=0755 deploy/docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/opt/convsvc/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CONVSVC_SERVER_DATA_DIR=/var/lib/convsvc
USER 10001:10001
WORKDIR /var/lib/convsvc
VOLUME ["/var/lib/convsvc"]
# gRPC, Prometheus metrics, the Confluent-compatible REST API
EXPOSE 50051 9464 8081
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["docker-entrypoint.sh", "health"]
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["serve"]
