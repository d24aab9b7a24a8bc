"""Parity replay: a recorded corpus replayed on both protocols, answers compared."""

from tools.parity.replay import Lane, MethodSummary, Outcome, Replay, ReplayReport, Targets

__all__ = ["Lane", "MethodSummary", "Outcome", "Replay", "ReplayReport", "Targets"]
