"""The front end's disk cache (optc/compile_cache.py): a hit skips parsing and the IR passes and
gives the same optimized IR; any change to a file the compilation read, or a new file that a
`use` would now find first, is a miss; corrupt entries are misses."""

from __future__ import annotations

import pytest

from optc import compile_cache
from optc.compiler import _compile_cached, compile_source
from optc.ir.printer import print_module


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("OPTC_CACHE_DIR", str(tmp_path / "cache"))
    _compile_cached.cache_clear()
    yield tmp_path / "cache"
    _compile_cached.cache_clear()


@pytest.fixture
def count_parses(monkeypatch):
    """How many files the parser reads from now on."""
    from optc.dsl import parser

    calls = []
    real = parser.parse_file
    monkeypatch.setattr(parser, "parse_file", lambda path: calls.append(str(path)) or real(path))
    return calls


def fresh_compile(*args):
    """compile_source as a new process would run it (the in-process cache emptied)."""
    _compile_cached.cache_clear()
    return compile_source(*args)


def test_second_compile_is_read_from_disk(cache, count_parses):
    first = fresh_compile("adam", None, "optimizer", "f32")
    assert count_parses == [str(first.unit.path)]
    second = fresh_compile("adam", None, "optimizer", "f32")
    assert len(count_parses) == 1, "the second compile should not parse"
    assert second is not first
    assert print_module(second.module) == print_module(first.module)
    assert print_module(second.ir) == print_module(first.ir)
    assert len(list((cache / "ir").glob("*.bin"))) == 1


def test_dtype_and_declaration_are_part_of_the_key(cache, count_parses):
    fresh_compile("adam", None, "optimizer", "f32")
    fresh_compile("adam", None, "optimizer", "f64")
    fresh_compile("adamw", None, "optimizer", "f32")
    assert len(count_parses) == 3


def test_an_edited_file_is_recompiled(cache, tmp_path, count_parses):
    src = tmp_path / "step.opt"
    src.write_text("optimizer step(lr = 0.1) {\n  param p\n  grad g\n  p' = p - lr * g\n}\n")
    before = print_module(fresh_compile(src, None, None, "f64").module)
    fresh_compile(src, None, None, "f64")
    assert len(count_parses) == 1
    src.write_text("optimizer step(lr = 0.1) {\n  param p\n  grad g\n  p' = p - 2 * lr * g\n}\n")
    edited = fresh_compile(src, None, None, "f64")
    assert len(count_parses) == 2
    assert print_module(edited.module) != before


def test_a_used_file_and_a_shadowing_file_invalidate(cache, tmp_path, count_parses):
    main = tmp_path / "main.opt"
    main.write_text("use helpers\nuse prox\n"
                    "optimizer shrink(lr = 0.1) {\n  param p\n  grad g\n  p' = soft_threshold(p - lr * g, half(lr))\n}\n")
    (tmp_path / "helpers.opt").write_text("fn half(x: real) -> real = x / 2\n")
    first = fresh_compile(main, None, None, "f64")
    from optc.dsl.program import STDLIB_DIR, source_digest

    folder = tmp_path.resolve()
    assert {p: seen and seen[0] for p, seen in first.unit.inputs.items()} == {
        folder / "main.opt": str(folder / "main.opt"),
        folder / "helpers.opt": str(folder / "helpers.opt"),
        folder / "prox.opt": None,  # looked for next to main.opt first, not found
        STDLIB_DIR / "prox.opt": str(STDLIB_DIR / "prox.opt"),
    }
    assert first.unit.inputs[folder / "main.opt"][1] == source_digest(main.read_text())
    n = len(count_parses)
    fresh_compile(main, None, None, "f64")
    assert len(count_parses) == n, "unchanged inputs: a hit"

    (tmp_path / "helpers.opt").write_text("fn half(x: real) -> real = x * 0.5\n")
    fresh_compile(main, None, None, "f64")
    assert len(count_parses) > n, "an edited used file: a miss"

    n = len(count_parses)
    (tmp_path / "prox.opt").write_text("fn soft_threshold(x: real[...], t: real) -> real[...] = x\n")
    shadowed = fresh_compile(main, None, None, "f64")
    assert len(count_parses) > n, "a file that now shadows the stdlib module: a miss"
    assert "sign" not in print_module(shadowed.module)


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage-pickle"])
def test_corrupt_entries_are_misses(cache, count_parses, damage):
    first = fresh_compile("lion", None, "optimizer", "f64")
    (entry,) = (cache / "ir").glob("*.bin")
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        entry.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    else:  # a well-formed entry whose payload does not unpickle
        from optc.cache import read_entry, write_entry

        header, _ = read_entry("ir", entry.stem, compile_cache.MAGIC)
        write_entry("ir", entry.stem, compile_cache.MAGIC, {k: v for k, v in header.items() if k != "key"}, b"not a pickle")
    again = fresh_compile("lion", None, "optimizer", "f64")
    assert len(count_parses) == 2
    assert print_module(again.module) == print_module(first.module)
    fresh_compile("lion", None, "optimizer", "f64")
    assert len(count_parses) == 2, "the rewritten entry is a hit"


