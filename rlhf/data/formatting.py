"""Turn a patient message, its history and context into model tokens with the chat template.

The system message holds the assistant's instructions and the patient's context (age bracket,
visit type, sex), so every template keeps it. Prompts longer than `max_prompt_tokens` lose their
oldest history turns first, then the end of the patient's message; the system message and
context are never cut. Responses are cut to `max_response_tokens`, the end-of-turn token included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from typing import TYPE_CHECKING

from rlhf.data.schema import PatientContext, PreferencePair, Turn
from rlhf.errors import ConfigError

if TYPE_CHECKING:
    from rlhf.config import DataSettings

_SEX_WORDS = {"female": "female", "male": "male", "other": "other", "unspecified": "not stated"}


def context_line(context: PatientContext) -> str:
    return (
        f"Patient context: age bracket {context.age_bracket}, visit type {context.visit_type}, "
        f"sex {_SEX_WORDS.get(context.sex, context.sex)}."
    )


def control_tokens(tokenizer, text: str) -> list[str]:
    """The tokenizer's special or added tokens (chat-template control tokens such as `<|im_end|>`) written
    out in `text`. Client text holding one is refused: encoded, it would become a real control token and
    could close the patient's turn or open a forged system or assistant turn."""
    specials = set(getattr(tokenizer, "all_special_tokens", ())) | set(tokenizer.get_added_vocab() if hasattr(tokenizer, "get_added_vocab") else ())
    return sorted(t for t in specials if t and len(t) > 1 and t in text)


def build_messages(
    system_prompt: str, context: PatientContext, history: Sequence[Turn], message: str
) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": f"{system_prompt}\n\n{context_line(context)}"}]
    messages += [{"role": t.role, "content": t.content} for t in history]
    messages.append({"role": "user", "content": message})
    return messages


def _render(tokenizer, messages: list[dict[str, str]]) -> list[int]:
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]


@dataclass(frozen=True)
class EncodedPrompt:
    input_ids: list[int]
    dropped_turns: int
    message_truncated: bool


def encode_prompt(
    tokenizer,
    system_prompt: str,
    context: PatientContext,
    history: Sequence[Turn],
    message: str,
    max_prompt_tokens: int,
) -> EncodedPrompt:
    """Prompt tokens ending in the assistant's generation header, at most `max_prompt_tokens`."""
    turns = list(history)
    dropped = 0
    ids = _render(tokenizer, build_messages(system_prompt, context, turns, message))
    while len(ids) > max_prompt_tokens and turns:
        # Drop whole exchanges from the front so the history still alternates roles.
        turns = turns[2:] if len(turns) >= 2 and turns[0].role == "user" else turns[1:]
        dropped = len(history) - len(turns)
        ids = _render(tokenizer, build_messages(system_prompt, context, turns, message))
    if len(ids) <= max_prompt_tokens:
        return EncodedPrompt(ids, dropped, False)

    fixed = len(_render(tokenizer, build_messages(system_prompt, context, [], "")))
    if fixed >= max_prompt_tokens:
        raise ConfigError(
            f"data.max_prompt_tokens={max_prompt_tokens} leaves no room for the patient's message: the system "
            f"prompt and context alone take {fixed} tokens"
        )
    message_ids = tokenizer(message, add_special_tokens=False)["input_ids"]
    budget = max_prompt_tokens - fixed
    while budget > 0:
        cut = tokenizer.decode(message_ids[:budget], skip_special_tokens=True).rstrip()
        ids = _render(tokenizer, build_messages(system_prompt, context, [], cut))
        if len(ids) <= max_prompt_tokens:
            return EncodedPrompt(ids, dropped, True)
        budget -= max(1, len(ids) - max_prompt_tokens)  # re-tokenising can shift a token or two
    return EncodedPrompt(_render(tokenizer, build_messages(system_prompt, context, [], "")), dropped, True)


def end_of_turn_id(tokenizer) -> int:
    """The token that closes an assistant turn (for ChatML models `<|im_end|>`, which is their eos)."""
    return tokenizer.eos_token_id


def encode_response(tokenizer, text: str, max_response_tokens: int) -> list[int]:
    """Response tokens closed by the end-of-turn token; cut to `max_response_tokens` in all."""
    ids = tokenizer(text, add_special_tokens=False)["input_ids"][: max_response_tokens - 1]
    return ids + [end_of_turn_id(tokenizer)]


def prompt_ids(tokenizer, data: "DataSettings", pairs: Sequence[PreferencePair], max_prompt_tokens: int | None = None) -> list[list[int]]:
    """Each pair's prompt tokens with the config's system prompt and budget (`data.max_prompt_tokens`
    unless a caller such as the endpoint has its own): the one way a prompt is encoded for generation."""
    limit = data.max_prompt_tokens if max_prompt_tokens is None else max_prompt_tokens
    return [encode_prompt(tokenizer, data.system_prompt, p.context, p.history, p.prompt, limit).input_ids for p in pairs]


@dataclass(frozen=True)
class EncodedPair:
    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int]


def encode_pair(
    tokenizer, pair: PreferencePair, system_prompt: str, max_prompt_tokens: int, max_response_tokens: int
) -> EncodedPair:
    prompt = encode_prompt(tokenizer, system_prompt, pair.context, pair.history, pair.prompt, max_prompt_tokens)
    return EncodedPair(
        prompt.input_ids,
        encode_response(tokenizer, pair.chosen, max_response_tokens),
        encode_response(tokenizer, pair.rejected, max_response_tokens),
    )
