"""Bad-input tests grouped by layer: core, nn, optim, files, data sets, command line.

A package (not a plain folder) because its module names repeat top-level test module
names (``test_datasets``, ``test_optim``); pytest's default import mode needs them
to live under distinct package paths.
"""
