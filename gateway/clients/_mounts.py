"""One protocol's transports for several services, picked by proto package (as httpx
picks a transport per URL with ``mounts=``): the engine and the agent live at different
addresses, and RoutedTransport wants one transport per protocol."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping

from pydantic import BaseModel

from gateway.clients._base import CallOptions, Method, Transport


class MountedTransport:
    def __init__(self, name: str, mounts: Mapping[str, Transport]) -> None:
        """``mounts``: proto package prefix (``contract.engine.v1``) -> transport."""
        if not mounts:
            raise ValueError("MountedTransport needs at least one mount")
        self.name = name
        self.mounts = dict(mounts)
        # Longest prefix first, resolved once per service.
        self._order = sorted(self.mounts, key=len, reverse=True)
        self._by_service: dict[str, Transport] = {}

    def transport_for(self, service: str) -> Transport:
        found = self._by_service.get(service)
        if found is None:
            prefix = next((p for p in self._order if service.startswith(p + ".")), None)
            if prefix is None:
                raise LookupError(f"no {self.name} transport mounted for {service}")
            found = self._by_service[service] = self.mounts[prefix]
        return found

    async def call(self, method: Method, request: BaseModel, options: CallOptions) -> BaseModel:
        return await self.transport_for(method.service).call(method, request, options)

    def stream(
        self, method: Method, request: BaseModel, options: CallOptions
    ) -> AsyncGenerator[BaseModel, None]:
        return self.transport_for(method.service).stream(method, request, options)

    async def aclose(self) -> None:
        for transport in self.mounts.values():
            await transport.aclose()
