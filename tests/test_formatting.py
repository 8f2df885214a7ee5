import pytest

from rlhf.config import DEFAULT_SYSTEM_PROMPT
from rlhf.data.formatting import build_messages, context_line, encode_pair, encode_prompt, encode_response
from rlhf.data.schema import PatientContext, Turn
from rlhf.errors import ConfigError

CTX = PatientContext(age_bracket="40-50", visit_type="follow-up", sex="unspecified")
HISTORY = (
    Turn("assistant", "Hi! This is ClinAssist checking in after your visit."),
    Turn("user", "I have a question about my pills."),
    Turn("assistant", "Of course, go ahead."),
)


def test_messages_carry_context_and_history_in_order():
    messages = build_messages("SYSTEM", CTX, HISTORY, "Can I take it with food?")
    assert [m["role"] for m in messages] == ["system", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"].startswith("SYSTEM\n\n")
    assert "age bracket 40-50" in messages[0]["content"] and "visit type follow-up" in messages[0]["content"]
    assert "sex not stated" in context_line(CTX)
    assert messages[-1]["content"] == "Can I take it with food?"


def test_chat_template_rendering(tokenizer):
    enc = encode_prompt(tokenizer, DEFAULT_SYSTEM_PROMPT, CTX, HISTORY, "Can I take it with food?", 512)
    text = tokenizer.decode(enc.input_ids)
    assert text.startswith("<|im_start|>system\nYou are ClinAssist")
    assert text.index("checking in") < text.index("question about my pills") < text.index("Can I take it with food?")
    assert text.endswith("<|im_start|>assistant\n")
    assert enc.dropped_turns == 0 and not enc.message_truncated


def test_long_history_is_dropped_oldest_first(tokenizer):
    long_turn = "word " * 60
    history = (Turn("user", "OLDEST " + long_turn), Turn("assistant", "OLD " + long_turn), Turn("user", "NEWER " + long_turn))
    full = len(encode_prompt(tokenizer, "S", CTX, history, "now", 2048).input_ids)
    enc = encode_prompt(tokenizer, "S", CTX, history, "now", full - 10)
    text = tokenizer.decode(enc.input_ids)
    assert len(enc.input_ids) <= full - 10
    assert "OLDEST" not in text and "OLD " not in text and "NEWER" in text
    assert enc.dropped_turns == 2 and not enc.message_truncated


def test_long_message_is_cut_to_the_limit(tokenizer):
    message = "My symptoms started yesterday. " + "It hurts a lot and I am worried. " * 200
    enc = encode_prompt(tokenizer, DEFAULT_SYSTEM_PROMPT, CTX, HISTORY, message, 128)
    text = tokenizer.decode(enc.input_ids)
    assert len(enc.input_ids) <= 128
    assert enc.message_truncated and enc.dropped_turns == 3
    assert "My symptoms started yesterday." in text and text.endswith("<|im_start|>assistant\n")
    assert "You are ClinAssist" in text and "age bracket 40-50" in text  # the system part is never cut


def test_prompt_limit_too_small_for_system_prompt(tokenizer):
    with pytest.raises(ConfigError, match="leaves no room"):
        encode_prompt(tokenizer, DEFAULT_SYSTEM_PROMPT, CTX, (), "x " * 100, 64)


def test_response_truncation_keeps_end_of_turn(tokenizer):
    ids = encode_response(tokenizer, "Please rest. " * 100, 16)
    assert len(ids) == 16 and ids[-1] == tokenizer.eos_token_id
    short = encode_response(tokenizer, "Please rest.", 256)
    assert short[-1] == tokenizer.eos_token_id and len(short) < 10


def test_encode_pair_uses_configured_limits(tokenizer, held_out_pairs):
    pair = held_out_pairs[0]
    enc = encode_pair(tokenizer, pair, DEFAULT_SYSTEM_PROMPT, 512, 12)
    assert len(enc.chosen_ids) <= 12 and len(enc.rejected_ids) <= 12
    assert pair.prompt[:20] in tokenizer.decode(enc.prompt_ids)
