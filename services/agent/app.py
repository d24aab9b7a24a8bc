"""The agent process: the LangGraph pipeline behind both protocols on one bridge server."""

from __future__ import annotations

from bridge.server import BridgeServer
from bridge.settings import BridgeSettings
from contract.ports import PORTS
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
        ports = PORTS["agent"]
        assert ports.grpc is not None
        self.server = BridgeServer(
            name=ports.service,
            services=[agent_service(self.handlers)],
            default_http_port=ports.http,
            default_grpc_port=ports.grpc,
            settings=bridge_settings,
            on_stop=[self.provider.aclose],
        )


def build_server() -> BridgeServer:
    """Entry point of ``bridgectl serve agent`` (settings from the environment)."""
    return Agent().server
