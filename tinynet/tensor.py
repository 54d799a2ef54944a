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

Differences from PyTorch, stated once here:

* ``Tensor.grad`` is a plain backend array, not a Tensor (tinynet does not build
  graphs of gradients, so there are no higher-order derivatives). Treat it as
  read-only: tinynet always *replaces* ``.grad``, it never changes it in place.
* Mixing ``float32`` and ``float64`` tensors in one operation raises ``TypeError``
  instead of promoting, so a float64 gradient check can never be silently run in
  float32, and a float32 model never silently doubles its memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tinynet.backend import HOST_ARRAY_TYPES, asarray, to_numpy, xp

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
      dimensions: the engine sums them away (see :func:`unbroadcast`).

    Use an operation through ``MyOp.apply(*inputs, **options)``; ``options`` go to
    ``__init__``.
    """

    # ``inputs``: the input Tensors, set by ``apply`` only when the output needs a
    # gradient. Subclasses list what they save for backward in their own
    # ``__slots__``, which keeps each node of the graph small (no per-op ``__dict__``).
    __slots__ = ("inputs",)
    inputs: tuple[Tensor, ...]

    def forward(self, *arrays: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        fn = cls(**options) if options else cls()
        tensors = _as_tensors(cls, inputs)
        try:
            out = fn.forward(*[t.data for t in tensors])
        except ValueError as exc:
            # numpy's broadcasting errors do not say which operation failed.
            shapes = ", ".join(str(t.shape) for t in tensors)
            raise ValueError(f"{cls.__name__.lower()}: {exc} (input shapes {shapes})") from exc
        requires = False
        if _GradMode.enabled:
            for t in tensors:  # a plain loop: any() with a generator costs more here
                if t.requires_grad:
                    requires = True
                    break
        result = Tensor._wrap(out, requires)
        if requires:
            fn.inputs = tensors
            result._ctx = fn
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
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
        if grad.shape == shape:  # e.g. the bias of a dense layer: (N, k) -> (k,)
            return grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
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

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retain", "name", "__weakref__")
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
        self.grad: Any = None
        self.requires_grad = bool(requires_grad)
        self._ctx: Any = None
        self._retain = False
        self.name = name

    @classmethod
    def _wrap(cls, array: Any, requires_grad: bool) -> Tensor:
        """Fast constructor for arrays produced by operations (no conversion)."""
        t = object.__new__(Tensor)
        t.data = array
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = None
        t._retain = False
        t.name = None
        return t

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def is_leaf(self) -> bool:
        """True for tensors created by the user rather than by an operation."""
        return self._ctx is None

    @property
    def T(self) -> Tensor:
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
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad_: only floating-point tensors can require gradients, "
                f"got {self.dtype}"
            )
        self.requires_grad = flag
        return self

    # ----------------------------------------------------------------- backward
    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
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

        Gradients are **added** to existing ``.grad`` values, as in PyTorch; call
        ``zero_grad()`` between steps.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward: this tensor does not require grad (no input had "
                "requires_grad=True, or it was computed under no_grad())"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward: output has shape {self.shape}; an implicit gradient exists "
                    "only for one-element outputs. Pass grad= with the output's shape, "
                    "or reduce first (e.g. .sum())"
                )
            seed = xp.ones_like(self.data)
        else:
            seed = grad.data if isinstance(grad, Tensor) else asarray(grad, dtype=self.dtype)
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward: grad has shape {seed.shape} but the output has shape {self.shape}"
                )
            if seed.dtype != self.dtype:
                seed = seed.astype(self.dtype)

        order = _topological_order(self)
        grads: dict[int, Any] = {id(self): seed}
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            ctx = node._ctx
            if ctx is None or node._retain:
                node.grad = g if node.grad is None else node.grad + g
            if ctx is None:
                continue
            for parent, pg in zip(ctx.inputs, ctx.backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:
                    pg = unbroadcast(pg, parent.data.shape)
                key = id(parent)
                previous = grads.get(key)
                grads[key] = pg if previous is None else previous + pg
            if not retain_graph:
                # Drop the Function (and with it the saved arrays and the links to the
                # inputs) so memory is released as soon as backward has passed.
                node._ctx = _FREED

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

    # Comparisons give plain boolean tensors (no gradient), as in PyTorch.
    def __lt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data < _raw(other), False)

    def __le__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data <= _raw(other), False)

    def __gt__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data > _raw(other), False)

    def __ge__(self, other: Any) -> Tensor:
        return Tensor._wrap(self.data >= _raw(other), False)

    __hash__ = object.__hash__  # tensors are used as dict keys by identity

    # ----------------------------------------------------------------- methods
    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    def exp(self) -> Tensor:
        return _ops.exp(self)

    def log(self) -> Tensor:
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        return _ops.sqrt(self)

    def abs(self) -> Tensor:
        return _ops.abs(self)

    def maximum(self, other: Any) -> Tensor:
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _ops.minimum(self, other)

    def clip(self, lo: float | None = None, hi: float | None = None) -> Tensor:
        return _ops.clip(self, lo, hi)

    def sigmoid(self) -> Tensor:
        return _ops.sigmoid(self)

    def tanh(self) -> Tensor:
        return _ops.tanh(self)

    def relu(self) -> Tensor:
        return _ops.relu(self)

    def softmax(self, axis: int = -1) -> Tensor:
        return _ops.softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        return _ops.log_softmax(self, axis=axis)

    def argmax(self, axis: int | None = None) -> Tensor:
        return Tensor._wrap(self.data.argmax(axis=axis), False)


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _topological_order(root: Tensor) -> list[Tensor]:
    """Nodes reachable from *root* that need a gradient, each after all its inputs.

    Iterative depth-first search with an explicit stack, so a chain of 100,000
    operations does not hit Python's recursion limit.
    """
    order: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        key = id(node)
        if key in visited:
            continue
        visited.add(key)
        ctx = node._ctx
        if ctx is None:  # a leaf has no inputs to wait for: it is done at once
            order.append(node)
            continue
        if ctx is _FREED:
            raise RuntimeError(
                "backward: part of this graph was already freed by an earlier backward(); "
                "pass retain_graph=True to the first call to backpropagate through it twice"
            )
        stack.append((node, True))
        for parent in ctx.inputs:
            if parent.requires_grad and id(parent) not in visited:
                stack.append((parent, False))
    return order


class Parameter(Tensor):
    """A tensor that is a learnable parameter: it always requires a gradient.

    :class:`tinynet.nn.Module` finds its parameters by looking for attributes of
    this type, exactly as PyTorch does.
    """

    __slots__ = ()

    def __init__(self, data: Any, dtype: Any = None, name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        array = asarray(data)
        if dtype is None and array.dtype.kind != "f":
            dtype = _DEFAULT_DTYPE
        super().__init__(array, requires_grad=True, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Create a :class:`Tensor` (same rules as the constructor; as ``torch.tensor``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from tinynet import ops as _ops  # noqa: E402  (ops need Tensor and Function, defined above)
