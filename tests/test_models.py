import math
import os
import subprocess
import sys
import textwrap

import pytest
import torch

from rlhf.config import GenerationSettings, ModelSettings
from rlhf.errors import ModelUnavailableError
from rlhf.generation import HFBackend
from rlhf.models import checkpoints
from rlhf.models.checkpoints import MARKER, resolve_checkpoint
from rlhf.models.loading import load_causal_lm, lora_targets
from rlhf.models.registry import REGISTRY


def test_registry_entries_are_complete():
    assert {"smollm2-135m", "smollm2-tiny", "biomistral-7b", "meditron-7b", "openbiollm-8b",
            "mistral-7b-instruct", "llama-3.1-8b-instruct"} <= set(REGISTRY)
    for spec in REGISTRY.values():
        assert spec.lora_targets
        if spec.source == "hub":
            assert spec.hf_id and "/" in spec.hf_id
    assert REGISTRY["smollm2-tiny"].base == "smollm2-135m"


def test_tiny_model_has_the_real_tokenizer_and_a_small_config(tiny_path):
    from transformers import AutoConfig, AutoTokenizer

    base = resolve_checkpoint("smollm2-135m")
    tiny_cfg, base_cfg = AutoConfig.from_pretrained(tiny_path), AutoConfig.from_pretrained(base)
    assert tiny_cfg.model_type == base_cfg.model_type and tiny_cfg.vocab_size == base_cfg.vocab_size
    assert tiny_cfg.num_hidden_layers == 2 and base_cfg.num_hidden_layers == 30
    assert AutoTokenizer.from_pretrained(tiny_path).get_vocab() == AutoTokenizer.from_pretrained(base).get_vocab()


def test_generation_returns_the_models_own_logprobs(tiny_path):
    loaded = load_causal_lm(ModelSettings(name="smollm2-tiny"))
    tok = loaded.tokenizer
    prompts = [tok("Hello there, how are")["input_ids"], tok("A much longer prompt about my chest that keeps going")["input_ids"]]
    gens = HFBackend(loaded.model, tok).generate(prompts, GenerationSettings(max_new_tokens=6, temperature=1.0), seed=0)
    assert len(gens) == 2
    for prompt, gen in zip(prompts, gens):
        assert 1 <= len(gen.token_ids) <= 6 and len(gen.logprobs) == len(gen.token_ids)
        assert all(lp <= 0 and math.isfinite(lp) for lp in gen.logprobs)
        # the same log-probs from a plain forward pass over prompt + response
        ids = torch.tensor([prompt + gen.token_ids])
        with torch.no_grad():
            logits = loaded.model(ids).logits[0, len(prompt) - 1 : -1]
        expected = torch.log_softmax(logits.float(), -1).gather(-1, torch.tensor(gen.token_ids)[:, None])[:, 0]
        assert torch.allclose(expected, torch.tensor(gen.logprobs), atol=1e-3)


def test_lora_wraps_the_registry_targets():
    settings = ModelSettings(name="smollm2-tiny")
    loaded = load_causal_lm(settings, trainable=True)
    trainable = sum(p.numel() for p in loaded.model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in loaded.model.parameters())
    assert 0 < trainable < 0.2 * total
    assert set(loaded.model.peft_config["default"].target_modules) == set(lora_targets(settings))
    narrow = ModelSettings(name="smollm2-tiny", lora={"target_modules": ["q_proj"], "r": 4})
    narrow_model = load_causal_lm(narrow, trainable=True).model
    assert set(narrow_model.peft_config["default"].target_modules) == {"q_proj"}
    assert sum(p.numel() for p in narrow_model.parameters() if p.requires_grad) < trainable


@pytest.mark.parametrize("bits, layer", [("4bit", "Linear4bit"), ("8bit", "Linear8bitLt")])
def test_quantized_loading_on_cpu(bits, layer):
    loaded = load_causal_lm(ModelSettings(name="smollm2-tiny", quantization=bits), device="cpu")
    kinds = {type(m).__name__ for m in loaded.model.modules()}
    assert layer in kinds
    with torch.no_grad():
        out = loaded.model(torch.tensor([[1, 2, 3, 4]])).logits
    assert torch.isfinite(out).all()


