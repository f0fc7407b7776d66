"""Machine description, summary figures, targets and the readable table of a benchmark."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from pathlib import Path

from resilience.outputs.manifest import dependency_versions

__all__ = ["ANALYSIS", "check_targets", "machine_info", "markdown", "summarise"]

ANALYSIS = (
    "read_inputs",
    "survey_model",
    "area_estimates",
    "oa_estimates",
    "aggregation",
    "hard_index",
    "comparison",
)


def _proc(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def machine_info(root: Path) -> dict:
    """CPU, cores, memory, Python and package versions, the code's commit and the load."""
    mem = _proc("/proc/meminfo", "MemTotal")
    versions = dependency_versions()  # the packages the run's manifest records
    try:
        import pyogrio

        versions["GDAL"] = pyogrio.__gdal_version_string__
    except ImportError:
        pass
    git = ["git", "-C", str(root)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "resilience"], capture_output=True)
    return {
        "cpu": _proc("/proc/cpuinfo", "model name") or platform.processor(),
        "cpu_family_model_mhz": [
            _proc("/proc/cpuinfo", k) for k in ("cpu family", "model\t", "cpu MHz")
        ],
        "virtualised": "hypervisor" in (_proc("/proc/cpuinfo", "flags") or "").split(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)),
        "ram_gib": round(int(mem.split()[0]) / 1024**2, 1) if mem else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "commit": commit.stdout.strip() + (" (modified)" if dirty.stdout.strip() else ""),
    }


def _stat(runs: list[dict], stage: str, key: str = "wall_s") -> float | None:
    vals = [r["stages"][stage][key] for r in runs if stage in r.get("stages", {})]
    vals = [v for v in vals if v is not None]
    return round(statistics.median(vals), 3) if vals else None


def summarise(runs: list[dict]) -> dict[str, dict]:
    """Median wall, CPU and peak, and the minimum wall, of every stage over the repeats."""
    names = list(dict.fromkeys(n for r in runs for n in r.get("stages", {})))
    return {
        n: {
            "wall_s": _stat(runs, n),
            "wall_min_s": round(min(r["stages"][n]["wall_s"] for r in runs if n in r["stages"]), 3),
            "cpu_s": _stat(runs, n, "cpu_s"),
            "peak_mib": _stat(runs, n, "peak_mib"),
        }
        for n in names
    }


def _sum(stages: dict, names, key="wall_s") -> float | None:
    vals = [stages.get(n, {}).get(key) for n in names]
    return None if any(v is None for v in vals) else round(sum(vals), 3)


def _ratio(a, b) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def _target(name: str, value, limit, unit: str, note: str = "") -> dict:
    if value is None:
        return {
            "target": name,
            "value": None,
            "limit": limit,
            "unit": unit,
            "verdict": "not measured",
            "note": note,
        }
    met = value <= limit
    margin = f"{abs(limit - value):.2f} {unit} {'under' if met else 'over'}".strip()
    return {
        "target": name,
        "value": value,
        "limit": limit,
        "unit": unit,
        "verdict": "met" if met else "missed",
        "margin": margin,
        "note": note,
    }


def _pair(cli: dict | None, name: str) -> str | None:
    return None if not cli else f"{cli[name + '_wall_s']} / {cli[name + '_cpu_s']}"


def check_targets(scale: str, report: dict) -> list[dict]:
    """The issue's targets for this scale, each met or missed and by how much."""
    s, d = report["stages"], report["derived"]
    out = []
    if scale == "national":
        out.append(_target("analysis stages", d["analysis_s"], 60, "s"))
        out.append(_target("peak memory (analysis)", d["analysis_peak_mib"], 4096, "MiB"))
        out.append(_target("GeoPackage write / pyogrio alone", d["gpkg_vs_pyogrio"], 1.5, "x"))
        out.append(
            _target("GeoPackage write / pyogrio alone, Arrow", d["gpkg_vs_pyogrio_arrow"], 1.5, "x")
        )
    if scale == "london":
        note = "" if report["maps"] == "measured" else "maps not available: run without maps"
        value = report["end_to_end_s"] if report["maps"] == "measured" else None
        out.append(_target("whole run incl. maps", value, 120, "s", note))
        out.append(_target("end to end", report["end_to_end_s"], 15, "s", note))
        out.append(
            _target(
                "tables (CSVs and workbook)",
                s.get("outputs.tables", {}).get("wall_s"),
                3,
                "s",
                f"{d['tables_vs_xlsxwriter']} x (CPU {d['tables_vs_xlsxwriter_cpu']} x) a bare "
                "xlsxwriter write of the same cells",
            )
        )
        if value is not None:
            pages = s.get("outputs.maps.ward_pages", {})
            out.append(
                _target(
                    "ward pages (with the borough map)",
                    pages.get("wall_s"),
                    3,
                    "s",
                    f"CPU {pages.get('cpu_s')} s in this process, the rest in its workers",
                )
            )
        if value is None:
            out.append(_target("whole run without maps", report["end_to_end_s"], 120, "s"))
    cli = report.get("cli")
    if cli:
        out.append(
            _target(
                "resilience --help",
                cli["help_wall_s"],
                0.3,
                "s",
                f"python -c pass {cli['python_pass_wall_s']} s in the same run",
            )
        )
    if scale == "borough":
        out.append(
            _target(
                "resilience demo end to end",
                report.get("demo_s"),
                20,
                "s",
                "" if report["maps"] == "measured" else "demo run with --no-maps",
            )
        )
        fb = report.get("floor_bytes", {})
        size = _ratio(fb.get("borough_map_html"), fb.get("explore_html"))
        out.append(_target("borough map size / explore()", size, 0.5, "x"))
        t = _ratio(
            s.get("floor.borough_map_only", {}).get("wall_s"),
            s.get("floor.explore", {}).get("wall_s"),
        )
        out.append(_target("borough map time / explore()", t, 1.0, "x"))
    return out


