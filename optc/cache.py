"""Where optc keeps compiled artifacts: `$OPTC_CACHE_DIR`, else the user's cache directory."""

from __future__ import annotations

import os
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
