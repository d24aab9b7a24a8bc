# syntax=docker/dockerfile:1
# One image for every service: `bridgectl serve engine|agent|gateway` picks the process.
#
# The generated proto code in contract/ is baked in exactly as committed: the build stage
# packs the project into a wheel (the same files the editable install imports locally),
# nothing is regenerated, no import is rewritten, no PYTHONPATH is set. That is the failure
# the original deployment had; tests/infra/test_image.py checks the wheel byte for byte.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY bridge/ bridge/
COPY contract/ contract/
COPY services/ services/
COPY gateway/ gateway/
COPY feature_flags/ feature_flags/
COPY infra/__init__.py infra/
COPY infra/lb/ infra/lb/
# bridgectl mounts every `bridgectl.commands` entry point at start-up: each module named
# in pyproject.toml must be in the image (tests/infra/test_image.py checks).
COPY tools/ tools/
# The C extensions (grpcio, asyncpg, uvloop, pydantic-core...) come as manylinux wheels,
# so neither stage needs a compiler; the runtime stage gets nothing but the venv.
RUN /opt/venv/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/venv/bin/pip install /wheels/flowbridge-*.whl

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="flowbridge" \
      org.opencontainers.image.description="Dual-protocol (gRPC + HTTP/JSON) workflow services"
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app \
    && install -d -o app -g app /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
WORKDIR /data
USER 10001:10001
# HTTP inside every container is 8000 (contract/ports.py: container_http); gRPC is
# 50050 (engine) / 50051 (agent), set per service with GRPC_PORT.
EXPOSE 8000 50050 50051
# Probes what this process serves (PROTOCOLS, PORT, GRPC_PORT): HTTP /health and
# grpc.health.v1.Health/Check, both must pass.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bridge.healthcheck"]
ENTRYPOINT ["bridgectl", "serve"]
CMD ["engine"]
