"""Survey items: which construct each measures, its scale and its direction.

The default item set is the Understanding Society one, in
Understanding Society (UKHLS) coding. Items are recoded so that higher = better on every
construct except ``stress``, where higher = more stress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .clusters import CONSTRUCTS
from .errors import ConfigError

__all__ = ["DEFAULT_ITEMS", "Item", "items_by_construct", "parse_items"]


@dataclass(frozen=True)
class Item:
    """One survey item.

    Parameters
    ----------
    name : str
        Variable name without the wave prefix (``sclfsato``).
    construct : str
        Construct the item is meant to measure.
    low, high : int
        Lowest and highest valid code.
    better : {"higher", "lower"}
        Whether a higher code is the better state, as published.
    description : str
        Short wording for tables.
    """

    name: str
    construct: str
    low: int
    high: int
    better: str
    description: str = ""

    def __post_init__(self) -> None:
        if self.better not in ("higher", "lower"):
            raise ConfigError(
                f"Item {self.name!r}: 'better' must be 'higher' or 'lower'; got {self.better!r}."
            )
        if not self.low < self.high:
            raise ConfigError(
                f"Item {self.name!r}: scale low ({self.low}) must be below high ({self.high})."
            )

    @property
    def reverse(self) -> bool:
        """True when the code must be reversed to reach the construct direction.

        Constructs run higher = better, except ``stress``, which runs higher = more stress.
        """
        higher_is_better_wanted = self.construct != "stress"
        return (self.better == "higher") != higher_is_better_wanted


def _items(construct: str, low: int, high: int, better: str, spec: str) -> list[Item]:
    out = []
    for part in spec.split(";"):
        name, _, text = part.strip().partition(" ")
        out.append(Item(name, construct, low, high, better, text.strip("() ")))
    return out


#: The default item set.
DEFAULT_ITEMS: tuple[Item, ...] = tuple(
    _items(
        "wellbeing", 1, 7, "higher", "sclfsato (life); sclfsat2 (income); sclfsat7 (leisure time)"
    )
    + _items("wellbeing", 1, 5, "lower", "finnow (managing financially)")
    + _items(
        "belonging",
        1,
        5,
        "lower",
        "scopngbha (belong); scopngbhb (local friendships matter); "
        "scopngbhf (plan to stay); scopngbhg (similar to neighbours)",
    )
    + _items(
        "solidarity",
        1,
        5,
        "lower",
        "scopngbhc (could get advice locally); scopngbhd (borrow and exchange favours); "
        "scopngbhe (willing to work together); scopngbhh (talk to neighbours regularly)",
    )
    + _items(
        "capability",
        1,
        4,
        "lower",
        "scghqa (concentrate); scghqc (useful part); scghqd (capable of decisions); "
        "scghqh (face up to problems)",
    )
    + _items(
        "stress",
        1,
        4,
        "lower",
        "scghqb (lost sleep); scghqe (under strain); scghqf (couldn't overcome difficulties); "
        "scghqi (unhappy or depressed); scghqj (losing confidence); scghqk (worthless)",
    )
)


def items_by_construct(items: Iterable[Item]) -> dict[str, list[Item]]:
    """Group items by construct, constructs in their canonical order first.

    Examples
    --------
    >>> {k: len(v) for k, v in items_by_construct(DEFAULT_ITEMS).items()}
    {'wellbeing': 4, 'belonging': 4, 'solidarity': 4, 'capability': 4, 'stress': 6}
    """
    groups: dict[str, list[Item]] = {}
    for it in items:
        groups.setdefault(it.construct, []).append(it)
    order = [c for c in CONSTRUCTS if c in groups] + [c for c in groups if c not in CONSTRUCTS]
    return {c: groups[c] for c in order}


def parse_items(spec: Iterable[Item | Mapping[str, object]] | None) -> tuple[Item, ...]:
    """Turn an item specification into :class:`Item` objects.

    ``None`` gives :data:`DEFAULT_ITEMS`. Each mapping needs ``name``, ``construct``,
    ``low``, ``high`` and ``better`` (as in the ``[[survey.items]]`` config tables).
    """
    if spec is None:
        return DEFAULT_ITEMS
    out: list[Item] = []
    for i, entry in enumerate(spec):
        if isinstance(entry, Item):
            out.append(entry)
            continue
        missing = [k for k in ("name", "construct", "low", "high", "better") if k not in entry]
        if missing:
            raise ConfigError(
                f"Survey item {i + 1} ({entry.get('name', '?')!r}) lacks {', '.join(missing)}. "
                "Each item needs name, construct, low, high and better ('higher' or 'lower')."
            )
        out.append(
            Item(
                str(entry["name"]),
                str(entry["construct"]),
                int(entry["low"]),  # type: ignore[call-overload]
                int(entry["high"]),  # type: ignore[call-overload]
                str(entry["better"]),
                str(entry.get("description", "")),
            )
        )
    names = [it.name for it in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ConfigError(f"Survey items listed twice: {', '.join(dupes)}. List each item once.")
    return tuple(out)
