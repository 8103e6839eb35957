"""Philox-4x32-10 against Random123's known-answer vectors (kat_vectors, `philox4x32 10`),
in the NumPy reference and in the LLVM rounds (`backends/llvm/philox.py`) JIT-compiled alone."""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
from llvmlite import binding as llvm
from llvmlite import ir
from optc.backends.numpy.rules import philox4x32

# (counter words, key words, expected output words), as listed in Random123's kat_vectors.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_numpy_philox_known_answers(counter, key, expected):
    assert tuple(int(w) for w in philox4x32(counter, key)) == expected


def test_numpy_philox_is_vectorized():
    counters = [np.array([k[0][j] for k in KAT], dtype=np.uint64) for j in range(4)]
    keys = KAT[0][1]
    words = philox4x32(counters, keys)
    assert int(words[0][0]) == KAT[0][2][0]
    assert all(w.dtype == np.uint64 and (w < 2**32).all() for w in words)


@pytest.fixture(scope="module")
def llvm_philox():
    """The LLVM rounds as a native `void philox(i32 c[4], i32 k[2], i32 out[4])`."""
    from optc.backends.llvm.philox import I32
    from optc.backends.llvm.philox import philox4x32 as emit

    module = ir.Module("philox_kat")
    p32 = I32.as_pointer()
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [p32, p32, p32]), "philox")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    c, k, out = fn.args
    words = emit(b, [b.load(b.gep(c, [ir.Constant(I32, j)])) for j in range(4)],
                 [b.load(b.gep(k, [ir.Constant(I32, j)])) for j in range(2)])
    for j, w in enumerate(words):
        b.store(w, b.gep(out, [ir.Constant(I32, j)]))
    b.ret_void()
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple().create_target_machine()
    mod = llvm.parse_assembly(str(module))
    mod.verify()
    engine = llvm.create_mcjit_compiler(mod, target)
    engine.finalize_object()
    cfunc = ctypes.CFUNCTYPE(None, *[ctypes.POINTER(ctypes.c_uint32)] * 3)(engine.get_function_address("philox"))

    def run(counter, key):
        c_ = (ctypes.c_uint32 * 4)(*counter)
        k_ = (ctypes.c_uint32 * 2)(*key)
        o_ = (ctypes.c_uint32 * 4)()
        cfunc(c_, k_, o_)
        return tuple(o_)

    yield run
    del engine


@pytest.mark.parametrize("counter, key, expected", KAT)
def test_llvm_philox_known_answers(llvm_philox, counter, key, expected):
    assert llvm_philox(counter, key) == expected
