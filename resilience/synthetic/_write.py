"""Write a synthetic borough as the files a council would really have."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pyogrio

from .._outdir import staged_output
from .._toml import geography_lines, toml_value
from ._hard import file7_columns

if TYPE_CHECKING:
    from . import SyntheticBorough

__all__ = ["column_names", "write_borough"]


def column_names(vintage: int) -> dict[str, str]:
    """ONS column names used in the written files for a geography vintage."""
    yy = "21" if vintage == 2021 else "11"
    wd = "24" if vintage == 2021 else "11"
    return {
        "oa": f"OA{yy}CD",
        "lsoa": f"LSOA{yy}CD",
        "lsoa_name": f"LSOA{yy}NM",
        "ward": f"WD{wd}CD",
        "ward_name": f"WD{wd}NM",
        "lad": f"LAD{wd}CD",
        "lad_name": f"LAD{wd}NM",
    }


def config_text(b: SyntheticBorough, files: dict[str, str]) -> str:
    """The config for the written borough (paths relative to it)."""
    c = column_names(b.vintage)
    hard_code = file7_columns(b.vintage)["code"]
    lines = [
        f"# Synthetic demo borough {b.name} (seed {b.seed}), written by resilience.synthetic.",
        f"title = {toml_value(f'{b.name} community resilience (synthetic demo)')}",
        f"seed = {b.seed}",
        'output = "out"',
        "",
        *geography_lines(files, c),
        "",
        "[classification]",
        f"path = {toml_value(files['classification'])}",
        f"code = {toml_value(c['oa'])}",
        f"levels = {toml_value(list(b.levels))}",
        "",
        "[survey]",
        f"path = {toml_value(files['survey'])}",
        f"prefix = {toml_value(b.prefix)}",
        f"weight = {toml_value(b.prefix + 'indscui_xw')}",
        f"levels = {toml_value([f'oac_{lv}' for lv in b.levels])}",
        "min_respondents = 10",
        "",
        "[hard]",
        f"path = {toml_value(files['hard'])}",
        f"code = {toml_value(hard_code)}",
        "indicators = [",
        *[f"  {toml_value(ind)}," for ind in b.indicators],
        "]",
        "",
        "[compare]",
        "quintile_gap = 2",
        "",
    ]
    return "\n".join(lines)


def write_borough(b: SyntheticBorough, folder: Path, *, overwrite: bool = False) -> dict[str, Path]:
    """Write every file of ``b`` into ``folder`` (created; replaced only with ``overwrite``)."""
    folder = Path(folder)
    c = column_names(b.vintage)
    rel = {
        "oa": "data/oa.gpkg",
        "lsoa": "data/lsoa.gpkg",
        "ward": "data/wards.gpkg",
        "lookup": "data/lookup.csv",
        "classification": "data/oac.csv",
        "population": "data/oa_population.csv",
        "survey": f"data/{b.prefix}indresp.tab",
        "hard": f"data/imd{2019 if b.vintage == 2011 else 2025}_file7.csv",
        "config": "resilience.toml",
    }
    with staged_output(folder, overwrite) as tmp:
        (tmp / "data").mkdir()
        (tmp / "truth").mkdir()
        lsoa_names = b.lsoa.set_index("lsoa_code")["lsoa_name"]
        ward_names = b.ward.set_index("ward_code")["ward_name"]

        oa = b.oa[["oa_code", "lsoa_code", "geometry"]].copy()
        oa["lsoa_name"] = oa["lsoa_code"].map(lsoa_names)
        rep = oa.geometry.representative_point()
        oa["BNG_E"] = rep.x.round().astype(int)
        oa["BNG_N"] = rep.y.round().astype(int)
        oa = oa.rename(
            columns={"oa_code": c["oa"], "lsoa_code": c["lsoa"], "lsoa_name": c["lsoa_name"]}
        )
        pyogrio.write_dataframe(oa, tmp / rel["oa"], layer="oa")

        lsoa = b.lsoa[["lsoa_code", "lsoa_name", "geometry"]].rename(
            columns={"lsoa_code": c["lsoa"], "lsoa_name": c["lsoa_name"]}
        )
        pyogrio.write_dataframe(lsoa, tmp / rel["lsoa"], layer="lsoa")
        ward = b.ward[["ward_code", "ward_name", "geometry"]].rename(
            columns={"ward_code": c["ward"], "ward_name": c["ward_name"]}
        )
        # one authority, or those of split_authorities (a LAD per ward)
        lad = (
            b.ward.set_index("ward_code")[["lad_code", "lad_name"]]
            if "lad_code" in b.ward
            else None
        )
        ward[c["lad"]] = b.lad_code if lad is None else b.ward["lad_code"].to_numpy()
        ward[c["lad_name"]] = b.name if lad is None else b.ward["lad_name"].to_numpy()
        pyogrio.write_dataframe(ward, tmp / rel["ward"], layer="wards")

        lookup = b.oa[["oa_code", "lsoa_code", "ward_code"]].copy()
        lookup["lsoa_name"] = lookup["lsoa_code"].map(lsoa_names)
        lookup["ward_name"] = lookup["ward_code"].map(ward_names)
        lookup["lad"] = b.lad_code if lad is None else lookup["ward_code"].map(lad["lad_code"])
        lookup["lad_name"] = b.name if lad is None else lookup["ward_code"].map(lad["lad_name"])
        lookup = lookup.rename(
            columns={
                "oa_code": c["oa"],
                "lsoa_code": c["lsoa"],
                "lsoa_name": c["lsoa_name"],
                "ward_code": c["ward"],
                "ward_name": c["ward_name"],
                "lad": c["lad"],
                "lad_name": c["lad_name"],
            }
        )
        lookup = lookup[
            [c[k] for k in ("oa", "lsoa", "lsoa_name", "ward", "ward_name", "lad", "lad_name")]
        ]
        lookup.to_csv(tmp / rel["lookup"], index=False)

        b.classification.rename_axis(c["oa"]).reset_index().to_csv(
            tmp / rel["classification"], index=False
        )
        pop = b.oa[["oa_code", "population"]].rename(
            columns={"oa_code": c["oa"], "population": "adults"}
        )
        pop.to_csv(tmp / rel["population"], index=False)
        b.survey.to_csv(tmp / rel["survey"], sep="\t", index=False)
        b.hard.to_csv(tmp / rel["hard"], index=False, encoding="utf-8-sig")

        t = b.truth
        t.respondent_cluster.to_csv(tmp / "truth/respondent_cluster.csv")
        t.category_shares.to_csv(tmp / "truth/category_shares.csv")
        t.oa_shares.to_csv(tmp / "truth/oa_shares.csv")
        t.lsoa_shares.to_csv(tmp / "truth/lsoa_shares.csv")
        t.ward_shares.to_csv(tmp / "truth/ward_shares.csv")
        t.planted.to_csv(tmp / "truth/planted.csv", index=False)

        (tmp / rel["config"]).write_text(config_text(b, rel), encoding="utf-8")
    out = {k: folder / v for k, v in rel.items()}
    out["truth"] = folder / "truth"
    return out
