"""fenlei's exceptions: one base class, fenlei.Error, and a subclass per kind of failure that is
also the built-in exception a Python programmer would catch for it (ValueError, OSError, ...).
Messages are the ones the fenlei CLI prints."""


class Error(Exception):
    """Base class of every error fenlei raises."""


class InvalidArgumentError(Error, ValueError):
    """Bad input: a setting, a text that is not UTF-8, a malformed data row, an unknown label."""


class NotFoundError(Error, FileNotFoundError):
    """A file that does not exist (model, data, dictionary)."""


class DataLossError(Error, OSError):
    """A truncated or corrupt file (bad checksum, short read)."""


class FailedPreconditionError(Error, RuntimeError):
    """The right kind of input in the wrong state, e.g. quantizing an int8 model."""


class UnimplementedError(Error, NotImplementedError):
    """A model file written by a newer fenlei."""


__all__ = [
    "Error",
    "InvalidArgumentError",
    "NotFoundError",
    "DataLossError",
    "FailedPreconditionError",
    "UnimplementedError",
]
