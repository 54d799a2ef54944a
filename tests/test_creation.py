"""Factories (zeros, ones, full, *_like, arange, randn, rand) and the one global seed."""

from __future__ import annotations

import numpy as np
import pytest

import tinynet as tn
from tinynet import nn
from tinynet.data import DataLoader


def test_zeros_ones_full_values_shapes_dtypes(backend):
    assert tn.zeros(2, 3).shape == (2, 3) and tn.zeros((2, 3)).shape == (2, 3)
    assert tn.zeros([2, 3]).shape == (2, 3) and tn.zeros().shape == ()
    assert tn.zeros(0, 2).shape == (0, 2)
    assert tn.zeros(np.int64(2)).shape == (2,)
    assert tn.zeros(2).dtype == tn.get_default_dtype() == tn.float32
    np.testing.assert_array_equal(tn.ones(2, 2).numpy(), np.ones((2, 2)))
    assert tn.ones(3, dtype="float64").dtype == tn.float64
    assert tn.ones(3, dtype="int32").dtype == np.int32
    assert tn.full((2, 2), 1.5).dtype == tn.float32
    assert tn.full((2,), 3).dtype == np.int64  # as torch.full
    assert tn.full(2, True).dtype == np.bool_
    assert tn.full((2,), 3, dtype="float64").dtype == tn.float64
    np.testing.assert_array_equal(tn.full((2,), -np.inf).numpy(), [-np.inf, -np.inf])
    w = tn.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    (w * 2).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])
    tn.set_default_dtype("float64")
    try:
        assert tn.zeros(2).dtype == tn.float64 and tn.randn(2).dtype == tn.float64
        assert tn.arange(0.5, 2).dtype == tn.float64
    finally:
        tn.set_default_dtype("float32")


def test_like_factories(backend):
    x = tn.tensor(np.arange(6, dtype=np.float64).reshape(2, 3))
    z = tn.zeros_like(x)
    assert z.shape == (2, 3) and z.dtype == tn.float64 and not z.requires_grad
    assert tn.ones_like(x, dtype="float32").dtype == tn.float32
    assert tn.ones_like(np.zeros((2,), dtype=np.int32)).dtype == np.int32
    np.testing.assert_array_equal(tn.full_like(x, 7).numpy(), np.full((2, 3), 7.0))
    assert tn.full_like(x, 7).dtype == tn.float64
    assert tn.zeros_like(x, requires_grad=True).requires_grad


def test_arange(backend):
    np.testing.assert_array_equal(tn.arange(5).numpy(), np.arange(5))
    assert tn.arange(5).dtype == np.int64  # as PyTorch
    np.testing.assert_array_equal(tn.arange(2, 8, 3).numpy(), [2, 5])
    np.testing.assert_array_equal(tn.arange(5, 0, -2).numpy(), [5, 3, 1])
    x = tn.arange(0, 1, 0.25)
    assert x.dtype == tn.float32
    np.testing.assert_array_equal(x.numpy(), [0, 0.25, 0.5, 0.75])
    assert tn.arange(0.0, 3).tolist() == [0.0, 1.0, 2.0]
    assert tn.arange(3, dtype="float64").dtype == tn.float64
    assert tn.arange(0).shape == (0,)
    assert tn.arange(3, dtype="float32", requires_grad=True).requires_grad


def test_rand_and_randn(backend):
    tn.manual_seed(0)
    r = tn.rand(1000, dtype="float32")
    assert r.dtype == tn.float32 and r.shape == (1000,)
    assert (r >= 0).all() and (r < 1).all()
    n = tn.randn(20000, dtype="float64")
    assert abs(float(n.mean())) < 0.05 and abs(float((n * n).mean()) - 1) < 0.05
    assert tn.randn(2, 3).shape == (2, 3) and tn.rand((4,)).shape == (4,)
    assert tn.randn(2, requires_grad=True).requires_grad
    h = tn.rand(10000, dtype="float16")
    assert h.dtype == np.float16 and (h < 1).all()


