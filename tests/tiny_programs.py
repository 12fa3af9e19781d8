"""Random programs over tiny's operations, run on tiny and on torch alike.

test_tiny.py checks that tiny computes torch's values, gradients and tangents
for them; test_graph_tiny.py that draw_graph draws them as it draws torch's.
Both import the one generator from here (tests/conftest.py puts this folder on
sys.path), so the two cannot drift apart.

A program is a list of steps. Each step applies one operation to earlier values
(the inputs come first, then each step's result) or to constants, and the last
step reduces to a scalar. Domains are kept safe by the operations themselves:
log and non-integer powers see z*z + 1 or exp(z), division divides by z*z + 1.
One interpreter, :func:`run`, runs a program on tiny tensors and on torch
tensors: both spell every operation the same way (a + b, a @ b, a.exp(), a ** 2).
docs/tiny/check.md shows a smaller version of the same idea.
"""

from dataclasses import dataclass, field

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def to_torch(array, requires_grad=False):
    """A float64 torch tensor of array's numbers: torch's twin of ``tiny.Tensor(array)``."""
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


@dataclass(frozen=True)
class Value:
    """The inputs and earlier results of a program, by position: v0, v1, ..."""

    index: int

    def __repr__(self):
        return f"v{self.index}"


def constant_repr(c):
    return repr(c) if isinstance(c, float) else f"const({np.round(c, 3).tolist()})"


# name: (how the step is written, what it computes)
OPERATIONS = {
    "add": ("{0} + {1}", lambda a, b: a + b),
    "sub": ("{0} - {1}", lambda a, b: a - b),
    "mul": ("{0} * {1}", lambda a, b: a * b),
    "div": ("{0} / ({1} * {1} + 1)", lambda a, b: a / (b * b + 1)),
    "matmul": ("{0} @ {1}", lambda a, b: a @ b),
    "neg": ("-{0}", lambda a: -a),
    "pow": ("{0} ** {1}", lambda a, k: a**k),  # an integer power: any base
    "pos_pow": ("({0} * {0} + 1) ** {1}", lambda a, p: (a * a + 1) ** p),
    "exp": ("{0}.exp()", lambda a: a.exp()),
    "log": ("({0} * {0} + 1).log()", lambda a: (a * a + 1).log()),
    "log_exp": ("{0}.exp().log()", lambda a: a.exp().log()),
    "tanh": ("{0}.tanh()", lambda a: a.tanh()),
    "relu": ("{0}.relu()", lambda a: a.relu()),
    "sum": ("{0}.sum()", lambda a: a.sum()),
    "mean": ("{0}.mean()", lambda a: a.mean()),
}
ELEMENTWISE = ["add", "sub", "mul", "div"]
UNARY_STEPS = ["neg", "exp", "log", "log_exp", "tanh", "relu", "sum", "mean"]
# The operations torch records as tiny does: one node of the same name, the same
# inputs in the same order. Not a - b (tiny records a + (-b)), nor a @ b (torch
# records vector @ matrix as three nodes), nor a number divided by a tensor
# (torch: a reciprocal times the number); programs(..., number_over_tensor=False).
RECORDED_AS_TORCH = [op for op in OPERATIONS if op not in ("sub", "matmul")]


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple  # Values, float constants, NumPy array constants, exponents

    def __repr__(self):
        template, _ = OPERATIONS[self.op]
        return template.format(
            *(repr(a) if isinstance(a, (Value, int)) else constant_repr(a) for a in self.args)
        )


@dataclass(frozen=True)
class Program:
    input_shapes: tuple
    steps: tuple = field(default=())

    def __repr__(self):
        n = len(self.input_shapes)
        lines = [f"v{i}: input of shape {s}" for i, s in enumerate(self.input_shapes)]
        lines += [f"v{n + i} = {step!r}" for i, step in enumerate(self.steps)]
        return "Program:\n  " + "\n  ".join(lines)


def run(program, inputs, constant):
    """Every value of program (inputs first); constant makes a tensor of an array constant."""
    values = list(inputs)
    for step in program.steps:
        args = [
            values[a.index]
            if isinstance(a, Value)
            else constant(a)
            if isinstance(a, np.ndarray)
            else a
            for a in step.args
        ]
        values.append(OPERATIONS[step.op][1](*args))
    return values


