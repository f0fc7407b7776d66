"""The review log: read and checked row by row, latest outcome per LSOA, recent
explanations kept apart, and the template the pack writes."""

import datetime as dt

import pandas as pd
import pytest

from resilience.errors import InputDataError
from resilience.inputs.reviews import (
    latest_reviews,
    read_review_log,
    recently_explained,
    review_template,
)

CODES = ["E01000001", "E01000002", "E01000003"]
HEADER = "lsoa_code,date,outcome,note,reviewer\n"


def _log(tmp_path, body, header=HEADER):
    p = tmp_path / "reviews.csv"
    p.write_text(header + body, encoding="utf-8")
    return p


def test_log_read_latest_and_recently_explained(tmp_path):
    p = _log(
        tmp_path,
        "E01000001,2021-03-01,confirmed,first visit,AB\n"
        "E01000001,14/02/2025,explained,new estate since the Census,CD\n"
        "E01000002,2020-01-10,explained,student halls,AB\n"
        "E01000003,2025-06-30,Not confirmed,,\n"
        ",,,,\n",  # an unfilled template row
    )
    log = read_review_log(p, CODES)
    assert len(log) == 4
    assert log["row"].tolist() == [2, 3, 4, 5]
    assert log.loc[1, "date"] == dt.date(2025, 2, 14)
    latest = latest_reviews(log)
    assert latest.to_dict(orient="index") == {
        "E01000001": {"last_review": "2025-02-14", "review_outcome": "explained"},
        "E01000002": {"last_review": "2020-01-10", "review_outcome": "explained"},
        "E01000003": {"last_review": "2025-06-30", "review_outcome": "not_confirmed"},
    }
    today = dt.date(2026, 1, 1)
    # E01000002 was explained six years ago: older than review_valid_years, a new flag again
    assert recently_explained(log, years=2, today=today) == ["E01000001"]
    assert recently_explained(log, years=7, today=today) == ["E01000001", "E01000002"]
    assert recently_explained(log, years=0.5, today=today) == []


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("E09999999,2025-01-01,confirmed,,\n", r"Column 'lsoa_code' in row 3 .*'E09999999'"),
        (
            "E01000001,31/02/2025,confirmed,,\n",
            r"Column 'date' in row 3 .*'31/02/2025' is not a date",
        ),
        ("E01000001,2999-01-01,confirmed,,\n", r"Column 'date' in row 3 .*in the future"),
        (
            "E01000001,2025-01-01,fine,,\n",
            r"Column 'outcome' in row 3 .*'fine'.*confirmed, explained",
        ),
    ],
)
def test_bad_rows_name_the_row_and_column(tmp_path, body, match):
    p = _log(tmp_path, "E01000002,2025-01-01,confirmed,,\n" + body)
    with pytest.raises(InputDataError, match=match):
        read_review_log(p, CODES)


def test_missing_column_points_at_the_template(tmp_path):
    p = _log(tmp_path, "E01000001,2025-01-01\n", header="lsoa_code,date\n")
    with pytest.raises(InputDataError, match=r"no column 'outcome'.*reviews_template.csv"):
        read_review_log(p, CODES)


def test_template_round_trips_through_the_reader(tmp_path):
    flags = pd.DataFrame(
        {
            "lsoa_code": CODES[:2],
            "lsoa_name": ["A 001A", "A 001B"],
            "ward_name": ["Mill", "Mill"],
            "flag": ["hard_worse", "predicted_worse"],
            "flag_strength": ["strong", "possible"],
        }
    )
    template = review_template(flags)
    assert template["flag_strength"].tolist() == ["strong", "possible"]
    path = tmp_path / "t.csv"
    template.to_csv(path, index=False)
    # an untouched template is an empty log; one filled row is read
    assert read_review_log(path, CODES).empty
    template.loc[0, ["date", "outcome", "note"]] = ["2025-09-01", "confirmed", "seen"]
    template.to_csv(path, index=False)
    log = read_review_log(path, CODES)
    assert log[["lsoa_code", "outcome", "note"]].values.tolist() == [
        ["E01000001", "confirmed", "seen"]
    ]


def test_cli_stops_on_a_bad_log_row_and_writes_nothing(tmp_path, capsys):
    from resilience.cli import main
    from resilience.synthetic import make_borough

    files = make_borough(seed=5, n_oa=150, n_lsoa=30, n_ward=5, n_respondents=3000).write(
        tmp_path / "b"
    )
    code = pd.read_csv(files["lookup"], dtype=str)["LSOA21CD"].iloc[0]
    (tmp_path / "b" / "reviews.csv").write_text(
        HEADER + f"{code},2025-01-01,confirmed,,\n{code},2025-02-01,maybe,,\n"
    )
    config = files["config"]
    config.write_text(config.read_text() + '\n[review]\nlog = "reviews.csv"\n')
    out = tmp_path / "out"
    status = main(["run", str(config), "--out", str(out), "--no-maps"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Column 'outcome' in row 3 of the review log" in err
    assert "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".out.partial-*"))
