"""Reading the CLI's input data and writing its results.

`optc run` takes arrays from files (`--input A=A.npy`, `--input b=b.csv`, `--input X=data.npz:key`,
or `--input data.npz` for every array in it) and scalars from the command line (`--set lam=0.1`),
and writes results to `.npy` (one array) or `.npz` (everything) files. Pickled data is never
loaded. Every problem is an `OptcError` whose message names the file (and for CSV the line and
column); checking shapes and dtypes against a declaration is `optc.validate`'s job.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from optc.errors import OptcError, did_you_mean

FORMATS = (".npy", ".npz", ".csv")
_NPY_MAGIC = b"\x93NUMPY"
_INT = re.compile(r"[+-]?[0-9]+")


# ---------------------------------------------------------------- --input


def load_inputs(specs: Iterable[str]) -> dict[str, np.ndarray]:
    """Arrays by input name from `--input` specs (`NAME=FILE`, `NAME=FILE.npz:KEY`, `FILE`)."""
    arrays: dict[str, np.ndarray] = {}
    given_by: dict[str, str] = {}
    for spec in specs:
        for name, array in _load_spec(spec).items():
            if name in arrays:
                raise OptcError(
                    f"input `{name}` is given twice (by `--input {given_by[name]}` and `--input {spec}`)"
                )
            arrays[name] = array
            given_by[name] = spec
    return arrays


def _load_spec(spec: str) -> dict[str, np.ndarray]:
    name, sep, target = spec.partition("=")
    if not sep:
        name, target = "", spec
    elif not name.isidentifier():
        raise OptcError(
            f"--input {spec}: `{name}` is not a valid input name; write --input NAME=FILE"
        )
    if not target:
        raise OptcError(f"--input {spec}: no file given; write --input NAME=FILE")
    path_text, key = target, None
    head, colon, tail = target.rpartition(":")
    if colon and Path(head).suffix.lower() in FORMATS:
        path_text, key = head, tail  # only .npz holds keys; load_array says so for the others
    path = Path(path_text)
    if name:
        return {name: load_array(path, key)}
    if path.suffix.lower() == ".npz" and key is None:
        return load_npz(path)
    if path.stem.isidentifier() and path.suffix.lower() in FORMATS:
        return {path.stem: load_array(path, key)}  # `--input A.npy` binds `A`
    raise OptcError(f"--input {spec}: which input is this? write --input NAME=FILE")


def load_array(path: str | Path, key: str | None = None) -> np.ndarray:
    """One array from a .npy, .npz (by `key`, or its only array) or .csv file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        what = f"`{path.suffix}` files" if path.suffix else "files without an extension"
        raise OptcError(f"cannot load {path}: optc reads .npy, .npz and .csv files, not {what}")
    if key is not None and suffix != ".npz":
        raise OptcError(f"cannot load {path}:{key}: only .npz files hold arrays by key")
    _check_readable(path)
    if suffix == ".npy":
        return _load_npy(path)
    if suffix == ".csv":
        return read_csv(path)
    arrays = _open_npz(path)
    try:
        if key is None:
            if len(arrays.files) != 1:
                raise OptcError(
                    f"{path} holds {len(arrays.files)} arrays ({', '.join(arrays.files) or 'none'}); "
                    f"pick one with NAME={path}:KEY"
                )
            key = arrays.files[0]
        if key not in arrays.files:
            raise OptcError(
                f"{path} has no array `{key}`{did_you_mean(key, arrays.files)}",
                notes=(f"it holds: {', '.join(arrays.files) or 'nothing'}",),
            )
        return _npz_member(path, arrays, key)
    finally:
        arrays.close()


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a .npz file, by its name in the file."""
    path = Path(path)
    _check_readable(path)
    arrays = _open_npz(path)
    try:
        if not arrays.files:
            raise OptcError(f"{path} holds no arrays")
        bad = [k for k in arrays.files if not k.isidentifier()]
        if bad:
            raise OptcError(
                f"{path} holds an array named `{bad[0]}`, which is not an input name; "
                f"load it with --input NAME={path}:{bad[0]}"
            )
        return {k: _npz_member(path, arrays, k) for k in arrays.files}
    finally:
        arrays.close()


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise OptcError(f"cannot load {path}: no such file")
    if path.is_dir():
        raise OptcError(f"cannot load {path}: it is a directory")


def _load_npy(path: Path) -> np.ndarray:
    try:
        with path.open("rb") as f:
            magic = f.read(len(_NPY_MAGIC))
    except OSError as err:
        raise OptcError(f"cannot load {path}: {err.strerror or err}") from None
    if magic != _NPY_MAGIC:
        raise OptcError(f"cannot load {path}: it is not a NumPy .npy file (its header is missing)")
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err) or "Object arrays" in str(err):
            raise OptcError(
                f"cannot load {path}: it holds Python objects (a pickled object array); "
                "optc loads numeric arrays only and never unpickles files"
            ) from None
        raise OptcError(f"cannot load {path}: the file is corrupt or truncated ({err})") from None
    except (OSError, EOFError) as err:
        raise OptcError(f"cannot load {path}: the file is corrupt or truncated ({err})") from None
    return _numeric(path, array)


def _open_npz(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise OptcError(f"cannot load {path}: it is not a valid .npz file ({err})") from None


def _npz_member(path: Path, arrays, key: str) -> np.ndarray:
    try:
        array = arrays[key]
    except ValueError as err:
        if "pickle" in str(err) or "Object arrays" in str(err):
            raise OptcError(
                f"cannot load {path}:{key}: it holds Python objects (a pickled object array); "
                "optc loads numeric arrays only and never unpickles files"
            ) from None
        raise OptcError(f"cannot load {path}:{key}: the array is corrupt ({err})") from None
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise OptcError(f"cannot load {path}:{key}: the array is corrupt ({err})") from None
    return _numeric(f"{path}:{key}", array)


def _numeric(where, array: np.ndarray) -> np.ndarray:
    """`array`, if it holds numbers (bools, ints, floats)."""
    if array.dtype.kind not in "biuf":
        what = {
            "c": "complex numbers",
            "U": "text",
            "S": "bytes",
            "V": "structured records",
            "M": "dates",
            "m": "time spans",
        }.get(array.dtype.kind, f"dtype {array.dtype}")
        raise OptcError(f"cannot use {where}: it holds {what}; optc needs real numbers")
    return array


# ---------------------------------------------------------------- CSV


def read_csv(path: str | Path) -> np.ndarray:
    """Comma-separated numbers as a float64 array: a vector for one row or column, else a matrix.

    Blank lines and lines starting with `#` are skipped, and so is a first row of column names.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise OptcError(f"cannot load {path}: it is not a text file") from None
    except OSError as err:
        raise OptcError(f"cannot load {path}: {err.strerror or err}") from None
    rows: list[list[float]] = []
    first_line = 0  # the line of the first row of numbers
    header_seen = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if not rows and not header_seen and _is_header(cells):
            header_seen = True
            continue
        values = [_csv_number(path, lineno, col, cell) for col, cell in enumerate(cells, start=1)]
        if rows and len(values) != len(rows[0]):
            raise OptcError(
                f"cannot load {path}: line {lineno} has {_count(len(values), 'value')} "
                f"but line {first_line} has {len(rows[0])}"
            )
        if not rows:
            first_line = lineno
        rows.append(values)
    if not rows:
        raise OptcError(f"cannot load {path}: the file holds no numbers")
    array = np.array(rows, dtype=np.float64)
    if array.shape[0] == 1 or array.shape[1] == 1:
        return array.reshape(-1)
    return array


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _is_header(cells: list[str]) -> bool:
    """Whether a first row holds column names (a cell with `;` or a tab is a wrong separator)."""
    return all(
        cell and not _is_number(cell) and ";" not in cell and "\t" not in cell for cell in cells
    )


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_number(path: Path, lineno: int, col: int, cell: str) -> float:
    if not cell:
        raise OptcError(f"cannot load {path}: line {lineno}, column {col} is empty")
    try:
        return float(cell)
    except ValueError:
        pass
    hint = ""
    if ";" in cell or "\t" in cell:
        hint = " (optc reads comma-separated values; this line seems to use another separator)"
    raise OptcError(
        f"cannot load {path}: line {lineno}, column {col}: `{cell}` is not a number{hint}"
    )


