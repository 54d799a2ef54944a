"""Module API (parameters, modes, state dicts, repr) and end-to-end training."""

from __future__ import annotations

import numpy as np
import pytest

import tinynet as tn
from tinynet import nn
from tinynet.nn import functional as F


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype="float32"))
        self.inner = nn.Dense(3, 3, seed=0)

    def forward(self, x):
        return self.inner(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.Dense(2, 3, seed=1)
        self.blocks = [Block(), Block()]  # a plain list is looked into
        self.heads = {"a": nn.Dense(3, 1, seed=2)}
        self.act = nn.Tanh()
        self.note = "not a parameter"

    def forward(self, x):
        h = self.act(self.first(x))
        for b in self.blocks:
            h = b(h)
        return self.heads["a"](h)


EXPECTED_NAMES = [
    "first.weight", "first.bias",
    "blocks.0.scale", "blocks.0.inner.weight", "blocks.0.inner.bias",
    "blocks.1.scale", "blocks.1.inner.weight", "blocks.1.inner.bias",
    "heads.a.weight", "heads.a.bias",
]  # fmt: skip


def test_named_parameters_order_and_dotted_names():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == EXPECTED_NAMES
    params = list(net.parameters())
    assert [id(p) for p in params] == [id(p) for _, p in net.named_parameters()]
    assert params[0] is net.first.weight and params[3] is net.blocks[0].inner.weight
    assert all(isinstance(p, nn.Parameter) for p in params)
    assert net.num_parameters() == sum(p.size for p in params)


def test_sequential_names_indexing_and_forward():
    seq = nn.Sequential(nn.Dense(2, 4, seed=0), nn.ReLU(), nn.Dense(4, 1, seed=1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq) == 3 and isinstance(seq[1], nn.ReLU) and seq[-1] is seq[2]
    x = tn.tensor(np.random.default_rng(0).normal(size=(5, 2)).astype("float32"))
    np.testing.assert_allclose(seq(x).numpy(), seq[2](seq[1](seq[0](x))).numpy())
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2 and head[0] is seq[0]
    with pytest.raises(IndexError):
        seq[3]
    nested = nn.Sequential(seq, nn.Dense(1, 1, seed=2))
    assert [n for n, _ in nested.named_parameters()][-2:] == ["1.weight", "1.bias"]
    assert [n for n, _ in nested.named_parameters()][0] == "0.0.weight"


def test_module_list():
    ml = nn.ModuleList([nn.Dense(2, 2, seed=0), nn.Dense(2, 2, seed=1)])
    ml.append(nn.Dense(2, 1, seed=2))
    assert len(ml) == 3 and [m.out_features for m in ml] == [2, 2, 1]
    assert [n for n, _ in ml.named_parameters()][-1] == "2.bias"
    with pytest.raises(TypeError):
        ml.append("not a module")


def test_shared_parameter_is_listed_once():
    a = nn.Dense(2, 2, seed=0)
    seq = nn.Sequential(a, nn.Tanh(), a)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(seq.modules())) == 3  # seq, a, tanh (a once)


def test_zero_grad_clears_every_parameter():
    net = Net()
    net(np.ones((4, 2), dtype="float32")).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_train_eval_flags_recursive():
    net = Net()
    assert net.training and all(m.training for m in net.modules())
    assert net.eval() is net
    assert not net.training and all(not m.training for m in net.modules())
    assert not net.blocks[1].inner.training
    net.train()
    assert all(m.training for m in net.modules())


def test_subclass_without_super_init_still_works():
    class Bare(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(2))

        def forward(self, x):
            return x * self.w

    b = Bare()
    assert b.training and [n for n, _ in b.named_parameters()] == ["w"]
    b.eval()
    assert not b.training


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError):
        nn.Module()(1)


def test_state_dict_holds_host_copies():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == EXPECTED_NAMES
    assert all(type(v) is np.ndarray for v in sd.values())
    before = sd["first.weight"].copy()
    net.first.weight.data += 1.0  # training after the snapshot ...
    np.testing.assert_array_equal(sd["first.weight"], before)  # ... does not change it
    sd["first.bias"][:] = 42.0  # and editing the snapshot does not change the model
    assert not np.any(net.first.bias.numpy() == 42.0)


def test_state_dict_round_trip_gives_identical_outputs():
    x = np.random.default_rng(0).normal(size=(4, 2)).astype("float32")
    source, target = Net(), Net()
    for p in target.parameters():  # make target different first
        p.data = p.data * 0 + 0.5
    assert not np.allclose(source(x).numpy(), target(x).numpy())
    weight_object = target.first.weight
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())
    assert target.first.weight is weight_object  # same Parameter (an optimizer may hold it)
    # loaded values are copies, not views of the state dict
    sd = source.state_dict()
    target.load_state_dict(sd)
    sd["first.weight"][:] = 0
    assert np.any(target.first.weight.numpy() != 0)


def test_load_state_dict_strict_errors_name_the_keys():
    net = Net()
    sd = net.state_dict()
    del sd["heads.a.bias"]
    sd["extra.weight"] = np.zeros(3, dtype="float32")
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert "missing" in msg and "heads.a.bias" in msg
    assert "unexpected" in msg and "extra.weight" in msg


