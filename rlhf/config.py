"""The one typed config schema: YAML presets in configs/ plus `--set a.b=value` overrides.

Every setting has its single default here. Presets only state what differs from these defaults,
so a reader who wants to know "what does the embedded default do" reads this file once.
Validation errors name the field, the allowed range and the value that was given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from rlhf.errors import ConfigError
from rlhf.paths import project_root

DEFAULT_SYSTEM_PROMPT = (
    "You are ClinAssist, the assistant of a telehealth practice. You answer patients on behalf "
    "of their care team. Be warm, clear and brief. Do not diagnose, prescribe or change "
    "medication doses: refer those questions to the patient's physician. If the patient "
    "describes symptoms that may be an emergency, tell them to seek emergency care now."
)


class _Section(BaseModel):
    """Base of every config section: unknown keys are errors, assignments are re-validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


class LoraSettings(_Section):
    enabled: bool = True
    r: int = Field(16, ge=1, le=512, description="LoRA rank")
    alpha: int = Field(32, ge=1, le=4096)
    dropout: float = Field(0.05, ge=0.0, lt=1.0)
    # None: the registry's suggested target modules for the model (or peft's "all-linear").
    target_modules: list[str] | None = None


class ModelSettings(_Section):
    name: str = Field(
        "smollm2-135m",
        description="a registry name (see `python -m rlhf.models.registry`) or a local HF checkpoint folder",
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    quantization: Literal["none", "4bit", "8bit"] = "none"
    lora: LoraSettings = Field(default_factory=LoraSettings)
    # Where converted / generated checkpoints live. None: $CLINICAL_RLHF_CACHE or ~/.cache/clinical-rlhf.
    cache_dir: str | None = None

    @field_validator("name")
    @classmethod
    def _known_model(cls, value: str) -> str:
        from rlhf.models.registry import REGISTRY

        if value in REGISTRY or Path(value).expanduser().is_dir():
            return value
        known = ", ".join(sorted(REGISTRY))
        raise ValueError(f"'{value}' is neither a registry name ({known}) nor an existing local folder")


class DataSettings(_Section):
    train_path: str = "data/clinical_prefs/train.parquet"
    val_path: str = "data/clinical_prefs/val.parquet"
    test_path: str = "data/clinical_prefs/test.parquet"
    max_prompt_tokens: int = Field(512, ge=64, le=32768)
    max_response_tokens: int = Field(256, ge=8, le=8192)
    max_history_turns: int = Field(3, ge=0, le=16)
    system_prompt: str = Field(DEFAULT_SYSTEM_PROMPT, min_length=1)


class GenerationSettings(_Section):
    backend: Literal["hf"] = "hf"
    max_new_tokens: int = Field(96, ge=1, le=4096)
    temperature: float = Field(0.7, ge=0.0, le=5.0, description="0 means greedy decoding")
    top_p: float = Field(0.9, gt=0.0, le=1.0)


class PPOSettings(_Section):
    beta: float = Field(0.1, gt=0.0, le=10.0, description="KL coefficient")
    clip_epsilon: float = Field(0.2, gt=0.0, lt=1.0, description="PPO clip range")
    learning_rate: float = Field(1e-5, gt=0.0, le=1e-2)


class TrackingSettings(_Section):
    enabled: bool = True
    # None: $MLFLOW_TRACKING_URI, else a SQLite store `mlflow.db` in the working folder.
    uri: str | None = None
    experiment: str = Field("clinical-rlhf", min_length=1)


class RuntimeSettings(_Section):
    seed: int = Field(42, ge=0)
    # Two processes sharing two cores with two threads each ran 9x slower: one thread by default.
    torch_threads: int = Field(1, ge=1, le=256)
    output_dir: str = "runs"
    demo_prompts: int = Field(3, ge=1, le=64, description="held-out prompts the demo generates for")


class Config(_Section):
    model: ModelSettings = Field(default_factory=ModelSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    generation: GenerationSettings = Field(default_factory=GenerationSettings)
    ppo: PPOSettings = Field(default_factory=PPOSettings)
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)
    runtime: RuntimeSettings = Field(default_factory=RuntimeSettings)

    @model_validator(mode="after")
    def _consistent(self) -> "Config":
        if self.generation.max_new_tokens > self.data.max_response_tokens:
            raise ValueError(
                f"generation.max_new_tokens ({self.generation.max_new_tokens}) must not exceed "
                f"data.max_response_tokens ({self.data.max_response_tokens})"
            )
        return self

    def flat(self) -> dict[str, Any]:
        """`section.key` -> value, for logging as MLflow params."""
        return _flatten(self.model_dump())


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def resolve_preset(path_or_name: str | Path) -> Path:
    """A preset path as given, or a bare name (`a100`) looked up in the project's configs/."""
    candidate = Path(path_or_name).expanduser()
    if candidate.is_file():
        return candidate
    for option in (project_root() / candidate, project_root() / "configs" / f"{candidate}.yaml"):
        if option.is_file():
            return option
    raise ConfigError(f"config preset '{path_or_name}' not found (looked in . and {project_root() / 'configs'})")


def parse_override(text: str) -> tuple[list[str], Any]:
    """`ppo.beta=0.05` -> (["ppo", "beta"], 0.05). Values are read as YAML scalars/lists."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"override '{text}' must look like section.key=value")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError as exc:
        raise ConfigError(f"override '{text}': the value is not valid YAML ({exc.__class__.__name__})") from None
    return key.split("."), value


def _apply(tree: dict[str, Any], path: list[str], value: Any, original: str) -> None:
    node = tree
    for part in path[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override '{original}': '{part}' is a value, not a section")
        node = child
    node[path[-1]] = value


def load_config(preset: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read a preset (or none: all defaults), apply overrides, validate once."""
    tree: dict[str, Any] = {}
    source = "defaults"
    if preset is not None:
        path = resolve_preset(preset)
        source = str(path)
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(loaded).__name__}")
        tree = loaded
    for text in overrides:
        path_parts, value = parse_override(text)
        _apply(tree, path_parts, value, text)
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"invalid config ({source}):"]
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown setting"
        given = err.get("input")
        shown = "" if isinstance(given, dict) or err["type"] == "extra_forbidden" else f" (got {given!r})"
        lines.append(f"  {field}: {message}{shown}")
    return "\n".join(lines)
