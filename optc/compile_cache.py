"""The disk cache of the front end: a declaration parsed, checked, lowered and optimized for one
dtype (a `Compiled`), so a program seen before skips Lark and the IR passes (well under a
millisecond to load instead of tens to hundreds).

The key hashes the request (source as given, declaration name, kind, dtype), the stdlib's name
index, NumPy's version and a hash of the front end's own code (dsl/, ir/, the compiler, and the
NumPy rules that constant folding evaluates with), so changing optc invalidates every entry. The
payload is a pickle of the `Compiled`; the header lists what it was made from (`Unit.inputs`):
every file parsed, with the file it resolved to and a digest of the very text that was parsed,
and every path a `use` looked for, with the file it resolved to or that it did not exist. A
lookup misses when any of that differs now (an edit, a retargeted symlink, a new file that would
shadow the stdlib module a `use` found). Entries use the checked format of `optc/cache.py`; an
entry that does not unpickle is a miss and is rewritten.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import lru_cache
from pathlib import Path

from optc.cache import read_entry, write_entry

MAGIC = b"OPTC-IR-1\n"
FOLDER = "ir"
_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def front_end_version() -> str:
    """A hash of the front end's and the IR's source code (and the pickle protocol)."""
    import numpy

    import optc.backends.numpy.rules
    import optc.compiler
    import optc.dsl
    import optc.ir

    digest = hashlib.sha256(f"pickle {pickle.HIGHEST_PROTOCOL} numpy {numpy.__version__}".encode())
    folders = [Path(optc.dsl.__file__).parent, Path(optc.ir.__file__).parent]
    files = [Path(optc.compiler.__file__), Path(optc.compiler.__file__).with_name("errors.py"),
             Path(optc.backends.numpy.rules.__file__)]
    for folder in folders:
        files += sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".lark"))
    for path in files:
        digest.update(str(path.relative_to(path.parents[1])).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def request_key(source: str, name: str | None, kind: str | None, dtype: str, stdlib: dict) -> str:
    """The key of one compilation request."""
    index = sorted((n, str(p)) for n, p in stdlib.items())
    text = f"{front_end_version()}\n{source}\n{name}\n{kind}\n{dtype}\n{index}"
    return hashlib.sha256(text.encode()).hexdigest()


def lookup(key: str):
    """The cached `Compiled` for `key` when what it was made from is unchanged, else None."""
    from optc.dsl.program import inputs_unchanged

    entry = read_entry(FOLDER, key, MAGIC)
    if entry is None:
        return None
    header, payload = entry
    try:
        inputs = {Path(p): (tuple(seen) if seen is not None else None) for p, seen in header["inputs"].items()}
    except (KeyError, AttributeError, TypeError):
        return None
    if not inputs_unchanged(inputs):
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # noqa: BLE001 - an unreadable entry is a miss; the next store rewrites it
        return None


def store(key: str, compiled) -> None:
    """Cache `compiled` under `key`, with what its unit was made from."""
    inputs = {str(p): (list(seen) if seen is not None else None) for p, seen in compiled.unit.inputs.items()}
    try:
        payload = pickle.dumps(compiled, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
        return
    write_entry(FOLDER, key, MAGIC, {"inputs": inputs}, payload)
