"""Bad inputs, optimizer layer: hyperparameters, state dicts and schedulers.

Every refusal asserts the exception type and that the message names the optimizer (or
``Optimizer.load_state_dict``), what was expected and what was given; a refused
``load_state_dict`` leaves the optimizer exactly as it was.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import tinynet as tn
from tinynet.optim import SGD, Adadelta, Adam, ExponentialLR, StepLR


def params(*shapes, dtype="float64"):
    rng = np.random.default_rng(0)
    return [tn.Parameter(rng.standard_normal(s).astype(dtype)) for s in shapes]


def stepped(opt, ps, steps=2):
    for k in range(steps):
        for p in ps:
            p.grad = np.full(p.shape, 0.1 * (k + 1), dtype=p.dtype)
        opt.step()
    return opt


def snapshot(opt):
    """Everything load_state_dict could change, as plain comparable data."""
    return copy.deepcopy(opt.state_dict())


def assert_same_state(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert a["state"][k].keys() == b["state"][k].keys()
        for name, value in a["state"][k].items():
            np.testing.assert_array_equal(value, b["state"][k][name])


# --------------------------------------------------------------------------- hyperparameters
@pytest.mark.parametrize(
    ("factory", "message"),
    [
        (lambda P: Adam(P, eps=0), r"Adam: invalid eps=0; it must be > 0.*dead unit.*0/0 = NaN"),
        (lambda P: Adam(P, eps=-1e-8), r"Adam: invalid eps=-1e-08; it must be >= 0"),
        (lambda P: Adadelta(P, rho=1), r"Adadelta: invalid rho=1; it must lie in \[0\.0, 1\.0\)"),
        (lambda P: Adadelta(P, rho=np.float32(1.0)), r"Adadelta: invalid rho=.*never adapts"),
        (lambda P: Adadelta(P, eps=0.0), r"Adadelta: invalid eps=0"),
        (lambda P: SGD(P, lr=0.1, momentum=1), r"SGD: invalid momentum=1;.*never forgets"),
        (lambda P: SGD(P, lr=0.1, momentum=0.5, dampening=1), r"SGD: invalid dampening=1 with"),
        (lambda P: SGD(P, lr=math.nan), r"SGD: lr must be finite, got nan"),
        (lambda P: SGD(P, lr=np.inf), r"SGD: lr must be finite, got inf"),
        (lambda P: SGD(P, lr=np.float32("nan")), r"SGD: lr must be finite"),
        (lambda P: Adam(P, lr=True), r"Adam: lr must be a number, got True"),
        (lambda P: Adam(P, lr=np.bool_(True)), r"Adam: lr must be a number, got "),
        (lambda P: Adam(P, lr="0.1"), r"Adam: lr must be a number, got '0\.1'"),
        (lambda P: Adam(P, lr=np.array([0.1])), r"Adam: lr must be a number, got array"),
        (lambda P: Adam(P, betas=(0.9, math.inf)), r"Adam: betas\[1\] must be finite"),
        (lambda P: Adam(P, weight_decay=None), r"Adam: weight_decay must be a number, got None"),
        (
            lambda P: SGD(P, lr=0.1, momentum=0.9, nesterov="yes"),
            r"SGD: nesterov must be True or False",
        ),
        (
            lambda P: SGD(P, lr=0.1, momentum=0.9, nesterov=1),
            r"SGD: nesterov must be True or False, got 1",
        ),
    ],
)
def test_hyperparameters_that_corrupt_training_are_refused_with_the_reason(factory, message):
    with pytest.raises(ValueError, match=message):
        factory(params((2,)))


def test_numpy_numbers_are_accepted_and_stored_as_python_numbers():
    (p,) = params((3,), dtype="float32")
    opt = Adam(
        [p], lr=np.float32(0.5), betas=(np.float64(0.9), np.float16(0.5)), eps=np.float32(1e-6)
    )
    group = opt.param_groups[0]
    assert type(group["lr"]) is float and group["lr"] == float(np.float32(0.5))
    assert all(type(b) is float for b in group["betas"])
    sgd = SGD([p], lr=np.int64(1), momentum=np.float32(0.5), nesterov=np.bool_(True))
    assert type(sgd.param_groups[0]["lr"]) is float and sgd.param_groups[0]["nesterov"] is True
    # Python floats keep a float32 parameter float32 (numpy scalars would upcast it).
    p.grad = np.ones(3, dtype=np.float32)
    opt.step()
    assert p.dtype == np.float32


def test_schedulers_accept_numpy_integers_and_refuse_floats_and_bools():
    opt = SGD(params((2,)), lr=1.0)
    sched = StepLR(opt, step_size=np.int64(2), gamma=np.float32(0.5))
    assert type(sched.step_size) is int and type(sched.gamma) is float
    for _ in range(4):
        sched.step()
    assert opt.param_groups[0]["lr"] == 0.25
    for bad in (2.0, True, "2", 0):
        with pytest.raises(ValueError, match=r"StepLR: invalid step_size=.*integer >= 1"):
            StepLR(opt, step_size=bad)
    with pytest.raises(ValueError, match=r"ExponentialLR: gamma must be finite"):
        ExponentialLR(opt, gamma=np.nan)


# --------------------------------------------------------------------------- step() versions
@pytest.mark.parametrize(
    "make",
    [
        lambda P: SGD(P, lr=0.1),
        lambda P: SGD(P, lr=0.1, momentum=0.9),
        lambda P: Adam(P),
        lambda P: Adadelta(P),
    ],
    ids=["sgd", "sgd-momentum", "adam", "adadelta"],
)
def test_step_bumps_the_version_of_every_updated_parameter(make):
    a, b, skipped = params((2,), (3,), (1,))
    opt = make([a, b, skipped])
    before = {id(p): p._version for p in (a, b, skipped)}
    a.grad, b.grad = np.ones(2), np.ones(3)  # skipped has no gradient: not updated
    opt.step()
    assert a._version != before[id(a)] and b._version != before[id(b)]
    assert skipped._version == before[id(skipped)]


def test_backward_after_step_changed_a_saved_parameter_is_refused():
    # The optimizer's in-place update must be visible to the engine's version check:
    # a backward through a graph built before step() would otherwise mix old and new.
    (w,) = params((2, 2))
    x = tn.tensor(np.ones((1, 2)))
    loss = (x @ w).sum()
    opt = SGD([w], lr=0.1)
    w.grad = np.ones((2, 2))
    opt.step()
    with pytest.raises(RuntimeError, match=r"modified|version|in place|in-place"):
        loss.backward()


# --------------------------------------------------------------------------- load_state_dict
def test_another_optimizers_state_is_refused_and_named():
    P = params((2,), (3,))
    sgd = stepped(SGD(P, lr=0.1, momentum=0.9), P)
    adam = stepped(Adam(P), P)
    before = snapshot(adam)
    with pytest.raises(ValueError) as info:
        adam.load_state_dict(sgd.state_dict())
    message = str(info.value)
    assert message.startswith("Adam.load_state_dict: param_groups[0] has the hyperparameters")
    assert "['dampening', 'lr', 'momentum', 'nesterov', 'weight_decay']" in message
    assert "Adam expects ['betas', 'eps', 'lr', 'weight_decay']" in message
    assert "(a state saved by SGD?)" in message
    assert_same_state(snapshot(adam), before)
    with pytest.raises(ValueError, match=r"Adadelta\.load_state_dict: .*saved by Adam\?"):
        Adadelta(P).load_state_dict(adam.state_dict())


def test_state_entries_of_another_optimizer_are_refused():
    P = params((2,))
    adam = stepped(Adam(P), P)
    state = adam.state_dict()
    state["state"][0] = {"step": 2, "square_avg": np.zeros(2), "acc_delta": np.zeros(2)}
    with pytest.raises(ValueError) as info:
        Adam(P).load_state_dict(state)
    message = str(info.value)
    assert "the state of parameter 0 has the entries ['acc_delta', 'square_avg', 'step']" in message
    assert "Adam keeps ['exp_avg', 'exp_avg_sq', 'step']" in message


@pytest.mark.parametrize(
    ("given", "error", "fragments"),
    [
        (
            lambda m, o: {"model": m, "optimizer": o, "epoch": 3},
            ValueError,
            [
                "expected an optimizer state dict with exactly the keys ['param_groups', 'state']",
                "got the keys ['epoch', 'model', 'optimizer']",
                "pass checkpoint['optimizer']",
            ],
        ),
        (
            lambda m, o: m,
            ValueError,
            ["got the keys ['b', 'w']", "looks like a model's state_dict"],
        ),
        (
            lambda m, o: [o],
            TypeError,
            ["expected the dict returned by Adam.state_dict()", "got a list"],
        ),
        (lambda m, o: None, TypeError, ["got a NoneType"]),
        (
            lambda m, o: {"state": o["state"], "param_groups": o["param_groups"][0]},
            ValueError,
            ["'param_groups' must be a list of dicts, got a dict"],
        ),
        (
            lambda m, o: {"state": [], "param_groups": o["param_groups"]},
            ValueError,
            ["'state' must be a dict {parameter index: {name: value}}, got a list"],
        ),
    ],
    ids=["checkpoint", "model-state", "list", "none", "groups-not-list", "state-not-dict"],
)
def test_wrong_kinds_of_dict_say_what_was_expected(given, error, fragments):
    P = params((2,), (3,))
    adam = stepped(Adam(P), P)
    model_state = {"w": np.zeros(2), "b": np.zeros(3)}
    before = snapshot(adam)
    with pytest.raises(error) as info:
        adam.load_state_dict(given(model_state, adam.state_dict()))
    message = str(info.value)
    assert message.startswith("Adam.load_state_dict: ")
    for fragment in fragments:
        assert fragment in message, message
    assert_same_state(snapshot(adam), before)


def _mutated(mutate):
    P = params((2,), (3,))
    state = stepped(Adam(P), P).state_dict()
    mutate(state)
    return state


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (
            lambda s: s["state"][0].update(exp_avg=np.zeros(3)),
            "state 'exp_avg' of parameter 0 has shape (3,) but the parameter has shape (2,)",
        ),
        (
            lambda s: s["state"][1].update(exp_avg=np.zeros(3, np.float32)),
            "state 'exp_avg' of parameter 1 has dtype float32 but the parameter has dtype float64",
        ),
        (
            lambda s: s["state"][0].update(exp_avg=[0.0, 0.0]),
            "must be an array shaped like the parameter (2,), got a list",
        ),
        (
            lambda s: s["state"][0].update(exp_avg_sq=-np.ones(2)),
            "'exp_avg_sq' of parameter 0 has negative entries",
        ),
        (
            lambda s: s["state"][0].update(step=-1),
            "step counter of parameter 0 must be an integer >= 0, got -1",
        ),
        (lambda s: s["state"][0].update(step=2.5), "must be an integer >= 0, got 2.5"),
        (lambda s: s["state"][0].update(step=True), "must be an integer >= 0, got True"),
        (lambda s: s["state"][0].pop("exp_avg"), "has the entries ['exp_avg_sq', 'step']"),
        (
            lambda s: s["state"].update({7: s["state"][0]}),
            "an entry for parameter 7, which no parameter group lists (indices [0, 1])",
        ),
        (lambda s: s["state"].update({"x": {}}), "an entry for parameter 'x'"),
        (
            lambda s: s["state"].update({1: "junk"}),
            "the state of parameter 1 must be a dict, got a str",
        ),
        (lambda s: s["param_groups"][0].update(params=[0, 0]), "entry 0 appears twice"),
        (lambda s: s["param_groups"][0].update(params=[0, 1.0]), "entry 1.0 is not an integer"),
        (
            lambda s: s["param_groups"][0].update(params=[0]),
            "group 0 has 1 parameters in the saved state but 2 here",
        ),
        (
            lambda s: s["param_groups"].append(dict(s["param_groups"][0])),
            "2 parameter groups but this optimizer has 1",
        ),
        (
            lambda s: s["param_groups"][0].update(eps=0.0),
            "param_groups[0]: Adam: invalid eps=0.0; it must be > 0",
        ),
        (
            lambda s: s["param_groups"][0].update(lr=float("nan")),
            "param_groups[0]: Adam: lr must be finite",
        ),
        (
            lambda s: s["param_groups"][0].pop("betas"),
            "has the hyperparameters ['eps', 'lr', 'weight_decay']",
        ),
        (
            lambda s: s["param_groups"][0].pop("params"),
            "param_groups[0] must be a dict with a 'params' list",
        ),
    ],
)
def test_inconsistent_state_is_refused_and_changes_nothing(mutate, fragment):
    P = params((2,), (3,))
    adam = stepped(Adam(P, lr=0.01), P, steps=3)
    before = snapshot(adam)
    with pytest.raises(ValueError) as info:
        adam.load_state_dict(_mutated(mutate))
    assert str(info.value).startswith("Adam.load_state_dict: ")
    assert fragment in str(info.value), str(info.value)
    assert_same_state(snapshot(adam), before)


def test_numpy_integers_and_json_string_keys_are_accepted():
    P = params((2,), (3,))
    src = stepped(Adam(P), P)
    state = src.state_dict()
    state["state"] = {str(k): {**v, "step": np.int64(v["step"])} for k, v in state["state"].items()}
    state["param_groups"][0]["params"] = [np.int64(0), np.int32(1)]
    state["param_groups"][0]["betas"] = list(state["param_groups"][0]["betas"])
    dst = Adam(params((2,), (3,)))
    dst.load_state_dict(state)
    assert dst.param_groups[0]["betas"] == src.param_groups[0]["betas"]
    assert [type(s["step"]) for s in dst.state.values()] == [int, int]


# --------------------------------------------------------------------------- schedulers
@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda s: s.update(last_epoch=-1), "last_epoch must be an integer >= 0, got -1"),
        (lambda s: s.update(last_epoch=2.5), "last_epoch must be an integer >= 0, got 2.5"),
        (lambda s: s.update(base_lrs=[0.1, 0.2]), "base_lrs must be a list of 1 learning rates"),
        (lambda s: s.update(_last_lr=[float("nan")]), "lr must be finite"),
        (lambda s: s.update(gamma=0.0), "invalid gamma=0.0"),
        (lambda s: s.update(step_size=1.5), "invalid step_size=1.5"),
        (lambda s: s.pop("gamma"), "expected the keys"),
    ],
)
def test_scheduler_state_is_checked_before_anything_changes(mutate, fragment):
    opt = SGD(params((2,)), lr=1.0)
    sched = StepLR(opt, step_size=2, gamma=0.5)
    sched.step()
    state = sched.state_dict()
    before = copy.deepcopy(vars(sched))
    bad = copy.deepcopy(state)
    mutate(bad)
    with pytest.raises(ValueError) as info:
        sched.load_state_dict(bad)
    assert str(info.value).startswith("StepLR.load_state_dict: ")
    assert fragment in str(info.value), str(info.value)
    after = vars(sched)
    assert {k: v for k, v in after.items() if k != "optimizer"} == {
        k: v for k, v in before.items() if k != "optimizer"
    }


def test_scheduler_refuses_a_whole_checkpoint():
    opt = SGD(params((2,)), lr=1.0)
    sched = ExponentialLR(opt, gamma=0.5)
    with pytest.raises(ValueError, match=r"whole checkpoint\? pass the scheduler's own entry"):
        sched.load_state_dict({"optimizer": opt.state_dict(), "scheduler": sched.state_dict()})
    with pytest.raises(TypeError, match=r"ExponentialLR\.load_state_dict: expected the dict"):
        sched.load_state_dict([1])
