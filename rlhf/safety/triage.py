"""The clinical rule layer of triage: which emergency categories a patient's words assert.

medspaCy finds the concepts of `triage_lexicon` in the normalised message (its TargetMatcher) and
reads their context with ConText, the clinical-NLP standard for negation, history and hypotheticals:
"no chest pain", "the chest pain I had last year, now gone", "what are the signs of a stroke" and "a
stroke of luck" do not escalate; "my dad has chest pain" does. A category escalates when one of its
concepts, or every concept of one of its combinations, is asserted (see triage_lexicon).

The pipeline is built once per process, on first use (spaCy and medspaCy take a few seconds to import).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from rlhf.safety.normalize import variants
from rlhf.safety.triage_lexicon import (BLOCKING, CATEGORIES, CONCEPTS, CONTEXT_MAX_SCOPE, CONTEXT_TRIGGERS,
                                        EVENT_CONCEPTS, FIGURES, RESOLUTION_TRIGGERS, SENTENCE_MAX_SCOPE, SENTENCE_SCOPE)

# Categories in order of urgency: the first decides the holding reply's words when several fire.
CATEGORY_ORDER = tuple(CATEGORIES)
_SPAN_GROUP = "triage"
_lock = threading.Lock()


@dataclass(frozen=True)
class Finding:
    """One concept found in the message and what ConText said of it."""
    concept: str
    start: int  # character offsets in the normalised text
    end: int
    blocked_by: tuple[str, ...]  # modifier categories that stop it counting (negated, historical, ...)

    @property
    def asserted(self) -> bool:
        return not self.blocked_by


@lru_cache(maxsize=1)
def _pipeline():
    import spacy
    from medspacy.context import ConTextRule
    from medspacy.custom_tokenizer import create_medspacy_tokenizer
    from medspacy.ner import TargetRule

    nlp = spacy.blank("en")
    nlp.tokenizer = create_medspacy_tokenizer(nlp)
    nlp.add_pipe("sentencizer")
    matcher = nlp.add_pipe("medspacy_target_matcher", config={"result_type": "group", "span_group_name": _SPAN_GROUP,
                                                               "prune": False})
    matcher.add([TargetRule(concept, concept, pattern=pattern) for concept, patterns in CONCEPTS.items() for pattern in patterns])
    context = nlp.add_pipe("medspacy_context", config={"rules": None, "input_span_type": "group",
                                                        "span_group_name": _SPAN_GROUP, "max_scope": CONTEXT_MAX_SCOPE})
    symptoms = {c for c in CONCEPTS if c not in EVENT_CONCEPTS}
    rules = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)  # medspaCy's own rules, written for clinical notes
    rules += [ConTextRule(phrase, category, direction=direction) for phrase, category, direction in CONTEXT_TRIGGERS]
    rules += [ConTextRule(phrase, "HISTORICAL", direction="BACKWARD", allowed_types=symptoms) for phrase in RESOLUTION_TRIGGERS]
    for rule in rules:
        if rule.direction.upper() == "TERMINATE":
            # A terminator's own scope must be small: medspaCy cuts a trigger's scope at a terminator only when
            # the terminator's scope does not contain the trigger's (its span-overlap test misses containment).
            rule.max_scope = 1
        elif rule.literal in SENTENCE_SCOPE:
            rule.max_scope = SENTENCE_MAX_SCOPE
    context.add(rules)
    return nlp


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


_FIGURES = re.compile("|".join(f"(?:{f})" for f in FIGURES))


def findings(message: str | None) -> list[Finding]:
    """Every concept of the lexicon in `message`, with the ConText modifiers that block it (for each
    normalised reading of it: see `normalize.variants`)."""
    return [f for text in variants(message) for f in _findings(text.lower())]


def _findings(text: str) -> list[Finding]:
    if not text:
        return []
    with _lock:  # spaCy pipelines are not documented as thread-safe; Serve replicas may call from threads
        doc = _pipeline()(text)
    blocked: dict[tuple[int, int, str], set[str]] = {}
    for target, modifier in doc._.context_graph.edges:
        # A trigger inside the finding itself ("can't breathe", "won't stop bleeding") does not modify it.
        if _overlaps(modifier.modifier_span, (target.start, target.end)):
            continue
        if modifier.category in BLOCKING:
            blocked.setdefault((target.start, target.end, target.label_), set()).add(modifier.category)
    figures = [(m.start(), m.end()) for m in _FIGURES.finditer(text)]
    out = []
    for span in doc.spans.get(_SPAN_GROUP, []):
        blockers = blocked.get((span.start, span.end, span.label_), set())
        if any(_overlaps(figure, (span.start_char, span.end_char)) for figure in figures):
            blockers = blockers | {"FIGURATIVE"}
        out.append(Finding(span.label_, span.start_char, span.end_char, tuple(sorted(blockers))))
    return out


def categories(found: list[Finding]) -> list[str]:
    """The emergency categories that the asserted findings make, most urgent first."""
    asserted = {f.concept for f in found if f.asserted}
    out = []
    for category, (any_of, combinations) in CATEGORIES.items():
        if asserted.intersection(any_of) or any(asserted.issuperset(combo) for combo in combinations):
            out.append(category)
    return out


def triage(message: str | None) -> list[str]:
    """Emergency categories asserted in `message`, most urgent first (empty: none)."""
    return categories(findings(message))


def warm_up() -> None:
    """Build the pipeline now (a replica or worker calls this at start, not on its first request)."""
    triage("warm up")
