"""PHI guard: find direct identifiers in free text, and redact them.

Training data must be de-identified (HIPAA), and the serving audit log must never hold an
identifier the request did not already anonymise. Both call this one guard. It errs towards
flagging: a false alarm costs a reviewer a look, a miss leaks a patient's identity. Findings
carry the kind and the span, never the matched text, so reporting a finding leaks nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|"
    r"terrace|ter|circle|cir|parkway|pkwy|highway|hwy|square|sq|trail|trl)\.?"
)

# Order matters where patterns overlap: the first kind to claim a span keeps it.
PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"),
    "ssn": re.compile(
        r"\b(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4})\b|(?i:\b(?:ssn|social security(?: number| no\.?)?)\s*[:#]?\s*\d{9}\b)"
    ),
    "medical_record_number": re.compile(
        r"(?i)\b(?:mrn|mr#|mr no\.?|medical record(?: number| no\.?| #)?|patient id|chart(?: number| no\.?| #))"
        r"\s*(?:is\s*)?[:#]?\s*[a-z]{0,3}-?\d{5,12}\b"
    ),
    "phone": re.compile(
        r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?![\w/-])"
    ),
    "date": re.compile(
        r"(?i)\b(?:"
        r"\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}"  # 03/14/1962, 14.03.1962
        r"|(?:19|20)\d{2}-\d{1,2}-\d{1,2}"  # 1962-03-14
        rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}"  # March 14, 1962
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTHS},?\s+(?:19|20)\d{{2}}"  # 14 March 1962
        r")\b"
    ),
    "street_address": re.compile(
        rf"(?i)\b\d{{1,6}}\s+(?:[nsew]\.?\s+)?(?:[a-z][a-z'-]*\s+){{1,4}}{_STREET_SUFFIX}(?=[\s,.;:!?)]|$)"
        r"|(?i:\b(?:p\.?\s?o\.?\s+box)\s+\d+\b)"
    ),
}

# Words that, between a number and a street suffix, show the text is not an address:
# "walked 3 miles on the trail", "2 pills on the way", "5 mg at night".
_NOT_STREET = re.compile(
    r"(?i)\b(?:mg|ml|mcg|tablets?|pills?|times|days?|weeks?|hours?|years?|months?|doses?|miles?|blocks?|"
    r"steps|minutes?|flights?|the|a|an|my|on|in|at|to|of|up|down|for|and|with|from|this|that|every|each|per)\b"
)


@dataclass(frozen=True)
class PHIFinding:
    kind: str
    start: int
    end: int


def find_phi(text: str | None) -> list[PHIFinding]:
    """Every identifier span in `text`, sorted, without overlaps."""
    if not text:
        return []
    taken: list[PHIFinding] = []
    for kind, pattern in PATTERNS.items():
        for match in pattern.finditer(text):
            if kind == "street_address" and _NOT_STREET.search(match.group(0)):
                continue
            if any(match.start() < f.end and f.start < match.end() for f in taken):
                continue
            taken.append(PHIFinding(kind, match.start(), match.end()))
    return sorted(taken, key=lambda f: f.start)


def redact_phi(text: str) -> str:
    """`text` with each identifier replaced by `[REDACTED_KIND]`."""
    out, last = [], 0
    for finding in find_phi(text):
        out.append(text[last : finding.start])
        out.append(f"[REDACTED_{finding.kind.upper()}]")
        last = finding.end
    out.append(text[last:])
    return "".join(out)


def phi_kinds(text: str | None) -> list[str]:
    """The distinct kinds found, in order of first appearance."""
    seen: list[str] = []
    for finding in find_phi(text):
        if finding.kind not in seen:
            seen.append(finding.kind)
    return seen
