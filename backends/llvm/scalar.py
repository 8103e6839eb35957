"""Per-element LLVM rules: one function per elementwise opcode, on scalar LLVM values.

These rules are the LLVM backend's registration in the op table for the `elementwise`
category. Fused loops call them once per element; scalar ops outside loops call them directly.
Each rule mirrors `backends/numpy/rules.py`: NaN propagates through min/max, `round` is half
to even, `mod` takes the sign of the divisor, `sign(nan)` is nan.
"""

from __future__ import annotations

from typing import Callable

from llvmlite import ir

from optc.ir.core import Op

F64, F32, I64, I1, I8 = ir.DoubleType(), ir.FloatType(), ir.IntType(64), ir.IntType(1), ir.IntType(8)
LL_TYPES = {"f64": F64, "f32": F32, "i64": I64, "bool": I1}
MEM_TYPES = {"f64": F64, "f32": F32, "i64": I64, "bool": I8}  # bools are bytes in memory

SCALAR_RULES: dict[str, Callable] = {}


def scalar_rule(*opcodes: str):
    """Register `fn(b, op, dtype, *args) -> value` for opcodes (dtype: the operands' dtype)."""

    def register(fn):
        for opcode in opcodes:
            SCALAR_RULES[opcode] = fn
        return fn

    return register


def intrinsic(b: ir.IRBuilder, name: str, dtype: str, *args):
    """Call `llvm.NAME.f64/f32`."""
    ty = LL_TYPES[dtype]
    suffix = "f64" if dtype == "f64" else "f32"
    module = b.module
    fname = f"llvm.{name}.{suffix}"
    fn = module.globals.get(fname) or ir.Function(module, ir.FunctionType(ty, [ty] * len(args)), fname)
    return b.call(fn, args)


def libm(b: ir.IRBuilder, name: str, dtype: str, *args):
    """Call a C math library function (`log1p`, or `log1pf` for f32)."""
    ty = LL_TYPES[dtype]
    fname = name if dtype == "f64" else name + "f"
    module = b.module
    fn = module.globals.get(fname) or ir.Function(module, ir.FunctionType(ty, [ty] * len(args)), fname)
    return b.call(fn, args)


def const(dtype: str, value) -> ir.Constant:
    """An LLVM constant of an IR dtype."""
    if dtype == "bool":
        return ir.Constant(I1, int(bool(value)))
    if dtype == "i64":
        return ir.Constant(I64, int(value))
    return ir.Constant(LL_TYPES[dtype], float(value))


def _is_float(dtype: str) -> bool:
    return dtype in ("f32", "f64")


@scalar_rule("add", "sub", "mul", "div")
def _arith(b, op: Op, dtype, x, y):
    if _is_float(dtype):
        return {"add": b.fadd, "sub": b.fsub, "mul": b.fmul, "div": b.fdiv}[op.opcode](x, y)
    return {"add": b.add, "sub": b.sub, "mul": b.mul}[op.opcode](x, y)


@scalar_rule("pow")
def _pow(b, op, dtype, x, y):
    if _is_float(dtype):
        return intrinsic(b, "pow", dtype, x, y)
    return b.call(_ipow(b.module), [x, y])


def _ipow(module: ir.Module) -> ir.Function:
    """i64 power by squaring (a negative exponent gives 0, like 1 // x**-n for |x| > 1)."""
    fn = module.globals.get("optc.ipow")
    if fn is not None:
        return fn
    fn = ir.Function(module, ir.FunctionType(I64, [I64, I64]), "optc.ipow")
    fn.linkage = "internal"
    base, exp = fn.args
    entry, loop, done = fn.append_basic_block("entry"), fn.append_basic_block("loop"), fn.append_basic_block("done")
    b = ir.IRBuilder(entry)
    no_loop = b.select(b.icmp_signed("==", exp, const("i64", 0)), const("i64", 1), const("i64", 0))
    b.cbranch(b.icmp_signed(">", exp, const("i64", 0)), loop, done)
    b = ir.IRBuilder(loop)
    acc = b.phi(I64)
    bb = b.phi(I64)
    e = b.phi(I64)
    odd = b.trunc(b.and_(e, const("i64", 1)), I1)
    acc2 = b.select(odd, b.mul(acc, bb), acc)
    bb2 = b.mul(bb, bb)
    e2 = b.ashr(e, const("i64", 1))
    acc.add_incoming(const("i64", 1), entry)
    acc.add_incoming(acc2, loop)
    bb.add_incoming(base, entry)
    bb.add_incoming(bb2, loop)
    e.add_incoming(exp, entry)
    e.add_incoming(e2, loop)
    b.cbranch(b.icmp_signed(">", e2, const("i64", 0)), loop, done)
    b = ir.IRBuilder(done)
    res = b.phi(I64)
    res.add_incoming(no_loop, entry)
    res.add_incoming(acc2, loop)
    b.ret(res)
    return fn


