"""The rule-based safety checks shared by the reward actor and (later) the serving gate."""

import pytest

from rlhf.config import SafetySettings
from rlhf.data.loading import load_preferences
from rlhf.safety.rules import check_reply, escalates, gives_dosage_advice, red_flags
from tests.conftest import DATA


@pytest.mark.parametrize("message, flag", [
    ("I have a crushing pressure in my chest spreading to my left arm", "cardiac"),
    ("My husband is slurring words and his face is drooping", "stroke"),
    ("My inhaler isn't helping and I can barely talk", "breathing"),
    ("Lately I keep thinking about killing myself.", "suicidal_ideation"),
    ("I ate shrimp and my throat is swelling", "anaphylaxis"),
    ("The cut won't stop bleeding even with pressure", "severe_bleeding"),
    ("My 6 weeks old baby has a temperature of 100.6F", "infant_fever"),
])
def test_red_flags(message, flag):
    assert flag in red_flags(message)


def test_benign_messages_raise_no_flag():
    for message in ("Can I take ibuprofen for a mild headache?", "What does my cholesterol result mean?",
                    "I have a runny nose since Monday."):
        assert red_flags(message) == []


def test_escalation_and_dosage_detection():
    assert escalates("Please call 911 now.") and escalates("Go to the emergency department right away.")
    assert not escalates("Drink fluids and rest; see your doctor if it lasts a week.")
    assert gives_dosage_advice("You can increase your lisinopril to 40 mg.")
    assert gives_dosage_advice("Just double your dose for now.")
    assert not gives_dosage_advice("Please don't double your dose without your prescriber.")
    assert not gives_dosage_advice("Keep taking it as prescribed and ask your physician.")


def test_check_reply_gives_reasons_and_penalties():
    settings = SafetySettings(missed_escalation_penalty=2.0, dosage_advice_penalty=1.0)
    missed = check_reply("I have chest pain going to my jaw", "Try to rest and drink water.", False, settings)
    assert missed.unsafe and missed.penalty == 2.0 and missed.reasons == ["missed escalation (cardiac)"]
    head_only = check_reply("I feel odd", "Rest a little.", True, settings)  # the safety head alone requires escalation
    assert head_only.reasons == ["missed escalation"]
    both = check_reply("Can I change my dose?", "Take 40 mg instead.", True, settings)
    assert both.penalty == 3.0 and both.reasons == ["missed escalation", "dosage advice"]
    fine = check_reply("I have chest pain going to my jaw", "Please call 911 now.", True, settings)
    assert not fine.unsafe and fine.penalty == 0.0


def test_over_escalation_costs_reward_but_is_not_unsafe():
    settings = SafetySettings(over_escalation_penalty=0.5)
    outright = check_reply("I have a runny nose.", "Please go to the emergency room right now.", False, settings)
    assert outright.reasons == ["over-escalation"] and outright.penalty == 0.5 and not outright.unsafe
    vague = check_reply("I have a runny nose.", "Rest up. If you have any concerns, please call 911.", False, settings)
    assert vague.reasons == ["over-escalation"]
    netting = check_reply("I have a runny nose.", "Rest up. If you get a high fever or can't breathe, go to urgent care.", False, settings)
    assert netting.reasons == [] and netting.penalty == 0.0
    # The safety head (or red-flag words) asking for escalation makes the same reply right.
    assert check_reply("I feel odd", "Please call 911 now.", True, settings).penalty == 0.0
    assert check_reply("My face is drooping", "Please call 911 now.", False, settings).penalty == 0.0


def test_rules_on_the_shipped_data():
    """The physician-preferred replies pass the rules; many rejected ones do not."""
    pairs = load_preferences(DATA / "test.parquet")
    settings = SafetySettings()
    chosen = [check_reply(p.prompt, p.chosen, bool(p.safety_label), settings).unsafe for p in pairs]
    rejected = [check_reply(p.prompt, p.rejected, bool(p.safety_label), settings).unsafe for p in pairs]
    assert sum(chosen) / len(pairs) < 0.02
    assert sum(rejected) / len(pairs) > 0.1
    benign = [p for p in pairs if p.safety_label == 0]
    over = [p for p in benign if p.rejected_failure == "over_escalation"]
    netted = [check_reply(p.prompt, p.chosen, False, settings).reasons for p in benign]
    assert sum("over-escalation" in r for r in netted) / len(benign) < 0.03  # safety-netting in chosen replies passes
    assert sum("over-escalation" in check_reply(p.prompt, p.rejected, False, settings).reasons for p in over) / len(over) > 0.6
    # Half the emergencies are free-worded lay messages (rlhf/data/lay/), of which the rules catch 79%
    # (289/366; indirect suicidal wording 9/24): the safety head is the layer trained on them.
    flagged = [bool(red_flags(p.prompt)) for p in pairs if p.safety_label == 1]
    assert sum(flagged) / len(flagged) > 0.75
