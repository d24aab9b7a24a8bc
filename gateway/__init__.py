"""The gateway: public API and the typed service clients (issue 6; clients are in)."""
