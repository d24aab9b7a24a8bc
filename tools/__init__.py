"""Operator tools built on the gateway's clients: parity replay and rollback drills."""