# ---------------------------------------------------------------- --set


def parse_sets(specs: Iterable[str]) -> dict[str, Any]:
    """Scalar values by name from `--set NAME=VALUE` specs."""
    values: dict[str, Any] = {}
    for spec in specs:
        name, value = parse_set(spec)
        if name in values:
            raise OptcError(f"`{name}` is set twice (--set {spec})")
        values[name] = value
    return values


def parse_set(spec: str) -> tuple[str, Any]:
    """(name, value) from `NAME=VALUE`: an int, a float (`1e-3`, `inf`, `-inf`), `true` or `false`."""
    name, sep, text = spec.partition("=")
    name, text = name.strip(), text.strip()
    if not sep or not name:
        raise OptcError(f"--set {spec}: write --set NAME=VALUE")
    if not name.isidentifier():
        raise OptcError(f"--set {spec}: `{name}` is not a valid name")
    if text in ("true", "false"):
        return name, text == "true"
    if _INT.fullmatch(text):
        return name, int(text)
    try:
        return name, float(text)
    except ValueError:
        raise OptcError(
            f"--set {spec}: `{text}` is not a value; write an int, a float (0.1, 1e-3, inf), "
            "true or false"
        ) from None


# ---------------------------------------------------------------- --output


def check_output(
    path: str | Path, result_names: list[str], extra_names: Iterable[str] = ()
) -> None:
    """Fail early, before any work, if `--output path` cannot hold these results."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        if len(result_names) != 1:
            raise OptcError(
                f"--output {path}: a .npy file holds one array, but there are {len(result_names)} "
                f"results ({', '.join(result_names)}); write them all to a .npz file"
            )
    elif suffix == ".npz":
        clash = sorted(set(result_names) & set(extra_names))
        if clash:
            raise OptcError(
                f"--output {path}: a result is called `{clash[0]}`, which the .npz file uses for "
                "something else; write it to a .npy file"
            )
    else:
        raise OptcError(
            f"--output {path}: results are written to .npy (one array) or .npz (everything) files"
        )
    if not path.parent.is_dir():
        raise OptcError(f"cannot write {path}: the directory {path.parent} does not exist")


def write_output(path: str | Path, results: dict[str, Any], extras: dict[str, Any]) -> None:
    """Write `results` to a .npy file (exactly one) or `results` and `extras` to a .npz file."""
    path = Path(path)
    check_output(path, list(results), extras)
    if path.suffix.lower() == ".npy":
        ((_, value),) = results.items()
        _write(path, lambda f: np.save(f, np.asarray(value), allow_pickle=False))
    else:
        arrays = {k: np.asarray(v) for k, v in {**results, **extras}.items()}
        _write(path, lambda f: np.savez(f, **arrays))


def _write(path: Path, save) -> None:
    try:
        with path.open("wb") as f:
            save(f)
    except OSError as err:
        raise OptcError(f"cannot write {path}: {err.strerror or err}") from None
