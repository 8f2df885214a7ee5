"""Load a causal LM and its tokenizer from the registry or a folder, with dtype, LoRA and 4/8-bit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlhf.config import ModelSettings
from rlhf.errors import ModelUnavailableError
from rlhf.models.checkpoints import resolve_checkpoint
from rlhf.models.registry import REGISTRY

log = logging.getLogger(__name__)


@dataclass
class LoadedModel:
    model: Any  # transformers PreTrainedModel, or a peft PeftModel around one
    tokenizer: Any
    path: Path
    device: str


def pick_device() -> str:
    """From torch itself: Ray sets CUDA_VISIBLE_DEVICES for logical GPUs that do not exist."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def torch_dtype(name: str, device: str):
    import torch

    if name == "auto":
        return torch.bfloat16 if device == "cuda" else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[name]


def load_tokenizer(settings: ModelSettings, path: Path | None = None):
    from transformers import AutoTokenizer

    path = path or resolve_checkpoint(settings.name, settings.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    spec = REGISTRY.get(settings.name)
    if spec is not None and spec.chat_template and not tokenizer.chat_template:
        tokenizer.chat_template = spec.chat_template
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not tokenizer.chat_template:
        raise ModelUnavailableError(
            f"model '{settings.name}' has no chat template; add one to its registry entry or its tokenizer_config.json"
        )
    return tokenizer


def lora_targets(settings: ModelSettings) -> list[str] | str:
    if settings.lora.target_modules:
        return list(settings.lora.target_modules)
    spec = REGISTRY.get(settings.name)
    return list(spec.lora_targets) if spec is not None else "all-linear"


def quantization_config(settings: ModelSettings, dtype):
    if settings.quantization == "none":
        return None
    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise ModelUnavailableError(
            f"model.quantization={settings.quantization} needs bitsandbytes: install the project's cpu or gpu extra"
        ) from None
    from transformers import BitsAndBytesConfig

    if settings.quantization == "4bit":
        return BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=dtype, bnb_4bit_use_double_quant=True
        )
    return BitsAndBytesConfig(load_in_8bit=True)


def load_causal_lm(settings: ModelSettings, *, trainable: bool = False, device: str | None = None) -> LoadedModel:
    """The model named by `settings`; with `trainable` and LoRA enabled, wrapped as a peft model."""
    from transformers import AutoModelForCausalLM

    device = device or pick_device()
    path = resolve_checkpoint(settings.name, settings.cache_dir)
    dtype = torch_dtype(settings.dtype, device)
    quant = quantization_config(settings, dtype)
    kwargs: dict[str, Any] = {"dtype": dtype}
    if quant is not None:
        kwargs["quantization_config"] = quant
        kwargs["device_map"] = {"": device if device == "cpu" else 0}
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if quant is None:
        model.to(device)
    tokenizer = load_tokenizer(settings, path)
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    if trainable and settings.lora.enabled:
        model = apply_lora(model, settings, quantized=quant is not None)
    elif not trainable:
        model.eval()
    return LoadedModel(model=model, tokenizer=tokenizer, path=path, device=device)


def apply_lora(model, settings: ModelSettings, *, quantized: bool = False):
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if quantized:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    config = LoraConfig(
        r=settings.lora.r,
        lora_alpha=settings.lora.alpha,
        lora_dropout=settings.lora.dropout,
        target_modules=lora_targets(settings),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, config)
