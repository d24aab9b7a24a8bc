"""Feature flags: the per-call transport decision and the stores the flags live in."""

from feature_flags.decide import Decider, Decision, bucket
from feature_flags.model import GRPC_ONLY, FlagSet, Rule, Transport
from feature_flags.stores import AuditEntry, EnvStore, FileStore, FlagStore, RedisStore, open_store

__all__ = [
    "GRPC_ONLY",
    "AuditEntry",
    "Decider",
    "Decision",
    "EnvStore",
    "FileStore",
    "FlagSet",
    "FlagStore",
    "RedisStore",
    "Rule",
    "Transport",
    "bucket",
    "open_store",
]
