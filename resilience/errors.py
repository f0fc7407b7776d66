"""Exceptions and warnings raised by :mod:`resilience`.

Every error about the user's data or configuration derives from :class:`InputDataError`,
which is also a :class:`ValueError`, so callers can catch either. The command line turns
any :class:`ResilienceError` into exit status 2 with its message; anything else is an
internal error (exit status 1).

Messages follow one pattern: what is wrong, where (file, column), examples of the
offending values, and how to fix it. :func:`format_examples` keeps example lists short;
:func:`check_entry` checks the keys of a config table the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "CodeMatchError",
    "ConfigError",
    "DataQualityWarning",
    "DisclosureWarning",
    "InputDataError",
    "ModelFitError",
    "NotFittedError",
    "OutputExistsError",
    "PoorLabelMatchWarning",
    "ResilienceError",
    "ResilienceWarning",
    "check_entry",
    "format_examples",
]


class ResilienceError(Exception):
    """Base class of every error raised on purpose by :mod:`resilience`."""


class InputDataError(ResilienceError, ValueError):
    """An input file or frame is missing, malformed or inconsistent."""


class ConfigError(InputDataError):
    """The configuration file or a parameter is invalid."""


class CodeMatchError(InputDataError):
    """Area codes in two inputs that must join do not match well enough."""


class OutputExistsError(ResilienceError, FileExistsError):
    """The output folder exists and overwriting was not requested."""


class ModelFitError(ResilienceError, RuntimeError):
    """A model could not be fitted to the data it was given."""


class NotFittedError(ResilienceError, AttributeError):
    """A model was used before ``fit`` was called."""


class ResilienceWarning(UserWarning):
    """Base class of the warnings issued by :mod:`resilience`."""


class DataQualityWarning(ResilienceWarning):
    """Input data were usable but something was repaired, dropped or assumed."""


class DisclosureWarning(ResilienceWarning):
    """Estimates were suppressed or replaced to protect small respondent counts."""


class PoorLabelMatchWarning(ResilienceWarning):
    """Fitted clusters match the six resilience profiles poorly."""


def format_examples(values: Iterable[object], limit: int = 5) -> str:
    """Format up to ``limit`` values for an error message, noting how many were left out.

    Examples
    --------
    >>> print(format_examples(["E01000001", "E01000002"]))
    'E01000001', 'E01000002'
    >>> print(format_examples(range(8), limit=3))
    0, 1, 2 (and 5 more)
    """
    values = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:limit])
    if len(values) > limit:
        shown += f" (and {len(values) - limit} more)"
    return shown


def check_entry(entry: object, allowed: Sequence[str], *, where: str, like: str) -> None:
    """Check that a config entry is a table whose keys are all ``allowed``.

    Parameters
    ----------
    entry : object
        The entry as parsed (a TOML inline table is a dict).
    allowed : sequence of str
        Its keys, in the order the message lists them.
    where : str
        How the entry is named in messages, e.g. ``"item 2 of 'items' in [survey]"``.
    like : str
        An example of a good entry, shown when it is not a table.

    Raises
    ------
    ConfigError
        Naming the entry and the unknown keys, with the allowed ones.

    Examples
    --------
    >>> check_entry({"colour": 1}, ("column",), where="indicator 1", like="{ column = ... }")
    Traceback (most recent call last):
    ...
    resilience.errors.ConfigError: Unknown key 'colour' in indicator 1. Allowed keys: column.
    """
    if not isinstance(entry, Mapping):
        raise ConfigError(
            f"{where[:1].upper()}{where[1:]} must be a table like {like}; got {entry!r}."
        )
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        raise ConfigError(
            f"Unknown key {format_examples(unknown)} in {where}. Allowed keys: "
            f"{', '.join(allowed)}."
        )
