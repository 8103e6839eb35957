"""The disk cache of compiled LLVM code, keyed by the optimized IR, the target and the versions.

An entry (the format of `optc/cache.py`) has a JSON header (what the object file exports and where
each run-time error code points in the IR) and the object file as its payload. The key hashes the
printed IR (types, attributes, shapes), a hash of the code generator's source (with what it takes
from elsewhere: run-time messages, SciPy symbols, NumPy rules' constants), the target triple, CPU
and features, and llvmlite's version, so a stale or foreign entry is never found under the
current key; a truncated or corrupt file fails its checksum, is ignored and is rewritten.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from optc.cache import read_entry, write_entry

MAGIC = b"OPTC-LLVM-1\n"


def codegen_sources() -> list[Path]:
    """The source files compiled code depends on: the code generator (`backends/llvm`) and the
    modules it takes run-time messages, constants and symbol names from (`ir/ops.py`,
    `backends/numpy`, `backends/*.py`)."""
    from optc.ir import ops

    backends = Path(__file__).parent.parent
    paths = [*backends.glob("*.py"), *backends.glob("llvm/*.py"), *backends.glob("numpy/*.py")]
    return sorted([*paths, Path(ops.__file__)])


@lru_cache(maxsize=1)
def codegen_version() -> str:
    """A hash of `codegen_sources()`, so changing any of them invalidates the cache."""
    digest = hashlib.sha256()
    for path in codegen_sources():
        digest.update(path.read_bytes())
    return digest.hexdigest()


def entry_key(ir_text: str, target: str) -> str:
    """The cache key of a module's printed IR for a target."""
    return hashlib.sha256(f"{codegen_version()}\n{target}\n{ir_text}".encode()).hexdigest()


def load(key: str) -> tuple[dict, bytes] | None:
    """(header, object code) of a valid entry, or None (missing, truncated or corrupt)."""
    return read_entry("llvm", key, MAGIC)


def store(key: str, header: dict, obj: bytes) -> None:
    """Write an entry atomically (a failure to write only loses the cache)."""
    write_entry("llvm", key, MAGIC, header, obj)
