"""Hand-over to PyTorch and back (issue 13, item 4): ``tinynet.interop``.

The tests that need PyTorch take the ``torch`` fixture, which skips them with a reason
when it is not installed (``pip install "tinynet[dev]"`` or ``"tinynet[bench]"`` installs it).
The tests of what happens *without* PyTorch, and of the lazy import, run everywhere.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynet as tn
from tinynet import nn
from tinynet.interop import from_torch, load_checkpoint_to_torch, to_torch

NO_TORCH = "PyTorch is not installed (it comes with the dev and bench extras: pip install -e '.[dev]')"


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch", reason=NO_TORCH)
    torch.set_num_threads(1)  # small matrices; the machine's two cores are shared
    return torch


def _inputs(n: int, features: int, dtype: str, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, features)).astype(dtype)


def _tn_out(model: nn.Module, x: np.ndarray) -> np.ndarray:
    with tn.no_grad():
        return model(tn.tensor(x)).numpy()


def _torch_out(torch, model, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def _mlp(dtype: str) -> nn.Sequential:
    return nn.Sequential(
        nn.Dense(5, 7, dtype=dtype, seed=1),
        nn.ReLU(),
        nn.Dense(7, 6, activation="tanh", dtype=dtype, seed=2),
        nn.Dense(6, 4, bias=False, dtype=dtype, seed=3),
        nn.LeakyReLU(0.2),
        nn.Dense(4, 3, activation="sigmoid", dtype=dtype, seed=4),
        nn.Dense(3, 3, dtype=dtype, seed=5),
        nn.LogSoftmax(axis=1),
    )


# ----------------------------------------------------------------------- without PyTorch


def test_import_does_not_import_torch() -> None:
    code = (
        "import sys, tinynet, tinynet.interop\n"
        "print('torch' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        env={"TINYNET_BACKEND": "numpy", "PATH": ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_without_torch_each_function_says_how_to_install_it(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    model = nn.Sequential(nn.Dense(2, 2, seed=0))
    for call, name in (
        (lambda: to_torch(model), "to_torch"),
        (lambda: from_torch(object()), "from_torch"),
        (lambda: load_checkpoint_to_torch(tmp_path / "missing.npz"), "load_checkpoint_to_torch"),
    ):
        with pytest.raises(ModuleNotFoundError, match=rf"tinynet.interop.{name} needs PyTorch.*tinynet\[bench\]"):
            call()


# ----------------------------------------------------------------------- tinynet -> PyTorch


def test_to_torch_transposes_weights_and_keeps_biases_and_dtype(torch) -> None:
    for dtype in ("float32", "float64"):
        model = _mlp(dtype)
        tmodel = to_torch(model)
        assert isinstance(tmodel, torch.nn.Sequential)
        kinds = [type(m).__name__ for m in tmodel]
        assert kinds == [
            "Linear", "ReLU", "Linear", "Tanh", "Linear", "LeakyReLU", "Linear", "Sigmoid",
            "Linear", "LogSoftmax",
        ]  # fmt: skip
        linears = [m for m in tmodel if isinstance(m, torch.nn.Linear)]
        denses = [m for m in model if isinstance(m, nn.Dense)]
        for lin, dense in zip(linears, denses, strict=True):
            assert lin.weight.shape == (dense.out_features, dense.in_features)
            assert lin.weight.dtype == getattr(torch, dtype)
            np.testing.assert_array_equal(lin.weight.detach().numpy(), dense.weight.numpy().T)
            if dense.bias is None:
                assert lin.bias is None
            else:
                np.testing.assert_array_equal(lin.bias.detach().numpy(), dense.bias.numpy())
            assert lin.weight.requires_grad
        assert tmodel[5].negative_slope == 0.2 and tmodel[9].dim == 1


def test_to_torch_copies_the_weights(torch) -> None:
    model = nn.Sequential(nn.Dense(3, 2, seed=0))
    before = model[0].weight.numpy().copy()
    tmodel = to_torch(model)
    with torch.no_grad():
        tmodel[0].weight.add_(1.0)
    np.testing.assert_array_equal(model[0].weight.numpy(), before)


def test_round_trip_float64_gives_the_same_predictions(torch) -> None:
    model = _mlp("float64")
    x = _inputs(64, 5, "float64")
    want = _tn_out(model, x)
    tmodel = to_torch(model)
    np.testing.assert_allclose(_torch_out(torch, tmodel, x), want, rtol=1e-12, atol=1e-14)
    back = from_torch(tmodel)
    np.testing.assert_array_equal(_tn_out(back, x), want)  # the same weights, the same ops
    # Dense(activation=...) came back as Dense + activation: same parameters, other positions
    assert [p.shape for p in back.parameters()] == [p.shape for p in model.parameters()]
    for p, q in zip(model.parameters(), back.parameters(), strict=True):
        assert p.dtype == q.dtype == np.float64
        np.testing.assert_array_equal(q.numpy(), p.numpy())


def test_round_trip_float32_agrees_to_rounding(torch) -> None:
    model = _mlp("float32")
    x = _inputs(256, 5, "float32")
    want = _tn_out(model, x)
    got = _torch_out(torch, to_torch(model), x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))


def test_softmax_and_single_modules(torch) -> None:
    model = nn.Sequential(nn.Dense(4, 3, activation="softmax", seed=0))
    x = _inputs(10, 4, "float32")
    tmodel = to_torch(model)
    assert isinstance(tmodel[1], torch.nn.Softmax) and tmodel[1].dim == -1
    np.testing.assert_allclose(_torch_out(torch, tmodel, x), _tn_out(model, x), rtol=1e-5, atol=1e-7)
    single = to_torch(nn.Dense(4, 2, activation="leaky_relu", seed=0))
    assert [type(m).__name__ for m in single] == ["Linear", "LeakyReLU"]
    assert single[1].negative_slope == 0.01


def test_nested_sequential_and_mode_are_kept(torch) -> None:
    model = nn.Sequential(nn.Sequential(nn.Dense(3, 4, seed=0), nn.Tanh()), nn.Dense(4, 2, seed=1))
    model.eval()
    tmodel = to_torch(model)
    assert isinstance(tmodel[0], torch.nn.Sequential) and not tmodel.training and not tmodel[0].training
    x = _inputs(8, 3, "float64").astype("float32")
    np.testing.assert_allclose(_torch_out(torch, tmodel, x), _tn_out(model, x), rtol=1e-5, atol=1e-6)
    back = from_torch(tmodel)
    assert isinstance(back[0], nn.Sequential) and not back.training


def test_to_torch_refuses_what_it_cannot_convert(torch) -> None:
    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Dense(2, 2, seed=0)

        def forward(self, x):
            return self.fc(x) * 2

    class ScaledDense(nn.Dense):
        def forward(self, x):
            return super().forward(x) * 2

    with pytest.raises(TypeError, match=r"model\[1\], a .*MLP \(a custom Module.*supported tinynet modules: Sequential, Dense"):
        to_torch(nn.Sequential(nn.ReLU(), MLP()))
    with pytest.raises(TypeError, match=r"model\[0\], a .*ScaledDense \(a subclass of a supported module"):
        to_torch(nn.Sequential(ScaledDense(2, 2, seed=0)))
    with pytest.raises(TypeError, match=r"to_torch: cannot convert model\[0\]\[1\], a .*MSELoss"):
        to_torch(nn.Sequential(nn.Sequential(nn.Dense(2, 2, seed=0), nn.MSELoss())))
    with pytest.raises(TypeError, match="expected a tinynet.nn.Sequential.*got builtins.list"):
        to_torch([nn.Dense(2, 2, seed=0)])


# ----------------------------------------------------------------------- PyTorch -> tinynet


def test_from_torch_transposes_and_predicts_the_same(torch) -> None:
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(
        torch.nn.Linear(6, 9), torch.nn.Sigmoid(), torch.nn.Linear(9, 5, bias=False),
        torch.nn.ReLU(inplace=True), torch.nn.Linear(5, 4), torch.nn.Softmax(dim=-1),
    )  # fmt: skip
    model = from_torch(tmodel)
    assert [type(m).__name__ for m in model] == ["Dense", "Sigmoid", "Dense", "ReLU", "Dense", "Softmax"]
    assert model[0].weight.shape == (6, 9) and model[2].bias is None
    np.testing.assert_array_equal(model[0].weight.numpy(), tmodel[0].weight.detach().numpy().T)
    np.testing.assert_array_equal(model[0].bias.numpy(), tmodel[0].bias.detach().numpy())
    x = _inputs(128, 6, "float32")
    want = _torch_out(torch, tmodel, x)
    got = _tn_out(model, x)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(got.argmax(axis=1), want.argmax(axis=1))

    tmodel64 = tmodel.double()
    x64 = x.astype("float64")
    np.testing.assert_allclose(
        _tn_out(from_torch(tmodel64), x64), _torch_out(torch, tmodel64, x64), rtol=1e-12, atol=1e-15
    )
    # and back again: exactly the weights PyTorch started with
    again = to_torch(from_torch(tmodel64))
    for a, b in zip(again.parameters(), tmodel64.parameters()):
        assert torch.equal(a, b)


def test_from_torch_leaves_the_global_seed_alone(torch) -> None:
    tn.manual_seed(3)
    expected = tn.randn(4).numpy()
    tn.manual_seed(3)
    from_torch(torch.nn.Sequential(torch.nn.Linear(3, 2)))
    np.testing.assert_array_equal(tn.randn(4).numpy(), expected)


def test_from_torch_refuses_what_tinynet_has_no_layer_for(torch) -> None:
    tnn = torch.nn

    class MyLinear(tnn.Linear):
        pass

    cases = [
        (tnn.Sequential(tnn.Linear(2, 2), tnn.Dropout(0.5)), r"module\[1\], a torch.nn.modules.dropout.Dropout"),
        (tnn.Sequential(tnn.Sequential(tnn.Conv1d(1, 1, 3))), r"module\[0\]\[0\], a .*Conv1d"),
        (tnn.Sequential(MyLinear(2, 2)), r"module\[0\], a .*MyLinear \(a subclass of a supported module"),
        (tnn.Sequential(tnn.Linear(2, 2), tnn.Softmax()), r"module\[1\] is torch.nn.Softmax\(dim=None\)"),
        (tnn.Sequential(tnn.Linear(2, 2).half()), r"module\[0\] .* has dtype torch.float16"),
    ]
    for module, pattern in cases:
        with pytest.raises(TypeError, match=pattern):
            from_torch(module)
    with pytest.raises(TypeError, match="Supported torch modules: Sequential, Linear"):
        from_torch(tnn.BatchNorm1d(3))
    with pytest.raises(TypeError, match="expected a torch.nn.Module.*got tinynet.nn.layers.Dense"):
        from_torch(nn.Dense(2, 2, seed=0))


def test_from_torch_single_module(torch) -> None:
    lin = torch.nn.Linear(3, 2, dtype=torch.float64)
    model = from_torch(lin)
    assert isinstance(model, nn.Sequential) and len(model) == 1
    x = _inputs(4, 3, "float64")
    np.testing.assert_allclose(_tn_out(model, x), _torch_out(torch, lin, x), rtol=1e-12, atol=1e-15)


# ----------------------------------------------------------------------- a trained checkpoint


@pytest.mark.slow
def test_trained_digits_checkpoint_predicts_the_same_in_pytorch(torch, tmp_path: Path) -> None:
    from tinynet.train import TrainConfig, evaluate, fit, save_run

    result = fit(TrainConfig(epochs=3))
    paths = save_run(result, tmp_path, plot=False)
    data = result.data
    _, acc, tn_pred = evaluate(result.model, data.X_test, data.y_test)

    tmodel, ckpt = load_checkpoint_to_torch(paths["checkpoint"])
    assert not tmodel.training
    # new raw test images, standardised with the checkpoint's statistics, as a user would
    raw, labels = tn.datasets.load_digits("test")
    norm = ckpt["normalization"]
    X = ((raw - norm["mean"]) / norm["std"]).astype(np.float32)
    np.testing.assert_allclose(X, data.X_test, rtol=1e-6, atol=1e-6)
    torch_logits = _torch_out(torch, tmodel, X)
    tn_logits = _tn_out(result.model, X)
    np.testing.assert_allclose(torch_logits, tn_logits, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(torch_logits.argmax(axis=1), tn_pred)
    assert (torch_logits.argmax(axis=1) == labels).mean() == acc > 0.9

    # and back: a model trained on in PyTorch returns to tinynet with PyTorch's predictions
    opt = torch.optim.SGD(tmodel.parameters(), lr=0.01)
    xb, yb = torch.from_numpy(data.X_train[:64]), torch.from_numpy(data.y_train[:64])
    tmodel.train()
    loss = torch.nn.functional.cross_entropy(tmodel(xb), yb)
    opt.zero_grad()
    loss.backward()
    opt.step()
    tmodel.eval()
    back = from_torch(tmodel)
    after = _torch_out(torch, tmodel, X)
    assert not np.allclose(after, torch_logits)  # the step changed the model
    np.testing.assert_allclose(_tn_out(back, X), after, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(_tn_out(back, X).argmax(axis=1), after.argmax(axis=1))
