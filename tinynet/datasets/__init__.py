"""Data sets for tinynet: bundled, generated, or read from files you already have.

Nothing here downloads anything at run time.  All loaders return numpy arrays
``(X, y)`` on the host; move them to the active backend with
``tinynet.backend.asarray`` if needed.

Bundled
    :func:`load_digits` -- UCI optical handwritten digits, 1,797 8x8 images,
    10 classes, with a fixed stratified 80/20 train/test split.  Source:
    E. Alpaydin, C. Kaynak, "Optical Recognition of Handwritten Digits", UCI
    Machine Learning Repository, 1998, DOI 10.24432/C50P49; licence CC BY 4.0.
    The copy in ``tinynet/datasets/data/digits.npz`` (about 45 KB, sha256 checked on
    load) was taken from scikit-learn's bundled ``digits.csv.gz``; see
    ``data/DIGITS_LICENSE.md``.

Generated (pure numpy, ``numpy.random.default_rng(seed)``; no licence concerns)
    :func:`make_spiral` -- interleaved spiral arms (CS231n-style toy problem).
    :func:`make_moons` -- two interleaving half circles.
    :func:`make_linear_regression` -- ``y = 3x + 2 + N(0, 1)`` on ``linspace(0, 10, 100)``.

From your own files
    :func:`load_mnist`, :func:`load_mnist_idx`, :func:`read_idx` -- MNIST in the
    IDX format (plain or gzip).  MNIST: Y. LeCun, C. Cortes, C. J. C. Burges,
    "The MNIST database of handwritten digits"; CC BY-SA 3.0.  Not bundled.

Optional package
    :func:`load_mnist1d` -- MNIST-1D (S. Greydanus, D. Kobak, 2020/2024),
    generated offline by the ``mnist1d`` package (Apache-2.0) if it is
    installed: ``pip install mnist1d``.
"""

from tinynet.datasets._mnist1d import load_mnist1d
from tinynet.datasets.digits import (
    DIGITS_PATH,
    DIGITS_SHA256,
    DatasetChecksumError,
    digits_split_indices,
    load_digits,
)
from tinynet.datasets.mnist import IDX_DTYPES, MNIST_FILES, load_mnist, load_mnist_idx, read_idx
from tinynet.datasets.synthetic import make_linear_regression, make_moons, make_spiral

__all__ = [
    "DIGITS_PATH",
    "DIGITS_SHA256",
    "DatasetChecksumError",
    "IDX_DTYPES",
    "MNIST_FILES",
    "digits_split_indices",
    "load_digits",
    "load_mnist",
    "load_mnist1d",
    "load_mnist_idx",
    "make_linear_regression",
    "make_moons",
    "make_spiral",
    "read_idx",
]
