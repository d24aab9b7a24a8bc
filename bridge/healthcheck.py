"""Container health probe: checks a service on both protocols and exits 0 only if all pass.

``python -m bridge.healthcheck --http http://127.0.0.1:8000/health --grpc 127.0.0.1:50050``
asks ``GET /health`` for a 200 and ``grpc.health.v1.Health/Check`` for SERVING. Without
arguments it probes what the process's own environment says it serves (``PROTOCOLS``,
``PORT``, ``GRPC_PORT``), so one Dockerfile ``HEALTHCHECK`` fits every service. The image
has Python and grpcio but no curl or grpc_health_probe, hence this module.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import grpc
import httpx
from grpc_health.v1 import health_pb2, health_pb2_grpc


@dataclass(frozen=True, slots=True)
class ProbeResult:
    target: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.target}: {self.detail}"


async def probe_http(url: str, seconds: float) -> ProbeResult:
    try:
        async with httpx.AsyncClient(timeout=seconds) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        return ProbeResult(url, False, f"{type(exc).__name__}: {exc}")
    return ProbeResult(url, response.status_code == 200, f"HTTP {response.status_code}")


async def probe_grpc(address: str, service: str, seconds: float) -> ProbeResult:
    target = f"grpc://{address}" + (f" ({service})" if service else "")
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            reply = await stub.Check(
                health_pb2.HealthCheckRequest(service=service), timeout=seconds
            )
    except grpc.aio.AioRpcError as exc:
        return ProbeResult(target, False, f"{exc.code().name}: {exc.details()}")
    status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
    return ProbeResult(target, reply.status == health_pb2.HealthCheckResponse.SERVING, status)


async def run_probes(
    http_urls: Sequence[str], grpc_addresses: Sequence[str], *, service: str, seconds: float
) -> list[ProbeResult]:
    """All probes concurrently, results in argument order (HTTP first)."""
    return list(
        await asyncio.gather(
            *(probe_http(url, seconds) for url in http_urls),
            *(probe_grpc(address, service, seconds) for address in grpc_addresses),
        )
    )


def targets_from_env(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """What a bridge process serves, from the variables it was started with."""
    protocols = {p.strip().lower() for p in env.get("PROTOCOLS", "grpc,http").split(",")}
    http_urls, grpc_addresses = [], []
    if "http" in protocols and env.get("PORT"):
        http_urls.append(f"http://127.0.0.1:{env['PORT']}/health")
    if "grpc" in protocols and env.get("GRPC_PORT"):
        grpc_addresses.append(f"127.0.0.1:{env['GRPC_PORT']}")
    return http_urls, grpc_addresses


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bridge.healthcheck", description=__doc__)
    parser.add_argument("--http", action="append", default=[], metavar="URL")
    parser.add_argument("--grpc", action="append", default=[], metavar="HOST:PORT")
    parser.add_argument(
        "--service", default="", help="gRPC service name to ask about ('' = the server)"
    )
    parser.add_argument("--timeout", type=float, default=3.0, help="seconds per probe")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    http_urls, grpc_addresses = list(args.http), list(args.grpc)
    if not http_urls and not grpc_addresses:
        http_urls, grpc_addresses = targets_from_env(dict(os.environ))
    if not http_urls and not grpc_addresses:
        print("nothing to probe: pass --http/--grpc or set PORT/GRPC_PORT", file=sys.stderr)
        return 2
    results = asyncio.run(
        run_probes(http_urls, grpc_addresses, service=args.service, seconds=args.timeout)
    )
    for result in results:
        print(result.line())
    return 0 if all(result.ok for result in results) else 1


if __name__ == "__main__":
    sys.exit(main())
