"""Flags from the environment: static for the life of the process.

``TRANSPORT`` (default rule), ``TRANSPORT_<SERVICE>`` (e.g. ``TRANSPORT_WORKFLOW_ENGINE``),
``TRANSPORT_<SERVICE>__<METHOD>`` (e.g. ``TRANSPORT_WORKFLOW_ENGINE__GETWORKFLOW``) and
``TRANSPORT_KILL_SWITCH=1``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from feature_flags.model import FlagSet, Rule
from feature_flags.stores.base import FlagStore

PREFIX = "TRANSPORT_"


def flags_from_env(env: Mapping[str, str]) -> FlagSet:
    services: dict[str, Rule] = {}
    methods: dict[str, Rule] = {}
    for name, value in env.items():
        if not name.startswith(PREFIX) or name == "TRANSPORT_KILL_SWITCH":
            continue
        scope = name[len(PREFIX) :].lower()
        try:
            rule = Rule.parse(value)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
        if "__" in scope:
            service, method = scope.split("__", 1)
            methods[f"{service}/{method}"] = rule
        else:
            services[scope] = rule
    default = Rule.parse(env["TRANSPORT"]) if env.get("TRANSPORT") else Rule()
    kill = env.get("TRANSPORT_KILL_SWITCH", "").lower() in {"1", "true", "yes", "on"}
    return FlagSet(default=default, services=services, methods=methods, kill_switch=kill)


class EnvStore(FlagStore):
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(flags_from_env(os.environ if env is None else env))
