"""The engine process: storage, executor, scheduler and both services on one bridge server."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx
from redis.asyncio import Redis

from bridge.health import Check
from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from contract.ports import PORTS
from services.engine.executor import Executor
from services.engine.runs import ExecutionManager
from services.engine.scheduler import CronScheduler, DatabaseClaims, RedisClaims
from services.engine.settings import EngineSettings
from services.engine.storage import EngineStore, create_store
from services.engine.storage.errors import translate_storage_errors
from services.engine.triggers import TriggerHandlers, trigger_service
from services.engine.workflows import WorkflowHandlers, workflow_service
from services.llm import default_provider

log = logging.getLogger("engine")


class Engine:
    """Everything the engine owns, started and stopped in order."""

    def __init__(
        self,
        settings: EngineSettings | None = None,
        bridge_settings: BridgeSettings | None = None,
        *,
        store: EngineStore | None = None,
    ) -> None:
        self.settings = settings or EngineSettings()
        url = self.settings.database_url
        self.store = store or create_store(
            url, data_dir=self.settings.data_dir,
            busy_timeout_ms=self.settings.sqlite_busy_timeout_ms,
        )  # fmt: skip
        self.http = httpx.AsyncClient(timeout=self.settings.http_node_timeout_seconds)
        self.llm = default_provider()
        self.executor = Executor(http=self.http, llm=self.llm)
        self.runs = ExecutionManager(self.store, self.executor)
        self.workflows = WorkflowHandlers(self.store, self.runs)
        self.triggers = TriggerHandlers(self.store, self.runs)
        self.redis = Redis.from_url(self.settings.redis_url) if self.settings.redis_url else None
        claims = RedisClaims(self.redis) if self.redis is not None else DatabaseClaims(self.store)
        self.scheduler = CronScheduler(
            self.store,
            self.triggers.fire_trigger,
            claims,
            tick_seconds=self.settings.cron_tick_seconds,
            refresh_seconds=self.settings.cron_refresh_seconds,
        )
        self._scheduler_task: asyncio.Task[None] | None = None
        ports = PORTS["engine"]
        assert ports.grpc is not None
        self.server = BridgeServer(
            name=ports.service,
            services=[workflow_service(self.workflows), trigger_service(self.triggers)],
            default_http_port=ports.http,
            default_grpc_port=ports.grpc,
            settings=bridge_settings,
            health_checks=self._health_checks(),
            on_start=[self._start],
            on_stop=[self._stop],
            translate_errors=translate_storage_errors,
        )

    def _health_checks(self) -> dict[str, Check]:
        checks: dict[str, Check] = {"database": self.store.ping}
        if self.redis is not None:
            checks["redis"] = self.redis.ping
        return checks

    async def _start(self) -> None:
        await self.store.open()
        failed = await self.store.fail_interrupted_executions()
        if failed:
            log.warning("marked executions interrupted by a previous stop", extra={"count": failed})
        self._scheduler_task = asyncio.create_task(self.scheduler.run())

    async def _stop(self) -> None:
        if self._scheduler_task is not None:
            self._scheduler_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._scheduler_task
        await self.runs.shutdown()
        await self.http.aclose()
        await self.llm.aclose()
        if self.redis is not None:
            await self.redis.aclose()
        await self.store.close()


def build_server() -> BridgeServer:
    """Entry point of ``bridgectl serve engine`` (settings from the environment)."""
    return Engine().server