@scalar_rule("mod")
def _mod(b, op, dtype, x, y):
    zero = const(dtype, 0)
    if _is_float(dtype):
        r = b.frem(x, y)
        fix = b.and_(b.fcmp_ordered("!=", r, zero), b.xor(b.fcmp_ordered("<", r, zero), b.fcmp_ordered("<", y, zero)))
        r = b.select(fix, b.fadd(r, y), r)
        # a zero remainder takes the divisor's sign, as in NumPy
        return b.select(b.fcmp_ordered("==", r, zero), intrinsic(b, "copysign", dtype, zero, y), r)
    # x % 0 is 0 in NumPy, not a trap; x % -1 is 0 too (and INT64_MIN % -1 would trap)
    divisor_zero = b.or_(b.icmp_signed("==", y, zero), b.icmp_signed("==", y, const(dtype, -1)))
    r = b.srem(x, b.select(divisor_zero, const(dtype, 1), y))
    fix = b.and_(b.icmp_signed("!=", r, zero), b.xor(b.icmp_signed("<", r, zero), b.icmp_signed("<", y, zero)))
    return b.select(divisor_zero, zero, b.select(fix, b.add(r, y), r))


@scalar_rule("minimum", "maximum")
def _minmax(b, op, dtype, x, y):
    if _is_float(dtype):
        return intrinsic(b, op.opcode, dtype, x, y)  # llvm.minimum/maximum propagate NaN
    cmp = "<" if op.opcode == "minimum" else ">"
    return b.select(b.icmp_signed(cmp, x, y), x, y)


_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


@scalar_rule("lt", "le", "gt", "ge", "eq", "ne")
def _compare(b, op, dtype, x, y):
    sym = _CMP[op.opcode]
    if _is_float(dtype):
        # NumPy: every comparison with NaN is False, except != which is True.
        return b.fcmp_unordered(sym, x, y) if sym == "!=" else b.fcmp_ordered(sym, x, y)
    return b.icmp_signed(sym, x, y)


@scalar_rule("and", "or")
def _logic(b, op, dtype, x, y):
    return b.and_(x, y) if op.opcode == "and" else b.or_(x, y)


@scalar_rule("not")
def _not(b, op, dtype, x):
    return b.xor(x, const("bool", 1))


@scalar_rule("neg")
def _neg(b, op, dtype, x):
    return b.fneg(x) if _is_float(dtype) else b.neg(x)


@scalar_rule("abs")
def _abs(b, op, dtype, x):
    if _is_float(dtype):
        return intrinsic(b, "fabs", dtype, x)
    return b.select(b.icmp_signed("<", x, const(dtype, 0)), b.neg(x), x)


@scalar_rule("sign")
def _sign(b, op, dtype, x):
    zero, one = const(dtype, 0), const(dtype, 1)
    if _is_float(dtype):
        neg = b.select(b.fcmp_ordered("<", x, zero), b.fneg(one), zero)
        pos = b.select(b.fcmp_ordered(">", x, zero), one, neg)
        return b.select(b.fcmp_unordered("uno", x, x), x, pos)  # NaN stays NaN
    return b.sub(b.zext(b.icmp_signed(">", x, zero), I64), b.zext(b.icmp_signed("<", x, zero), I64))


@scalar_rule("sqrt", "exp", "log", "sin", "cos", "floor")
def _intrinsic1(b, op, dtype, x):
    return intrinsic(b, op.opcode, dtype, x)


@scalar_rule("round")
def _round(b, op, dtype, x):
    return intrinsic(b, "roundeven", dtype, x)


@scalar_rule("log1p", "expm1", "tanh")
def _libm1(b, op, dtype, x):
    return libm(b, op.opcode, dtype, x)


@scalar_rule("rsqrt")
def _rsqrt(b, op, dtype, x):
    return b.fdiv(const(dtype, 1), intrinsic(b, "sqrt", dtype, x))


@scalar_rule("sigmoid")
def _sigmoid(b, op, dtype, x):
    # The NumPy backend's formula: e = exp(-|x|), 1 / (1 + e) for x >= 0, e / (1 + e) below.
    e = intrinsic(b, "exp", dtype, b.fneg(intrinsic(b, "fabs", dtype, x)))
    r = b.fdiv(const(dtype, 1), b.fadd(const(dtype, 1), e))
    return b.select(b.fcmp_ordered(">=", x, const(dtype, 0)), r, b.fmul(e, r))


@scalar_rule("select")
def _select(b, op, dtype, c, x, y):
    return b.select(c, x, y)


@scalar_rule("cast")
def _cast(b, op, dtype, x):
    return convert(b, x, dtype, op.attrs["dtype"])


def convert(b: ir.IRBuilder, x, src: str, dst: str):
    """Convert a scalar between IR dtypes with NumPy's `astype` semantics."""
    if src == dst:
        return x
    if dst == "bool":
        if _is_float(src):
            return b.fcmp_unordered("!=", x, const(src, 0))
        return b.icmp_signed("!=", x, const(src, 0))
    if src == "bool":
        return b.uitofp(x, LL_TYPES[dst]) if _is_float(dst) else b.zext(x, I64)
    if _is_float(src) and _is_float(dst):
        return b.fpext(x, F64) if dst == "f64" else b.fptrunc(x, F32)
    if _is_float(dst):
        return b.sitofp(x, LL_TYPES[dst])
    return b.fptosi(x, I64)
