"""The MLIR backend's lowering rules: one per opcode, in one registry keyed by opcode.

A rule for an `elementwise` opcode works on scalars: `rule(fe, op, dtype, *args) -> name`,
where `args` are SSA names of scalars of the operands' dtype (`dtype`) and the result is the SSA
name of the result. The emitter calls it directly for scalar ops and once per element inside
the fused loop of a group of tensor ops. Every other rule (`tensor_rules.py`, `loops.py`) takes
the operands as emitted values: `rule(fe, op, *operands) -> Scalar | Tensor | list`.

The elementwise rules mirror `backends/numpy/rules.py`: NaN propagates through min/max, `round`
is half to even, `mod` takes the sign of the divisor, `sign(nan)` is nan, an integer power with
a negative exponent is a run-time error. On the CPU `log1p` and `expm1` call the C library
(the `math` dialect's LLVM lowering would compute `log(1 + x)` and lose the accuracy that is the
point of these functions); on the GPU they stay `math` ops and become libdevice calls.
"""

from __future__ import annotations

from collections.abc import Callable

from optc.backends.mlir.text import literal, scalar_type
from optc.backends.numpy.rules import format_template
from optc.ir.core import Op

RULES: dict[str, Callable] = {}
# Opcodes that never reach a backend; a rule for them would be dead code.
UNSUPPORTED = {
    "call": "calls are inlined before code generation",
}


def rule(*opcodes: str):
    """Register the MLIR lowering of `opcodes`."""

    def register(fn):
        for opcode in opcodes:
            RULES[opcode] = fn
        return fn

    return register


def is_float(dtype: str) -> bool:
    return dtype in ("f32", "f64")


def zero(fe, dtype: str) -> str:
    """The hoisted constant 0 (false) of a dtype."""
    return fe.t.const(literal(0, dtype))


def one(fe, dtype: str) -> str:
    """The hoisted constant 1 (true) of a dtype."""
    return fe.t.const(literal(1, dtype))


_ARITH = {
    "add": ("arith.addf", "arith.addi"),
    "sub": ("arith.subf", "arith.subi"),
    "mul": ("arith.mulf", "arith.muli"),
    "div": ("arith.divf", None),
    "minimum": ("arith.minimumf", "arith.minsi"),  # minimumf/maximumf propagate NaN, like NumPy
    "maximum": ("arith.maximumf", "arith.maxsi"),
}


@rule(*_ARITH)
def _arith(fe, op: Op, dtype, x, y):
    name = _ARITH[op.opcode][0 if is_float(dtype) else 1]
    return fe.t.op(f"{name} {x}, {y} : {scalar_type(dtype)}")


@rule("pow")
def _pow(fe, op: Op, dtype, x, y):
    if is_float(dtype):
        return fe.t.op(f"math.powf {x}, {y} : {dtype}")
    t = fe.t
    fe.fail_if(
        t.op(f"arith.cmpi slt, {y}, {zero(fe, 'i64')} : i64"),
        op,
        "Integers to negative integer powers are not allowed.",
    )

    # Power by squaring: (acc, base, e) -> (acc * base if e is odd, base * base, e >> 1).
    def before(args):
        return t.op(f"arith.cmpi sgt, {args[2]}, {zero(fe, 'i64')} : i64")

    def after(args):
        acc, base, e = args
        odd = t.op(f"arith.trunci {e} : i64 to i1")
        times = t.op(f"arith.muli {acc}, {base} : i64")
        acc2 = t.op(f"arith.select {odd}, {times}, {acc} : i64")
        base2 = t.op(f"arith.muli {base}, {base} : i64")
        e2 = t.op(f"arith.shrsi {e}, {one(fe, 'i64')} : i64")
        return [acc2, base2, e2]

    return t.while_([one(fe, "i64"), x, y], ["i64"] * 3, before, after)[0]


