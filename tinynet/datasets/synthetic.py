"""Small generated data sets for teaching (pure numpy, seeded, no files).

Every generator draws from its own ``numpy.random.default_rng(seed)``, so the
same arguments always give the same arrays and the global numpy random state
is never touched.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_linear_regression", "make_moons", "make_spiral"]


def _check_noise(noise: float) -> float:
    noise = float(noise)
    if not noise >= 0.0:  # also rejects NaN
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
    return noise


def make_spiral(
    n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Interleaved spiral arms, one per class (the CS231n "spiral" toy set).

    Point ``i`` of class ``k`` lies at radius ``r_i = i / (n_per_class - 1)``
    and angle ``theta = 2*pi*k / n_classes + 4*r_i + noise * N(0, 1)``, i.e.
    ``x = (r sin(theta), r cos(theta))``.  The arms start together at the
    origin and wind outwards, rotated evenly around it, so the classes are not
    linearly separable.

    Args:
        n_per_class (int): points per class (>= 1). Default: ``100``.
        n_classes (int): number of classes / arms (>= 1). Default: ``3``, as in the
            classic course material and ``tinynet train --dataset spiral``.
        noise (float): standard deviation of the angular noise, in radians. Default: ``0.2``.
        seed (int): seed for ``numpy.random.default_rng``. Default: ``0``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``X`` float64 of shape
        ``(n_per_class * n_classes, 2)`` with ``|x| <= 1``, and ``y`` int64 of
        shape ``(N,)``.  Rows are grouped by class (class 0 first); shuffle
        them before mini-batch training.

    Example:
        >>> X, y = make_spiral(50, 3)
        >>> X.shape, y.shape
        ((150, 2), (150,))
    """
    n_per_class, n_classes = int(n_per_class), int(n_classes)
    if n_per_class < 1 or n_classes < 1:
        raise ValueError(
            f"n_per_class and n_classes must be >= 1, got {n_per_class} and {n_classes}"
        )
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    r = np.linspace(0.0, 1.0, n_per_class)
    X = np.empty((n_per_class * n_classes, 2), dtype=np.float64)
    y = np.repeat(np.arange(n_classes, dtype=np.int64), n_per_class)
    for k in range(n_classes):
        theta = 2.0 * np.pi * k / n_classes + 4.0 * r + noise * rng.standard_normal(n_per_class)
        rows = slice(k * n_per_class, (k + 1) * n_per_class)
        X[rows, 0] = r * np.sin(theta)
        X[rows, 1] = r * np.cos(theta)
    return X, y


def make_moons(
    n_samples: int = 200, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles (as in scikit-learn's ``make_moons``).

    Class 0 is the upper half circle ``(cos t, sin t)``, class 1 the lower one
    ``(1 - cos t, 0.5 - sin t)``, for ``t`` evenly spaced in ``[0, pi]``;
    Gaussian noise of standard deviation ``noise`` is added to both coordinates.

    Args:
        n_samples (int): total number of points (>= 2); class 0 gets
            ``n_samples // 2`` and class 1 the rest. Default: ``200``.
        noise (float): standard deviation of the added noise. Default: ``0.1``.
        seed (int): seed for ``numpy.random.default_rng``. Default: ``0``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``X`` float64 of shape ``(n_samples, 2)``
        and ``y`` int64 of shape ``(n_samples,)``, grouped by class (class 0 first).

    Example:
        >>> X, y = make_moons(100, noise=0.0)
        >>> X.shape, int(y.sum())
        ((100, 2), 50)
    """
    n_samples = int(n_samples)
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2, got {n_samples}")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def make_linear_regression(
    n: int = 100,
    slope: float = 3.0,
    intercept: float = 2.0,
    noise: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Noisy points on a line: ``x = linspace(0, 10, n)``, ``y = slope * x + intercept + eps``.

    ``eps ~ N(0, noise**2)`` independently for each point.  With the defaults
    this is the linear-regression example of the tinynet course notes:
    ``y = 3x + 2 + N(0, 1)`` on 100 points.

    Args:
        n (int): number of points (>= 1). Default: ``100``.
        slope (float): true slope. Default: ``3.0``.
        intercept (float): true intercept. Default: ``2.0``.
        noise (float): standard deviation of ``eps``. Default: ``1.0``.
        seed (int): seed for ``numpy.random.default_rng``. Default: ``0``.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``x`` and ``y``, float64 1-D arrays of length ``n``.

    Example:
        >>> x, y = make_linear_regression()
        >>> x.shape, float(x[0]), float(x[-1])
        ((100,), 0.0, 10.0)
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    noise = _check_noise(noise)
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 10.0, n)
    y = float(slope) * x + float(intercept) + rng.normal(0.0, noise, size=n)
    return x, y
