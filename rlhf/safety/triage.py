"""The clinical rule layer of triage: which emergency categories a patient's words assert.

medspaCy finds the concepts of `triage_lexicon` in the normalised message (its TargetMatcher) and
reads their context with ConText, the clinical-NLP standard for negation, history and hypotheticals:
"no chest pain", "the chest pain I had last year, now gone", "what are the signs of a stroke" and "a
stroke of luck" do not escalate; "my dad has chest pain" does. A category escalates when one of its
concepts, or every concept of one of its combinations, is asserted (see triage_lexicon).

The pipeline is built once per process, on first use (spaCy and medspaCy take a few seconds to import);
`warm_up` builds it ahead of the first request.
"""

from __future__ import annotations

from rlhf.safety.context import ContextMatcher, Finding
from rlhf.safety.triage_lexicon import CATEGORIES, CONCEPTS, CONTEXT_TRIGGERS, EVENT_CONCEPTS, FIGURES, RESOLUTION_TRIGGERS

# Categories in order of urgency: the first decides the holding reply's words when several fire.
CATEGORY_ORDER = tuple(CATEGORIES)


_MATCHER = ContextMatcher(CONCEPTS, CONTEXT_TRIGGERS, RESOLUTION_TRIGGERS, symptoms=set(CONCEPTS) - EVENT_CONCEPTS,
                          figures=FIGURES)


def findings(message: str | None) -> list[Finding]:
    """Every concept of the lexicon in `message`, with what blocks it (for each normalised reading)."""
    return _MATCHER.findings(message)


def categories(found: list[Finding]) -> list[str]:
    """The emergency categories that the asserted findings make, most urgent first."""
    asserted = {f.concept for f in found if f.asserted}
    out = []
    for category, (any_of, combinations) in CATEGORIES.items():
        if asserted.intersection(any_of) or any(asserted.issuperset(combo) for combo in combinations):
            out.append(category)
    return out


__all__ = ["CATEGORY_ORDER", "Finding", "categories", "findings", "triage", "warm_up"]


def triage(message: str | None) -> list[str]:
    """Emergency categories asserted in `message`, most urgent first (empty: none)."""
    return categories(findings(message))


def warm_up() -> None:
    """Build the pipeline now (a replica or worker calls this at start, not on its first request)."""
    _MATCHER.warm_up()