def test_an_edit_during_the_compile_is_not_cached_as_the_new_text(cache, tmp_path, monkeypatch):
    """The entry records the digest of the text that was parsed, not of the file at store time."""
    import optc.ir.pipeline

    src = tmp_path / "step.opt"
    src.write_text("optimizer step(lr = 0.1) {\n  param p\n  grad g\n  p' = p - lr * g\n}\n")
    edited = "optimizer step(lr = 0.1) {\n  param p\n  grad g\n  p' = p - 2 * lr * g\n}\n"
    real = optc.ir.pipeline.optimize

    def save_while_optimizing(module):
        src.write_text(edited)  # the user saves the file while the old text is being compiled
        return real(module)

    monkeypatch.setattr(optc.ir.pipeline, "optimize", save_while_optimizing)
    _compile_cached.cache_clear()
    old = _compile_cached(str(src.resolve()), 0, None, None, "f64")  # compiles and stores the old text
    monkeypatch.setattr(optc.ir.pipeline, "optimize", real)
    new = fresh_compile(src, None, None, "f64")
    assert print_module(new.module) != print_module(old.module)
    assert print_module(new.module) == print_module(fresh_compile(src, None, None, "f64").module)


def test_a_retargeted_symlink_is_a_miss(cache, tmp_path, count_parses):
    """Same bytes behind the link, but the target's own `use` now finds another helpers.opt."""
    for folder, factor in (("a", "0.5"), ("b", "0.25")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "lib.opt").write_text("use helpers\n")
        (tmp_path / folder / "helpers.opt").write_text(f"fn scale(x: real) -> real = {factor} * x\n")
    link = tmp_path / "lib.opt"
    link.symlink_to(tmp_path / "a" / "lib.opt")
    main = tmp_path / "main.opt"
    main.write_text("use lib\noptimizer step(lr = 0.1) {\n  param p\n  grad g\n  p' = p - scale(lr) * g\n}\n")
    before = print_module(fresh_compile(main, None, None, "f64").module)
    link.unlink()
    link.symlink_to(tmp_path / "b" / "lib.opt")
    n = len(count_parses)
    after = print_module(fresh_compile(main, None, None, "f64").module)
    assert len(count_parses) > n
    assert after != before


def test_in_process_cache_sees_an_edited_used_file(cache, tmp_path):
    import numpy as np

    import optc

    (tmp_path / "helpers.opt").write_text("fn scale(x: real) -> real = x\n")
    main = tmp_path / "main.opt"
    main.write_text("use helpers\noptimizer step(lr = 0.1) {\n  param p\n  grad g\n  p' = p - scale(lr) * g\n}\n")

    def one_step():
        p = np.ones(3)
        opt = optc.optimizer(str(main), backend="numpy")
        opt.step([p], [np.ones(3)], opt.init([p]))
        return p

    np.testing.assert_allclose(one_step(), 0.9)
    (tmp_path / "helpers.opt").write_text("fn scale(x: real) -> real = 5 * x\n")
    np.testing.assert_allclose(one_step(), 0.5)


def test_errors_are_not_cached(cache, tmp_path):
    from optc.errors import OptcError

    src = tmp_path / "bad.opt"
    src.write_text("optimizer bad {\n  param p\n  p' = p + q\n}\n")
    for _ in range(2):
        with pytest.raises(OptcError, match="q"):
            fresh_compile(src, None, None, "f64")
    assert not list((cache / "ir").glob("*.bin"))
