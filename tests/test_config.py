import pytest
from pydantic import BaseModel

from rlhf.config import (
    TABLE_END, TABLE_START, Config, PPOSettings, describe, explain, load_config, markdown_table, parse_override,
)
from rlhf.errors import ConfigError
from tests.conftest import ROOT


def test_defaults_and_presets_validate():
    default = load_config(ROOT / "configs/default.yaml")
    assert default.model.name == "smollm2-135m"
    assert default.data.max_prompt_tokens == 512 and default.data.max_response_tokens == 256
    a100 = load_config("a100")  # a bare name is looked up in configs/
    assert a100.model.name == "biomistral-7b" and a100.model.dtype == "bfloat16"
    long = load_config("cpu-long")  # the embedded model trained for about 90 minutes, in its own folder
    assert long.evaluation.compare == ["dpo", "kto"] and long.runtime.output_dir == "runs/cpu-long" and long.ppo.steps > default.ppo.steps
    assert default.evaluation.compare == ["dpo"]
    assert load_config(None) == Config()


def test_overrides_are_typed_and_applied():
    cfg = load_config("default", ["ppo.beta=0.05", "model.lora.r=8", "tracking.enabled=false",
                                  "model.lora.target_modules=[q_proj, v_proj]"])
    assert cfg.ppo.beta == 0.05
    assert cfg.model.lora.r == 8
    assert cfg.tracking.enabled is False
    assert cfg.model.lora.target_modules == ["q_proj", "v_proj"]


@pytest.mark.parametrize(
    "override, field, words",
    [
        ("ppo.beta=-1", "ppo.beta", "greater than 0"),
        ("ppo.clip_epsilon=1.5", "ppo.clip_epsilon", "less than 1"),
        ("data.max_prompt_tokens=10", "data.max_prompt_tokens", "greater than or equal to 64"),
        ("model.dtype=float8", "model.dtype", "'auto', 'float32', 'bfloat16' or 'float16'"),
        ("ppo.betta=0.1", "ppo.betta", "unknown setting"),
        ("model.name=no-such-model", "model.name", "neither a registry name"),
    ],
)
def test_validation_errors_name_field_and_range(override, field, words):
    with pytest.raises(ConfigError) as err:
        load_config("default", [override])
    message = str(err.value)
    assert f"{field}:" in message and words in message
    if "unknown" not in words:
        assert "got" in message  # the offending value is shown


def test_cross_field_rule():
    with pytest.raises(ConfigError, match="max_new_tokens .* must not exceed"):
        load_config(None, ["generation.max_new_tokens=300"])


@pytest.mark.parametrize("bad", ["ppo.beta", "=3", "ppo..beta=1", "ppo.beta=[1,"])
def test_malformed_overrides_are_refused(bad):
    with pytest.raises(ConfigError):
        parse_override(bad) if "[" not in bad else load_config(None, [bad])


def test_missing_preset_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("model: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping of sections"):
        load_config(listy)


def test_override_into_a_value_is_refused():
    with pytest.raises(ConfigError, match="'r' is a value, not a section"):
        load_config("a100", ["model.lora.r.x=1"])  # the preset sets model.lora.r
    with pytest.raises(ConfigError, match="ppo.beta: Input should be a valid number"):
        load_config(None, ["ppo.beta.x=1"])


def test_every_setting_has_exactly_one_default():
    flat = Config().flat()
    assert flat["model.name"] == "smollm2-135m"
    assert flat["ppo.beta"] == 0.1 and flat["ppo.clip_epsilon"] == 0.2
    # presets only restate a few values; everything else comes from the schema
    default_yaml = (ROOT / "configs/default.yaml").read_text()
    assert "beta" not in default_yaml and "max_prompt_tokens" not in default_yaml


def _is_section(field):
    return isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)


def _fields(model, prefix=""):
    """(section.key, field) of every field of `model` and of the sections nested in it."""
    for name, field in model.model_fields.items():
        yield f"{prefix}{name}", field
        if _is_section(field):
            yield from _fields(field.annotation, f"{prefix}{name}.")


def test_every_setting_is_described():
    fields = dict(_fields(Config))
    assert len(fields) > 200 and "placement.rollout.gpus" in fields and "serve.ab.kill_switch" in fields
    assert [key for key, field in fields.items() if not (field.description or "").strip()] == []


def test_explain_a_setting_a_section_and_an_unknown_key():
    config = load_config(None, ["ppo.beta=0.05", "placement.rollout.threads=2"])
    [beta] = describe(config, "ppo.beta")
    assert (beta.key, beta.type, beta.bounds, beta.default, beta.value) == ("ppo.beta", "float", "> 0, <= 10", 0.1, 0.05)
    assert beta.description
    ppo = describe(config, "ppo")
    assert [d.key for d in ppo] == [f"ppo.{name}" for name in PPOSettings.model_fields]
    assert all(d.description for d in ppo)
    rollout = {d.key: d for d in describe(config, "placement.rollout")}  # a role: its own defaults, not RoleResources'
    assert rollout["placement.rollout.gpus"].default == 0.4 and rollout["placement.rollout.threads"].value == 2
    assert describe(config, "placement.use_gpu")[0].type == "bool | 'auto'"
    assert [d.key for d in describe(config)] == [key for key, field in _fields(Config) if not _is_section(field)]
    misspelt = (("ppo.betta", "ppo.beta"), ("learning_rate", "sft.learning_rate"), ("serve.ab.kill", "serve.ab.kill_switch"))
    for unknown, suggested in misspelt:
        with pytest.raises(ConfigError) as err:
            describe(config, unknown)
        assert suggested in str(err.value)
    assert "0.05" in explain(config, "ppo.beta") and "ppo.lam" in explain(config, "ppo")


def test_explain_flag_exits_0_and_an_unknown_key_exits_2(call_job):
    shown = call_job("ppo", "--config", "tiny", "--explain", "ppo.steps")
    assert shown.code == 0 and "ppo.steps" in shown.out
    unknown = call_job("ppo", "--explain", "ppo.stepz")
    assert unknown.code == 2 and "ppo.steps" in unknown.err  # the close match is suggested


def test_configuration_doc_lists_every_setting_as_the_schema_says():
    """docs/configuration.md's table is generated: `python -m rlhf.config` rewrites it after a schema change."""
    page = (ROOT / "docs/configuration.md").read_text()
    table = page.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    assert table.strip() == markdown_table().strip()
