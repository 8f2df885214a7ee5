import json
import random
import re
from collections import Counter

import pyarrow.parquet as pq
import pytest

from rlhf.data import synthetic_content as content
from rlhf.data.loading import load_preferences
from rlhf.data.synthetic import _TOPIC_KEYS, _Filler, generate, make_pair, topic_spec, write_dataset
from tests.conftest import DATA, ROOT

RED_FLAGS = ("chest_pain", "stroke_signs", "suicidal_ideation", "anaphylaxis", "severe_bleeding", "infant_fever",
             "breathing_difficulty", "sepsis", "overdose", "poisoning", "dka", "meningitis", "seizure", "head_injury",
             "obstetric_bleeding")
BY_NAME = {c["name"]: c for c in content.CATEGORIES}


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
        assert categories[needed] >= 90, needed
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


def test_red_flag_and_near_miss_categories():
    assert {c["name"] for c in content.CATEGORIES if c["label"] == 1} == set(RED_FLAGS)
    assert BY_NAME["near_miss"]["label"] == 0
    pairs = [p for s in ("train", "val", "test") for p in load_preferences(DATA / f"{s}.parquet")]
    categories = Counter(p.category for p in pairs)
    assert set(categories) == set(BY_NAME)
    assert min(categories.values()) >= 60, categories.most_common()[-3:]
    assert 0.35 <= sum(p.safety_label for p in pairs) / len(pairs) <= 0.45


def _pools(category: dict, topic: dict | None) -> dict:
    pools = {**content.SHARED_SLOTS, **category.get("slots", {}), **category.get("chosen_slots", {})}
    return {**pools, **{k: v for k, v in (topic or {}).items() if k not in _TOPIC_KEYS}}


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_every_template_fills(name):
    """Every message, chosen and rejected text of the category (and of each topic) fills without a missing slot."""
    category = BY_NAME[name]
    rng = random.Random(0)
    for topic in category.get("topics") or (None,):
        pools = _pools(category, topic)
        spec = topic_spec(category, topic)
        texts = [*(topic or category)["messages"], *(t for part in spec["chosen"] for t in part)]
        texts += [t for failure in spec["failures"] for t in spec["rejected"].get(failure) or content.GENERIC_REJECTED[failure]]
        for text in texts:
            for _ in range(5):
                filled = _Filler(rng, pools).fill(text)
                assert "{" not in filled and "}" not in filled, (name, text)


@pytest.mark.parametrize("name", RED_FLAGS)
def test_red_flag_messages_are_many_and_varied(name):
    rng = random.Random(1)
    rows = [make_pair(rng, BY_NAME[name]) for _ in range(1500)]
    prompts = {r["prompt"] for r in rows}
    assert len(prompts) >= 300  # hundreds of distinct patient messages
    lowercase = sum(p[:1].islower() for p in prompts) / len(prompts)
    assert lowercase > 0.1  # texting style is there, not only textbook sentences
    for r in rows:
        assert r["safety_label"] == 1
        text = r["chosen"].lower()
        assert re.search(r"911|988|emergency (department|services|room)", text), r["chosen"]
        if name in ("overdose", "poisoning"):
            assert "poison control" in text and "911" in text, r["chosen"]
        if name == "suicidal_ideation":
            assert "988" in text


def test_lay_wording_of_suicidal_ideation_and_infant_fever():
    rng = random.Random(2)
    si = {make_pair(rng, BY_NAME["suicidal_ideation"])["prompt"] for _ in range(1000)}
    indirect = [p for p in si if not re.search(r"kill|suicid", p, re.I)]
    assert len(indirect) / len(si) > 0.6
    fever = {make_pair(rng, BY_NAME["infant_fever"])["prompt"] for _ in range(1000)}
    assert sum("fever" not in p.lower() for p in fever) / len(fever) > 0.6
    assert any(re.search(r"\b10[0-9](\.\d)?(°F| ?F\b)", p) for p in fever) and any(re.search(r"\b3[89](\.\d)?(°C| C\b)", p) for p in fever)


def test_near_misses_never_escalate_but_safety_net():
    rng = random.Random(3)
    rows = [make_pair(rng, BY_NAME["near_miss"]) for _ in range(600)]
    assert all(r["safety_label"] == 0 for r in rows)
    assert {r["rejected_failure"] for r in rows} == {"over_escalation", "needless_refusal"}
    netted = sum(bool(re.search(r"911|988|emergency|urgent|seek care|get (it )?checked|let (us|your physician) know", r["chosen"])) for r in rows)
    assert netted / len(rows) > 0.6


def test_lay_training_messages_are_kept_apart_from_the_held_out_sets():
    """No lay training message is a near-copy of a held-out message (rlhf/data/lay/README.md)."""
    words = lambda s: frozenset(re.findall(r"[a-z']+", s.lower()))  # noqa: E731
    held = {words(json.loads(line)["message"]) for path in (ROOT / "tests/fixtures/heldout").glob("triage_*.jsonl")
            for line in path.read_text().splitlines() if line.strip()}
    lay = [r["message"] for name in ("emergency.jsonl", "near_miss.jsonl") for r in content._lay(name)]
    assert len(lay) >= 500
    close = [m for m in lay if any(len(words(m) & h) / len(words(m) | h) > 0.4 for h in held)]
    assert not close, close[:3]
