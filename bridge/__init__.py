"""The reusable migration runtime: protocol plumbing that knows nothing about workflows."""
