import re
from collections import Counter

import pyarrow.parquet as pq

from rlhf.data.loading import load_preferences
from rlhf.data.synthetic import generate, write_dataset
from tests.conftest import DATA


def test_generator_rebuilds_the_shipped_files(tmp_path):
    write_dataset(tmp_path)
    for split in ("train", "val", "test"):
        assert pq.read_table(tmp_path / f"{split}.parquet").equals(pq.read_table(DATA / f"{split}.parquet")), split


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = generate(300, seed=1), generate(300, seed=1), generate(300, seed=2)
    assert a == b
    assert a != c


def test_coverage_and_splits():
    splits = {s: load_preferences(DATA / f"{s}.parquet") for s in ("train", "val", "test")}
    pairs = [p for ps in splits.values() for p in ps]
    assert len(pairs) >= 3000
    categories = Counter(p.category for p in pairs)
    assert len(categories) >= 15
    for needed in ("chest_pain", "stroke_signs", "suicidal_ideation", "anaphylaxis", "severe_bleeding", "infant_fever",
                   "medication_dose_change", "diagnosis_anxiety", "headache", "health_education"):
        assert categories[needed] >= 100, needed
    failures = Counter(p.rejected_failure for p in pairs)
    for mode in ("cold", "alarming", "over_specific", "out_of_scope", "missed_escalation", "needless_refusal"):
        assert failures[mode] >= 100, mode
    # a patient message never appears in two splits
    prompts = {s: {p.prompt for p in ps} for s, ps in splits.items()}
    assert not prompts["train"] & prompts["test"] and not prompts["train"] & prompts["val"]
    # both labels in every split, escalation neither rare nor dominant
    for ps in splits.values():
        share = sum(p.safety_label for p in ps) / len(ps)
        assert 0.2 < share < 0.5


def test_no_keyword_or_length_shortcut():
    """No single word, nor length, tells chosen from rejected on 85% of pairs."""
    pairs = load_preferences(DATA / "train.parquet")
    words = lambda s: set(re.findall(r"[a-z0-9']+", s.lower()))  # noqa: E731
    chosen, rejected = [words(p.chosen) for p in pairs], [words(p.rejected) for p in pairs]
    vocab = Counter(w for s in chosen + rejected for w in s)
    best = 0.0
    for word, count in vocab.items():
        if count < 20:
            continue
        wins = sum(float(word in c and word not in r) + 0.5 * ((word in c) == (word in r)) for c, r in zip(chosen, rejected))
        best = max(best, wins / len(pairs))
    longer = sum(len(p.chosen.split()) > len(p.rejected.split()) for p in pairs) / len(pairs)
    assert best < 0.85
    assert longer < 0.85