FLOATS = st.floats(-2.0, 2.0, allow_subnormal=False)


def arrays(shape):
    return hnp.arrays(np.float64, shape, elements=FLOATS)


@st.composite
def programs(draw, max_steps=8, ops=tuple(OPERATIONS), number_over_tensor=True):
    """A Program of 1 to max_steps steps over ops whose inputs broadcast against each other.

    The last step, a sum or a mean, is always there; number_over_tensor=False
    keeps Python numbers out of the left of a division.
    """
    rows, cols = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    choices = [(), (cols,), (rows, 1), (1, cols), (rows, cols)]
    shapes = [draw(st.sampled_from(choices)) for _ in range(draw(st.integers(1, 3)))]
    n_inputs = len(shapes)
    steps = []
    for _ in range(draw(st.integers(0, max_steps - 1))):
        last = len(shapes) - 1
        # Mostly the latest value, so that steps build on each other.
        a = draw(st.sampled_from([last, last, draw(st.integers(0, last))]))
        shape = shapes[a]
        candidates = [*ELEMENTWISE, *UNARY_STEPS, "pow", "pos_pow"]
        candidates += ["matmul"] * 2 if shape else []
        op = draw(st.sampled_from([op for op in candidates if op in ops]))
        if op in ELEMENTWISE:
            partners = [i for i, s in enumerate(shapes) if broadcasts(s, shape)]
            # Inputs not used yet come first: programs should combine their inputs.
            used = {arg.index for step in steps for arg in step.args if isinstance(arg, Value)}
            unused = [i for i in partners if i < n_inputs and i not in used | {a}]
            partners = unused or partners
            b = draw(
                st.one_of(
                    st.sampled_from(partners).map(Value),
                    FLOATS,
                    st.sampled_from(broadcasting_shapes(shape)).flatmap(arrays),
                )
            )
            args = (Value(a), b)
            # The value on the right instead, or b on the left.
            if draw(st.booleans()) and (
                number_over_tensor or op != "div" or not isinstance(b, float)
            ):
                args = args[::-1]
            out = np.broadcast_shapes(
                shape, np.shape(b) if not isinstance(b, Value) else shapes[b.index]
            )
        elif op == "matmul":
            args, out = draw(matmul_args(a, shapes))
        elif op == "pow":
            args, out = (Value(a), draw(st.integers(0, 3))), shape
        elif op == "pos_pow":
            args, out = (Value(a), draw(st.sampled_from([-1.5, -0.5, 0.5, 1.5, 2.5]))), shape
        else:
            args, out = (Value(a),), () if op in ("sum", "mean") else shape
        steps.append(Step(op, args))
        shapes.append(out)
    steps.append(Step(draw(st.sampled_from(["sum", "mean"])), (Value(len(shapes) - 1),)))
    return Program(tuple(shapes[:n_inputs]), tuple(steps))


def broadcasts(shape_a, shape_b):
    try:
        np.broadcast_shapes(shape_a, shape_b)
    except ValueError:
        return False
    return True


def broadcasting_shapes(shape):
    """Shapes of constants that broadcast to shape without growing it."""
    ones = [tuple(1 if i == j else s for j, s in enumerate(shape)) for i in range(len(shape))]
    return [(), shape, shape[1:], *ones]


@st.composite
def matmul_args(draw, a, shapes):
    """``a @ b`` or ``b @ a``, b an earlier value of a fitting shape or a constant."""
    shape = shapes[a]
    on_left = draw(st.booleans())
    inner = shape[-1] if on_left else shape[0]
    fitting = [
        i
        for i, s in enumerate(shapes)
        if 1 <= len(s) <= 2 and (s[0] if on_left else s[-1]) == inner
    ]
    k = draw(st.integers(1, 3))
    other_shape = draw(
        st.sampled_from([(inner,), (inner, k)] if on_left else [(inner,), (k, inner)])
    )
    b = (
        draw(st.one_of(st.sampled_from(fitting).map(Value), arrays(other_shape)))
        if fitting
        else draw(arrays(other_shape))
    )
    b_shape = shapes[b.index] if isinstance(b, Value) else b.shape
    args = (Value(a), b) if on_left else (b, Value(a))
    left, right = (shape, b_shape) if on_left else (b_shape, shape)
    out = np.empty(left) @ np.empty(right)
    return args, np.shape(out)
