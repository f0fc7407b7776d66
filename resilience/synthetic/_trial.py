"""A synthetic respondent file for a config's own classification (``synth-survey``)."""

from __future__ import annotations

from pathlib import Path

from ..config import Config, load_config
from ..errors import InputDataError
from ..inputs._io import read_table, require_columns
from ..inputs.trial import SYNTHETIC_MARKER, SYNTHETIC_VALUE

__all__ = ["write_trial_survey"]


def write_trial_survey(
    config: Config | str | Path,
    out: str | Path,
    *,
    n_respondents: int = 8000,
    seed: int | None = None,
) -> Path:
    """Write a UKHLS-shaped respondent file for the classification named in ``config``.

    Respondents are spread over the classification's finest categories in proportion to
    its OAs (as :func:`resilience.synthetic.make_survey` draws them), with the
    classification columns, wave prefix and weight named as the config's ``[survey]``
    expects, so that ``resilience run`` works on the council's own geography before the
    survey arrives. Every row carries the :data:`~resilience.inputs.trial.SYNTHETIC_MARKER`
    column, and every output made from the file says it is a trial run.

    Parameters
    ----------
    config : Config or path
        The run configuration (its ``[survey] path`` need not exist yet).
    out : str or Path
        The file to write: ``.tab`` (tab-separated, as the UK Data Service ships it) or
        ``.csv``. Refused if it exists.
    n_respondents : int, default=8000
    seed : int, optional
        Default: the config's ``seed``.

    Returns
    -------
    Path
        ``out``.
    """
    from . import make_survey

    cfg = config if isinstance(config, Config) else load_config(config, check_files=False)
    out = Path(out)
    if out.exists():
        raise InputDataError(f"'{out}' already exists; give a new file name for the survey.")
    if out.suffix.lower() not in (".tab", ".csv"):
        raise InputDataError(f"Write the survey as .tab or .csv; got '{out.name}'.")
    c = cfg["classification"]
    path = Path(c["path"]) if Path(c["path"]).is_absolute() else cfg.base / c["path"]
    df = read_table(path, role="classification", sheet=c.get("sheet"), layer=c.get("layer"))
    lower = {col.lower(): col for col in df.columns}
    require_columns(
        df.rename(columns=str.lower),
        [lv.lower() for lv in c["levels"]],
        path=path,
        role="classification",
        hint="Name the classification columns, coarse to fine, in [classification] levels.",
    )
    levels = [lower[lv.lower()] for lv in c["levels"]]
    names = list(cfg["survey"]["levels"])
    cats = df[levels].dropna().astype(str).apply(lambda s: s.str.strip())
    cats.columns = names
    share = cats.value_counts(sort=False).rename("national_share").reset_index()
    prefix = cfg["survey"].get("prefix") or "f_"
    survey, _, _ = make_survey(
        share,
        n_respondents=n_respondents,
        seed=int(cfg["seed"] if seed is None else seed),
        prefix=prefix,
    )
    weight = cfg["survey"].get("weight")
    made = f"{prefix}indscui_xw"
    if weight and weight != made and made in survey:
        survey = survey.rename(columns={made: weight})
    survey[SYNTHETIC_MARKER] = SYNTHETIC_VALUE
    out.parent.mkdir(parents=True, exist_ok=True)
    survey.to_csv(out, sep="\t" if out.suffix.lower() == ".tab" else ",", index=False)
    return out
