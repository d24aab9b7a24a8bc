"""The workflow engine: workflow CRUD, executions, triggers."""
