r"""Tensors and reverse-mode automatic differentiation.

This module is the heart of tinynet and is meant to be read in one sitting.

* A :class:`Tensor` wraps a backend array (numpy or cupy, see :mod:`tinynet.backend`)
  and remembers which :class:`Function` produced it.
* A :class:`Function` is one primitive operation. It has a ``forward`` that maps
  arrays to an array and a ``backward`` that maps the gradient of the output to the
  gradients of the inputs (the vector-Jacobian product). The concrete operations live
  in :mod:`tinynet.ops`, each with its derivative written in its docstring.
* :meth:`Tensor.backward` walks the graph from the output to the leaves in reverse
  topological order and applies the chain rule

  .. math:: \bar x = \sum_{y \,\in\, \mathrm{children}(x)} \bar y \,\frac{\partial y}{\partial x},

  where :math:`\bar v = \partial L / \partial v` is the *adjoint* of :math:`v`.

Semantics, as in numpy and PyTorch:

* ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` are elementwise and give boolean tensors
  without gradient; tensors stay hashable by identity (usable as dict keys).
* ``bool(t)`` is the truth value of a one-element tensor; for more elements it is an
  error ("ambiguous"): say ``(t > 0).any()`` or ``.all()``. ``float(t)``, ``int(t)``
  and ``abs(t)`` work; ``numpy.asarray(t)`` is the host array, and a numpy ufunc on a
  tensor runs tinynet's differentiable op (or raises if there is none).
* In-place updates (``+= -= *= /=``, ``add_``, ``zero_``, ...) change the array and
  keep the object. They are allowed on tensors that need no gradient and inside
  :func:`no_grad` (the update idiom ``with tn.no_grad(): w -= lr * w.grad``); on a
  tensor that is part of a recorded graph they raise. Every in-place change, the
  optimizers' updates included, bumps the tensor's **version**: a backward that would
  read an array changed after its forward raises instead of returning a wrong gradient.
* The engine checks each ``Function.backward``: one entry per input, ``None`` or an
  array of the input's dtype whose shape broadcasts to it. Every ``.grad`` is an array
  of its own, in its tensor's dtype, never shared with another tensor.
* :func:`~tinynet.autograd.detect_anomaly` finds the first operation whose forward or backward makes nan
  or inf.

Differences from PyTorch, stated once here:

* ``Tensor.grad`` is a Tensor, as in PyTorch, but accumulation *replaces* it with a
  new tensor instead of adding in place, so a ``.grad`` you kept is never changed
  behind your back.
* Mixing ``float32`` and ``float64`` tensors in one operation raises ``TypeError``
  instead of promoting, so a float64 gradient check can never be silently run in
  float32, and a float32 model never silently doubles its memory.
* An in-place change of a tensor that is part of a recorded graph is refused (PyTorch
  rewrites the graph); write it out of place, ``y = y + x``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tinynet._axis import LAST as _LAST
from tinynet._axis import resolve_axis as _resolve_axis
from tinynet.backend import HOST_ARRAY_TYPES, asarray, backend_name, to_numpy, xp

__all__ = [
    "Tensor",
    "Parameter",
    "Function",
    "tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "get_default_dtype",
    "set_default_dtype",
]

_DEFAULT_DTYPE = xp.dtype("float32")


def get_default_dtype() -> Any:
    """The float dtype given to tensors made from Python numbers and lists (float32)."""
    return _DEFAULT_DTYPE


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype for new tensors and parameters (``float32`` or ``float64``)."""
    global _DEFAULT_DTYPE
    dt = xp.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dt}")
    _DEFAULT_DTYPE = dt


# --------------------------------------------------------------------------- grad mode
class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """``False`` inside a :func:`no_grad` block: operations then record no graph."""
    return _GradMode.enabled


@contextmanager
def no_grad() -> Iterator[None]:
    """Context manager that disables graph recording (as ``torch.no_grad``).

    Use it for evaluation and for parameter updates: results have
    ``requires_grad=False`` and keep no reference to their inputs.
    """
    previous = _GradMode.enabled
    _GradMode.enabled = False
    try:
        yield
    finally:
        _GradMode.enabled = previous


@contextmanager
def enable_grad() -> Iterator[None]:
    """Re-enable graph recording inside a :func:`no_grad` block."""
    previous = _GradMode.enabled
    _GradMode.enabled = True
    try:
        yield
    finally:
        _GradMode.enabled = previous


def _contract_checked(backward: Any) -> Any:
    """*backward* (a user's ``Function.backward``), with its result checked by the engine."""

    @functools.wraps(backward)
    def checked_backward(self: Function, grad: Any) -> tuple[Any, ...]:
        return _autograd._checked_backward_result(self, backward(self, grad))

    return checked_backward


class _Anomaly:
    """On inside :func:`tinynet.autograd.detect_anomaly`: every operation checks its result."""

    enabled = False

    @classmethod
    def set(cls, on: bool) -> None:
        cls.enabled = on
        # The mode swaps ``Function.apply`` for a checking version instead of testing
        # a flag inside it: with the mode off, recording an operation costs exactly
        # what it would cost if anomaly mode did not exist.
        methods = vars(Function)
        Function.apply = methods["_apply_checking_anomalies" if on else "_apply_plain"]