def test_load_state_dict_non_strict_reports_and_loads_the_rest():
    net = Net()
    sd = Net().state_dict()
    sd["first.weight"] = sd["first.weight"] + 1
    del sd["heads.a.bias"]
    sd["extra"] = np.zeros(1)
    result = net.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["heads.a.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(net.first.weight.numpy(), sd["first.weight"])


@pytest.mark.parametrize("strict", [True, False])
def test_load_state_dict_shape_and_dtype_mismatches(strict):
    net = Net()
    original = net.state_dict()
    bad_shape = dict(original, **{"first.weight": np.zeros((3, 2), dtype="float32")})
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad_shape, strict=strict)
    assert "first.weight" in str(info.value) and "(3, 2)" in str(info.value)
    assert "(2, 3)" in str(info.value)
    bad_dtype = dict(
        original,
        **{
            "first.bias": np.zeros(3, dtype="float64"),
            "first.weight": original["first.weight"] + 5,
        },
    )
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(bad_dtype, strict=strict)
    assert "first.bias" in str(info.value) and "float64" in str(info.value)
    # nothing was changed by the failed loads
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, original[name])


def test_repr_is_nested_like_pytorch():
    seq = nn.Sequential(nn.Dense(2, 8, activation="relu"), nn.Sequential(nn.Dense(8, 2), nn.Tanh()))
    assert repr(seq) == (
        "Sequential(\n"
        "  (0): Dense(in_features=2, out_features=8, activation='relu')\n"
        "  (1): Sequential(\n"
        "    (0): Dense(in_features=8, out_features=2)\n"
        "    (1): Tanh()\n"
        "  )\n"
        ")"
    )
    assert "(blocks.1): Block(" in repr(Net())


# --------------------------------------------------------------------------- end to end
def sgd_step(params, lr):
    # a tiny inline optimizer, so these tests do not depend on tinynet.optim
    for p in params:
        p.data -= lr * p.grad


def test_mlp_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
    y = np.array([0, 1, 1, 0])
    model = nn.Sequential(
        nn.Dense(2, 8, activation="tanh", dtype="float64", seed=0),
        nn.Dense(8, 2, dtype="float64", seed=1),
    )
    params = list(model.parameters())
    first = None
    for _ in range(500):
        loss = F.cross_entropy(model(X), y)
        first = loss.item() if first is None else first
        model.zero_grad()
        loss.backward()
        sgd_step(params, lr=0.5)
    assert loss.item() < 0.05 < first
    assert np.array_equal(model(X).numpy().argmax(axis=1), y)


def test_mlp_learns_xor_with_mse_and_sigmoid_output():
    # The documents' setting: sigmoid units, squared error with the 1/2 factor (F4/F10)
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float64")
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(
        nn.Dense(2, 8, activation="tanh", dtype="float64", seed=3),
        nn.Dense(8, 1, activation="sigmoid", dtype="float64", seed=4),
    )
    params = list(model.parameters())
    for _ in range(2000):
        loss = F.mse_loss(model(X), y, reduction="half_sum")
        model.zero_grad()
        loss.backward()
        sgd_step(params, lr=0.5)
    assert np.array_equal(model(X).numpy() > 0.5, y > 0.5)


def make_two_spirals(n_per_class: int = 100, noise: float = 0.1, seed: int = 0):
    """Two interleaved spiral arms (generated here, independent of tinynet.datasets)."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in range(2):
        r = np.linspace(0.25, 1.0, n_per_class)
        theta = 3.0 * np.pi * r + c * np.pi + rng.normal(0.0, noise, n_per_class)
        X.append(np.c_[r * np.cos(theta), r * np.sin(theta)])
        y.append(np.full(n_per_class, c))
    return np.concatenate(X).astype("float32"), np.concatenate(y)


def test_mlp_fits_two_spirals_with_minibatches():
    X, y = make_two_spirals()
    # The task needs the hidden layers: a linear classifier stays far below 95%.
    linear = nn.Dense(2, 2, seed=0)
    for _ in range(300):
        loss = F.cross_entropy(linear(X), y)
        linear.zero_grad()
        loss.backward()
        sgd_step(linear.parameters(), lr=0.5)
    assert (linear(X).numpy().argmax(axis=1) == y).mean() < 0.8

    nn.init.manual_seed(0)
    model = nn.Sequential(
        nn.Dense(2, 64, activation="tanh"),
        nn.Dense(64, 64, activation="tanh"),
        nn.Dense(64, 2),
    )
    params = list(model.parameters())
    velocity = [0 * p.data for p in params]
    loader = tn.data.DataLoader(X, y, batch_size=100, shuffle=True, seed=0)
    for _ in range(1000):
        for xb, yb in loader:
            loss = F.cross_entropy(model(xb), yb)
            model.zero_grad()
            loss.backward()
            for i, p in enumerate(params):  # SGD with momentum 0.9, inline
                velocity[i] = 0.9 * velocity[i] + p.grad
                p.data -= 0.1 * velocity[i]
    with tn.no_grad():
        accuracy = (model(X).numpy().argmax(axis=1) == y).mean()
    assert accuracy >= 0.95