def test_local_folder_is_loaded_by_path(tiny_path, tmp_path):
    loaded = load_causal_lm(ModelSettings(name=str(tiny_path)))
    assert loaded.path == tiny_path
    with pytest.raises(ModelUnavailableError, match="not a folder holding a Hugging Face checkpoint"):
        resolve_checkpoint(str(tmp_path))


def test_unreachable_hub_model_is_one_clear_line():
    with pytest.raises(ModelUnavailableError) as err:
        resolve_checkpoint("biomistral-7b")
    message = str(err.value)
    assert "\n" not in message
    assert "BioMistral/BioMistral-7B" in message and "not in the local Hugging Face cache" in message


def test_converted_checkpoint_is_reused_from_cache(monkeypatch):
    first = resolve_checkpoint("smollm2-135m")
    stamp = (first / MARKER).stat().st_mtime_ns

    def no_conversion(*_args, **_kwargs):
        raise AssertionError("converted again instead of reusing the cache")

    import transformers

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", no_conversion)
    assert resolve_checkpoint("smollm2-135m") == first
    assert (first / MARKER).stat().st_mtime_ns == stamp


def test_a_failed_build_leaves_nothing_behind(tmp_path):
    target = tmp_path / "models" / "thing"

    def broken(out):
        out.mkdir()
        (out / "config.json").write_text("{}")
        raise RuntimeError("killed halfway")

    with pytest.raises(RuntimeError):
        checkpoints._build_once(target, broken, "thing")
    assert not target.exists() and not list(target.parent.glob("thing.tmp-*"))

    def good(out):
        out.mkdir()
        (out / "config.json").write_text("{}")

    assert checkpoints._build_once(target, good, "thing") == target and (target / MARKER).is_file()


def test_two_processes_building_at_once_build_once(tmp_path):
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from rlhf.models.checkpoints import _build_once
        def build(out):
            with open({str(tmp_path / 'builds.log')!r}, 'a') as fh:
                fh.write('built\\n')
            out.mkdir()
            time.sleep(1.5)
            (out / 'config.json').write_text('{{}}')
        print(_build_once(Path({str(tmp_path / 'cache' / 'm')!r}), build, 'm'))
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outputs[0] == outputs[1] == str(tmp_path / "cache" / "m")
    assert (tmp_path / "builds.log").read_text() == "built\n"


@pytest.mark.e2e
def test_real_gguf_conversion_by_two_processes_at_once(tmp_path):
    """The real GGUF conversion into an empty cache, started twice at once: one converts, both get it."""
    env = {**os.environ, "CLINICAL_RLHF_CACHE": str(tmp_path)}
    code = "import logging; logging.basicConfig(level=logging.INFO); from rlhf.models.checkpoints import resolve_checkpoint; print('PATH', resolve_checkpoint('smollm2-135m'))"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), results
    paths = {line for out, _ in results for line in out.splitlines() if line.startswith("PATH")}
    assert len(paths) == 1
    logs = "".join(err for _, err in results)
    assert logs.count("building smollm2-135m") == 1
    folder = tmp_path / "models" / paths.pop().split("/models/")[1]
    assert (folder / "model.safetensors").is_file() and (folder / MARKER).is_file()


@pytest.mark.parametrize("name", [n for n, s in REGISTRY.items() if s.chat_template])
def test_registry_chat_templates_keep_system_context_and_turn_order(name, tokenizer):
    import copy

    tok = copy.deepcopy(tokenizer)
    tok.chat_template = REGISTRY[name].chat_template
    messages = [
        {"role": "system", "content": "SYSTEM-TEXT Patient context: age bracket 40-50."},
        {"role": "user", "content": "FIRST-USER"},
        {"role": "assistant", "content": "FIRST-ASSISTANT"},
        {"role": "user", "content": "SECOND-USER"},
    ]
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    positions = [text.index(marker) for marker in ("SYSTEM-TEXT", "FIRST-USER", "FIRST-ASSISTANT", "SECOND-USER")]
    assert positions == sorted(positions)
    assert "age bracket 40-50" in text


def test_auto_precision_uses_bf16_only_where_the_hardware_runs_it(monkeypatch):
    import torch

    from rlhf.models import precision

    for native in (True, False):
        monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda native=native: native)
        assert precision.use_bf16("auto", "cpu") is native
        assert precision.use_bf16("bf16", "cpu") is True and precision.use_bf16("fp32", "cpu") is False
    assert precision.use_bf16("auto", "meta") is False