# --------------------------------------------------------------------------- versions
# A global counter of in-place changes. Every in-place change of a tensor's array
# stamps the tensor with the next tick (``Tensor._version``); every recorded operation
# notes the tick at its forward (``Function._tick``). A backward that finds an input
# stamped *after* its forward knows that the array it saved was modified, and refuses
# to return a wrong gradient. One integer per operation, read from a module global
# (the cheapest read Python has), so recording stays as cheap as before.
_clock = 0


# --------------------------------------------------------------------------- Function
class _FreedGraph:
    """Placed in ``Tensor._ctx`` once backward has freed that part of the graph."""

    __slots__ = ()


_FREED = _FreedGraph()


class Function:
    r"""One differentiable primitive: ``forward`` on arrays, ``backward`` for its VJP.

    Subclasses implement

    * ``forward(self, *arrays) -> array``: compute the output and save on ``self``
      whatever backward needs;
    * ``backward(self, grad) -> tuple``: given :math:`\bar y = \partial L/\partial y`
      return :math:`\bar x_i = \bar y\, \partial y / \partial x_i` for each input
      (``None`` for an input that needs none). A gradient may keep broadcast
      dimensions: the engine sums them away (see :func:`!unbroadcast`).

    Use an operation through ``MyOp.apply(*inputs, **options)``; ``options`` go to
    ``__init__``.
    """

    # ``inputs``: the input Tensors, set by ``apply`` only when the output needs a
    # gradient. Subclasses list what they save for backward in their own
    # ``__slots__``, which keeps each node of the graph small (no per-op ``__dict__``).
    __slots__ = ("inputs", "_tick", "_where")
    inputs: tuple[Tensor, ...]

    # What backward reads, for the in-place check (see ``_check_versions``). The
    # defaults are the safe ones for a user's Function: it may read its inputs, and
    # it does not read its output. Ops that read less say so and are checked less.
    reads_inputs: bool = True
    reads_output: bool = False
    # Whether integer inputs stay integer (``int + int``) or are first converted to
    # the default float dtype (``int / int``, ``exp(int)``, ``mean(int)``).
    keeps_integers: bool = False
    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # A backward written outside tinynet gets the whole contract checked on every
        # call (count, types, dtypes, shapes: see ``_checked_backward_result``).
        # tinynet's own ops are property-tested for it, op by op and dtype by dtype
        # (tests/test_ops_edge_values.py), so the engine's loop tests nothing per node.
        backward = vars(cls).get("backward")
        if backward is not None and not cls.__module__.startswith("tinynet."):
            cls.backward = _contract_checked(backward)

    def forward(self, *arrays: Any) -> Any:  # pragma: no cover - abstract
        """Compute the output array from the input arrays; save what backward needs.

        Implemented by each operation; called by :meth:`apply` on the inputs' arrays.
        """
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:  # pragma: no cover - abstract
        r"""The vector-Jacobian product: one input gradient per input, from :math:`\bar y`.

        Implemented by each operation: given *grad* (:math:`\bar y`, an array), return a
        tuple with :math:`\bar x_i = \bar y\,\partial y/\partial x_i` for each input (``None``
        where an input needs none).
        """
        raise NotImplementedError

    def backward_graph(self, grad: Tensor, out: Tensor) -> tuple[Tensor | None, ...]:
        r"""The same vector-Jacobian product as :meth:`backward`, with tensor operations.

        *grad* (:math:`\bar y`), *out* (:math:`y`) and ``self.inputs`` are Tensors, and
        the result is built from tinynet operations, so it records a graph: this is
        what ``backward(create_graph=True)`` and ``tn.grad(..., create_graph=True)``
        call to make gradients that can be differentiated again.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no backward_graph(), so its gradient cannot be "
            "differentiated again (create_graph=True); define backward_graph(self, grad, "
            "out) with tinynet operations on self.inputs, out and grad"
        )

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        """Run the operation on *inputs* and record it in the graph if a gradient is needed.

        Inside :func:`tinynet.detect_anomaly` this is replaced by a checking version
        (see ``_Anomaly.set``), so with the mode off it pays nothing for the mode.
        """
        fn = cls(**options) if options else cls()
        tensors = _as_tensors(cls, inputs)
        try:
            out = fn.forward(*[t.data for t in tensors])
        except ValueError as exc:
            # numpy's broadcasting errors do not say which operation failed.
            shapes = ", ".join(str(t.shape) for t in tensors)
            name = cls.__name__.lower()
            message = str(exc)
            if not message.startswith(f"{name}:"):  # an op's own message names it already
                message = f"{name}: {message}"
            raise ValueError(f"{message} (input shapes {shapes})") from exc
        requires = False
        if _GradMode.enabled:
            for t in tensors:  # a plain loop: any() with a generator costs more here
                if t.requires_grad:
                    requires = True
                    break
        result = Tensor._wrap(out, requires)
        if requires:
            fn.inputs = tensors
            fn._tick = _clock
            result._ctx = fn
        return result

    _apply_plain = apply  # what ``apply`` is again when anomaly mode ends

    @classmethod
    def _apply_checking_anomalies(cls, *inputs: Any, **options: Any) -> Tensor:
        """``apply`` inside :func:`tinynet.detect_anomaly`: the result is checked for nan/inf."""
        result = Function._apply_plain.__func__(cls, *inputs, **options)
        fn = result._ctx  # None when nothing needs a gradient
        tensors = fn.inputs if fn is not None else _as_tensors(cls, inputs)
        _autograd._anomaly_forward(cls, fn, tensors, result.data)
        return result


def _as_tensors(fn_cls: type, inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    """Turn the inputs of an operation into Tensors with one float dtype.

    The rule: Python numbers and lists are "weak" and adopt the float dtype of the
    other operands; integer/bool tensors are promoted to it; numpy/cupy arrays keep
    their own dtype and count like tensors; two different float dtypes are refused.
    """
    float_dtype = None
    for x in inputs:  # fast path: every input already a float Tensor
        if not isinstance(x, Tensor) or x.data.dtype.kind != "f":
            return _as_tensors_slow(fn_cls, inputs)
        if float_dtype is None:
            float_dtype = x.data.dtype
        elif x.data.dtype != float_dtype:
            raise _mixing_error(fn_cls, inputs, float_dtype, x.data.dtype)
    return inputs


def _as_tensors_slow(fn_cls: type, inputs: tuple[Any, ...]) -> tuple[Tensor, ...]:
    strong = [x if isinstance(x, Tensor) or _is_weak(x) else Tensor(x) for x in inputs]
    float_dtype = _common_float_dtype(fn_cls, strong)
    tensors = [x if isinstance(x, Tensor) else Tensor(x, dtype=float_dtype) for x in strong]
    if float_dtype is None:  # e.g. an integer tensor times 2.5: the number decides
        float_dtype = _common_float_dtype(fn_cls, tensors)
    if float_dtype is None and not fn_cls.keeps_integers:
        # ``int / int``, ``exp(int)``, ``mean(int)``: the result is a real number, so
        # the integers become the default float dtype (as in PyTorch), never float64
        # by numpy's accident.
        float_dtype = _DEFAULT_DTYPE
    if float_dtype is not None:
        tensors = [
            x if x.data.dtype.kind == "f" else Tensor._wrap(x.data.astype(float_dtype), False)
            for x in tensors
        ]
    return tuple(tensors)


def _common_float_dtype(fn_cls: type, items: Sequence[Any]) -> Any:
    """The float dtype shared by the Tensors in *items* (None if none is float)."""
    float_dtype = None
    for x in items:
        if isinstance(x, Tensor) and x.data.dtype.kind == "f":
            if float_dtype is None:
                float_dtype = x.data.dtype
            elif x.data.dtype != float_dtype:
                raise _mixing_error(fn_cls, items, float_dtype, x.data.dtype)
    return float_dtype


def _mixing_error(fn_cls: type, items: Sequence[Any], first: Any, second: Any) -> TypeError:
    dtypes = ", ".join(str(t.dtype) if isinstance(t, Tensor) else type(t).__name__ for t in items)
    return TypeError(
        f"{fn_cls.__name__.lower()}: cannot mix {first} and {second} tensors "
        f"(input dtypes: {dtypes}); tinynet never casts silently: convert one side "
        f"explicitly with .astype('{first}') or .astype('{second}')"
    )


def _is_weak(x: Any) -> bool:
    """Python numbers and lists: operands without a dtype of their own."""
    return isinstance(x, (int, float, list, tuple)) and not isinstance(x, bool)


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    r"""Sum *grad* down to *shape*, undoing numpy broadcasting.

    If :math:`x` of shape ``shape`` was broadcast to the output's shape, each element
    of :math:`x` was used in several output positions, so by the chain rule its
    gradient is the **sum** of the gradients at those positions.

    Raises :class:`ValueError` when *shape* does not broadcast to ``grad.shape`` (such
    a gradient cannot belong to an input of that shape).
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise ValueError(
            f"unbroadcast: a gradient of shape {grad.shape} has fewer dimensions than "
            f"its input of shape {shape}"
        )
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
        if grad.shape == shape:  # e.g. the bias of a dense layer: (N, k) -> (k,)
            return grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise ValueError(
            f"unbroadcast: a gradient of shape {grad.shape} cannot be summed down to "
            f"its input's shape {shape} (the input does not broadcast to it)"
        )
    return grad


