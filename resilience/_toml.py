"""Writing config files: TOML literals and the ``[geography]`` section."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

__all__ = ["geography_lines", "toml_value"]


def toml_value(value: object) -> str:
    """A TOML literal for a string, number, boolean, list or inline table.

    Examples
    --------
    >>> toml_value({"path": "oa.gpkg", "code": "OA21CD"})
    '{ path = "oa.gpkg", code = "OA21CD" }'
    >>> toml_value(["a", 2, True])
    '["a", 2, true]'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML literal for {type(value).__name__}")


def geography_lines(files: Mapping[str, str], columns: Mapping[str, str]) -> list[str]:
    """The ``[geography]`` section for boundary files, a lookup and optionally a population.

    ``files`` maps ``oa``, ``lsoa``, ``ward``, ``lookup`` (and optionally ``population``)
    to paths relative to the config; ``columns`` maps ``oa``, ``lsoa``, ``lsoa_name``,
    ``ward`` and ``ward_name`` to column names in those files.
    """
    c = columns
    lines = [
        "[geography]",
        f"oa = {toml_value({'path': files['oa'], 'code': c['oa']})}",
        "lsoa = " + toml_value({"path": files["lsoa"], "code": c["lsoa"], "name": c["lsoa_name"]}),
        "ward = " + toml_value({"path": files["ward"], "code": c["ward"], "name": c["ward_name"]}),
        "lookup = "
        + toml_value(
            {"path": files["lookup"], "oa": c["oa"], "lsoa": c["lsoa"], "ward": c["ward"]}
        ),
    ]
    if "population" in files:
        lines.append(
            "population = "
            + toml_value({"path": files["population"], "code": c["oa"], "column": "adults"})
        )
    return lines
