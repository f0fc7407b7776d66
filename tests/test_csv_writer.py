"""The CSV writer gives the bytes of ``DataFrame.to_csv``, whatever the columns hold."""

import numpy as np
import pandas as pd
import pytest

from resilience.outputs._csv import _cells, frame_to_csv
from resilience.outputs.tables import CSV_ENCODING, write_csv

FLOATS = [0.1 + 0.2, 1e-05, 0.0001, 1e16, 1e15 + 0.5, -0.0, 1.0, np.inf, -np.inf, np.nan,
          5e-324, 1.7976931348623157e308, 123456789.125, -2.5e-07, 0.21012916045931113]  # fmt: skip
TEXTS = ["E00000001", "", None, "a,b", 'say "hi"', "two\nlines", "cr\rhere", "Ynys Môn",
         "  spaced ", "'=SUM(A1)", "tab\there", "comma,and\"quote", "€", "-0.3", "x"]  # fmt: skip


def _frame() -> pd.DataFrame:
    n = len(FLOATS)
    return pd.DataFrame(
        {
            "code": pd.Series(TEXTS, dtype="str"),
            "object_text": pd.Series(TEXTS, dtype=object),
            "share": FLOATS,
            "count": np.arange(n, dtype=np.int64) * 1_000_003 - 7,
            "small": np.arange(n, dtype=np.int16),
            "unsigned": np.arange(n, dtype=np.uint32),
            "flag": [i % 3 == 0 for i in range(n)],
            "nullable": pd.array([None if i % 4 == 0 else i for i in range(n)], dtype="Int64"),
            "maybe": pd.array(
                [None if i % 5 == 0 else i % 2 == 0 for i in range(n)], dtype="boolean"
            ),
            "all_missing": [np.nan] * n,
            "name with, comma": ["w"] * n,
        }
    )


def _pandas_bytes(df: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "pandas.csv"
    df.to_csv(path, index=False, encoding=CSV_ENCODING, lineterminator="\n")
    return path.read_bytes()


def _ours(df: pd.DataFrame, tmp_path) -> bytes:
    path = tmp_path / "ours.csv"
    frame_to_csv(df, path, CSV_ENCODING)
    return path.read_bytes()


def test_every_kind_of_column_written_as_pandas_writes_it(tmp_path):
    df = _frame()
    assert all(_cells(df[c]) is not None for c in df)  # none left to pandas
    ours = _ours(df, tmp_path)
    assert ours == _pandas_bytes(df, tmp_path)
    text = ours.decode("utf-8-sig")
    assert "0.30000000000000004" in text and "1e-05" in text and "1e+16" in text
    assert '"two\nlines"' in text and '"say ""hi"""' in text and '"name with, comma"' in text


@pytest.mark.parametrize("rows", [0, 1])
def test_no_rows_or_one_row_of_missing_values(tmp_path, rows):
    df = pd.DataFrame({"only": pd.Series([None] * rows, dtype="str")})
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)  # one empty cell: '""'
    df = _frame().iloc[:rows]
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)


def test_random_floats_round_trip_to_the_same_text(tmp_path):
    rng = np.random.default_rng(0)
    parts = [rng.random(3000), rng.normal(0, 1e-6, 500), 10 ** rng.uniform(-9, 20, 1000)]
    x = np.concatenate([*parts, rng.integers(-1000, 1000, 500).astype(float)])
    df = pd.DataFrame({"x": x, "y": x[::-1].copy()})
    ours = _ours(df, tmp_path)
    assert ours == _pandas_bytes(df, tmp_path)
    back = pd.read_csv(tmp_path / "ours.csv", encoding=CSV_ENCODING)
    np.testing.assert_array_equal(back["x"].to_numpy(), x)  # exact round trip


@pytest.mark.parametrize(
    "column",
    [
        pd.Series(pd.to_datetime(["2025-03-31", None]), name="when"),
        pd.Series(pd.Categorical(["b", None]), name="cat"),
        pd.Series(np.array([0.1, np.nan], dtype=np.float32), name="f32"),
        pd.Series([np.float64(0.1), "text"], dtype=object, name="mixed"),
        pd.Series([1, None], dtype="Int32", name="int32"),
    ],
    ids=["datetime", "category", "float32", "mixed objects", "Int32"],
)
def test_other_kinds_leave_the_frame_to_pandas(tmp_path, column):
    """np.float64 inside an object column would come out of csv as 'np.float64(0.1)'."""
    assert _cells(column) is None
    df = pd.DataFrame({"code": ["E1", "E2"], column.name: column})
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)


def test_write_csv_of_a_run_table_as_before(tmp_path, borough):
    """A run's table through write_csv: the bytes pandas gave for it."""
    from resilience.outputs._frames import neutralise_text, plain_table

    frame = borough.survey.head(500)
    path = write_csv(frame, tmp_path / "survey.csv")
    df = neutralise_text(plain_table(frame, table="survey"))
    assert path.read_bytes() == _pandas_bytes(df, tmp_path)


@pytest.mark.parametrize(
    "labels",
    [["a", None], ["a", np.nan], [0, 1], list(pd.to_datetime(["2025-01-01", "2025-02-01"]))],
    ids=["None", "NaN", "integers", "dates"],
)
def test_column_labels_other_than_text_leave_the_frame_to_pandas(tmp_path, labels):
    df = pd.DataFrame([[1.5, 2]], columns=labels)
    assert _ours(df, tmp_path) == _pandas_bytes(df, tmp_path)