def derived(stages: dict, variants: dict[str, dict], read_floor: dict) -> dict:
    """Sums, ratios to the floors and the cost of the resampling steps."""
    peaks = [stages.get(n, {}).get("peak_mib") for n in ANALYSIS]

    def wall(frame: dict, key: str) -> float | None:
        return frame.get(key, {}).get("wall_s")

    read, gpkg = wall(stages, "read_inputs"), wall(stages, "outputs.geopackage")
    tables = wall(stages, "outputs.tables")
    out = {
        "analysis_s": _sum(stages, ANALYSIS),
        "analysis_cpu_s": _sum(stages, ANALYSIS, "cpu_s"),
        "analysis_peak_mib": max(peaks) if all(p is not None for p in peaks) else None,
        "read_vs_pyogrio": _ratio(read, wall(read_floor, "floor.read_pyogrio")),
        "read_vs_pyogrio_arrow": _ratio(read, wall(read_floor, "floor.read_pyogrio_arrow")),
        "gpkg_vs_pyogrio": _ratio(gpkg, wall(stages, "floor.write_pyogrio")),
        "gpkg_vs_pyogrio_arrow": _ratio(gpkg, wall(stages, "floor.write_pyogrio_arrow")),
        "tables_vs_xlsxwriter": _ratio(tables, wall(stages, "floor.write_xlsxwriter")),
        "tables_vs_xlsxwriter_cpu": _ratio(
            stages.get("outputs.tables", {}).get("cpu_s"),
            stages.get("floor.write_xlsxwriter", {}).get("cpu_s"),
        ),
    }
    resample = ("area_estimates", "oa_estimates", "aggregation", "comparison")
    if "model_n_boot_0" in variants:
        v = variants["model_n_boot_0"]
        out["model_refits_s"] = round(
            stages["survey_model"]["wall_s"] - v["survey_model"]["wall_s"], 3
        )
    if "estimates_n_boot_0" in variants:
        v = variants["estimates_n_boot_0"]
        out["estimate_bootstrap_s"] = round(_sum(stages, resample) - _sum(v, resample), 3)
    return out


def _fmt(v, nd=2) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def markdown(report: dict) -> str:
    """The readable tables of one scale."""
    m, inp = report["machine"], report["inputs"]
    lines = [
        f"### {report['scale']} ({inp['sizes']['oa']:,} OAs, {inp['sizes']['lsoa']:,} LSOAs, "
        f"{inp['sizes']['ward']:,} wards, {inp['sizes']['respondents']:,} respondents; "
        f"OA vertices mean {inp['vertices']['oa']['mean']})",
        "",
        f"{m['cpu']} (family/model/MHz {'/'.join(map(str, m.get('cpu_family_model_mhz', [])))}"
        f"{', virtual machine' if m.get('virtualised') else ''}), {m['cores_usable']} cores, "
        f"{m['ram_gib']} GiB; Python {m['python']}; "
        f"commit {m['commit']}; {report['repeat']} repeat(s), medians; load average "
        f"{report['load_before']} before, {report['load_after']} after.",
        "",
        "| stage | wall s | min s | CPU s | peak MiB |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, st in report["stages"].items():
        lines.append(
            f"| {name} | {_fmt(st['wall_s'])} | {_fmt(st['wall_min_s'])} | "
            f"{_fmt(st['cpu_s'])} | {_fmt(st['peak_mib'], 0)} |"
        )
    for name, st in report["read_floor"].items():
        if name.count(".") > 1:  # one row per input file: in the JSON only
            continue
        lines.append(
            f"| {name} | {_fmt(st['wall_s'])} | {_fmt(st['wall_min_s'])} | "
            f"{_fmt(st['cpu_s'])} | {_fmt(st['peak_mib'], 0)} |"
        )
    d = report["derived"]
    lines += ["", "| figure | value |", "|---|---:|"]
    extra = {
        "end to end (process start to exit) s": report["end_to_end_s"],
        "resilience demo end to end s": report.get("demo_s"),
        "peak memory of the run MiB": report["peak_mib"],
        "resilience --help s (wall, CPU)": _pair(report.get("cli"), "help"),
        "floor: python -c pass s (wall, CPU)": _pair(report.get("cli"), "python_pass"),
        **{k.replace("_", " "): v for k, v in d.items()},
        **{f"bytes {k}": v for k, v in report.get("floor_bytes", {}).items()},
        **{f"bytes {k}": v for k, v in report.get("output_bytes", {}).items()},
        "maps": report["maps"],
    }
    lines += [f"| {k} | {_fmt(v)} |" for k, v in extra.items() if v is not None]
    for name, st in report["variants"].items():
        cells = ", ".join(f"{k} {_fmt(st[k]['wall_s'])}" for k in ANALYSIS if k in st)
        lines.append(f"| variant {name}: | {cells} |")
    lines += ["", "| target | value | limit | verdict |", "|---|---:|---:|---|"]
    for t in report["targets"]:
        verdict = t["verdict"] + (f" ({t['margin']})" if t.get("margin") else "")
        verdict += f"; {t['note']}" if t.get("note") else ""
        lines.append(
            f"| {t['target']} | {_fmt(t['value'])} {t['unit']} | {t['limit']} "
            f"{t['unit']} | {verdict} |"
        )
    return "\n".join(lines) + "\n"
