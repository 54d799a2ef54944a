r"""The :class:`Optimizer` base class shared by :class:`SGD`, :class:`Adam` and :class:`Adadelta`.

An optimizer owns a list of *parameter groups*. Each group is a dict holding the
parameters (``group["params"]``) and the hyperparameters used to update them
(``group["lr"]``, ...). Most programs have one group; several groups let parts of a
model use different learning rates, exactly as in PyTorch::

    opt = SGD([{"params": body.parameters()},
               {"params": head.parameters(), "lr": 0.01}], lr=0.1)

Per-parameter memory (momentum buffers, moment estimates, step counters) lives in
``self.state[param]``. :meth:`Optimizer.state_dict` turns all of it into plain
host data (numpy arrays, numbers, strings, lists, dicts, ``None``), so that
:func:`tinynet.save` can store it without pickle and a run resumed from it continues
bit-for-bit as if it had never stopped.

A subclass implements two methods:

* ``_validate(group)``: check the hyperparameters of one group, raise ``ValueError``
  naming the optimizer and the bad value, and return them normalised (Python floats);
* ``_update(group, trace)``: update every parameter of the group **in place**.

Differences from PyTorch: ``zero_grad()`` always sets ``.grad`` to ``None`` (there is
no ``set_to_none`` argument); ``step()`` takes no closure but an optional ``trace``
flag; state-dict arrays are host numpy arrays even on the GPU backend.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import Any

from tinynet.backend import to_numpy, xp
from tinynet.tensor import Tensor

__all__ = ["Optimizer"]

#: The type of one parameter group: ``{"params": [Tensor, ...], "lr": 0.1, ...}``.
ParamGroup = dict[str, Any]


class Optimizer:
    """Base class of all optimizers (as ``torch.optim.Optimizer``).

    Parameters
    ----------
    params:
        An iterable of :class:`~tinynet.Parameter` (or any leaf :class:`~tinynet.Tensor`),
        or an iterable of dicts, each a parameter group with a ``"params"`` entry and
        optional hyperparameters that override *defaults* for that group.
    defaults:
        The hyperparameters every group starts from.
    trace:
        If ``True``, :meth:`step` records the intermediate quantities of the update
        of every parameter in :attr:`last_trace` (host numpy copies), for worked
        examples. Off by default: recording copies arrays and would slow training.
    """

    def __init__(
        self, params: Iterable[Any], defaults: dict[str, Any], trace: bool = False
    ) -> None:
        name = type(self).__name__
        if isinstance(params, (Tensor, dict)):
            # A single tensor is iterable along its first axis, which would silently
            # optimise rows of it; a single dict is one group that belongs in a list.
            raise TypeError(
                f"{name}: params must be an iterable of Parameters or of dicts (parameter "
                f"groups), got a single {type(params).__name__}; wrap it in a list"
            )
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[ParamGroup] = []
        # Keyed by the Parameter object itself (Tensor hashes by identity).
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.trace = bool(trace)
        #: One dict per updated parameter after a traced :meth:`step`, else ``None``.
        self.last_trace: list[dict[str, Any]] | None = None

        groups = list(params)  # a generator such as model.parameters() can be read only once
        if not groups:
            raise ValueError(f"{name}: got an empty parameter list; there is nothing to optimize")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, group: ParamGroup) -> None:
        """Add a parameter group; its missing hyperparameters are taken from ``defaults``."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(
                f"{name}: a parameter group must be a dict with a 'params' entry, got {group!r}"
            )
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        if not params:
            raise ValueError(f"{name}: a parameter group has an empty 'params' list")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name}: params[{i}] is a {type(p).__name__}, not a Parameter/Tensor; "
                    f"an optimizer can only update tinynet tensors"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: params[{i}] is the result of an operation (a non-leaf tensor); "
                    f"only leaf tensors such as Parameters can be optimized"
                )
            if p.data.dtype.kind != "f":
                raise TypeError(
                    f"{name}: params[{i}] has dtype {p.dtype}; only float tensors can be optimized"
                )
            if id(p) in seen:
                # It would be updated twice per step with the same gradient.
                raise ValueError(f"{name}: params[{i}] appears more than once among the parameters")
            seen.add(id(p))
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            # A misspelt key ("learning_rate") would otherwise be silently ignored.
            raise ValueError(
                f"{name}: unknown hyperparameter(s) {unknown} in a parameter group; "
                f"expected some of {sorted(self.defaults)}"
            )
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        full = self._validate(full)
        full["params"] = params
        self.param_groups.append(full)

    def _validate(self, group: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        """Check and normalise one group's hyperparameters (without ``params``)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ stepping
    def zero_grad(self) -> None:
        """Set ``.grad`` of every parameter to ``None``.

        ``None`` rather than zeros: gradients are *accumulated* by ``backward``, and a
        parameter that gets no gradient in the next step is then skipped by
        :meth:`step` instead of being updated with a stale or zero gradient.
        """
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, trace: bool | None = None) -> None:
        """Update every parameter that has a gradient (those with ``.grad is None`` are skipped).

        Parameters
        ----------
        trace:
            Record the intermediate quantities in :attr:`last_trace`; ``None`` (default)
            uses the ``trace`` flag given to the constructor.
        """
        record = self.trace if trace is None else bool(trace)
        self.last_trace = [] if record else None
        for group in self.param_groups:
            self._update(group, self.last_trace)

    def _update(
        self, group: ParamGroup, trace: list[dict[str, Any]] | None
    ) -> None:  # pragma: no cover
        """Update the parameters of one group in place; append to *trace* if it is a list."""
        raise NotImplementedError

    @staticmethod
    def _gradients(group: ParamGroup) -> Iterator[tuple[Tensor, Any]]:
        r"""The ``(parameter, gradient)`` pairs of *group* that have a gradient.

        L2 weight decay is added here, once for every optimizer:
        $g \leftarrow \nabla_\theta J + \lambda\theta$. It goes into a new array:
        ``p.grad`` belongs to the autograd engine and is never changed.
        """
        wd = group["weight_decay"]
        for p in group["params"]:
            if p.grad is not None:
                yield p, (p.grad if wd == 0 else p.grad + wd * p.data)

    def _zero_state(self, p: Tensor, *buffers: str) -> dict[str, Any]:
        """The state of *p*, created on first use with ``step = 0`` and zero *buffers*."""
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = 0
            for name in buffers:
                state[name] = xp.zeros_like(p.data)
        return state

    # ------------------------------------------------------------------ saving
    def _all_params(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as plain host data (the parameters themselves are not included).

        Layout (as PyTorch's): ``{"state": {index: {name: value}}, "param_groups": [...]}``
        where *index* numbers the parameters across all groups in order, every array
        is a host ``numpy.ndarray`` copy, step counters are ``int``, and each group
        lists its hyperparameters with ``"params"`` replaced by the indices.
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state: dict[int, dict[str, Any]] = {}
        for p, s in self.state.items():
            state[index[id(p)]] = {
                k: (to_numpy(v).copy() if isinstance(v, xp.ndarray) else v) for k, v in s.items()
            }
        groups = []
        for group in self.param_groups:
            saved = {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in group.items()
                if k != "params"
            }
            saved["params"] = [index[id(p)] for p in group["params"]]
            groups.append(saved)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` into this optimizer.

        The optimizer must have been built over parameters of the same shapes in the
        same order. Integer keys may come back as strings and tuples as lists (as they
        do after a JSON round trip); both are accepted. Arrays are copied, so later
        steps never modify *state_dict*.
        """
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter "
                f"groups but this optimizer has {len(self.param_groups)}"
            )
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {i} has {len(saved['params'])} parameters in "
                    f"the saved state but {len(group['params'])} here"
                )
        params = self._all_params()
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, s in state_dict["state"].items():
            p = params[int(key)]
            entry: dict[str, Any] = {}
            for k, v in s.items():
                # Every entry is a buffer shaped like the parameter, except the step counter.
                if k == "step":
                    entry[k] = int(v)
                elif v is None:
                    entry[k] = None
                else:
                    # Copy onto the backend, so that in-place updates never touch *state_dict*.
                    arr = xp.array(v, dtype=p.data.dtype, copy=True)
                    if arr.shape != p.data.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: state '{k}' of parameter {key} has shape "
                            f"{arr.shape} but the parameter has shape {p.data.shape}"
                        )
                    entry[k] = arr
            new_state[p] = entry
        # Validate (and normalise, e.g. lists back to tuples) before changing anything.
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            hyper = self._validate({k: v for k, v in saved.items() if k != "params"})
            hyper["params"] = group["params"]
            new_groups.append(hyper)
        self.param_groups = new_groups
        self.state = new_state

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {hyper}")
        return "\n".join(lines) + "\n)"


