"""Deterministic generator of the bundled SYNTHETIC, DE-IDENTIFIED clinical preference data.

For pipeline validation only, never for clinical use. `python jobs/generate_data.py` rebuilds
data/clinical_prefs/ byte-for-byte from the same seed. Splits are made by prompt, so the same
patient message never sits in two splits.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping
from pathlib import Path

from rlhf.data import synthetic_content as content
from rlhf.data.loading import write_preferences
from rlhf.data.schema import RATING_DIMENSIONS, SEXES, VISIT_TYPES

DEFAULT_ROWS = 4000
DEFAULT_SEED = 20261122
SPLITS = (("train", 0.8), ("val", 0.1), ("test", 0.1))
ANNOTATORS = tuple(f"phys-{i:02d}" for i in range(1, 15))
_SLOT = re.compile(r"\{(\w+)\}")
_TOPIC_KEYS = ("messages", "ages", "sex", "chosen", "failures", "rejected")


class _Filler:
    """Fills `{slot}`s; a slot keeps its first value for the whole pair, so the diagnosis named in
    the prompt is the one the replies talk about."""

    def __init__(self, rng: random.Random, pools: Mapping[str, tuple[str, ...]]):
        self.rng, self.pools, self.bound = rng, pools, {}

    def value(self, name: str) -> str:
        if name not in self.bound:
            if name.endswith("_cap") and name not in self.pools:
                base = self.value(name[: -len("_cap")])
                self.bound[name] = base[:1].upper() + base[1:]
            elif name in self.pools:
                self.bound[name] = self._expand(self.rng.choice(self.pools[name]))
            else:
                raise KeyError(f"no pool for slot '{name}'")
        return self.bound[name]

    def _expand(self, template: str) -> str:
        return _SLOT.sub(lambda m: self.value(m.group(1)), template)

    def fill(self, template: str) -> str:
        return " ".join(self._expand(template).split())


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    names = sorted(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def _ratings(rng: random.Random, profile: str) -> dict[str, int]:
    means = content.RATING_PROFILES[profile]
    return {dim: max(1, min(5, round(rng.gauss(mean, 0.45)))) for dim, mean in zip(RATING_DIMENSIONS, means)}


def _history(rng: random.Random) -> list[dict[str, str]]:
    shape = rng.choices((0, 1, 2, 3), weights=(45, 15, 25, 15))[0]
    turns: list[dict[str, str]] = []
    if shape in (1, 3):
        turns.append({"role": "assistant", "content": rng.choice(content.HISTORY_CHECKINS)})
    if shape in (2, 3):
        user, assistant = rng.choice(content.HISTORY_EXCHANGES)
        turns += [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    return turns


def topic_spec(category: Mapping, topic: Mapping | None) -> Mapping:
    """The category with the chosen reply, failures and rejected replies its topic brings, if any."""
    return {**category, **{k: topic[k] for k in ("chosen", "failures", "rejected") if k in (topic or {})}}


def make_pair(rng: random.Random, category: dict) -> dict:
    """One preference row of `category` (a dict from synthetic_content.CATEGORIES)."""
    pools: dict[str, tuple[str, ...]] = dict(content.SHARED_SLOTS)
    pools.update(category.get("slots", {}))
    pools.update(category.get("chosen_slots", {}))
    messages = category.get("messages", ())
    ages, fixed_sex = category["ages"], category.get("sex")
    # A topic brings its own messages and slots, and may bring its own ages, sex, chosen reply and
    # rejected replies (the lay topics of synthetic_content do).
    spec: Mapping = category
    if "topics" in category:
        topic = rng.choice(category["topics"])
        pools.update({k: v for k, v in topic.items() if k not in _TOPIC_KEYS})
        messages = topic["messages"]
        ages, fixed_sex = topic.get("ages", ages), topic.get("sex", fixed_sex)
        spec = topic_spec(category, topic)
    filler = _Filler(rng, pools)
    prompt = filler.fill(rng.choice(messages))
    # Opener and closer are optional, so length alone does not give the chosen reply away.
    parts = spec["chosen"]
    kept = [pool for i, pool in enumerate(parts) if 0 < i < len(parts) - 1 or rng.random() > 0.35]
    chosen = " ".join(p for p in (filler.fill(rng.choice(pool)) for pool in kept) if p)
    failure = _weighted(rng, spec["failures"])
    options = spec["rejected"].get(failure) or content.GENERIC_REJECTED[failure]
    rejected = filler.fill(rng.choice(options))
    if failure != "cold":  # dress failures in the courtesies and length chosen replies have
        opener = rng.choice(("", "", "{warm_open}", "{soft_open}"))
        padding = " ".join(rng.sample(content.NEUTRAL_SENTENCES, k=rng.choice((0, 1, 2, 2, 3))))
        closer = rng.choice(("", "", "Hope that helps!", "Take care.", "{team_close}", "{team_close}"))
        rejected = filler.fill(f"{opener} {rejected} {padding} {closer}")
    sex = rng.choice(SEXES[:2] * 8 + SEXES[2:])
    if "pregnant" in prompt:
        sex = "female"
    if fixed_sex:  # a category or topic about one sex (obstetric bleeding), whoever writes the message
        sex = fixed_sex
    return {
        "prompt": prompt,
        "history": _history(rng),
        "context": {
            "age_bracket": rng.choice(ages),
            "visit_type": rng.choice(VISIT_TYPES),
            "sex": sex,
        },
        "chosen": chosen,
        "rejected": rejected,
        "safety_label": category["label"],
        "chosen_ratings": _ratings(rng, "chosen"),
        "rejected_ratings": _ratings(rng, failure),
        "category": category["name"],
        "annotator_id": rng.choice(ANNOTATORS),
        "rejected_failure": failure,
    }


def split_of(prompt: str) -> str:
    """Stable split by the prompt's hash: a prompt lands in one split only."""
    bucket = int(hashlib.sha256(prompt.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for name, share in SPLITS:
        edge += share
        if bucket <= edge:
            return name
    return SPLITS[-1][0]


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> dict[str, list[dict]]:
    """`rows` distinct pairs, split into train/val/test."""
    rng = random.Random(seed)
    weights = {c["name"]: c["weight"] for c in content.CATEGORIES}
    by_name = {c["name"]: c for c in content.CATEGORIES}
    seen: set[tuple[str, str, str]] = set()
    out: dict[str, list[dict]] = {name: [] for name, _ in SPLITS}
    attempts = 0
    while sum(map(len, out.values())) < rows:
        attempts += 1
        if attempts > rows * 50:
            raise RuntimeError(f"the content pools yield fewer than {rows} distinct pairs")
        row = make_pair(rng, by_name[_weighted(rng, weights)])
        key = (row["prompt"], row["chosen"], row["rejected"])
        if key in seen:
            continue
        seen.add(key)
        split = split_of(row["prompt"])
        row["pair_id"] = f"syn-{split}-{len(out[split]):05d}"
        out[split].append(row)
    return out


def write_dataset(folder: str | Path, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    splits = generate(rows, seed)
    return {name: write_preferences(split_rows, Path(folder) / f"{name}.parquet") for name, split_rows in splits.items()}