@rule("mod")
def _mod(fe, op: Op, dtype, x, y):
    t = fe.t
    if is_float(dtype):
        z = zero(fe, dtype)
        r = t.op(f"arith.remf {x}, {y} : {dtype}")
        nonzero = t.op(f"arith.cmpf une, {r}, {z} : {dtype}")
        r_neg = t.op(f"arith.cmpf olt, {r}, {z} : {dtype}")
        y_neg = t.op(f"arith.cmpf olt, {y}, {z} : {dtype}")
        fix = t.op(f"arith.andi {nonzero}, {t.op(f'arith.xori {r_neg}, {y_neg} : i1')} : i1")
        fixed = t.op(f"arith.select {fix}, {t.op(f'arith.addf {r}, {y} : {dtype}')}, {r} : {dtype}")
        # NumPy gives a zero remainder the sign of the divisor.
        is_zero = t.op(f"arith.cmpf oeq, {r}, {z} : {dtype}")
        signed_zero = t.op(f"math.copysign {z}, {y} : {dtype}")
        return t.op(f"arith.select {is_zero}, {signed_zero}, {fixed} : {dtype}")
    # NumPy: x % 0 == 0 and x % -1 == 0; both trap in hardware, so divide by 1 instead.
    z, o = zero(fe, "i64"), one(fe, "i64")
    by_zero = t.op(f"arith.cmpi eq, {y}, {z} : i64")
    by_minus_one = t.op(f"arith.cmpi eq, {y}, {t.const('-1', 'i64')} : i64")
    trivial = t.op(f"arith.ori {by_zero}, {by_minus_one} : i1")
    ys = t.op(f"arith.select {trivial}, {o}, {y} : i64")
    r = t.op(f"arith.remsi {x}, {ys} : i64")
    nonzero = t.op(f"arith.cmpi ne, {r}, {z} : i64")
    r_neg = t.op(f"arith.cmpi slt, {r}, {z} : i64")
    y_neg = t.op(f"arith.cmpi slt, {ys}, {z} : i64")
    fix = t.op(f"arith.andi {nonzero}, {t.op(f'arith.xori {r_neg}, {y_neg} : i1')} : i1")
    fixed = t.op(f"arith.select {fix}, {t.op(f'arith.addi {r}, {ys} : i64')}, {r} : i64")
    return t.op(f"arith.select {trivial}, {z}, {fixed} : i64")


