"""The wire contract: code generated from protos/ and the Pydantic models of the HTTP side."""
