"""Bad inputs, nn layer: layer sizes, seeds, activation/loss settings, state dicts.

numpy integers and floats are accepted wherever Python ones are; bools, floats where an
integer is needed, non-finite numbers and out-of-range values raise with a message
naming the class, the argument and the value. Each test asserts type and message.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinynet as tn
from tinynet import nn
from tinynet.optim import SGD


# --------------------------------------------------------------------------- numpy integers work
def test_dense_accepts_numpy_integer_sizes_and_stores_python_ints():
    sizes = np.array([64, 10])
    layer = nn.Dense(sizes[0], sizes[1], seed=np.int64(3))
    assert type(layer.in_features) is int and type(layer.out_features) is int
    assert layer.weight.shape == (64, 10)
    assert "in_features=64" in repr(layer)  # not "np.int64(64)"
    same = nn.Dense(64, 10, seed=3)
    np.testing.assert_array_equal(layer.weight.numpy(), same.weight.numpy())


def test_other_integer_arguments_accept_numpy_integers():
    nn.init.manual_seed(np.uint32(7))
    a = nn.Dense(2, 2).weight.numpy()
    nn.init.manual_seed(7)
    np.testing.assert_array_equal(a, nn.Dense(2, 2).weight.numpy())
    assert type(nn.Softmax(axis=np.int64(0)).axis) is int
    assert type(nn.LeakyReLU(np.float32(0.2)).negative_slope) is float
    seq = nn.Sequential(nn.Dense(2, 3), nn.ReLU())
    assert seq[np.int64(1)] is seq[1]


# --------------------------------------------------------------------------- refused sizes
@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((0, 10), ValueError, r"Dense: in_features must be a positive integer, got 0"),
        ((np.int64(-3), 10), ValueError, r"Dense: in_features must be a positive integer, got -3"),
        ((4, 0), ValueError, r"Dense: out_features must be a positive integer, got 0"),
        (
            (4.0, 10),
            TypeError,
            r"Dense: in_features must be an integer \(Python or numpy\), got float 4\.0",
        ),
        ((np.float64(4), 10), TypeError, r"in_features must be an integer.*got float64"),
        ((True, 10), TypeError, r"Dense: in_features must be an integer .*got bool True"),
        ((4, np.bool_(True)), TypeError, r"Dense: out_features must be an integer .*got bool"),
        (("4", 10), TypeError, r"Dense: in_features must be an integer .*got str '4'"),
        ((None, 10), TypeError, r"Dense: in_features must be an integer .*got NoneType"),
    ],
)
def test_dense_refuses_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        nn.Dense(*args)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"bias": "yes"}, TypeError, r"Dense: bias must be True or False, got 'yes'"),
        ({"bias": 1}, TypeError, r"Dense: bias must be True or False, got 1"),
        (
            {"activation": "gelu"},
            ValueError,
            r"Dense: unknown activation 'gelu'; expected None or one of",
        ),
        ({"activation": ["relu"]}, ValueError, r"Dense: unknown activation \['relu'\]"),
        ({"init": "orthogonal"}, ValueError, r"Dense: unknown init 'orthogonal'; expected one of"),
        ({"dtype": "int64"}, TypeError, r"Dense: dtype must be a floating dtype, got int64"),
        (
            {"dtype": "no-such-type"},
            TypeError,
            r"Dense: dtype must be a floating dtype, got 'no-such-type'",
        ),
        (
            {"seed": 1.5},
            TypeError,
            r"Dense: seed must be an integer \(Python or numpy\), got float 1\.5",
        ),
        ({"seed": -1}, ValueError, r"Dense: seed must be an integer >= 0, got -1"),
        ({"seed": True}, TypeError, r"Dense: seed must be an integer .*got bool"),
    ],
)
def test_dense_refuses_bad_settings(kwargs, error, message):
    with pytest.raises(error, match=message):
        nn.Dense(2, 3, **kwargs)


@pytest.mark.parametrize(
    ("factory", "error", "message"),
    [
        (
            lambda: nn.Softmax(axis=1.0),
            TypeError,
            r"Softmax: axis must be an integer .*got float 1\.0",
        ),
        (
            lambda: nn.LogSoftmax(axis=True),
            TypeError,
            r"LogSoftmax: axis must be an integer .*got bool",
        ),
        (
            lambda: nn.LeakyReLU(math.nan),
            ValueError,
            r"LeakyReLU: negative_slope must be finite, got nan",
        ),
        (
            lambda: nn.LeakyReLU("0.1"),
            TypeError,
            r"LeakyReLU: negative_slope must be a real number, got str",
        ),
        (
            lambda: nn.MSELoss(reduction="avg"),
            ValueError,
            r"MSELoss: reduction='avg' is not supported; expected one of \('mean', 'sum', 'half_sum', 'half_mean', 'none'\)",
        ),
        (
            lambda: nn.CrossEntropyLoss(reduction="half_sum"),
            ValueError,
            r"CrossEntropyLoss: reduction='half_sum' is not supported",
        ),
        (
            lambda: nn.NLLLoss(reduction=None),
            ValueError,
            r"NLLLoss: reduction=None is not supported",
        ),
        (
            lambda: nn.BCELoss(eps=0.0),
            ValueError,
            r"BCELoss: invalid eps=0\.0; it must lie in \(0, 0\.5\).*log\(0\)",
        ),
        (lambda: nn.BCELoss(eps=0.5), ValueError, r"BCELoss: invalid eps=0\.5.*zero gradients"),
        (
            lambda: nn.CrossEntropyProbsLoss(eps=math.inf),
            ValueError,
            r"CrossEntropyProbsLoss: eps must be finite",
        ),
        (
            lambda: nn.init.manual_seed(2.5),
            TypeError,
            r"manual_seed: seed must be an integer .*got float 2\.5",
        ),
        (
            lambda: nn.init.manual_seed(-1),
            ValueError,
            r"manual_seed: seed must be an integer >= 0, got -1",
        ),
        (lambda: nn.init.new_rng("7"), TypeError, r"new_rng: seed must be an integer .*got str"),
        (
            lambda: nn.init.uniform_(nn.Parameter(np.zeros(2)), 1.0, -1.0),
            ValueError,
            r"uniform_: the bounds must satisfy a <= b, got a=1\.0, b=-1\.0",
        ),
        (
            lambda: nn.init.uniform_(nn.Parameter(np.zeros(2)), -math.inf, 1.0),
            ValueError,
            r"uniform_: a must be finite, got -inf",
        ),
        (
            lambda: nn.init.glorot_uniform_(nn.Parameter(np.zeros(2)), gain=math.nan),
            ValueError,
            r"glorot_uniform_: gain must be finite",
        ),
        (
            lambda: nn.init.glorot_uniform_(nn.Parameter(np.zeros((0, 0)))),
            ValueError,
            r"glorot_uniform_: a tensor of shape \(0, 0\) has no fan-in or fan-out",
        ),
        (
            lambda: nn.init.kaiming_uniform_(nn.Parameter(np.zeros((0, 3)))),
            ValueError,
            r"kaiming_uniform_: a tensor of shape \(0, 3\) has fan-in 0",
        ),
        (
            lambda: nn.init.calculate_gain("leaky_relu", "x"),
            TypeError,
            r"calculate_gain: param must be a real number",
        ),
        (
            lambda: nn.Sequential(nn.ReLU())[0.0],
            TypeError,
            r"Sequential indices must be integers or slices, got float",
        ),
    ],
)
def test_module_and_init_arguments_are_refused_with_a_clear_message(factory, error, message):
    with pytest.raises(error, match=message):
        factory()


# --------------------------------------------------------------------------- state dicts
def _net():
    return nn.Sequential(nn.Dense(2, 3, seed=0), nn.Dense(3, 1, seed=1))


def test_loading_a_whole_checkpoint_says_to_pass_its_model_entry():
    net = _net()
    before = net.state_dict()
    opt = SGD(net.parameters(), lr=0.1)
    checkpoint = {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}
    for strict in (True, False):  # strict=False would otherwise load nothing, silently
        with pytest.raises(RuntimeError) as info:
            net.load_state_dict(checkpoint, strict=strict)
        message = str(info.value)
        assert message.startswith("load_state_dict for Sequential: expected a model state dict")
        assert "the entries ['model', 'optimizer'] are containers, not arrays" in message
        assert "pass checkpoint['model']" in message
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_loading_an_optimizer_state_says_which_method_to_use():
    net = _net()
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    for p in net.parameters():
        p.grad = np.ones(p.shape, dtype=p.dtype)
    opt.step()
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(opt.state_dict(), strict=False)
    message = str(info.value)
    assert "got an optimizer state dict (keys ['param_groups', 'state'])" in message
    assert "optimizer.load_state_dict" in message


@pytest.mark.parametrize(
    ("given", "error", "fragment"),
    [
        (
            [("0.weight", np.zeros((2, 3)))],
            TypeError,
            "expected a dict of arrays {parameter name: array}",
        ),
        (None, TypeError, "got NoneType"),
        ({"0.weight": [[0.0] * 3] * 2}, RuntimeError, "the entries ['0.weight'] are containers"),
    ],
)
def test_non_state_dicts_are_refused(given, error, fragment):
    with pytest.raises(error) as info:
        _net().load_state_dict(given)
    assert str(info.value).startswith("load_state_dict for Sequential: ")
    assert fragment in str(info.value)


def test_tensors_are_still_accepted_as_state_dict_values():
    src, dst = _net(), _net()
    src_state = {k: tn.tensor(v) for k, v in src.state_dict().items()}
    dst.load_state_dict(src_state)
    for k, v in src.state_dict().items():
        np.testing.assert_array_equal(dst.state_dict()[k], v)
