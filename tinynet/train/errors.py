"""The errors of :mod:`tinynet.train`: problems the caller can fix, worded for a library caller.

:class:`ConfigError` for a bad setting, :class:`DataError` for unusable data,
:class:`TooLargeError` when the model would not fit in memory. A front end (``tinynet
train``) catches :class:`TrainError` and rewords it for its own users.
"""

from __future__ import annotations

__all__ = ["TrainError", "ConfigError", "DataError", "TooLargeError"]


class TrainError(Exception):
    """Base class of the errors of :mod:`tinynet.train`: problems the caller can fix."""


class ConfigError(TrainError, ValueError):
    """A bad :class:`~tinynet.train.TrainConfig` setting.

    ``field`` is the name of the setting (``"lr"``), ``problem`` what is wrong with it,
    including the value (``"must be a finite number > 0, got -0.1"``); a front end can
    reword the field (``tinynet train`` says ``--lr``).
    """

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"TrainConfig.{field} {problem}")
        self.field = field
        self.problem = problem


class DataError(TrainError, ValueError):
    """The data cannot be trained on: unreadable, empty, inconsistent or not finite."""


class TooLargeError(TrainError, MemoryError):
    """The model (or a batch of it) would need more memory than is available."""
