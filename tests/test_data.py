"""Mini-batching: coverage, partial batches, seeded shuffling, dtypes, validation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinynet as tn
from tinynet.data import DataLoader, batches

SETTINGS = settings(max_examples=40, deadline=None)


def ids_of(batch_list):
    """The sample ids carried in y (y[i] == i in these tests)."""
    return [int(v) for _, yb in batch_list for v in yb.numpy()]


@SETTINGS
@given(
    n=st.integers(1, 60),
    batch_size=st.integers(1, 70),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_sample_exactly_once_per_epoch_and_x_y_stay_aligned(n, batch_size, shuffle, seed):
    X = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    out = list(batches(X, y, batch_size=batch_size, shuffle=shuffle, seed=seed))
    seen = ids_of(out)
    assert sorted(seen) == list(range(n))  # each sample once
    if not shuffle:
        assert seen == list(range(n))
    for xb, yb in out:
        np.testing.assert_array_equal(xb.numpy(), X[yb.numpy()])  # rows travel together
    # sizes: full batches, then the remainder (kept by default)
    sizes = [len(yb) for _, yb in out]
    assert sizes == [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])


@SETTINGS
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70))
def test_drop_last_drops_only_the_partial_batch(n, batch_size):
    out = list(
        batches(
            np.zeros((n, 1)),
            np.arange(n),
            batch_size=batch_size,
            drop_last=True,
            shuffle=True,
            seed=0,
        )
    )
    assert [len(yb) for _, yb in out] == [batch_size] * (n // batch_size)
    assert len(set(ids_of(out))) == (n // batch_size) * batch_size
    loader = DataLoader(np.zeros((n, 1)), batch_size=batch_size, drop_last=True)
    assert len(loader) == n // batch_size == len(list(loader))


def test_len_counts_the_partial_batch():
    assert len(DataLoader(np.zeros((10, 1)), batch_size=4)) == 3
    assert len(DataLoader(np.zeros((12, 1)), batch_size=4)) == 3


def test_same_seed_same_order_and_different_seeds_differ():
    X, y = np.zeros((50, 1)), np.arange(50)
    a = ids_of(batches(X, y, batch_size=7, shuffle=True, seed=1))
    b = ids_of(batches(X, y, batch_size=7, shuffle=True, seed=1))
    c = ids_of(batches(X, y, batch_size=7, shuffle=True, seed=2))
    assert a == b and a != c and a != list(range(50))


def test_dataloader_new_order_each_epoch_reproducible_and_resumable():
    X, y = np.zeros((40, 1)), np.arange(40)
    loader = DataLoader(X, y, batch_size=8, shuffle=True, seed=3)
    epochs = [ids_of(loader) for _ in range(3)]
    assert len({tuple(e) for e in epochs}) == 3  # a different permutation each epoch
    again = DataLoader(X, y, batch_size=8, shuffle=True, seed=3)
    assert [ids_of(again) for _ in range(3)] == epochs
    # resume at epoch 2: the same order as the original run's third epoch
    resumed = DataLoader(X, y, batch_size=8, shuffle=True, seed=3)
    resumed.epoch = 2
    assert ids_of(resumed) == epochs[2]
    # batches(..., epoch=e) is the same sequence
    assert ids_of(batches(X, y, batch_size=8, shuffle=True, seed=3, epoch=1)) == epochs[1]


def test_unseeded_loader_still_changes_order_between_epochs():
    loader = DataLoader(np.zeros((30, 1)), np.arange(30), batch_size=30, shuffle=True)
    assert ids_of(loader) != ids_of(loader)


def test_yields_tensors_with_dtypes_preserved():
    X64 = np.ones((5, 3))
    y_int = np.array([0, 1, 2, 1, 0])
    xb, yb = next(batches(X64, y_int, batch_size=2))
    assert isinstance(xb, tn.Tensor) and isinstance(yb, tn.Tensor)
    assert xb.dtype == np.float64 and yb.dtype.kind == "i"
    assert not xb.requires_grad
    xb32, _ = next(batches(X64, y_int, batch_size=2, dtype="float32"))
    assert xb32.dtype == np.float32
    # without y, only X batches are yielded
    only_x = list(batches(np.ones((5, 2), dtype=np.float32), batch_size=2))
    assert all(isinstance(b, tn.Tensor) for b in only_x) and [len(b) for b in only_x] == [2, 2, 1]
    # nested lists and Tensors are accepted (lists take the default dtype, float32)
    xl = next(batches([[1.0, 2.0], [3.0, 4.0]], batch_size=1))
    assert xl.dtype == np.float32 and xl.shape == (1, 2)
    xt, yt = next(batches(tn.tensor(np.ones((4, 2))), tn.tensor([1, 2, 3, 4]), batch_size=4))
    assert xt.shape == (4, 2) and list(yt.numpy()) == [1, 2, 3, 4]


def test_multidimensional_samples_are_batched_on_the_first_axis():
    X = np.arange(6 * 2 * 3, dtype=np.float32).reshape(6, 2, 3)
    out = list(batches(X, batch_size=4))
    assert [b.shape for b in out] == [(4, 2, 3), (2, 2, 3)]
    np.testing.assert_array_equal(np.concatenate([b.numpy() for b in out]), X)


def test_validation_errors():
    with pytest.raises(ValueError) as info:
        batches(np.zeros((5, 2)), np.zeros(4))
    assert "5" in str(info.value) and "4" in str(info.value)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            batches(np.zeros((5, 2)), batch_size=bad)
    with pytest.raises(ValueError):
        batches(np.float32(3.0))


def test_empty_data_gives_no_batches():
    assert list(batches(np.zeros((0, 2)), np.zeros(0), batch_size=3)) == []
