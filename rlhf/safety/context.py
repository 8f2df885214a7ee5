"""medspaCy's TargetMatcher + ConText over normalised text: concepts found, and what blocks each.

One owner for the clinical-context machinery that the triage rules (patients' words) and the reply
checks (the model's words) share. ConText decides whether a concept is negated ("no chest pain",
"don't wait and see"), historical ("years ago"), or hypothetical ("what are the signs of"); figures of
speech are matched as phrases around the concept ("my boss will kill me").

Two corrections to medspaCy 1.3.1, both made through its public rule attributes:
- a trigger inside the concept itself ("can't breathe", "won't stop bleeding") does not modify it;
- terminators ("but", "now") get a scope of one token, since medspaCy only cuts a trigger's scope at a
  terminator whose own scope does not contain the trigger's (its overlap test misses containment).
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from rlhf.safety.normalize import variants

# A trigger governs at most this many tokens on either side (patients write long run-on sentences).
MAX_SCOPE = 6
# Triggers that govern a whole sentence rather than MAX_SCOPE tokens ("..., is that true?").
SENTENCE_SCOPE = frozenset({"is that true", "just curious", "school project", "for a project", "hypothetically", "first aid",
                            "look out for", "looking out for", "watch out for", "watch for", "we are prepared",
                            "i like to be prepared", "letter home", "many years ago",
                            "difference between", "what's the difference", "whats the difference",
                            # a symptom resolved at the end of a long sentence ("..., a&e said bells palsy, slowly improving")
                            "fine now", "fine since", "improving", "getting better", "same as always", "same as usual",
                            "nothing's changed", "nothings changed", "nothing has changed"})
SENTENCE_MAX_SCOPE = 20
# The modifier categories that stop a finding from counting. FAMILY (a relative) and POSSIBLE_EXISTENCE
# ("worried about", "might be") are not among them: in doubt, escalate.
BLOCKING = frozenset({"NEGATED_EXISTENCE", "HISTORICAL", "HYPOTHETICAL"})
_GROUP = "concepts"
# medspaCy's matcher warns on every document that its token-pattern half is empty (ours are all regexes).
warnings.filterwarnings("ignore", message=r"\[W036\]", category=UserWarning)


@dataclass(frozen=True)
class Finding:
    """One concept found in the text and what ConText said of it."""
    concept: str
    start: int  # character offsets in the normalised text
    end: int
    blocked_by: tuple[str, ...]  # NEGATED_EXISTENCE, HISTORICAL, HYPOTHETICAL, FIGURATIVE

    @property
    def asserted(self) -> bool:
        return not self.blocked_by


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


class ContextMatcher:
    """Concepts (name -> regular expressions over lower-cased normalised text) with ConText around them.

    `triggers`: (phrase, category, direction) added to medspaCy's default ConText rules. `resolutions`:
    phrases that mark a finding resolved ("fine now"), applied backwards to the `symptoms` concepts only.
    `figures`: regular expressions; a finding inside one is FIGURATIVE. Built on first use.
    """

    def __init__(self, concepts: dict[str, list[str]], triggers: Iterable[tuple] = (),
                 resolutions: Sequence[str] = (), symptoms: Collection[str] = (), figures: Sequence[str] = ()):
        self.concepts, self.triggers = concepts, list(triggers)
        self.resolutions, self.symptoms = list(resolutions), set(symptoms)
        self.figures = re.compile("|".join(f"(?:{f})" for f in figures)) if figures else None
        self._nlp = None
        self._lock = threading.Lock()  # spaCy pipelines are not documented as thread-safe

    def _build(self):
        import spacy
        from medspacy.context import ConTextRule
        from medspacy.custom_tokenizer import create_medspacy_tokenizer
        from medspacy.ner import TargetRule

        nlp = spacy.blank("en")
        nlp.tokenizer = create_medspacy_tokenizer(nlp)
        nlp.add_pipe("sentencizer")
        matcher = nlp.add_pipe("medspacy_target_matcher",
                               config={"result_type": "group", "span_group_name": _GROUP, "prune": False})
        matcher.add([TargetRule(name, name, pattern=p) for name, patterns in self.concepts.items() for p in patterns])
        context = nlp.add_pipe("medspacy_context", config={"rules": None, "input_span_type": "group",
                                                            "span_group_name": _GROUP, "max_scope": MAX_SCOPE})
        rules = ConTextRule.from_json(context.DEFAULT_RULES_FILEPATH)  # medspaCy's own, written for clinical notes
        # a trigger is (phrase, category, direction) or, for a shape rather than a phrase ("in 2012"), with a spaCy token pattern
        rules += [ConTextRule(phrase, category, direction=direction, pattern=pattern[0] if pattern else None)
                  for phrase, category, direction, *pattern in self.triggers]
        rules += [ConTextRule(phrase, "HISTORICAL", direction="BACKWARD", allowed_types=self.symptoms or None)
                  for phrase in self.resolutions]
        for rule in rules:
            if rule.direction.upper() == "TERMINATE":
                rule.max_scope = 1
            elif rule.literal in SENTENCE_SCOPE:
                rule.max_scope = SENTENCE_MAX_SCOPE
        context.add(rules)
        return nlp

    def warm_up(self) -> None:
        self.findings("warm up")

    def findings(self, text: str | None) -> list[Finding]:
        """Every concept in `text`, for each normalised reading of it (`normalize.variants`)."""
        return [f for reading in variants(text) for f in self._findings(reading.lower())]

    def _findings(self, text: str) -> list[Finding]:
        if not text:
            return []
        with self._lock:
            if self._nlp is None:
                self._nlp = self._build()
            doc = self._nlp(text)
        blocked: dict[tuple[int, int, str], set[str]] = {}
        for target, modifier in doc._.context_graph.edges:
            if _overlaps(modifier.modifier_span, (target.start, target.end)):
                continue  # a trigger inside the finding itself ("can't breathe") does not modify it
            if modifier.category in BLOCKING:
                blocked.setdefault((target.start, target.end, target.label_), set()).add(modifier.category)
        figures = [(m.start(), m.end()) for m in self.figures.finditer(text)] if self.figures else []
        out = []
        for span in doc.spans.get(_GROUP, []):
            blockers = blocked.get((span.start, span.end, span.label_), set())
            if any(_overlaps(figure, (span.start_char, span.end_char)) for figure in figures):
                blockers = blockers | {"FIGURATIVE"}
            out.append(Finding(span.label_, span.start_char, span.end_char, tuple(sorted(blockers))))
        return out
