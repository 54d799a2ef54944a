"""Benchmarks: one training step of an MLP in tinynet and its peers, side by side.

Run from the repository root::

    python -m benchmarks            # full run (several minutes)
    python -m benchmarks --quick    # smoke run (a few seconds)
    python benchmarks/run.py --help

See ``docs/benchmarks.md`` for the method. This package deliberately imports
nothing heavy here: the thread settings (``--threads``) must be put into the
environment *before* numpy or torch is imported, which ``run.py`` does.
"""
