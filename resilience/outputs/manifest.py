"""The run manifest, ``<out>/manifest.json``: what went in, with what, and what came out.

The manifest records the package version, Python and platform, the versions of the key
dependencies, the config as given and its hash, every input file with its size and
sha256, the seed, row counts, stage timings and the output files, under a run id and a
UTC timestamp. Comparing two manifests tells whether two runs can be expected to agree.

Config hash
-----------
:func:`config_hash` is the sha256 (hex) of a canonical JSON dump of the config: keys
sorted, no whitespace (``separators=(",", ":")``), UTF-8, non-ASCII characters kept as
they are. Values are made JSON-ready first: paths become POSIX strings, tuples lists,
dates and times ISO 8601 strings, numpy scalars Python numbers, and non-finite floats the
strings ``"nan"``, ``"inf"``, ``"-inf"``. Equal configs therefore hash equally whatever
their key order, and any changed value changes the hash. The hash covers the config's
values, not the bytes of the TOML file (comments and layout do not count); the file's
own sha256 is recorded separately under ``config_file``.
"""

from __future__ import annotations

import hashlib
import json
import math
import platform
import sys
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePath

import numpy as np

from ..errors import InputDataError

__all__ = [
    "DEPENDENCIES",
    "MANIFEST_VERSION",
    "build_manifest",
    "config_hash",
    "dependency_versions",
    "file_sha256",
    "write_manifest",
]

#: Version of the manifest's layout; bumped when keys change meaning.
MANIFEST_VERSION = 1

#: Distributions whose versions are recorded (import names differ for some).
DEPENDENCIES: tuple[str, ...] = (
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "factor_analyzer",
    "geopandas",
    "shapely",
    "pyogrio",
    "pyproj",
    "folium",
    "branca",
    "mapclassify",
    "esda",
    "libpysal",
    "openpyxl",
    "xlsxwriter",
    "matplotlib",
    "pyreadstat",
    "xstatic-leaflet",
    "requests",
    "threadpoolctl",
    "pyarrow",
)

_CHUNK = 1 << 20
#: sha256 of files already hashed, by (path, size, modification time in ns)
_HASHES: dict[tuple[str, int, int], str] = {}


def file_sha256(path: str | Path, *, chunk_size: int = _CHUNK) -> str:
    """The sha256 (hex) of a file, read in chunks so large files need little memory.

    Raises
    ------
    InputDataError
        If the file does not exist or is not a file.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> file_sha256(p)[:16]
    'ba7816bf8f01cfea'
    """
    p = Path(path)
    if not p.is_file():
        raise InputDataError(
            f"Cannot hash {str(p)!r}: it does not exist or is not a file. Check the path."
        )
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:  # a run over many authorities hashes the same inputs each time
        digest = hashlib.sha256()
        with p.open("rb") as fh:
            while chunk := fh.read(chunk_size):
                digest.update(chunk)
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def config_hash(config: Mapping[str, object]) -> str:
    """The sha256 (hex) of the canonical JSON form of ``config`` (see the module docstring).

    Examples
    --------
    >>> config_hash({"seed": 1, "title": "A"}) == config_hash({"title": "A", "seed": 1})
    True
    >>> config_hash({"seed": 1}) == config_hash({"seed": 2})
    False
    """
    return hashlib.sha256(_canonical(config).encode("utf-8")).hexdigest()


