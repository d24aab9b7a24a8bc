"""Developer scripts (code generation); run as ``python -m scripts.<name>``."""