# --------------------------------------------------------------------------- Tensor
class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Parameters
    ----------
    data:
        A number, nested list, numpy/cupy array or Tensor, always **copied** (as
        ``torch.tensor``). Python floats and lists of floats become the default dtype
        (float32); numpy arrays keep their dtype.
    requires_grad:
        Whether :meth:`backward` should compute a gradient for this tensor.
    dtype:
        Optional dtype to convert to (``"float32"``, ``"float64"``, ...).
    """

    __slots__ = (
        "data", "_grad", "requires_grad", "_ctx", "_retain", "name", "_version", "__weakref__"
    )  # fmt: skip
    # Make ``numpy_array + tensor`` call Tensor.__radd__ instead of numpy's loop.
    __array_priority__ = 1000

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        # Like ``torch.tensor``, the constructor copies: an optimizer updating a
        # parameter in place must never change the caller's own array.
        if dtype is not None:
            array = xp.array(asarray(data), dtype=xp.dtype(dtype), copy=True)
        elif isinstance(data, (xp.ndarray, *HOST_ARRAY_TYPES)):
            array = xp.array(asarray(data), copy=True)
        else:
            array = asarray(data)
            if array.dtype.kind == "f" or (array.dtype.kind in "iu" and requires_grad):
                array = array.astype(_DEFAULT_DTYPE)
        if array.dtype.kind not in "fiub":
            raise TypeError(
                f"Tensor: unsupported dtype {array.dtype}; expected a float, integer or bool array"
            )
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"Tensor: only floating-point tensors can require gradients, got {array.dtype}"
            )
        self.data = array
        self._grad: Tensor | None = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Any = None
        self._retain = False
        self.name = name
        self._version = 0

    @classmethod
    def _wrap(cls, array: Any, requires_grad: bool) -> Tensor:
        """Fast constructor for arrays produced by operations (no conversion)."""
        t = object.__new__(Tensor)
        t.data = array
        t._grad = None
        t.requires_grad = requires_grad
        t._ctx = None
        t._retain = False
        t.name = None
        t._version = 0
        return t

    def _bump_version(self) -> None:
        """Record that ``self.data`` was just changed in place (see the version counter)."""
        global _clock
        _clock += 1
        self._version = _clock

    # ----------------------------------------------------------------- properties
    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by :meth:`backward`: a Tensor of this tensor's shape
        and dtype (as in PyTorch), or ``None`` before any backward. An array assigned to
        it is wrapped in a Tensor; its shape and dtype must match.

        It has no graph (``requires_grad=False``) unless it was computed with
        ``backward(create_graph=True)``; then it can be differentiated again.
        """
        g = self._grad
        if g is None or type(g) is Tensor:
            return g
        # The engine stores the plain array it computed (the optimizers only read it, so
        # a training step pays for neither a Tensor nor a copy). That array may be
        # shared with another tensor's gradient (``a + b`` hands one array to both) or
        # be a read-only view, so the first access copies it: every ``.grad`` is an
        # array of its own, and zeroing one in place never changes another.
        g = Tensor._wrap(g.copy(), False)
        self._grad = g
        return g

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        if value is not None:
            if isinstance(value, xp.ndarray):
                value = Tensor._wrap(value, False)  # an array of the right kind is wrapped
            if not isinstance(value, Tensor):
                raise TypeError(
                    f"grad: assigned a {type(value).__name__}, expected a Tensor, a "
                    f"{xp.__name__} array or None"
                )
            if value.shape != self.shape or value.dtype != self.dtype:
                raise ValueError(
                    f"grad: assigned a gradient of shape {value.shape} and dtype "
                    f"{value.dtype} to a tensor of shape {self.shape} and dtype {self.dtype}"
                )
            if type(value) is not Tensor:  # a Parameter: keep .grad a plain Tensor
                value = Tensor._wrap(value.data, False)
        self._grad = value

    def _grad_array(self) -> Any:
        """The gradient's array (``None`` if there is none), without making a Tensor."""
        g = self._grad
        return g.data if type(g) is Tensor else g

    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each axis, a tuple of ints (as numpy's ``a.shape``)."""
        return self.data.shape

    @property
    def dtype(self) -> Any:
        """The element type of the data, a numpy dtype such as ``float32``."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of axes (0 for a scalar tensor)."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements, as numpy's ``a.size`` (an int).

        Not PyTorch's ``size()`` method: calling it, ``t.size()``, raises a
        ``TypeError`` that says to use ``t.shape`` (and ``t.shape[d]`` for ``size(d)``).
        """
        return _ElementCount(self.data.size)

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an operation."""
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        r"""This tensor with all axes reversed, :math:`x^\top` for a matrix.

        Same as :func:`tinynet.ops.transpose` with no axes (numpy's ``a.T``).
        """
        return _ops.transpose(self)

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = repr(to_numpy(self.data)).replace("array(", "tensor(", 1)
        extra = ""
        if self._ctx is not None and self._ctx is not _FREED:
            extra = f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra = ", requires_grad=True"
        return body[:-1] + extra + ")" if body.endswith(")") else body

    # ----------------------------------------------------------------- conversion
    def numpy(self) -> Any:
        """The data as a host ``numpy.ndarray`` (a copy when on the GPU)."""
        return to_numpy(self.data)

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item: only one-element tensors can be converted, got shape {self.shape}"
            )
        return self.data.item()

    def detach(self) -> Tensor:
        """A tensor sharing this data but cut from the graph (``requires_grad=False``)."""
        return Tensor._wrap(self.data, False)

    def astype(self, dtype: Any) -> Tensor:
        """Convert to *dtype*; differentiable (the gradient is cast back)."""
        return _ops.cast(self, dtype)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``.grad`` to ``None``)."""
        self.grad = None

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor during backward (for inspection)."""
        self._retain = True
        return self

    def requires_grad_(self, flag: bool = True) -> Tensor:
        """Set ``requires_grad`` to *flag* in place and return this tensor.

        Only a floating-point tensor can require a gradient: for any other dtype,
        ``flag=True`` raises ``TypeError``.
        """
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require gradients, "
                f"got {self.dtype}"
            )
        self.requires_grad = flag
        return self

    # ----------------------------------------------------------------- backward
    def backward(
        self, grad: Any = None, retain_graph: bool | None = None, create_graph: bool = False
    ) -> None:
        r"""Accumulate :math:`\partial\,\mathrm{self}/\partial x` into ``x.grad`` of every leaf.

        Parameters
        ----------
        grad:
            The adjoint of this tensor. May be omitted for a one-element tensor (it is
            then 1); otherwise it must have this tensor's shape. For a non-scalar
            output this computes the vector-Jacobian product ``grad · J``.
        retain_graph:
            Keep the graph so that backward can run through it again. By default the
            graph is freed as it is consumed, which releases the saved arrays.

        Notes
        -----
        Gradients are **added** to existing ``.grad`` values, as in PyTorch; call
        ``zero_grad()`` between steps.

        Raises ``RuntimeError`` if an array that a node's backward reads was changed in
        place after the forward (see the version counter), and ``TypeError`` /
        ``ValueError`` naming the Function and input when a backward breaks the
        contract (wrong count, type, dtype or shape of gradients).
        """
        if grad is None and not create_graph and self.requires_grad and self.data.size == 1:
            # the common case, one call shorter: loss.backward()
            _autograd._backprop_plain((self,), (xp.ones_like(self.data),), retain_graph)
        else:
            _autograd.backward(self, grad, retain_graph, create_graph)

    # ----------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return _ops.Add.apply(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.Add.apply(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.Sub.apply(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.Mul.apply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.Div.apply(other, self)

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    def __pow__(self, exponent: Any) -> Tensor:
        return _ops.power(self, exponent)

    def __rpow__(self, base: Any) -> Tensor:
        return _ops.power(base, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    # Comparisons give plain boolean tensors (no gradient), as in PyTorch and numpy.
    def __lt__(self, other: Any) -> Tensor:
        return _compare(xp.less, self, other)

    def __le__(self, other: Any) -> Tensor:
        return _compare(xp.less_equal, self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _compare(xp.greater, self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _compare(xp.greater_equal, self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(xp.equal, self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _compare(xp.not_equal, self, other)

    # ``==`` is elementwise, yet tensors stay usable as dict keys and set members by
    # identity, as in PyTorch (defining __eq__ would otherwise remove __hash__).
    __hash__ = object.__hash__

    # ----------------------------------------------------------------- Python conversions
    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(
                f"bool: the truth value of a tensor with {self.data.size} elements (shape "
                f"{self.shape}) is ambiguous; use (t > 0).any() or (t > 0).all(), or "
                "t.item() for a one-element tensor"
            )
        return bool(self.data.item())

    def __float__(self) -> float:
        return float(self._one_element("float"))

    def __int__(self) -> int:
        return int(self._one_element("int"))

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu":
            raise TypeError(
                f"__index__: only integer tensors can be used as an index, got {self.dtype}"
            )
        return int(self._one_element("__index__"))

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def _one_element(self, what: str) -> Any:
        if self.data.size != 1:
            raise TypeError(
                f"{what}: only one-element tensors can be converted to Python scalars, "
                f"got shape {self.shape}"
            )
        return self.data.item()

    # ----------------------------------------------------------------- numpy interop
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        """``numpy.asarray(t)``: the host array (never an object array of 0-d tensors)."""
        if backend_name() != "numpy":
            # As cupy and PyTorch's CUDA tensors: copying from the device is explicit.
            raise TypeError(
                f"numpy.asarray: this tensor lives on the {backend_name()} device; "
                "call t.numpy() for an explicit copy to the host"
            )
        array = self.data
        if dtype is not None and array.dtype != dtype:
            array = array.astype(dtype)
        elif copy:
            array = array.copy()
        return array

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """A numpy ufunc on a tensor runs the tinynet op, so the gradient is not lost.

        ``np.exp(t)`` is ``tn.exp(t)`` and ``numpy_array * t`` is ``t.__rmul__``; a
        ufunc with no tinynet counterpart raises :class:`TypeError` rather than
        silently returning a detached array.
        """
        if (
            method == "__call__"
            and set(kwargs) == {"out"}
            and not any(isinstance(o, Tensor) for o in kwargs["out"])
        ):
            # ``p.data -= lr * p.grad``: the result goes into a plain array, so it is a
            # plain array computation; it is refused only where it would drop a gradient.
            if _GradMode.enabled and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
                raise TypeError(
                    f"numpy.{ufunc.__name__}: writing into a plain array would drop the "
                    "gradient of an input that requires grad; do it inside tn.no_grad()"
                )
            return ufunc(*[_raw(x) for x in inputs], **kwargs)
        op = _UFUNC_OPS.get(ufunc.__name__) if method == "__call__" and not kwargs else None
        if op is None:
            raise TypeError(
                f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method}: "
                f"not supported on tinynet tensors{' with ' + ', '.join(kwargs) if kwargs else ''}; "
                "use the tinynet operation, or t.numpy() for a detached host array"
            )
        return op(*inputs)

    # ----------------------------------------------------------------- in-place updates
    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace("+=", xp.add, other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace("-=", xp.subtract, other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace("*=", xp.multiply, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace("/=", xp.true_divide, other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._inplace("**=", xp.power, other)

    def __imatmul__(self, other: Any) -> Tensor:
        raise TypeError("@=: in-place matrix multiplication is not supported; write a = a @ b")

    def add_(self, other: Any) -> Tensor:
        """In-place ``self += other`` (as ``torch.Tensor.add_``)."""
        return self._inplace("add_", xp.add, other)

    def sub_(self, other: Any) -> Tensor:
        """In-place ``self -= other``."""
        return self._inplace("sub_", xp.subtract, other)

    def mul_(self, other: Any) -> Tensor:
        """In-place ``self *= other``."""
        return self._inplace("mul_", xp.multiply, other)

    def div_(self, other: Any) -> Tensor:
        """In-place ``self /= other``."""
        return self._inplace("div_", xp.true_divide, other)

    def zero_(self) -> Tensor:
        """Set every element to 0 in place."""
        return self._inplace("zero_", xp.multiply, 0)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value`` in place, under the same rules as ``+=`` (see :meth:`_inplace`)."""
        self._check_inplace_allowed("__setitem__", value)
        operand = _as_tensors(_InPlace, (self, value))[1].data
        if self.data.dtype.kind != "f" and operand.dtype.kind == "f":
            raise TypeError(
                f"__setitem__: cannot store {operand.dtype} values in a {self.dtype} tensor "
                "(in-place assignment keeps the dtype)"
            )
        try:
            self._writable_data()[_raw(index)] = operand
        except (ValueError, IndexError) as exc:
            raise type(exc)(
                f"__setitem__: cannot assign a value of shape {operand.shape} to index "
                f"{index!r} of a tensor of shape {self.shape} ({exc})"
            ) from None
        self._bump_version()

    def fill_(self, value: float) -> Tensor:
        """Set every element to *value* in place."""
        self._check_inplace_allowed("fill_", None)
        self._writable_data()[...] = value
        self._bump_version()
        return self

    def copy_(self, source: Any) -> Tensor:
        """Copy *source*'s values into this tensor in place (same shape, same dtype)."""
        self._check_inplace_allowed("copy_", source)
        src = _as_tensors(_InPlace, (self, source))[1].data
        if src.shape != self.shape or src.dtype != self.dtype:
            raise ValueError(
                f"copy_: source has shape {src.shape} and dtype {src.dtype}, expected "
                f"shape {self.shape} and dtype {self.dtype}"
            )
        self._writable_data()[...] = src
        self._bump_version()
        return self

    def _check_inplace_allowed(self, op: str, other: Any) -> None:
        if not _GradMode.enabled:
            return
        if self.requires_grad:
            if self._ctx is None:
                raise RuntimeError(
                    f"{op}: a leaf tensor that requires grad cannot be changed in place "
                    f"while the graph is being recorded (a {_autograd._describe(self)}); update "
                    "parameters inside `with tn.no_grad():` (as in PyTorch)"
                )
            raise RuntimeError(
                f"{op}: tinynet does not change in place a tensor that is part of a "
                f"recorded graph (a {_autograd._describe(self)}); write it out of place, "
                "e.g. y = y + x, or do it inside `with tn.no_grad():`"
            )
        if isinstance(other, Tensor) and other.requires_grad:
            raise RuntimeError(
                f"{op}: the right-hand side requires grad, but an in-place update cannot "
                "record a graph in tinynet; write it out of place (y = y + x) so the "
                "gradient flows, or do it inside `with tn.no_grad():`"
            )

    def _inplace(self, op: str, ufunc: Any, other: Any) -> Tensor:
        r"""``self.data = ufunc(self.data, other)`` in place: same object, same dtype and shape.

        Allowed where PyTorch allows it: on a tensor that needs no gradient, or on any
        tensor inside :func:`no_grad` (the parameter-update idiom
        ``with tn.no_grad(): w -= lr * w.grad``). Bumps the version counter, so a
        backward that would read the old values raises instead of being wrong.
        """
        self._check_inplace_allowed(op, other)
        operand = _as_tensors(_InPlace, (self, other))[1].data
        if self.data.dtype.kind != "f" and (ufunc is xp.true_divide or operand.dtype.kind == "f"):
            raise TypeError(
                f"{op}: the result would be a float but the tensor is {self.dtype}; "
                f"in-place operations keep the dtype, so write t = t {op[:-1]} x instead"
            )
        try:
            out_shape = xp.broadcast_shapes(self.shape, operand.shape)
        except ValueError:
            out_shape = None
        if out_shape != self.shape:
            raise ValueError(
                f"{op}: the operand of shape {operand.shape} does not broadcast to the "
                f"tensor's shape {self.shape} (an in-place update cannot change the shape)"
            )
        data = self._writable_data()
        ufunc(data, operand, out=data)
        self._bump_version()
        return self

    def _writable_data(self) -> Any:
        """``self.data``, first copied if it is a read-only view.

        A tensor made by wrapping a read-only array (a broadcast view, say) gets an
        array of its own at its first in-place change instead of failing.
        """
        data = self.data
        flags = getattr(data, "flags", None)
        if flags is not None and not getattr(flags, "writeable", True):
            data = self.data = data.copy()
        return data

    # ----------------------------------------------------------------- methods
    # Reductions take numpy's ``axis``/``keepdims`` and PyTorch's ``dim``/``keepdim``
    # (keyword only; giving both spellings is a TypeError naming them).
    def sum(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        r"""Sum :math:`\sum_i x_i` over *axis* (None: all elements).

        Same as :func:`tinynet.ops.sum`.
        """
        if dim is None and keepdim is None:  # numpy's spelling: nothing to resolve
            return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)
        return _ops.sum(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def mean(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        r"""Mean :math:`\frac{1}{n}\sum_i x_i` over *axis* (None: all elements).

        Same as :func:`tinynet.ops.mean`.
        """
        if dim is None and keepdim is None:  # numpy's spelling: nothing to resolve
            return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)
        return _ops.mean(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def max(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Any:
        """Largest element over *axis*; with PyTorch's ``dim=``: ``(values, indices)``.

        See :func:`tinynet.ops.max`. The elementwise maximum with another tensor is
        :meth:`maximum` (PyTorch's ``x.max(other)``).
        """
        return _ops.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Any:
        """Smallest element over *axis*; with PyTorch's ``dim=``: ``(values, indices)``."""
        return _ops.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def amax(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Largest element over *axis*, values only (as ``torch.amax``)."""
        return _ops.amax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def amin(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Smallest element over *axis*, values only (as ``torch.amin``)."""
        return _ops.amin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def prod(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        r"""Product :math:`\prod_i x_i` over *axis* (None: all elements).

        Same as :func:`tinynet.ops.prod`.
        """
        return _ops.prod(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def var(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        correction: float | None = None,
        ddof: float | None = None,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Variance; **default correction=1** (unbiased, as PyTorch; numpy's default is 0)."""
        return _ops.var(
            self, axis, keepdims, correction=correction, ddof=ddof, dim=dim, keepdim=keepdim
        )

    def std(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        correction: float | None = None,
        ddof: float | None = None,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Standard deviation; **default correction=1** (as PyTorch; numpy's is 0)."""
        return _ops.std(
            self, axis, keepdims, correction=correction, ddof=ddof, dim=dim, keepdim=keepdim
        )

    def logsumexp(
        self,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        r""":math:`\log\sum_i e^{x_i}` over *axis*, computed without overflow.

        Same as :func:`tinynet.ops.logsumexp`.
        """
        return _ops.logsumexp(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape, given as ints or one tuple (``-1`` once).

        Same as :func:`tinynet.ops.reshape`.
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (given as ints or one tuple); with none, reverse them all.

        Same as :func:`tinynet.ops.transpose`: numpy's order of axes, PyTorch's ``permute``.
        """
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    def view(self, *shape: Any) -> Tensor:
        """PyTorch's ``view``: the same as :meth:`reshape` in tinynet.

        A difference from PyTorch: the result has its own copy of the data (PyTorch's
        ``view`` shares memory, so writing into it changes this tensor). In tinynet an
        in-place change of one tensor never changes another (see
        :mod:`tinynet.ops.shape`); ``view`` never fails for a non-contiguous tensor.
        """
        return self.reshape(*shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` into one (``x.flatten(1)`` keeps the batch axis)."""
        return _ops.flatten(self, start_dim, end_dim)

    def squeeze(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """Remove the axes of size 1 (all, or those named; a named axis of another size stays)."""
        return _ops.squeeze(self, axis, dim=dim)

    def unsqueeze(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """Insert an axis of size 1 at position *axis* (``x.unsqueeze(0)``: a batch of one)."""
        return _ops.unsqueeze(self, axis, dim=dim)

    def expand(self, *sizes: Any) -> Tensor:
        """Broadcast to *sizes*; ``-1`` keeps an axis (as PyTorch, but the result is a copy)."""
        return _ops.expand(self, *sizes)

    def broadcast_to(self, *shape: Any) -> Tensor:
        """Broadcast to *shape* by numpy's rules; the gradient sums back (a copy, not a view)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.broadcast_to(self, shape)

    def clone(self) -> Tensor:
        """A copy with data of its own that stays in the graph (the gradient flows back)."""
        return _ops.cast(self, self.dtype)

    def tolist(self) -> Any:
        """The values as (nested) Python lists of numbers; a 0-d tensor gives one number."""
        return to_numpy(self.data).tolist()

    def exp(self) -> Tensor:
        """Elementwise :math:`e^x`. Same as :func:`tinynet.ops.exp`."""
        return _ops.exp(self)

    def sin(self) -> Tensor:
        r"""Elementwise :math:`\sin x`. Same as :func:`tinynet.ops.sin`."""
        return _ops.sin(self)

    def cos(self) -> Tensor:
        r"""Elementwise :math:`\cos x`. Same as :func:`tinynet.ops.cos`."""
        return _ops.cos(self)

    def log(self) -> Tensor:
        r"""Elementwise natural logarithm :math:`\ln x`. Same as :func:`tinynet.ops.log`."""
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        r"""Elementwise :math:`\sqrt{x}`. Same as :func:`tinynet.ops.sqrt`."""
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        """Elementwise :math:`|x|`. Same as :func:`tinynet.ops.abs`."""
        return _ops.abs(self)

    def maximum(self, other: Any) -> Tensor:
        r"""Elementwise :math:`\max(x, \mathit{other})`. Same as :func:`tinynet.ops.maximum`."""
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        r"""Elementwise :math:`\min(x, \mathit{other})`. Same as :func:`tinynet.ops.minimum`."""
        return _ops.minimum(self, other)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        """Clamp each element into ``[lo, hi]`` (PyTorch's ``clamp``).

        Same as :func:`tinynet.ops.clip`.
        """
        return _ops.clip(self, lo, hi)

    def sigmoid(self) -> Tensor:
        r"""Elementwise :math:`\sigma(x) = 1/(1 + e^{-x})`. Same as :func:`tinynet.ops.sigmoid`."""
        return _ops.sigmoid(self)

    def tanh(self) -> Tensor:
        r"""Elementwise :math:`\tanh x`. Same as :func:`tinynet.ops.tanh`."""
        return _ops.tanh(self)

    def relu(self) -> Tensor:
        r"""Elementwise :math:`\max(0, x)`. Same as :func:`tinynet.ops.relu`."""
        return _ops.relu(self)

    def softmax(self, axis: int = _LAST, *, dim: int | None = None) -> Tensor:
        r"""Softmax :math:`e^{x_i}/\sum_j e^{x_j}` along *axis* (default: the last).

        Same as :func:`tinynet.ops.softmax`.
        """
        return _ops.softmax(self, axis, dim=dim)

    def log_softmax(self, axis: int = _LAST, *, dim: int | None = None) -> Tensor:
        r"""Log-softmax :math:`x_i - \log\sum_j e^{x_j}` along *axis* (default: the last).

        Same as :func:`tinynet.ops.log_softmax`.
        """
        return _ops.log_softmax(self, axis, dim=dim)

    def any(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """Whether any element is true (non-zero); a boolean tensor without gradient."""
        axis = _resolve_axis("any", axis, dim)
        return Tensor._wrap(xp.asarray(self.data.any(axis=axis)), False)

    def all(self, axis: Any = None, *, dim: Any = None) -> Tensor:
        """Whether every element is true (non-zero); a boolean tensor without gradient."""
        axis = _resolve_axis("all", axis, dim)
        return Tensor._wrap(xp.asarray(self.data.all(axis=axis)), False)

    def argmax(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Index of the first largest element (an integer tensor, no gradient); NaN counts
        as the largest, as numpy and PyTorch."""
        return _ops.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(
        self,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> Tensor:
        """Index of the first smallest element (an integer tensor, no gradient)."""
        return _ops.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


class _ElementCount(int):
    """``Tensor.size``: numpy's element count, an ``int`` that explains itself when called.

    PyTorch's ``t.size()`` is a method giving the shape; numpy's ``a.size`` (tinynet's
    convention) is the number of elements. Calling it fails with a message saying so,
    instead of Python's bare "'int' object is not callable".
    """

    __slots__ = ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        which = f"x.size({args[0]!r})" if args else "x.size()"
        fix = f"x.shape[{args[0]!r}]" if args else "x.shape"
        raise TypeError(
            f"size: tinynet's t.size is numpy's element count (an int, here {int(self)}), "
            f"not PyTorch's size() method; for PyTorch's {which} use {fix}"
        )

    def __repr__(self) -> str:
        return int.__repr__(self)


class _InPlace:
    """Stands for the in-place operators in dtype checks (``_as_tensors``)."""

    keeps_integers = True


_InPlace.__name__ = "in-place update"  # what a dtype-mixing error calls the operation


def _compare(ufunc: Any, a: Tensor, b: Any) -> Any:
    """Elementwise comparison as a boolean tensor; NotImplemented for non-numbers."""
    if not isinstance(b, (Tensor, int, float, bool, list, tuple, xp.ndarray, *HOST_ARRAY_TYPES)):
        return NotImplemented  # e.g. ``t == None`` is False, as in PyTorch
    try:
        result = ufunc(a.data, asarray(_raw(b)))
    except ValueError as exc:
        raise ValueError(
            f"{ufunc.__name__}: shapes {a.shape} and {xp.shape(_raw(b))} do not broadcast ({exc})"
        ) from None
    return Tensor._wrap(result, False)


class Parameter(Tensor):
    """A tensor that is a learnable parameter: it always requires a gradient.

    :class:`tinynet.nn.Module` finds its parameters by looking for attributes of
    this type, exactly as PyTorch does.
    """

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None, name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        # Arrays keep their float dtype; Python numbers and lists, and integer arrays,
        # become the default float dtype (float32), as for ``tn.tensor``.
        if dtype is None and (
            not isinstance(data, (xp.ndarray, *HOST_ARRAY_TYPES)) or asarray(data).dtype.kind != "f"
        ):
            dtype = _DEFAULT_DTYPE
        super().__init__(data, requires_grad=True, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Create a :class:`Tensor` (same rules as the constructor; as ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# The engine and the ops need Tensor and Function, defined above.
from tinynet import autograd as _autograd  # noqa: E402
from tinynet import ops as _ops  # noqa: E402


def _no_grad_ufunc(ufunc: Any) -> Any:
    """A numpy ufunc whose result carries no gradient (comparisons, isnan, ...)."""

    def run(*inputs: Any) -> Tensor:
        return Tensor._wrap(getattr(xp, ufunc)(*[_raw(x) for x in inputs]), False)

    return run


#: numpy ufuncs that a tensor answers with its own, differentiable operation.
_UFUNC_OPS: dict[str, Any] = {
    "add": _ops.add,
    "subtract": _ops.sub,
    "multiply": _ops.mul,
    "divide": _ops.div,
    "true_divide": _ops.div,
    "negative": _ops.neg,
    "power": _ops.power,
    "matmul": _ops.matmul,
    "exp": _ops.exp,
    "log": _ops.log,
    "sqrt": _ops.sqrt,
    "absolute": _ops.abs,
    "maximum": _ops.maximum,
    "minimum": _ops.minimum,
    "tanh": _ops.tanh,
    "sin": _ops.sin,
    "cos": _ops.cos,
    **{
        name: _no_grad_ufunc(name)
        for name in (
            "less", "less_equal", "greater", "greater_equal", "equal", "not_equal",
            "isfinite", "isnan", "isinf", "signbit", "logical_and", "logical_or",
            "logical_not", "logical_xor",
        )
    },
}  # fmt: skip