def test_manual_seed_reproduces_factories_weights_and_batch_order(backend):
    X = np.arange(40.0).reshape(20, 2)

    def everything():
        noise = tn.randn(3, 2).numpy()
        uniform = tn.rand(4).numpy()
        layer = nn.Dense(3, 4)
        loader = DataLoader(X, batch_size=5, shuffle=True)
        order = [tuple(b.numpy()[:, 0]) for b in loader] + [tuple(b.numpy()[:, 0]) for b in loader]
        return noise, uniform, layer.weight.numpy(), order

    tn.manual_seed(123)
    first = everything()
    tn.manual_seed(123)
    second = everything()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert first[3][:4] != first[3][4:]  # each epoch has its own order
    tn.manual_seed(124)
    third = everything()
    assert not np.array_equal(first[0], third[0])
    assert not np.array_equal(first[2], third[2])
    assert first[3] != third[3]


def test_nn_init_manual_seed_is_the_same_generator(backend):
    assert nn.init.manual_seed is tn.manual_seed
    nn.init.manual_seed(5)
    a = tn.randn(3).numpy()
    tn.manual_seed(5)
    np.testing.assert_array_equal(tn.randn(3).numpy(), a)
    assert nn.init.get_rng() is tn.random.get_rng()


def test_explicit_seeds_neither_read_nor_advance_the_global_generator(backend):
    X = np.arange(20.0).reshape(10, 2)
    tn.manual_seed(0)
    reference = tn.randn(3).numpy()
    tn.manual_seed(0)
    nn.Dense(3, 4, seed=1)
    list(DataLoader(X, batch_size=3, shuffle=True, seed=2))
    list(DataLoader(X, batch_size=3))  # no shuffling: draws nothing
    np.testing.assert_array_equal(tn.randn(3).numpy(), reference)
    loader = DataLoader(X, batch_size=3)
    loader.shuffle = True  # switched on later: draws its seed then
    assert sorted(loader.order(0).tolist()) == list(range(10)) and loader.seed is not None


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: tn.zeros(2, -1), ValueError, r"zeros: sizes must be non-negative, got shape \(2, -1\)"),
        (lambda: tn.ones((2, 2.0)), TypeError, r"ones: the shape must be integers, got float 2\.0"),
        (lambda: tn.zeros(True), TypeError, r"zeros: the shape must be integers"),
        (lambda: tn.randn(-3), ValueError, r"randn: sizes must be non-negative"),
        (lambda: tn.rand(2, dtype="int64"), TypeError, r"rand: random numbers need a floating dtype"),
        (lambda: tn.zeros(2, dtype="int64", requires_grad=True), TypeError, r"zeros: only floating-point tensors can require gradients"),
        (lambda: tn.zeros(2, dtype="complex64"), TypeError, r"zeros: unsupported dtype complex64"),
        (lambda: tn.zeros(2, dtype="nonsense"), TypeError, r"zeros: 'nonsense' is not a dtype"),
        (lambda: tn.full((2,), "a"), TypeError, r"full: fill_value must be a real number"),
        (lambda: tn.full((2,), np.nan, dtype="int64"), ValueError, r"full: an integer or bool dtype int64 has no nan"),
        (lambda: tn.zeros_like([1, 2]), TypeError, r"zeros_like: expected a Tensor or an array, got list"),
        (lambda: tn.arange(0, 5, 0), ValueError, r"arange: step must be non-zero"),
        (lambda: tn.arange(5, 0), ValueError, r"arange: end 0 cannot be reached from start 5 with step 1"),
        (lambda: tn.arange(0, np.inf), ValueError, r"arange: end must be finite"),
        (lambda: tn.arange("3"), TypeError, r"arange: end must be a real number, got str"),
        (lambda: tn.manual_seed(2.5), TypeError, r"manual_seed: seed must be an integer .*got float 2\.5"),
        (lambda: tn.manual_seed(-1), ValueError, r"manual_seed: seed must be an integer >= 0, got -1"),
    ],
)  # fmt: skip
def test_factory_errors(backend, call, error, message):
    with pytest.raises(error, match=message):
        call()