# ---------------------------------------------------------------------- validation helpers
def _as_float(optimizer: str, name: str, value: Any) -> float:
    """*value* as a finite Python float, else ``ValueError`` naming the optimizer.

    Python floats matter: numpy treats them as "weak" scalars, so ``lr * grad`` keeps a
    float32 gradient in float32, while a numpy float64 scalar would upcast it.
    """
    if isinstance(value, bool):
        raise ValueError(f"{optimizer}: {name} must be a number, got {value!r}")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{optimizer}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{optimizer}: {name} must be finite, got {value!r}")
    return x


def check_lr(optimizer: str, lr: Any) -> float:
    """``lr >= 0``. Zero is allowed: it freezes a group (useful with schedules and warm-up)."""
    x = _as_float(optimizer, "lr", lr)
    if x < 0:
        raise ValueError(
            f"{optimizer}: invalid learning rate lr={lr!r}; it must be >= 0 "
            f"(a negative rate would climb the loss instead of descending it)"
        )
    return x


def check_nonnegative(optimizer: str, name: str, value: Any) -> float:
    """``value >= 0`` (eps, momentum, weight_decay)."""
    x = _as_float(optimizer, name, value)
    if x < 0:
        raise ValueError(f"{optimizer}: invalid {name}={value!r}; it must be >= 0")
    return x


def check_interval(
    optimizer: str, name: str, value: Any, lo: float, hi: float, hi_open: bool, why: str
) -> float:
    """``lo <= value <= hi`` (or ``< hi`` when *hi_open*); *why* explains the bound."""
    x = _as_float(optimizer, name, value)
    bracket = ")" if hi_open else "]"
    if x < lo or x > hi or (hi_open and x == hi):
        raise ValueError(
            f"{optimizer}: invalid {name}={value!r}; it must lie in [{lo}, {hi}{bracket} ({why})"
        )
    return x
