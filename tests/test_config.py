import pytest

from rlhf.config import Config, load_config, parse_override
from rlhf.errors import ConfigError
from tests.conftest import ROOT


def test_defaults_and_presets_validate():
    default = load_config(ROOT / "configs/default.yaml")
    assert default.model.name == "smollm2-135m"
    assert default.data.max_prompt_tokens == 512 and default.data.max_response_tokens == 256
    a100 = load_config("a100")  # a bare name is looked up in configs/
    assert a100.model.name == "biomistral-7b" and a100.model.dtype == "bfloat16"
    assert load_config(None) == Config()


def test_overrides_are_typed_and_applied():
    cfg = load_config("default", ["ppo.beta=0.05", "model.lora.r=8", "tracking.enabled=false", "model.lora.target_modules=[q_proj, v_proj]"])
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
