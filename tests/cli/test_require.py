"""`optc run` with an input outside a stdlib solver's documented range: the `require`'s
diagnostic (the stdlib file and line, the source line, a caret), exit 1, no traceback, on every
backend; `optc check` accepts a file with `require`s."""

from __future__ import annotations

import pytest
from optc.backends.mlir import available as mlir_available

BACKENDS = ["numpy", "llvm", *(["mlir"] if mlir_available() else [])]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("setting, message", [
    ("bs=0", "bs, the block size, must be at least 1 (requirement `bs >= 1` failed)"),
    ("bs=-1", "bs, the block size, must be at least 1 (requirement `bs >= 1` failed)"),
    ("rule=7", "rule must be 0 (cyclic) or 2 (Gauss-Southwell) (requirement `rule == 0 or rule == 2` failed)"),
])
def test_a_bad_setting_prints_the_stdlib_requirement(optc, lstsq, backend, setting, message):
    res = optc("run", "bcd_least_squares", "-i", "data.npz", "--set", setting, "--backend", backend)
    assert res.code == 1
    assert res.out == ""
    head, source, caret = res.err.splitlines()[:3]
    assert head.endswith(f"error: {message}")
    assert "/stdlib/coordinate.opt:" in head
    assert source.strip().startswith("require ")
    assert set(caret.strip()) == {"^"} and len(caret) - len(caret.lstrip()) == len(source) - len(source.lstrip())


def test_the_default_settings_still_run(optc, lstsq):
    res = optc("run", "bcd_least_squares", "-i", "data.npz", "--set", "bs=3")
    assert res.code == 0, res.err
    assert "converged = true" in res.out


def test_check_accepts_requires(optc, tmp_path):
    path = tmp_path / "scaled.opt"
    path.write_text('solver scaled(x: real[n], step = 0.5) {\n  require step > 0, "step must be positive"\n'
                    "  return y = step * x\n}\n")
    res = optc("check", str(path))
    assert res.code == 0, res.err
