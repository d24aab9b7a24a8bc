"""The agent process: the LangGraph pipeline behind both protocols on one bridge server."""

from __future__ import annotations

from redis.asyncio import Redis

from bridge.health import Check
from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from contract.ports import PORTS
from services.agent.conversation import (
    ConversationHandlers,
    RedisStateStore,
    conversation_service,
)
from services.agent.graph import AgentGraph
from services.agent.handlers import AgentHandlers, agent_service
from services.agent.offline import solvers
from services.agent.settings import AgentSettings
from services.llm import LLMProvider, build_provider


class Agent:
    """Everything the agent owns, started and stopped with its server."""

    def __init__(
        self,
        settings: AgentSettings | None = None,
        bridge_settings: BridgeSettings | None = None,
        *,
        provider: LLMProvider | None = None,
    ) -> None:
        self.settings = settings or AgentSettings()
        self.provider = provider or build_provider(offline_solvers=solvers())
        self.graph = AgentGraph(
            self.provider, max_repair_rounds=self.settings.agent_max_repair_rounds
        )
        self.handlers = AgentHandlers(self.graph)
        self.redis = Redis.from_url(self.settings.redis_url) if self.settings.redis_url else None
        store = (
            RedisStateStore(self.redis, ttl_seconds=self.settings.agent_conversation_ttl_seconds)
            if self.redis is not None
            else None
        )
        self.conversations = ConversationHandlers(self.graph, store)
        checks: dict[str, Check] = {}
        if self.redis is not None:
            checks["redis"] = self.redis.ping
        ports = PORTS["agent"]
        assert ports.grpc is not None
        self.server = BridgeServer(
            name=ports.service,
            services=[agent_service(self.handlers), conversation_service(self.conversations)],
            default_http_port=ports.http,
            default_grpc_port=ports.grpc,
            settings=bridge_settings,
            health_checks=checks,
            on_stop=[self._stop],
        )

    async def _stop(self) -> None:
        await self.provider.aclose()
        if self.redis is not None:
            await self.redis.aclose()


def build_server() -> BridgeServer:
    """Entry point of ``bridgectl serve agent`` (settings from the environment)."""
    return Agent().server
