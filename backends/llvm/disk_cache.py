"""The disk cache of compiled LLVM code, keyed by the optimized IR, the target and the versions.

An entry is `MAGIC`, a JSON header (what the object file exports and where each run-time
error code points in the IR), the object file, and a SHA-256 of all of it. The key hashes the
printed IR (types, attributes, shapes), a hash of the code generator's source, the target triple, CPU
and features, and llvmlite's version, so a stale or foreign entry is never found under the
current key; a truncated or corrupt file fails its checksum, is ignored and is rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from optc.cache import cache_dir

MAGIC = b"OPTC-LLVM-1\n"


@lru_cache(maxsize=1)
def codegen_version() -> str:
    """A hash of the code generator's own source, so changing it invalidates the cache."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def entry_key(ir_text: str, target: str) -> str:
    """The cache key of a module's printed IR for a target."""
    return hashlib.sha256(f"{codegen_version()}\n{target}\n{ir_text}".encode()).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / "llvm" / f"{key}.bin"


def load(key: str) -> tuple[dict, bytes] | None:
    """(header, object code) of a valid entry, or None (missing, truncated or corrupt)."""
    try:
        data = _path(key).read_bytes()
    except OSError:
        return None
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8 + 32:
        return None
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        return None
    size = int.from_bytes(body[len(MAGIC) : len(MAGIC) + 8], "little")
    start = len(MAGIC) + 8
    try:
        header = json.loads(body[start : start + size])
    except ValueError:
        return None
    if header.get("key") != key:
        return None
    return header, body[start + size :]


def store(key: str, header: dict, obj: bytes) -> None:
    """Write an entry atomically (a failure to write only loses the cache)."""
    header = {**header, "key": key}
    blob = json.dumps(header).encode()
    body = MAGIC + len(blob).to_bytes(8, "little") + blob + obj
    data = body + hashlib.sha256(body).digest()
    try:
        folder = _path(key).parent
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, _path(key))
    except OSError:
        pass
