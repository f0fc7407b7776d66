"""Several survey waves: ``[survey] waves`` checked and read, one wave at a time.

Two layouts are accepted.

Several files (one per wave, as the UK Data Service distributes Understanding Society)::

    [survey]
    levels = ["oac_supergroup", "oac_group", "oac_subgroup"]
    waves = [
      { path = "i_indresp.tab", prefix = "i_", weight = "i_indscui_xw", label = "wave 9" },
      { path = "l_indresp.tab", prefix = "l_", weight = "l_indscui_xw", label = "wave 12" },
    ]

One long file with a wave column (``[survey] path`` and ``wave_column``; each entry names
its ``wave`` value and, optionally, its own ``prefix`` and ``weight``)::

    [survey]
    path = "long.tab"
    wave_column = "wave"
    levels = ["oac_supergroup", "oac_group", "oac_subgroup"]
    waves = [{ wave = "9", weight = "indscui_xw" }, { wave = "12", weight = "indscui_xw" }]

Waves are listed from the earliest to the latest; change is always later − earlier. Every
wave is read by :func:`~resilience.inputs.survey.read_survey` (so it is checked exactly as
a single-wave run's survey is). ``wave_model`` chooses one pooled survey model
(``"pooled"``, the default: the same clusters for every wave) or per-wave fits whose
labels are matched to the pooled profiles (``"per_wave"``). ``classification_vintage``
chooses the same area classification for every wave (``"same"``, the default: change is
change within area types) or each wave's own (``"own"``: each entry then gives a
``classification = { path, code, levels }`` table, and change includes areas that were
reclassified); see step 12 of the method note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ConfigError, check_entry, format_examples
from .survey import SurveyInfo, read_survey

if TYPE_CHECKING:
    from ..config import Config

__all__ = [
    "VINTAGES",
    "WAVE_KEYS",
    "WAVE_MODELS",
    "Wave",
    "check_waves",
    "read_wave",
    "read_waves",
    "stack_waves",
    "wave_files",
]

#: Keys of one ``[survey] waves`` entry.
WAVE_KEYS = ("path", "prefix", "weight", "label", "wave", "levels", "classification")
#: Values of ``[survey] wave_model``.
WAVE_MODELS = ("pooled", "per_wave")
#: Values of ``[survey] classification_vintage``.
VINTAGES = ("same", "own")
_CLASSIFICATION_KEYS = ("path", "code", "levels", "sheet", "layer")


@dataclass
class Wave:
    """One survey wave, read.

    Attributes
    ----------
    label : str
        How outputs name the wave (``"wave 9"``, ``"2015"``).
    survey : DataFrame
        As returned by :func:`~resilience.inputs.survey.read_survey`.
    info : SurveyInfo
        What was found in the file.
    classification : DataFrame or None
        The wave's own OA classification (``classification_vintage = "own"``), indexed
        by OA code with the survey's level columns; None to use the run's.
    """

    label: str
    survey: pd.DataFrame
    info: SurveyInfo
    classification: pd.DataFrame | None = None


def _label(entry: Mapping[str, Any], i: int) -> str:
    if entry.get("label"):
        return str(entry["label"])
    if entry.get("wave") is not None:
        return f"wave {entry['wave']}"
    if entry.get("prefix"):
        return str(entry["prefix"]).rstrip("_")
    return f"wave {i + 1}"


def _resolve(value: str, base: Path, where: str) -> str:
    p = Path(value).expanduser()
    p = p if p.is_absolute() else base / p
    if not p.exists():
        raise ConfigError(
            f"'path' in {where}: file {value!r} not found (looked for {str(p)!r}; paths are "
            "relative to the config file)."
        )
    return str(p.resolve())


def _check_entry(
    entry: Any, i: int, survey: Mapping[str, Any], base: Path, check_files: bool
) -> dict[str, Any]:
    where = f"entry {i + 1} of [survey] waves"
    like = '{ path = "i_indresp.tab", prefix = "i_", weight = "i_indscui_xw" }'
    check_entry(entry, WAVE_KEYS, where=where, like=like)
    for key in ("path", "prefix", "weight", "label"):
        if key in entry and not isinstance(entry[key], str):
            raise ConfigError(f"'{key}' of {where} must be text; got {entry[key]!r}.")
    out = dict(entry)
    long = survey.get("wave_column") is not None
    if long:
        if "path" in entry:
            raise ConfigError(
                f"{where.capitalize()} has a 'path', but [survey] wave_column says the waves "
                "are rows of one long file ([survey] path). Give either one file per wave "
                "(no wave_column) or 'wave = ...' in each entry."
            )
        if "wave" not in entry:
            raise ConfigError(
                f"'wave' is missing from {where}: with [survey] wave_column = "
                f"{survey['wave_column']!r} each entry names its value in that column."
            )
    else:
        if "path" not in entry:
            raise ConfigError(
                f"'path' is missing from {where} (one file per wave), or give [survey] path "
                "and wave_column for one long file with a wave column."
            )
        if check_files:
            out["path"] = _resolve(entry["path"], base, where)
    levels = entry.get("levels")
    if levels is not None and (
        not isinstance(levels, list) or len(levels) != len(survey["levels"])
    ):
        raise ConfigError(
            f"'levels' of {where} must list {len(survey['levels'])} columns, coarse to fine, "
            f"like [survey] levels; got {levels!r}."
        )
    cls = entry.get("classification")
    vintage = survey["classification_vintage"]
    if vintage == "same" and cls is not None:
        raise ConfigError(
            f"{where.capitalize()} has its own 'classification', but [survey] "
            'classification_vintage is "same" (every wave uses [classification]). Set '
            'classification_vintage = "own" to use each wave\'s own classification.'
        )
    if vintage == "own":
        if not isinstance(cls, dict) or "path" not in cls:
            raise ConfigError(
                f"{where.capitalize()} needs 'classification = {{ path = ..., code = ..., "
                'levels = [...] }\' because [survey] classification_vintage = "own".'
            )
        check_entry(
            cls, _CLASSIFICATION_KEYS, where=f"the classification of {where}", like="{ path = ... }"
        )
        out["classification"] = dict(cls)
        if check_files:
            out["classification"]["path"] = _resolve(cls["path"], base, f"{where} classification")
    out["label"] = _label(entry, i)
    return out


def check_waves(
    survey: Mapping[str, Any], base: Path, *, check_files: bool = True
) -> dict[str, Any]:
    """Check the wave keys of a validated ``[survey]`` section; return it completed.

    Each entry gets a ``label`` and absolute paths.

    Raises
    ------
    ConfigError
        Naming the entry and the key.

    Examples
    --------
    >>> s = {"path": None, "levels": ["sg"], "waves": [{"wave": "1"}, {"wave": "6"}],
    ...      "wave_column": "wave", "wave_model": "pooled", "classification_vintage": "same"}
    >>> [w["label"] for w in check_waves({**s, "path": "long.tab"}, Path("."),
    ...                                  check_files=False)["waves"]]
    ['wave 1', 'wave 6']
    """
    out = dict(survey)
    waves = out.get("waves")
    if waves is None:
        if out.get("path") is None:
            raise ConfigError(
                "'path' in [survey] is required but missing (or give several waves in "
                "[survey] waves = [{ path = ..., prefix = ..., weight = ... }, ...])."
            )
        return out
    for key, allowed in (("wave_model", WAVE_MODELS), ("classification_vintage", VINTAGES)):
        if out[key] not in allowed:
            raise ConfigError(
                f"'{key}' in [survey] must be {' or '.join(repr(a) for a in allowed)}; got "
                f"{out[key]!r}."
            )
    if len(waves) < 2:
        raise ConfigError(
            f"[survey] waves lists {len(waves)} wave(s); change over time needs at least two "
            "(earliest first). For one wave use [survey] path."
        )
    long = out.get("wave_column") is not None
    if long and out.get("path") is None:
        raise ConfigError(
            "[survey] wave_column is given but [survey] path is not: name the long file "
            "that holds every wave."
        )
    if not long and out.get("path") is not None:
        raise ConfigError(
            "[survey] has both 'path' and a list of 'waves' with their own files. Leave "
            "'path' out, or give wave_column to read every wave from that one file."
        )
    checked = [_check_entry(e, i, out, base, check_files) for i, e in enumerate(waves)]
    labels = [w["label"] for w in checked]
    if len(set(labels)) != len(labels):
        raise ConfigError(
            f"[survey] waves have repeated labels {format_examples(labels)}; give each entry "
            "its own 'label'."
        )
    out["waves"] = checked
    return out


def wave_files(survey: Mapping[str, Any]) -> dict[str, Path]:
    """The files the waves name, by role (``survey.<label>``, ``classification.<label>``)."""
    files: dict[str, Path] = {}
    for w in survey.get("waves") or ():
        if w.get("path"):
            files[f"survey.{w['label']}"] = Path(w["path"])
        if w.get("classification"):
            files[f"classification.{w['label']}"] = Path(w["classification"]["path"])
    return files


def read_wave(cfg: Config, entry: Mapping[str, Any], first: Wave | None = None) -> Wave:
    """Read one entry of ``[survey] waves`` (``first``: the first wave, if already read).

    Raises
    ------
    InputDataError, ConfigError
        As :func:`read_survey`; and when the wave's classification columns are named
        differently from the first wave's.
    """
    sv = cfg["survey"]
    path = entry.get("path") or sv["path"]
    select = (sv["wave_column"], entry["wave"]) if sv.get("wave_column") else None
    survey, info = read_survey(
        path,
        prefix=entry.get("prefix", sv.get("prefix")),
        weight=entry.get("weight", sv.get("weight")),
        levels=entry.get("levels") or sv["levels"],
        items=sv.get("items"),
        select=select,
        return_info=True,
    )
    if first is not None and info.levels != first.info.levels:
        raise ConfigError(
            f"The classification columns of {entry['label']} ({info.levels}) are named "
            f"differently from the first wave's ({first.info.levels}); give the same "
            "[survey] levels for every wave (without the wave prefix)."
        )
    wave = Wave(str(entry["label"]), survey, info)
    if entry.get("classification"):
        from .load import read_classification

        merged = {**cfg["classification"], **entry["classification"]}
        wave.classification = read_classification({"classification": merged}, info.levels)
    return wave


def read_waves(cfg: Config) -> list[Wave]:
    """Read every wave of ``[survey] waves`` with :func:`read_survey`, earliest first.

    In the long layout each wave's rows are selected by ``[survey] wave_column``. With
    ``classification_vintage = "own"`` each wave's classification is read too.
    """
    out: list[Wave] = []
    for entry in cfg["survey"]["waves"]:
        out.append(read_wave(cfg, entry, out[0] if out else None))
    return out


def stack_waves(waves: list[Wave]) -> pd.DataFrame:
    """Every wave's respondents in one frame indexed by (``wave``, respondent).

    Examples
    --------
    >>> info = SurveyInfo("x", "", "weight")
    >>> a = Wave("a", pd.DataFrame({"x": [1.0]}, index=pd.Index([7], name="pidp")), info)
    >>> b = Wave("b", pd.DataFrame({"x": [2.0]}, index=pd.Index([7], name="pidp")), info)
    >>> stack_waves([a, b]).index.tolist()
    [('a', 7), ('b', 7)]
    """
    frames = [w.survey for w in waves]
    return pd.concat(frames, keys=[w.label for w in waves], names=["wave", "respondent"])
