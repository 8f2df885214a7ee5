import pytest

from rlhf.safety.phi import find_phi, phi_kinds, redact_phi


@pytest.mark.parametrize(
    "text, kind",
    [
        ("you can email me at jane.roe@example.org", "email"),
        ("call me at (555) 123-4567", "phone"),
        ("my cell is 555-123-4567", "phone"),
        ("reach me on +1 555 123 4567", "phone"),
        ("my number: 555.123.4567 after 5", "phone"),
        ("SSN 123-45-6789", "ssn"),
        ("social security number: 123456789", "ssn"),
        ("MRN: 00123456", "medical_record_number"),
        ("my medical record number is A1234567", "medical_record_number"),
        ("patient id #4455667788", "medical_record_number"),
        ("DOB 03/14/1962", "date"),
        ("born March 14, 1962", "date"),
        ("born on the 14th of March 1962", "date"),
        ("date of birth 1962-03-14", "date"),
        ("I live at 123 Main Street", "street_address"),
        ("send it to 45 N Oak Ave, Springfield", "street_address"),
        ("742 evergreen terrace", "street_address"),
        ("mail to PO Box 1234", "street_address"),
    ],
)
def test_each_identifier_kind_is_caught(text, kind):
    assert kind in phi_kinds(text)
    assert kind.upper() in redact_phi(text)


@pytest.mark.parametrize(
    "text",
    [
        "I have had chest pain for 2 days",
        "blood pressure 140/90 this morning",
        "took 500 mg at 10:30 and 2 tablets twice a day",
        "my A1c was 6.1 in March and my LDL is 145",
        "I am 45 years old, 5 foot 10, temp 101.3",
        "heart rate 110 bpm, I walked 3 miles on the trail",
        "call 911 or text 988 if you feel unsafe",
        "she is 6 weeks old and it is 38.4°C",
        "since 2019 I have taken 12.5 mg",
        "I have 3 kids, ages 4 6 and 9",
        "I'm 30 weeks pregnant",
    ],
)
def test_clinical_text_passes(text):
    assert find_phi(text) == []
    assert redact_phi(text) == text


def test_findings_carry_spans_not_text_and_do_not_overlap():
    text = "Email a@b.co or call 555-123-4567; DOB 01/02/1990."
    findings = find_phi(text)
    assert [f.kind for f in findings] == ["email", "phone", "date"]
    assert all(findings[i].end <= findings[i + 1].start for i in range(len(findings) - 1))
    redacted = redact_phi(text)
    assert "a@b.co" not in redacted and "555-123-4567" not in redacted and "1990" not in redacted
    assert redacted.startswith("Email [REDACTED_EMAIL] or call [REDACTED_PHONE]")
