"""Packaging promises: `import tinynet` is light, and the public names are where the docs say."""

from __future__ import annotations

import subprocess
import sys


def test_import_needs_only_numpy_and_tqdm():
    code = (
        "import sys, tinynet, tinynet.nn, tinynet.optim, tinynet.data, tinynet.datasets, "
        "tinynet.train, tinynet.audit, tinynet.serialization\n"
        "heavy = ('matplotlib', 'hypothesis', 'torch', 'scipy', 'pytest', 'nbformat', 'cupy')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    env_code = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"TINYNET_BACKEND": "numpy", "PATH": ""},
    )
    assert env_code.returncode == 0, env_code.stderr
    assert env_code.stdout.strip() == "", f"imported heavy modules: {env_code.stdout}"


def test_public_api_names():
    import tinynet as tn

    for name in (
        "Tensor", "Parameter", "Function", "tensor", "no_grad", "gradcheck", "numerical_grad",
        "central_difference", "GradcheckError", "backend_name", "save", "load", "nn", "optim",
        "data", "datasets",
    ):  # fmt: skip
        assert getattr(tn, name) is not None, name
    assert tn.optim.Adam and tn.nn.Dense and tn.datasets.load_digits
