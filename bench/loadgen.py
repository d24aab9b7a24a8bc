"""External load generators and server processes for the benchmarks (h2load, wrk)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType


def ensure_tools() -> dict[str, str]:
    """Find h2load and wrk; install them from Debian's packages when missing (as root)."""
    missing = [tool for tool in ("h2load", "wrk") if shutil.which(tool) is None]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        packages = {"h2load": "nghttp2-client", "wrk": "wrk"}
        subprocess.run(
            ["apt-get", "install", "-y", "-q", *(packages[t] for t in missing)],
            check=False,
            capture_output=True,
        )
    found = {tool: shutil.which(tool) for tool in ("h2load", "wrk")}
    absent = [tool for tool, path in found.items() if path is None]
    if absent:
        raise SystemExit(f"missing load generators {absent}: apt-get install nghttp2-client wrk")
    return {tool: str(path) for tool, path in found.items()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not open port {port}")


def grpc_frame(payload: bytes, directory: Path, name: str) -> Path:
    """A request body file for h2load: one uncompressed gRPC message frame."""
    path = directory / name
    path.write_bytes(struct.pack(">?I", False, len(payload)) + payload)
    return path


def percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 100:
        raise RuntimeError("too few requests measured")
    q = statistics.quantiles(values, n=100)
    return round(q[49], 3), round(q[98], 3)


def h2load(
    tools: dict[str, str],
    url: str,
    *,
    seconds: float,
    conns: int,
    log: Path,
    body: Path | None = None,
    headers: tuple[str, ...] = (),
    http1: bool = False,
) -> dict[str, float]:
    """Drive ``url`` for ``seconds``; gRPC over HTTP/2 by default, HTTP/1.1 with ``http1``.
    ``conns`` requests are in flight: 4 connections x conns/4 streams (HTTP/2)."""
    shape = ["-c", str(conns), "--h1"] if http1 else ["-c", "4", "-m", str(max(1, conns // 4))]
    command = [tools["h2load"], *shape, "-D", f"{int(seconds)}s", "--warm-up-time=1s",
               "--log-file", str(log)]  # fmt: skip
    if body is not None:
        command += ["--data", str(body)]
    for header in headers:
        command += ["-H", header]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"h2load failed: {done.stdout}\n{done.stderr}")
    out = done.stdout
    rps = float(re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out).group(1))  # type: ignore[union-attr]
    failed = re.search(
        r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed", out
    )
    if failed and int(failed.group(1)):
        raise RuntimeError(f"h2load saw failed requests:\n{out}")
    times = [int(line.split()[2]) / 1000 for line in log.read_text().splitlines() if line.strip()]
    p50, p99 = percentiles(times)
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99}


def wrk(
    tools: dict[str, str],
    url: str,
    *,
    seconds: float,
    conns: int,
    headers: tuple[str, ...] = (),
) -> dict[str, float]:
    base = [tools["wrk"], "-t", "1", "-c", str(conns), "--latency"]
    for header in headers:
        base += ["-H", header]
    subprocess.run([*base, "-d", "1s", url], capture_output=True, check=True)  # warm-up
    out = subprocess.run(
        [*base, "-d", f"{int(seconds)}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    return {"rps": rps, "p50_ms": _ms(lat["50"]), "p99_ms": _ms(lat["99"])}


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class ServerProcess:
    """A server in a child process (``python <args>``), waited for and stopped by SIGTERM."""

    def __init__(
        self,
        args: list[str],
        *,
        http_port: int = 0,
        grpc_port: int = 0,
        env: dict[str, str] | None = None,
    ) -> None:
        self.args, self.env = args, env
        self.http_port, self.grpc_port = http_port, grpc_port
        self.ports = [p for p in (http_port, grpc_port) if p]
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self.proc = subprocess.Popen(
            [sys.executable, *self.args], env={**os.environ, **(self.env or {})},
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for port in self.ports:
            wait_port(port)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
