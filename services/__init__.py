"""The platform services: engine and agent (domain code; no protocol code)."""
