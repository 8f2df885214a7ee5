import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from rlhf.data.loading import load_preferences, read_table, write_preferences
from rlhf.errors import DataValidationError
from tests.conftest import DATA


def good_row(i: int = 0) -> dict:
    return {
        "pair_id": f"t-{i}",
        "prompt": "I have a dull headache since Monday. Should I be worried?",
        "history": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello, how can I help?"}],
        "context": {"age_bracket": "40-50", "visit_type": "follow-up", "sex": "female"},
        "chosen": "I understand that persistent headaches can be concerning. Track them and tell your physician.",
        "rejected": "Persistent headaches can mean a brain tumor. Get an MRI immediately.",
        "safety_label": 0,
        "chosen_ratings": {"accuracy": 5, "safety": 5, "empathy": 5, "scope": 5, "clarity": 4},
        "rejected_ratings": {"accuracy": 2, "safety": 2, "empathy": 1, "scope": 3, "clarity": 3},
        "category": "headache",
        "annotator_id": "phys-01",
        "rejected_failure": "alarming",
    }


def test_shipped_splits_are_valid():
    for split in ("train", "val", "test"):
        pairs = load_preferences(DATA / f"{split}.parquet")
        assert len(pairs) > 300
        assert all(p.safety_label in (0, 1) for p in pairs)


def test_a_file_that_passed_is_not_checked_again_and_a_bad_one_always_is(tmp_path, monkeypatch):
    import rlhf.data.loading as loading

    monkeypatch.setenv(loading.CACHE_DIR_ENV, str(tmp_path / "cache"))
    good = write_preferences([good_row(i) for i in range(3)], tmp_path / "good.parquet")
    bad_rows = [good_row(i) for i in range(3)]
    bad_rows[1]["prompt"] = None
    bad = write_preferences(bad_rows, tmp_path / "bad.parquet")
    calls = []
    real = loading.validate_table
    monkeypatch.setattr(loading, "validate_table", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    assert len(load_preferences(good)) == 3 and len(load_preferences(good)) == 3
    assert calls == [str(good)]  # the second load found the stamp of the same bytes
    for _ in range(2):
        with pytest.raises(DataValidationError):
            load_preferences(bad)
    assert calls == [str(good), str(bad), str(bad)]
    write_preferences([good_row(i) for i in range(4)], good)  # new bytes: checked again
    assert len(load_preferences(good)) == 4 and calls[-1] == str(good) and len(calls) == 4


def test_every_bad_row_is_reported_with_its_number(tmp_path):
    rows = [good_row(i) for i in range(8)]
    rows[1]["prompt"] = None  # missing
    rows[2]["chosen"] = "   "  # empty
    rows[3]["rejected"] = rows[3]["chosen"]  # same text
    rows[4]["safety_label"] = 7  # out of range
    rows[5]["chosen_ratings"]["empathy"] = 0  # rating out of range
    rows[6]["context"]["age_bracket"] = "forty"  # unknown context value
    rows[7]["history"] = rows[7]["history"] * 2  # 4 turns > 3
    path = write_preferences(rows, tmp_path / "bad.parquet")
    rejects = tmp_path / "rejects.jsonl"
    with pytest.raises(DataValidationError) as err:
        load_preferences(path, rejects_path=rejects)
    message = str(err.value)
    assert "7 of 8 rows are invalid" in message
    expected = {
        1: "missing prompt",
        2: "empty chosen",
        3: "chosen and rejected are the same text",
        4: "safety_label must be 0 or 1 (got 7)",
        5: "chosen_ratings.empathy must be 1-5 (got 0)",
        6: "context.age_bracket 'forty' is not one of",
        7: "history has 4 turns, at most 3 allowed",
    }
    for row, reason in expected.items():
        assert f"row {row} (t-{row}): " in message and reason in message
    assert "row 0 " not in message
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["row"] for r in written] == list(expected)


def test_identifiers_refuse_the_file_without_echoing_them(tmp_path):
    rows = [good_row(i) for i in range(3)]
    rows[2]["prompt"] = "Call me at 555-867-5309 about my chest pain"
    rows[1]["history"][0]["content"] = "my MRN: 88812345"
    path = write_preferences(rows, tmp_path / "phi.parquet")
    with pytest.raises(DataValidationError) as err:
        load_preferences(path)
    message = str(err.value)
    assert "row 2 (t-2): prompt contains identifiers (phone at chars 11-23)" in message
    assert "row 1 (t-1): history[0].content contains identifiers (mrn at chars" in message
    assert "867-5309" not in message and "88812345" not in message


def test_schema_problems_are_named(tmp_path):
    table = pa.Table.from_pylist([good_row()]).drop_columns(["annotator_id"])
    table = table.set_column(table.schema.get_field_index("safety_label"), "safety_label", pa.array(["yes"]))
    pq.write_table(table, tmp_path / "schema.parquet")
    with pytest.raises(DataValidationError) as err:
        load_preferences(tmp_path / "schema.parquet")
    message = str(err.value)
    assert "missing column 'annotator_id'" in message
    assert "column 'safety_label' has type string, expected int8" in message


def test_optional_columns_may_be_absent(tmp_path):
    table = pa.Table.from_pylist([good_row()]).drop_columns(["pair_id", "rejected_failure"])
    pq.write_table(table, tmp_path / "minimal.parquet")
    (pair,) = load_preferences(tmp_path / "minimal.parquet")
    assert pair.pair_id == "row-0" and pair.rejected_failure is None


def test_unreadable_and_missing_files(tmp_path):
    (tmp_path / "notparquet.parquet").write_text("prompt,chosen\nhi,there\n")
    with pytest.raises(DataValidationError, match="cannot be read as Parquet"):
        read_table(tmp_path / "notparquet.parquet")
    with pytest.raises(DataValidationError, match="no such file"):
        read_table(tmp_path / "absent.parquet")


def test_check_data_job_exit_codes(tmp_path, call_job):
    run_check = lambda *args: call_job("check_data", *args)  # noqa: E731
    ok = run_check(DATA / "val.parquet")
    assert ok.code == 0, ok.err
    assert "OK" in ok.out and "categories (29)" in ok.out and "escalation" in ok.out
    rows = [good_row(0), good_row(1)]
    rows[1]["safety_label"] = 3
    bad = write_preferences(rows, tmp_path / "bad.parquet")
    failed = run_check(bad, "--rejects", tmp_path / "r.jsonl")
    assert failed.code == 1
    assert "row 1 (t-1): safety_label must be 0 or 1 (got 3)" in failed.err
    assert "Traceback" not in failed.err
    assert (tmp_path / "r.jsonl").read_text().count("\n") == 1
