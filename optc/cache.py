"""Where optc keeps compiled artifacts, and the checked entry format both of its caches use.

The directory is `$OPTC_CACHE_DIR`, else the user's cache directory. An entry is a magic line,
a JSON header (which carries the entry's key), a payload, and a SHA-256 of all of it; a
truncated, corrupt or foreign file (another key under this name) reads as missing and is
rewritten by the next store.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    """The cache directory (created on demand): $OPTC_CACHE_DIR, $XDG_CACHE_HOME/optc or ~/.cache/optc."""
    root = os.environ.get("OPTC_CACHE_DIR")
    if root:
        path = Path(root)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "optc"
    path.mkdir(parents=True, exist_ok=True)
    return path


def entry_path(folder: str, key: str) -> Path:
    """Where the entry `key` of the cache `folder` lives."""
    return cache_dir() / folder / f"{key}.bin"


def read_entry(folder: str, key: str, magic: bytes) -> tuple[dict, bytes] | None:
    """(header, payload) of a valid entry, or None (missing, truncated, corrupt or foreign)."""
    try:
        data = entry_path(folder, key).read_bytes()
    except OSError:
        return None
    if not data.startswith(magic) or len(data) < len(magic) + 8 + 32:
        return None
    body, digest = data[:-32], data[-32:]
    if hashlib.sha256(body).digest() != digest:
        return None
    size = int.from_bytes(body[len(magic) : len(magic) + 8], "little")
    start = len(magic) + 8
    try:
        header = json.loads(body[start : start + size])
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("key") != key:
        return None
    return header, body[start + size :]


def write_entry(folder: str, key: str, magic: bytes, header: dict, payload: bytes) -> None:
    """Write an entry atomically (a failure to write only loses the cache)."""
    blob = json.dumps({**header, "key": key}).encode()
    body = magic + len(blob).to_bytes(8, "little") + blob + payload
    data = body + hashlib.sha256(body).digest()
    try:
        path = entry_path(folder, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass
