"""A bridge server: the declared services on grpc.aio and uvicorn, in one event loop.

    server = BridgeServer(name="workflow-engine", services=[...], default_http_port=8002,
                          default_grpc_port=50050, health_checks={"database": store.ping})
    await server.run()   # start, wait for SIGTERM/SIGINT, drain, stop

``PROTOCOLS`` chooses the listeners opened at start-up; the admin API switches either
one off and back on at runtime (a real close of the socket, as a load balancer sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence

import grpc
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from bridge._grpc_adapter import generic_handlers
from bridge._http_adapter import build_http_app
from bridge.admin.models import Listener, Protocol
from bridge.admin.service import admin_service
from bridge.context import CallContext
from bridge.dispatch import Dispatcher, ErrorTranslator
from bridge.errors import FailedPrecondition
from bridge.health import Check, HealthState
from bridge.metrics import Metrics
from bridge.service import ServiceDefinition
from bridge.settings import BridgeSettings

log = logging.getLogger("bridge.server")
Hook = Callable[[], Awaitable[object]]


class BridgeServer:
    """Serves ``services`` over gRPC and HTTP from one set of handlers and one loop."""

    def __init__(
        self,
        *,
        name: str,
        services: Sequence[ServiceDefinition],
        default_http_port: int,
        default_grpc_port: int,
        settings: BridgeSettings | None = None,
        health_checks: Mapping[str, Check] | None = None,
        on_start: Sequence[Hook] = (),
        on_stop: Sequence[Hook] = (),
        version: str = "0.1.0",
        translate_errors: ErrorTranslator | None = None,
    ) -> None:
        self.name = name
        self.settings = settings or BridgeSettings()
        self.metrics = Metrics()
        self.health = HealthState(health_checks)
        token = self.settings.service_token
        self.dispatcher = Dispatcher(
            metrics=self.metrics,
            service_token=token.get_secret_value() if token is not None else None,
            translate=translate_errors,
        )
        for service in services:
            service.check_complete()
        admin = admin_service(self.listeners, self._set_listener)
        self.services = [*services, admin]
        self._on_start, self._on_stop = list(on_start), list(on_stop)
        self.http_app = build_http_app(
            title=name,
            version=version,
            services=self.services,
            dispatcher=self.dispatcher,
            health=self.health,
            metrics=self.metrics,
            max_request_bytes=self.settings.max_request_bytes,
            cors_origins=self.settings.cors_origins,
            sse_keepalive_seconds=self.settings.sse_keepalive_seconds,
        )
        host = self.settings.host
        grace = self.settings.shutdown_grace_seconds
        self._health_servicer = HealthServicer()
        self.health.attach(self._health_servicer, [s.name for s in self.services])
        self._grpc = _GrpcListener(
            self, host, _port(self.settings.grpc_port, default_grpc_port), grace
        )
        self._http = _HttpListener(self, host, _port(self.settings.port, default_http_port), grace)
        self._watch: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    # -- life cycle ------------------------------------------------------------------

    async def start(self) -> None:
        for hook in self._on_start:
            await hook()
        self.health.stop_draining()
        await self.health.evaluate(fresh=True)
        self._watch = asyncio.create_task(self.health.watch(self.settings.health_interval_seconds))
        wanted = self.settings.protocols
        await asyncio.gather(
            *(
                listener.start()
                for listener in self._listeners()
                if listener.protocol.value in wanted
            )
        )
        log.info("started", extra={"service": self.name, "listeners": self.describe()})

    async def stop(self, grace: float | None = None) -> None:
        """Drain: readiness NOT_SERVING, stop accepting, finish in-flight calls, close."""
        await self.health.start_draining()
        if self.settings.drain_delay_seconds:
            await asyncio.sleep(self.settings.drain_delay_seconds)
        await asyncio.gather(*(listener.stop(grace) for listener in self._listeners()))
        for task in [*self._background, *([self._watch] if self._watch else [])]:
            task.cancel()
        for hook in self._on_stop:
            await hook()
        log.info("stopped", extra={"service": self.name})

    async def run(self) -> None:
        """Start, serve until SIGTERM or SIGINT, then stop gracefully."""
        await self.start()
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await stopping.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            await self.stop()

    # -- listeners ---------------------------------------------------------------------

    @property
    def grpc_address(self) -> str:
        return self._grpc.address

    @property
    def http_address(self) -> str:
        return self._http.address

    @property
    def http_url(self) -> str:
        return f"http://{self._http.address}"

    def listeners(self) -> list[Listener]:
        return [
            Listener(protocol=item.protocol, enabled=item.running, address=item.address)
            for item in self._listeners()
        ]

    def describe(self) -> dict[str, str]:
        return {
            item.protocol.value: (item.address if item.running else "off")
            for item in self._listeners()
        }

    async def set_listener(self, protocol: Protocol, enabled: bool) -> None:
        listener = self._grpc if protocol is Protocol.GRPC else self._http
        others = [item for item in self._listeners() if item is not listener]
        if not enabled and not any(item.running for item in others):
            raise FailedPrecondition(
                f"refusing to switch off {protocol.value}: it is the last open listener"
            )
        if enabled:
            await listener.start()
        else:
            await listener.stop(self.settings.shutdown_grace_seconds)
        log.warning("listener switched", extra={"protocol": protocol.value, "enabled": enabled})

    async def _set_listener(self, protocol: Protocol, enabled: bool, ctx: CallContext) -> None:
        if not enabled and protocol.value == ctx.protocol:
            # Closing the listener this call came in on waits for in-flight calls, this
            # one included: check now, close once the response is on its way.
            other = self._http if protocol is Protocol.GRPC else self._grpc
            if not other.running:
                raise FailedPrecondition(
                    f"refusing to switch off {protocol.value}: it is the last open listener"
                )
            task = asyncio.create_task(self._later(self.set_listener(protocol, enabled)))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return
        await self.set_listener(protocol, enabled)

    @staticmethod
    async def _later(action: Awaitable[None]) -> None:
        await asyncio.sleep(0.05)
        await action

    def _listeners(self) -> Iterator[_Listener]:
        yield self._grpc
        yield self._http


def _port(configured: int | None, default: int) -> int:
    return default if configured is None else configured


class _Listener:
    """What both listeners share: where they listen, whether they run, one switch at a time."""

    protocol: Protocol

    def __init__(self, owner: BridgeServer, host: str, port: int, grace: float) -> None:
        self.owner, self.host, self.port, self.grace = owner, host, port, grace
        self._server: object | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self, grace: float | None = None) -> None:
        raise NotImplementedError


class _GrpcListener(_Listener):
    protocol = Protocol.GRPC
    _server: grpc.aio.Server | None

    async def start(self) -> None:
        async with self._lock:
            if self._server is not None:
                return
            limit = self.owner.settings.max_request_bytes
            server = grpc.aio.server(
                options=[
                    ("grpc.max_receive_message_length", limit),
                    ("grpc.max_send_message_length", 64 * 1024 * 1024),
                    # Fail loudly if the port is taken instead of sharing it silently.
                    ("grpc.so_reuseport", 0),
                ]
            )
            server.add_generic_rpc_handlers(
                generic_handlers(self.owner.services, self.owner.dispatcher)
            )
            health_pb2_grpc.add_HealthServicer_to_server(self.owner._health_servicer, server)
            names = [s.name for s in self.owner.services]
            reflection.enable_server_reflection(
                [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                 reflection.SERVICE_NAME],
                server,
            )  # fmt: skip
            bound = server.add_insecure_port(f"{self.host}:{self.port}")
            if not bound:
                raise OSError(f"gRPC could not bind {self.host}:{self.port}")
            self.port = bound  # keep an ephemeral port across off/on switches
            await server.start()
            self._server = server

    async def stop(self, grace: float | None = None) -> None:
        async with self._lock:
            server, self._server = self._server, None
            if server is not None:
                # In-flight RPCs get `grace` seconds to finish; new ones are refused at once.
                await server.stop(self.grace if grace is None else grace)


class _QuietUvicorn(uvicorn.Server):
    """uvicorn without its own signal handling: the BridgeServer owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _HttpListener(_Listener):
    protocol = Protocol.HTTP
    _server: _QuietUvicorn | None

    def __init__(self, owner: BridgeServer, host: str, port: int, grace: float) -> None:
        super().__init__(owner, host, port, grace)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async with self._lock:
            if self._server is not None:
                return
            family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
            # IPPROTO_TCP, not 0: accepted sockets inherit it, and asyncio sets TCP_NODELAY
            # only on sockets that say TCP. Without it, Nagle holds a stream's first event
            # back until the client's delayed ACK of the headers (~40 ms per stream).
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                sock.close()
                raise
            self.port = sock.getsockname()[1]
            config = uvicorn.Config(
                self.owner.http_app,
                log_config=None,
                access_log=False,
                lifespan="off",
                server_header=False,
                timeout_graceful_shutdown=int(self.grace) or 1,
                timeout_keep_alive=30,
                root_path=self.owner.settings.root_path,
            )
            server = _QuietUvicorn(config)
            task = asyncio.create_task(server.serve(sockets=[sock]))
            while not server.started:
                if task.done():
                    await task  # re-raise the start-up error
                    raise OSError(f"HTTP listener on {self.address} exited during start-up")
                await asyncio.sleep(0.01)
            self._server, self._task = server, task

    async def stop(self, grace: float | None = None) -> None:
        async with self._lock:
            server, task = self._server, self._task
            self._server = self._task = None
            if server is None or task is None:
                return
            if grace is not None:
                server.config.timeout_graceful_shutdown = int(grace) or 1
            server.should_exit = True
            await task