# NumPy: every comparison with NaN is False, except != which is True.
_FCMP = {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq", "ne": "une"}
_ICMP = {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq", "ne": "ne"}


@rule(*_FCMP)
def _compare(fe, op: Op, dtype, x, y):
    if is_float(dtype):
        return fe.t.op(f"arith.cmpf {_FCMP[op.opcode]}, {x}, {y} : {dtype}")
    return fe.t.op(f"arith.cmpi {_ICMP[op.opcode]}, {x}, {y} : {scalar_type(dtype)}")


@rule("and", "or")
def _logic(fe, op: Op, dtype, x, y):
    return fe.t.op(f"arith.{op.opcode}i {x}, {y} : i1")


@rule("not")
def _not(fe, op: Op, dtype, x):
    return fe.t.op(f"arith.xori {x}, {one(fe, 'bool')} : i1")


@rule("neg")
def _neg(fe, op: Op, dtype, x):
    if is_float(dtype):
        return fe.t.op(f"arith.negf {x} : {dtype}")
    return fe.t.op(f"arith.subi {zero(fe, dtype)}, {x} : i64")


@rule("abs")
def _abs(fe, op: Op, dtype, x):
    return fe.t.op(f"math.abs{'f' if is_float(dtype) else 'i'} {x} : {scalar_type(dtype)}")


@rule("sign")
def _sign(fe, op: Op, dtype, x):
    t = fe.t
    z = zero(fe, dtype)
    if not is_float(dtype):
        pos = t.op(f"arith.extui {t.op(f'arith.cmpi sgt, {x}, {z} : i64')} : i1 to i64")
        neg = t.op(f"arith.extui {t.op(f'arith.cmpi slt, {x}, {z} : i64')} : i1 to i64")
        return t.op(f"arith.subi {pos}, {neg} : i64")
    pos = t.op(f"arith.cmpf ogt, {x}, {z} : {dtype}")
    neg = t.op(f"arith.cmpf olt, {x}, {z} : {dtype}")
    nan = t.op(f"arith.cmpf uno, {x}, {x} : {dtype}")
    s = t.op(f"arith.select {neg}, {t.const(literal(-1, dtype))}, {z} : {dtype}")
    s = t.op(f"arith.select {pos}, {one(fe, dtype)}, {s} : {dtype}")
    return t.op(f"arith.select {nan}, {x}, {s} : {dtype}")  # NaN stays NaN


_MATH = {
    "sqrt": "sqrt",
    "exp": "exp",
    "log": "log",
    "tanh": "tanh",
    "sin": "sin",
    "cos": "cos",
    "floor": "floor",
    "round": "roundeven",
}


@rule(*_MATH)
def _math(fe, op: Op, dtype, x):
    return fe.t.op(f"math.{_MATH[op.opcode]} {x} : {dtype}")


@rule("log1p", "expm1")
def _libm(fe, op: Op, dtype, x):
    return _accurate(fe, op.opcode, dtype, x)


def _accurate(fe, name: str, dtype: str, x: str) -> str:
    """log1p or expm1 of x: the C library's on the CPU, a `math` op (libdevice) on the GPU."""
    if fe.target != "cpu":
        return fe.t.op(f"math.{name} {x} : {dtype}")
    fn = name if dtype == "f64" else name + "f"
    fe.module.declare(fn, [dtype], [dtype])
    return fe.t.op(f"func.call @{fn}({x}) : ({dtype}) -> {dtype}")


@rule("rsqrt")
def _rsqrt(fe, op: Op, dtype, x):
    # A division, not math.rsqrt: correctly rounded like the NumPy reference.
    root = fe.t.op(f"math.sqrt {x} : {dtype}")
    return fe.t.op(f"arith.divf {one(fe, dtype)}, {root} : {dtype}")


@rule("sigmoid")
def _sigmoid(fe, op: Op, dtype, x):
    """As NumPy's rule computes it: e = exp(-|x|), 1 / (1 + e) for x >= 0, e / (1 + e) below."""
    t = fe.t
    magnitude = t.op(f"math.absf {x} : {dtype}")
    e = t.op(f"math.exp {t.op(f'arith.negf {magnitude} : {dtype}')} : {dtype}")
    r = t.op(f"arith.divf {one(fe, dtype)}, {t.op(f'arith.addf {one(fe, dtype)}, {e} : {dtype}')} : {dtype}")
    nonnegative = t.op(f"arith.cmpf oge, {x}, {zero(fe, dtype)} : {dtype}")
    return t.op(f"arith.select {nonnegative}, {r}, {t.op(f'arith.mulf {e}, {r} : {dtype}')} : {dtype}")


@rule("select")
def _select(fe, op: Op, dtype, c, x, y):
    return fe.t.op(f"arith.select {c}, {x}, {y} : {scalar_type(dtype)}")


@rule("cast")
def _cast(fe, op: Op, dtype, x):
    return convert(fe, x, dtype, op.attrs["dtype"])


def convert(fe, x: str, src: str, dst: str) -> str:
    """Convert a scalar between IR dtypes with NumPy's `astype` semantics."""
    t = fe.t
    if src == dst:
        return x
    if dst == "bool":
        if is_float(src):
            return t.op(f"arith.cmpf une, {x}, {zero(fe, src)} : {src}")
        return t.op(f"arith.cmpi ne, {x}, {zero(fe, src)} : i64")
    if src == "bool":
        if is_float(dst):
            return t.op(f"arith.uitofp {x} : i1 to {dst}")
        return t.op(f"arith.extui {x} : i1 to i64")
    if is_float(src) and is_float(dst):
        return t.op(f"arith.{'extf' if dst == 'f64' else 'truncf'} {x} : {src} to {dst}")
    if is_float(dst):
        return t.op(f"arith.sitofp {x} : i64 to {dst}")
    return t.op(f"arith.fptosi {x} : {src} to i64")


@rule("check")
def _check(fe, op: Op, ok):
    """`require`: record the check's status code (its message) when the condition is false.
    As after any run-time check, the rest of the block is skipped and the loops stop (see
    `FunctionEmitter.block`); the caller raises the first failure."""
    failed = fe.t.op(f"arith.xori {ok.name}, {one(fe, 'bool')} : i1")
    fe.fail_if(failed, op, format_template(op.attrs["message"]))
    return []


# The tensor rules, the loop rule and the random rules register themselves on import.
from optc.backends.mlir import loops, philox, tensor_rules  # noqa: F401
