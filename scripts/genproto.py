"""Regenerate the Python code for protos/ into contract/ (``make proto``).

The generated modules import each other by their full package path
(``from contract.workflow.v1 import workflow_pb2``), because the proto packages
(``contract.workflow.v1``...) mirror the Python packages. They therefore import from
any working directory once the project is installed, with no sys.path edits, symlinks
or import rewriting: the failure mode of the original deployment.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "protos"
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py", "_pb2_grpc.pyi")
BIN = Path(sys.executable).parent
"""mypy-protobuf's plugins live beside the interpreter (the virtualenv's bin/)."""


def proto_files() -> list[Path]:
    """Every .proto source, in a stable order."""
    return sorted(PROTO_ROOT.rglob("*.proto"))


GENERATED_PACKAGES = ("contract", "bridge/admin")
"""Where generated code lands: the Python packages that mirror the proto packages."""


def generated_files(out: Path) -> list[Path]:
    """Every generated file under ``out`` (the committed set when ``out`` is the root)."""
    return sorted(
        p
        for package in GENERATED_PACKAGES
        for p in (out / package).rglob("*")
        if p.name.endswith(GENERATED_SUFFIXES)
    )


def generate(out: Path) -> list[Path]:
    """Generate code for every proto into ``out``; return the files written."""
    include = Path(protoc.__file__).resolve().parent / "_proto"
    sources = [str(p.relative_to(PROTO_ROOT)) for p in proto_files()]
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--plugin=protoc-gen-mypy={BIN / 'protoc-gen-mypy'}",
        f"--plugin=protoc-gen-mypy_grpc={BIN / 'protoc-gen-mypy_grpc'}",
        f"--python_out={out}",
        f"--grpc_python_out={out}",
        # Typed stubs for messages and for the grpc stubs/servicers (mypy-protobuf).
        f"--mypy_out={out}",
        f"--mypy_grpc_out={out}",
        *sources,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    # Proto packages map to Python packages: each directory needs an __init__.py.
    for path in generated_files(out):
        for parent in path.relative_to(out).parents:
            if parent != Path("."):
                init = out / parent / "__init__.py"
                if not init.exists():
                    init.write_text('"""Generated from protos/: do not edit."""\n')
    return generated_files(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT, help="output root (default: repo)")
    args = parser.parse_args(argv)
    if args.out == ROOT:
        for stale in generated_files(ROOT):
            stale.unlink()
    else:
        for package in GENERATED_PACKAGES:
            shutil.rmtree(args.out / package, ignore_errors=True)
    written = generate(args.out)
    print(f"generated {len(written)} files from {len(proto_files())} protos", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