def dependency_versions(names: tuple[str, ...] = DEPENDENCIES) -> dict[str, str]:
    """Installed version of each distribution, or ``"not installed"``.

    Examples
    --------
    >>> dependency_versions(("numpy", "surely-not-a-package"))["surely-not-a-package"]
    'not installed'
    """
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def build_manifest(
    *,
    config: Mapping[str, object],
    config_path: str | Path | None = None,
    inputs: Mapping[str, str | Path | list[str | Path]],
    seed: int | None,
    counts: Mapping[str, int],
    timings: Mapping[str, float],
    outputs: Mapping[str, str | Path | list[str | Path]] | None = None,
    run_id: str | None = None,
) -> dict:
    """Assemble the manifest of a run.

    Parameters
    ----------
    config : mapping
        The config as read (e.g. from ``tomllib``), recorded as given and hashed with
        :func:`config_hash`.
    config_path : str or Path, optional
        The config file; its path, size and sha256 are recorded.
    inputs : mapping of role to path or list of paths
        Input files by role (``"survey"``, ``"boundaries"`` …). A folder stands for every
        file inside it; a shapefile (``.shp``) brings its sidecar files
        (``.dbf``, ``.shx``, ``.prj`` …).
    seed : int or None
        The random seed.
    counts : mapping of str to int
        Row counts (respondents used, OAs, LSOAs, wards, flagged LSOAs …).
    timings : mapping of str to float
        Seconds per stage.
    outputs : mapping of role to path or list of paths, optional
        Output files, recorded like the inputs.
    run_id : str, optional
        Identifier of the run; a random UUID4 (hex) when not given.

    Returns
    -------
    dict
        JSON-serialisable: ``manifest_version``, ``run_id``, ``created`` (UTC, ISO 8601),
        ``package``, ``python``, ``platform``, ``dependencies``, ``config``,
        ``config_hash``, ``config_file``, ``inputs``, ``seed``, ``counts``, ``timings``
        and ``outputs``.

    Raises
    ------
    InputDataError
        If an input or output file is missing.

    Examples
    --------
    >>> m = build_manifest(config={"seed": 1}, inputs={}, seed=1, counts={"oa": 3},
    ...                    timings={"fit": 0.5}, run_id="demo")
    >>> m["run_id"], m["config_hash"] == config_hash({"seed": 1}), m["counts"]
    ('demo', True, {'oa': 3})
    """
    from .. import __version__

    config_json = json.loads(_canonical(config))
    return {
        "manifest_version": MANIFEST_VERSION,
        "run_id": run_id if run_id is not None else uuid.uuid4().hex,
        "created": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "package": {"name": "community-resilience", "version": __version__},
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
        },
        "platform": {
            "system": platform.system(),
            "release": platform.release(),
            "machine": platform.machine(),
            "description": platform.platform(),
            "byteorder": sys.byteorder,
        },
        "dependencies": dependency_versions(),
        "config": config_json,
        "config_hash": config_hash(config),
        "config_file": None if config_path is None else _file_record(Path(config_path)),
        "inputs": _records(inputs, "input"),
        "seed": _jsonable(seed, "seed"),
        "counts": {str(k): _jsonable(v, f"counts.{k}") for k, v in counts.items()},
        "timings": {str(k): round(float(v), 3) for k, v in timings.items()},
        "outputs": _records(outputs or {}, "output"),
    }


def write_manifest(path: str | Path, manifest: Mapping[str, object]) -> Path:
    """Write ``manifest`` as indented UTF-8 JSON (strict: no NaN) and return the path."""
    path = Path(path)
    text = json.dumps(
        _jsonable(dict(manifest), "manifest"), indent=2, ensure_ascii=False, allow_nan=False
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _canonical(config: Mapping[str, object]) -> str:
    return json.dumps(
        _jsonable(dict(config), "config"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def _jsonable(value: object, where: str) -> object:
    """``value`` made of dict/list/str/int/float/bool/None only; see the module docstring."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: key {k!r} is not a string; JSON needs string keys.")
            out[k] = _jsonable(v, f"{where}.{k}")
        return out
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_jsonable(v, f"{where}[{i}]") for i, v in enumerate(items)]
    raise TypeError(
        f"{where}: {type(value).__name__} value {value!r} cannot be recorded in JSON; "
        "convert it to a string, number, list or mapping."
    )


def _records(files: Mapping[str, object], kind: str) -> dict[str, list[dict]]:
    out = {}
    for role, value in files.items():
        paths = value if isinstance(value, list | tuple) else [value]
        records = []
        for p in paths:
            path = Path(p)  # type: ignore[arg-type]
            if not path.exists():
                raise InputDataError(
                    f"The {kind} file {str(path)!r} given for {role!r} does not exist, so "
                    "it cannot be recorded in the manifest. Check the path."
                )
            records.extend(_file_record(f) for f in _expand(path))
        out[str(role)] = records
    return out


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(f for f in path.rglob("*") if f.is_file())
    if path.suffix.lower() == ".shp":
        siblings = [
            f
            for f in path.parent.glob(f"{path.stem}.*")
            if f.is_file() and f != path and f.name[len(path.stem)] == "."
        ]
        return [path, *sorted(siblings)]
    return [path]


def _file_record(path: Path) -> dict[str, object]:
    return {"path": path.as_posix(), "bytes": path.stat().st_size, "sha256": file_sha256(path)}
