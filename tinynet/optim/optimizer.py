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
* ``_update(group, trace)``: update every parameter of the group **in place**, then
  call ``p._bump_version()`` on it, so that a ``backward`` through a graph recorded
  before the step (which saved the old values) is refused instead of silently mixing
  old and new values.

and declares, as class attributes, its ``_hyperparameters`` and the per-parameter
state entries it keeps (``_state_required``, ``_state_optional``,
``_state_nonnegative``), which :meth:`Optimizer.load_state_dict` checks a saved state
against before changing anything.

Differences from PyTorch: ``zero_grad()`` always sets ``.grad`` to ``None`` (there is
no ``set_to_none`` argument); ``step()`` takes no closure but an optional ``trace``
flag; state-dict arrays are host numpy arrays even on the GPU backend.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from tinynet.backend import asarray, to_numpy, xp
from tinynet.tensor import Tensor

__all__ = ["Optimizer"]

#: The type of one parameter group -- ``{"params": [Tensor, ...], "lr": 0.1, ...}``.
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

    #: The hyperparameter names of this optimizer (the keys of ``defaults``); used to
    #: say which optimizer a foreign state dict came from.
    _hyperparameters: tuple[str, ...] = ()
    #: Per-parameter state entries every state of this optimizer has (``"step"`` is the
    #: integer step counter, the others are arrays shaped like the parameter) ...
    _state_required: tuple[str, ...] = ()
    #: ... those it may have (created on first use, or only with some settings) ...
    _state_optional: tuple[str, ...] = ()
    #: ... and the ones that are running averages of squares, so never negative.
    _state_nonnegative: tuple[str, ...] = ()

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
                p._grad = None  # what ``p.grad = None`` does, without the setter's call

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
        :math:`g \leftarrow \nabla_\theta J + \lambda\theta`. It goes into a new array:
        ``p.grad`` belongs to the autograd engine and is never changed.
        """
        wd = group["weight_decay"]
        for p in group["params"]:
            g = p._grad_array()
            if g is not None:
                yield p, (g if wd == 0 else g + wd * p.data)

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

        The optimizer must be of the same kind (an ``Adam`` state cannot be loaded
        into ``SGD``) and have been built over parameters of the same shapes and dtypes
        in the same groups. Integer keys may come back as strings and tuples as lists
        (as they do after a JSON round trip); both are accepted, and so are numpy
        integers. Arrays are copied, so later steps never modify *state_dict*.

        Everything is checked before anything changes: a wrong kind of dict (a whole
        checkpoint ``{"model": ..., "optimizer": ...}``, a model's state dict), another
        optimizer's state, a different number of groups or parameters, a buffer of the
        wrong shape or dtype, a negative running average of squares or an invalid
        hyperparameter raises ``ValueError`` (``TypeError`` if *state_dict* is not a
        dict) saying what was expected and what was given, and leaves this optimizer
        as it was.
        """
        where = f"{type(self).__name__}.load_state_dict"
        self._check_state_dict_layout(state_dict, where)
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{where}: the saved state has {len(saved_groups)} parameter "
                f"groups but this optimizer has {len(self.param_groups)}"
            )
        expected_hyper = sorted(set(self.defaults))
        id_map: dict[int, Tensor] = {}
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or "params" not in saved:
                raise ValueError(
                    f"{where}: param_groups[{i}] must be a dict with a 'params' list, "
                    f"got {_describe(saved)}"
                )
            hyper_names = sorted(k for k in saved if k != "params")
            if hyper_names != expected_hyper:
                raise ValueError(
                    f"{where}: param_groups[{i}] has the hyperparameters {hyper_names}, but "
                    f"{type(self).__name__} expects {expected_hyper}"
                    f"{_guess_optimizer(hyper_names, type(self))}"
                )
            indices = saved["params"]
            if not isinstance(indices, (list, tuple)):
                raise ValueError(
                    f"{where}: param_groups[{i}]['params'] must be a list of parameter "
                    f"indices, got {_describe(indices)}"
                )
            if len(indices) != len(group["params"]):
                raise ValueError(
                    f"{where}: group {i} has {len(indices)} parameters in "
                    f"the saved state but {len(group['params'])} here"
                )
            for index, p in zip(indices, group["params"]):
                key = _as_index(index)
                if key is None or key in id_map:
                    problem = "appears twice" if key is not None else "is not an integer"
                    raise ValueError(
                        f"{where}: param_groups[{i}]['params'] entry {index!r} {problem}; "
                        f"expected distinct integer indices"
                    )
                id_map[key] = p
            try:
                # Normalises too (lists back to tuples, numpy numbers to Python floats).
                hyper = self._validate({k: v for k, v in saved.items() if k != "params"})
            except ValueError as exc:
                raise ValueError(f"{where}: param_groups[{i}]: {exc}") from None
            hyper["params"] = group["params"]
            new_groups.append(hyper)

        saved_state = state_dict["state"]
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, entry in saved_state.items():
            index = _as_index(key)
            if index is None or index not in id_map:
                raise ValueError(
                    f"{where}: the saved state has an entry for parameter {key!r}, which no "
                    f"parameter group lists (indices {sorted(id_map)})"
                )
            new_state[id_map[index]] = self._load_entry(entry, id_map[index], index, where)
        self.param_groups = new_groups
        self.state = new_state

    def _check_state_dict_layout(self, state_dict: Any, where: str) -> None:
        """The outer shape of a state dict: ``{"state": dict, "param_groups": list}``."""
        if not isinstance(state_dict, dict):
            raise TypeError(
                f"{where}: expected the dict returned by {type(self).__name__}.state_dict() "
                f"({{'state': ..., 'param_groups': [...]}}), got {_describe(state_dict)}"
            )
        keys = sorted(map(str, state_dict))
        if keys != ["param_groups", "state"]:
            hint = ""
            if "optimizer" in state_dict:
                hint = (
                    "; this looks like a whole checkpoint: pass checkpoint['optimizer'] "
                    "instead of the checkpoint"
                )
            elif state_dict and all(hasattr(v, "shape") for v in state_dict.values()):
                hint = (
                    "; this looks like a model's state_dict (parameter arrays by name): "
                    "load it with Module.load_state_dict"
                )
            raise ValueError(
                f"{where}: expected an optimizer state dict with exactly the keys "
                f"['param_groups', 'state'] (from {type(self).__name__}.state_dict()), got "
                f"the keys {keys[:10]}{hint}"
            )
        if not isinstance(state_dict["param_groups"], (list, tuple)):
            raise ValueError(
                f"{where}: 'param_groups' must be a list of dicts, got "
                f"{_describe(state_dict['param_groups'])}"
            )
        if not isinstance(state_dict["state"], dict):
            raise ValueError(
                f"{where}: 'state' must be a dict {{parameter index: {{name: value}}}}, got "
                f"{_describe(state_dict['state'])}"
            )

    def _load_entry(self, entry: Any, p: Tensor, index: int, where: str) -> dict[str, Any]:
        """Check one parameter's saved state against the declared entries and copy it."""
        name = type(self).__name__
        required, optional = set(self._state_required), set(self._state_optional)
        if not isinstance(entry, dict):
            raise ValueError(
                f"{where}: the state of parameter {index} must be a dict, got {_describe(entry)}"
            )
        keys = set(map(str, entry))
        if not (required or optional):
            # A subclass that declares nothing: any entries (buffers and "step") go.
            optional = keys
        if not required <= keys <= required | optional:
            allowed = sorted(required) + [f"{k} (optional)" for k in sorted(optional)]
            raise ValueError(
                f"{where}: the state of parameter {index} has the entries {sorted(keys)}, but "
                f"{name} keeps {allowed} (a state saved by another optimizer?)"
            )
        out: dict[str, Any] = {}
        for k, v in entry.items():
            if k == "step":
                step = _as_index(v)
                if step is None or step < 0:
                    raise ValueError(
                        f"{where}: the step counter of parameter {index} must be an integer "
                        f">= 0, got {v!r}"
                    )
                out[k] = step
                continue
            if v is None and k in optional:
                out[k] = None
                continue
            array = v.data if isinstance(v, Tensor) else v
            if not (hasattr(array, "shape") and hasattr(array, "dtype")):
                raise ValueError(
                    f"{where}: state '{k}' of parameter {index} must be an array shaped like "
                    f"the parameter {p.shape}, got {_describe(v)}"
                )
            if tuple(array.shape) != p.data.shape:
                raise ValueError(
                    f"{where}: state '{k}' of parameter {index} has shape "
                    f"{tuple(array.shape)} but the parameter has shape {p.data.shape}"
                )
            if array.dtype != p.data.dtype:
                # tinynet never casts silently: a float64 state would not resume a float32
                # run bit for bit.
                raise ValueError(
                    f"{where}: state '{k}' of parameter {index} has dtype {array.dtype} but "
                    f"the parameter has dtype {p.data.dtype}"
                )
            # Copy onto the backend, so that in-place updates never touch *state_dict*.
            copy = xp.array(asarray(array), dtype=p.data.dtype, copy=True)
            if k in self._state_nonnegative and bool((copy < 0).any()):
                raise ValueError(
                    f"{where}: state '{k}' of parameter {index} has negative entries; it is "
                    f"a running average of squares, which a valid {name} state never has "
                    "(a corrupt checkpoint?)"
                )
            out[k] = copy
        return out

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            hyper = ", ".join(f"{k}={v}" for k, v in group.items() if k != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {hyper}")
        return "\n".join(lines) + "\n)"


# ---------------------------------------------------------------------- validation helpers
def _describe(value: Any) -> str:
    """A short description of *value* for error messages (type, and keys of a dict)."""
    if isinstance(value, dict):
        return f"a dict with the keys {sorted(map(str, value))[:10]}"
    return f"a {type(value).__name__}"


def _as_index(value: Any) -> int | None:
    """*value* as a non-bool integer (``3``, ``np.int64(3)``, ``"3"`` after JSON), else None."""
    if isinstance(value, str):
        return int(value) if value.isdigit() else None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _guess_optimizer(hyper_names: list[str], wanted: type) -> str:
    """``" (the state of SGD?)"`` when *hyper_names* are another optimizer's, else ``""``."""
    pending = list(Optimizer.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        names = getattr(cls, "_hyperparameters", None)
        if cls is not wanted and names and sorted(names) == hyper_names:
            return f" (a state saved by {cls.__name__}?)"
    return ""


def _as_float(optimizer: str, name: str, value: Any) -> float:
    """*value* as a finite Python float, else ``ValueError`` naming the optimizer.

    Python and numpy numbers are accepted (``np.float32(0.1)``, ``np.int64(1)``); bools,
    strings and arrays are not -- ``float("0.1")`` would parse a string silently.
    Python floats matter: numpy treats them as "weak" scalars, so ``lr * grad`` keeps a
    float32 gradient in float32, while a numpy float64 scalar would upcast it.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{optimizer}: {name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{optimizer}: {name} must be finite, got {value!r}")
    return x


def check_bool(optimizer: str, name: str, value: Any) -> bool:
    """*value* as a Python ``bool`` (``np.bool_`` too); anything else is refused, not coerced."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{optimizer}: {name} must be True or False, got {value!r}")
    return bool(value)


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
