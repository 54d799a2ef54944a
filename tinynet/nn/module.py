"""``Module``: the base class of layers and models, and the containers ``Sequential``/``ModuleList``.

A module is an object with parameters and a ``forward`` method. As in PyTorch, a
module finds its parameters and submodules simply by looking at its attributes:

* a :class:`~tinynet.tensor.Parameter` attribute is one of its parameters;
* a :class:`Module` attribute is a submodule (its parameters are included, with
  the attribute name as a prefix: ``"encoder.weight"``);
* a ``list``, ``tuple`` or ``dict`` attribute holding modules or parameters is
  looked into as well, with the index or key in the name (``"layers.0.weight"``).

Differences from PyTorch: there is no registration step (``register_parameter``,
``nn.ParameterList``) and no buffers or hooks; a plain Python list of layers works.
The attributes are visited in the order they were first assigned, so names and
``parameters()`` come out in definition order.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from tinynet.backend import asarray, to_numpy, xp
from tinynet.tensor import Parameter, Tensor

__all__ = ["Module", "Sequential", "ModuleList", "IncompatibleKeys"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped (as PyTorch's named tuple)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _children_of(value: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    """Yield ``(name, item)`` for modules/parameters inside an attribute value."""
    if isinstance(value, (Module, Parameter)):
        yield prefix, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _children_of(item, f"{prefix}.{i}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _children_of(item, f"{prefix}.{key}")


def _check_not_nested(state_dict: dict[Any, Any], where: str) -> None:
    """Refuse a checkpoint or optimizer state passed where a model state dict belongs.

    A model state dict maps names to arrays, never to dicts or lists; the two common
    mistakes are told apart so the message can say what to pass instead.
    """
    keys = sorted(map(str, state_dict))
    if {"state", "param_groups"} <= set(state_dict):
        raise RuntimeError(
            f"{where}: expected a model state dict {{parameter name: array}} as returned by "
            f"Module.state_dict(), got an optimizer state dict (keys {keys[:10]}); load it "
            "with optimizer.load_state_dict"
        )
    nested = [str(k) for k, v in state_dict.items() if isinstance(v, (dict, list, tuple))]
    if nested:
        hint = ""
        if "model" in state_dict:
            hint = "; it looks like a whole checkpoint: pass checkpoint['model']"
        raise RuntimeError(
            f"{where}: expected a model state dict {{parameter name: array}} as returned by "
            f"Module.state_dict(), but the entries {nested[:10]} are containers, not arrays "
            f"(keys {keys[:10]}){hint}"
        )


class Module:
    """Base class for all layers and models.

    Subclasses set their parameters and submodules as attributes in ``__init__``
    and implement :meth:`forward`; calling the module calls ``forward``::

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.hidden = nn.Dense(2, 8, activation="tanh")
                self.out = nn.Dense(8, 1)

            def forward(self, x):
                return self.out(self.hidden(x))

    Unlike PyTorch, calling ``super().__init__()`` first is not required (the
    ``training`` flag is looked up lazily), but it is good practice.
    """

    training: bool = True  # class default, so subclasses that skip super().__init__() work

    def __init__(self) -> None:
        self.training = True

    # ----------------------------------------------------------------- forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What calling the module computes: ``module(x)`` is ``module.forward(x)``.

        Every subclass defines it; on :class:`Module` itself it raises ``NotImplementedError``.
        """
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); subclasses of Module must define one"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- traversal
    def _direct_members(self) -> Iterator[tuple[str, Any]]:
        """This module's own parameters and submodules, in attribute order."""
        for attr, value in vars(self).items():
            yield from _children_of(value, attr)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Direct submodules as ``(name, module)``."""
        for name, value in self._direct_members():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        """Direct submodules."""
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module (name ``prefix``, ``""`` at the top) and all its descendants."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module.named_children()
            ]
            stack.extend(reversed(children))  # reversed: pop() then visits them in order

    def modules(self) -> Iterator[Module]:
        """This module and all its descendants (each once)."""
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """All parameters with dotted names, depth first in attribute order.

        A parameter shared by two submodules is reported once, under the first
        name found (as PyTorch does), so an optimizer never updates it twice.
        """
        seen: set[int] = set()
        yield from self._named_parameters(prefix, seen, set())

    def _named_parameters(
        self, prefix: str, seen: set[int], visiting: set[int]
    ) -> Iterator[tuple[str, Parameter]]:
        visiting.add(id(self))
        for name, value in self._direct_members():
            full = f"{prefix}.{name}" if prefix else name
            if isinstance(value, Parameter):
                if id(value) not in seen:
                    seen.add(id(value))
                    yield full, value
            elif id(value) not in visiting:  # a Module; the guard stops cycles
                yield from value._named_parameters(full, seen, visiting)
        visiting.discard(id(self))

    def parameters(self) -> Iterator[Parameter]:
        """All parameters (each once), in the order of :meth:`named_parameters`."""
        for _, p in self.named_parameters():
            yield p

    def num_parameters(self) -> int:
        """The total number of scalar parameters (tinynet extra; PyTorch has no such method)."""
        return sum(p.size for p in self.parameters())

    # ----------------------------------------------------------------- modes and grads
    def zero_grad(self) -> None:
        """Set ``.grad`` of every parameter to ``None`` (as PyTorch's default ``set_to_none``)."""
        for p in self.parameters():
            p._grad = None  # what ``p.grad = None`` does, without the setter's call

    def train(self, mode: bool = True) -> Module:
        """Set the ``training`` flag of this module and all submodules; returns ``self``.

        The flag changes layers whose behaviour differs between training and
        evaluation (dropout, batch norm); the layers of this package ignore it.
        """
        for m in self.modules():
            m.training = bool(mode)
        return self

    def eval(self) -> Module:
        """Same as ``train(False)``; returns ``self``."""
        return self.train(False)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """Parameter values by dotted name, as host ``numpy`` arrays (copies).

        Copies, so that later training does not change a saved snapshot; host arrays,
        so that the dict can be saved with :func:`tinynet.save` or compared with numpy
        whatever the backend.
        """
        return {name: to_numpy(p.data).copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from *state_dict* into this module's parameters.

        With ``strict=True`` (default) the keys must match :meth:`state_dict`'s
        exactly; otherwise a ``RuntimeError`` (as in PyTorch) names the missing and
        unexpected keys. With ``strict=False`` those keys are skipped and reported in
        the returned :class:`IncompatibleKeys`. A shape or dtype mismatch is an error
        either way (tinynet never casts silently, unlike PyTorch's ``load_state_dict``).

        A dict that is not a model state dict at all -- a whole checkpoint
        (``{"model": ..., "optimizer": ...}``) or an optimizer's state
        (``{"state": ..., "param_groups": ...}``) -- raises ``RuntimeError`` saying what
        was expected and which entry to pass, with ``strict=False`` too (it would
        otherwise load nothing and report every key as missing).

        Nothing is changed unless every check passes. The parameter objects are kept
        (only their ``.data`` is replaced), so an optimizer holding them stays valid.
        """
        where = f"load_state_dict for {type(self).__name__}"
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{where}: expected a dict of arrays {{parameter name: array}} as returned by "
                f"state_dict(), got {type(state_dict).__name__}"
            )
        _check_not_nested(state_dict, where)
        own = dict(self.named_parameters())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            if missing:
                errors.append(f"missing keys: {missing}")
            if unexpected:
                errors.append(f"unexpected keys: {unexpected}")
        new_data = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            array = value.data if isinstance(value, Tensor) else value
            if not hasattr(array, "shape") or not hasattr(array, "dtype"):
                errors.append(f"{name}: expected an array, got {type(value).__name__}")
                continue
            if tuple(array.shape) != p.shape:
                errors.append(
                    f"{name}: shape mismatch, checkpoint has {tuple(array.shape)} "
                    f"but the model has {p.shape}"
                )
            elif xp.dtype(array.dtype) != p.dtype:
                errors.append(
                    f"{name}: dtype mismatch, checkpoint has {array.dtype} but the model has "
                    f"{p.dtype} (convert the checkpoint or build the model with that dtype)"
                )
            else:
                # A copy: the model must not share memory with the caller's dict.
                new_data[name] = asarray(array).copy()
        if errors:
            raise RuntimeError(f"{where}: " + "; ".join(errors))
        for name, data in new_data.items():
            own[name].data = data
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- repr
    def extra_repr(self) -> str:
        """One-line description of this module's own settings, used by ``repr``."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.named_children():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"


class ModuleList(Module):
    """A list of modules whose parameters are found (names ``"0.weight"``, ``"1.weight"``...).

    A plain Python list attribute works as well in tinynet; ``ModuleList`` exists for
    PyTorch compatibility and gives names without an attribute prefix when used as
    the top-level container.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        self._length = 0
        for m in modules or ():
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        """Add *module* at the end (parameter names ``"<index>.<name>"``); return this list.

        Anything that is not a :class:`Module` raises ``TypeError``.
        """
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}.append: expected a Module, got {type(module).__name__}"
            )
        # Attributes named "0", "1", ... give the PyTorch-style parameter names.
        setattr(self, str(self._length), module)
        self._length += 1
        return self

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Module]:
        return (getattr(self, str(i)) for i in range(self._length))

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            items = list(self)[index]
            return Sequential(*items) if isinstance(self, Sequential) else ModuleList(items)
        try:
            index = operator.index(index)  # numpy integers are fine; 1.0 is not
        except TypeError:
            raise TypeError(
                f"{type(self).__name__} indices must be integers or slices, "
                f"got {type(index).__name__}"
            ) from None
        n = self._length
        if not -n <= index < n:
            raise IndexError(f"{type(self).__name__} index {index} out of range (length {n})")
        return getattr(self, str(index % n))


class Sequential(ModuleList):
    """Apply modules one after the other: ``Sequential(a, b, c)(x) == c(b(a(x)))``.

    Parameters are named ``"0.weight"``, ``"1.bias"``, ... by position, as in PyTorch.
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        """Pass *x* through each module in order and return the last output."""
        for module in self:
            x = module(x)
        return x
