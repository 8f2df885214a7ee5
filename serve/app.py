"""The safety-gated endpoint: FastAPI ingress on Ray Serve, composed with the policy, safety and audit deployments.

    serve run serve/config.yaml            # or: python jobs/serve_endpoint.py --port 8000
    serve deploy serve/config.yaml         # onto a running cluster (ray start --head / ray up cluster.yaml)

A request passes, in order: API key (401), body size (413), JSON and field validation (400, 422), the
triage of the patient's words and the key's rate limit (429), chat-template control tokens, message and
history limits (422); then the gate
(rlhf/serving/gate.py): triage of the patient's own words (their message and `user` turns; a client's
`assistant` turns are context for the model, never the patient's words), generation by the patient's
A/B arm, the safety head and the reply checks. Any error or timeout inside the gate escalates with the
holding reply (never an ungated answer), and every answered request is in the audit log before its
response leaves. A refused request (400, 413, 422, 429, 503) whose words hold a red flag still carries
`safety_flag`, `escalation_reason` and the emergency `instruction`, and its rejection row names the
categories; a client that hangs up leaves its audit row (the handler logs the case when Serve cancels it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from ray import serve
from ray.serve.handle import DeploymentHandle

from rlhf import timeouts
from rlhf.config import ABSettings, Config, DeploymentResources, load_config
from rlhf.data.formatting import control_tokens, encode_prompt
from rlhf.data.schema import PatientMessage
from rlhf.errors import ModelUnavailableError
from rlhf.models.reward_model import HEADS_FILE
from rlhf.safety import phi, reply_checks, triage
from rlhf.serving.access import KEYS_ENV, KEYS_FILE_ENV, RateLimiter, load_api_keys, match_key
from rlhf.serving.api import ClinicalAssistRequest, ClinicalAssistResponse, ErrorResponse
from rlhf.serving.audit import AuditRecord
from rlhf.serving.gate import GateDecision, decide, fail_safe, precheck, refusal_advice
from rlhf.serving.routing import assign_arm
from rlhf.training.stages import PPO_WEIGHTS, stage_dir, stage_output
from serve.audit import AuditWriter
from serve.policy import PolicyModel, is_adapter
from serve.safety import SafetyScorer

log = logging.getLogger("ray.serve")
API_PATH = "/api/v1/clinical-assist"
DEFAULT_PRESET = "configs/default.yaml"
_ERRORS = {status: {"model": ErrorResponse, "description": text} for status, text in (
    (400, "malformed JSON"), (401, "missing or wrong API key"), (413, "request body too large"),
    (422, "a field is missing, of the wrong type or out of range"), (429, "rate limit reached; see Retry-After"),
    (503, "the audit log could not record the request, so it was not answered"),
)}

app = FastAPI(
    title="ClinAssist: safety-gated clinical assistant",
    version="1.0",
    description="Replies to patient messages, checked by a safety gate; escalations go to the on-call physician. "
    "Send `Authorization: Bearer <key>`.",
)


def _error(status: int, message: str, detail: list[str] | None = None, headers: dict[str, str] | None = None,
           flags: list[str] | None = None) -> JSONResponse:
    """An error body; when the refused message holds a red flag, it carries the escalation and the instruction."""
    body = ErrorResponse(error=message, detail=detail or [], **refusal_advice(flags or []))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


async def _count_rejection(request: Request, status: int, error: str, flags: list[str] | None = None) -> None:
    ingress = getattr(request.app.state, "ingress", None)
    if ingress is not None:
        try:
            await ingress.audit.reject.remote(status, error, getattr(request.state, "key_id", None), flags or None)
        except Exception:  # counting a refusal must never turn it into a 500
            log.warning("could not record a %d rejection", status)


def _patient_words(body: Any) -> str:
    """The patient's own words in a request body that failed validation: its message and user turns when they
    are strings; for a body that is not a JSON object, its raw text."""
    if isinstance(body, (bytes, bytearray)):
        return body.decode("utf-8", errors="ignore")
    if isinstance(body, str):
        return body
    if not isinstance(body, dict):
        return ""
    words = [body["message"]] if isinstance(body.get("message"), str) else []
    history = body.get("conversation_history")
    for turn in history if isinstance(history, list) else []:
        if isinstance(turn, dict) and turn.get("role") == "user" and isinstance(turn.get("content"), str):
            words.append(turn["content"])
    return "\n".join(words)



@app.exception_handler(RequestValidationError)
async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    # Not JSON: a decoding error, or (without a JSON content type) the raw body where an object belongs.
    flags = precheck(_patient_words(exc.body))
    if any(e.get("type") == "json_invalid" or (tuple(e.get("loc", ())) == ("body",) and isinstance(e.get("input"), (bytes, str)))
           for e in errors):
        await _count_rejection(request, 400, "malformed JSON", flags)
        return _error(400, "malformed JSON: the body must be one JSON object (Content-Type: application/json)",
                      [str(e.get("ctx", {}).get("error", "")) for e in errors if e.get("ctx")], flags=flags)
    detail = []
    for e in errors:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        detail.append(f"{where}: {'unknown field' if e.get('type') == 'extra_forbidden' else e.get('msg')}")
    await _count_rejection(request, 422, "; ".join(detail)[:300], flags)
    return _error(422, "invalid request", detail, flags=flags)


@app.exception_handler(Exception)
async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected %s on %s", type(exc).__name__, request.url.path)  # no stack trace or body in the reply
    return _error(500, "internal error: the request was not answered")


@app.middleware("http")
async def _access(request: Request, call_next):
    """Key, rate limit and body size, before the body is read."""
    ingress = getattr(request.app.state, "ingress", None)
    if request.url.path.endswith(API_PATH) and ingress is not None:  # the app may sit under a route prefix
        key = match_key(request.headers.get("authorization"), ingress.keys)
        if key is None:
            await _count_rejection(request, 401, "missing or wrong API key")
            return _error(401, "missing or wrong API key: send 'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"})
        request.state.key_id = key
        # A body declared too large is refused from its first `limit` bytes, read here and no further; the
        # red flags in them get their instruction with the 413. (A body that passes is read by the handler:
        # reading it here too hung the ingress replica.) The rate limit (429) is the handler's, after
        # triage, so that a rate-limited emergency still gets its instruction.
        limit = ingress.config.serve.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            flags = precheck(_patient_words(await _body_prefix(request, limit)))
            await _count_rejection(request, 413, "body too large", flags)
            return _error(413, f"request body over {limit} bytes", flags=flags)
    return await call_next(request)


async def _body_prefix(request: Request, limit: int) -> bytes:
    """The body's first `limit` bytes, read as they arrive: enough to find a red flag in a body refused as too
    large, without reading or holding the rest."""
    prefix = bytearray()
    async for chunk in request.stream():
        prefix += chunk
        if len(prefix) >= limit:
            break
    return bytes(prefix[:limit])


@serve.deployment(name="ingress")
@serve.ingress(app)
class ClinicalAssist:
    def __init__(self, config: dict[str, Any], tokenizer_dir: str, rlhf: DeploymentHandle, sft: DeploymentHandle,
                 rlhf_adapter: bool, sft_adapter: bool, safety: DeploymentHandle, audit: DeploymentHandle):
        from transformers import AutoTokenizer

        self.config = Config.model_validate(config)
        self.ab = self.config.serve.ab
        self.keys = load_api_keys()
        s = self.config.serve
        self.limiter = RateLimiter(s.rate_limit_per_minute, s.rate_limit_burst,
                                   limits={k: (v.per_minute, v.burst) for k, v in s.rate_limits.items()})
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
        # The gate's models load here, not on the first patient's request (spaCy, medspaCy, Presidio: ~15 s).
        for warm_up in (phi.warm_up, triage.warm_up, reply_checks.warm_up):
            warm_up()
        self.policies = {"rlhf": (rlhf, rlhf_adapter), "sft": (sft, sft_adapter)}
        self.safety, self.audit = safety, audit
        app.state.ingress = self

    def reconfigure(self, user_config: dict[str, Any]) -> None:
        """The A/B split and kill switch change on a redeploy without restarting replicas."""
        self.ab = ABSettings.model_validate(user_config)
        log.info("A/B routing: rlhf_share %.2f, kill switch %s", self.ab.rlhf_share, self.ab.kill_switch)

    @app.get("/healthz")
    async def healthz(self) -> dict[str, str]:
        """Liveness: the ingress answers."""
        return {"status": "ok"}

    @app.get("/readyz", responses={503: {"model": ErrorResponse}})
    async def readyz(self):
        """Readiness: the policy, safety and audit deployments answer."""
        handles = [h for h, _ in self.policies.values()] + [self.safety, self.audit]
        pings = asyncio.gather(*(h.ping.remote() for h in handles))
        # A probe that hangs up while the models load cancels this handler, and wait_for then drops the
        # gather's CancelledError unread: asyncio logs a traceback per probe unless it is read here.
        pings.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            await asyncio.wait_for(pings, timeout=timeouts.SERVE_READY_PING_S)
        except Exception as exc:
            return _error(503, f"not ready: {type(exc).__name__}")
        return {"status": "ready", "alerts": await self.audit.alerts.remote()}

    @app.get("/metrics")
    async def metrics(self) -> Response:
        """Prometheus text format: requests, latency, escalations, replacements, gate failures, per arm."""
        return Response(await self.audit.metrics_text.remote(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post(API_PATH, response_model=ClinicalAssistResponse, responses=_ERRORS)
    async def clinical_assist(self, body: ClinicalAssistRequest, request: Request):
        """A reply to the patient's message that passed the safety gate, or the holding reply and an escalation."""
        started = time.perf_counter()
        s = self.config.serve
        history = body.history()
        flags = precheck(body.message, history)  # the patient's own words only: their message and `user` turns
        allowed, wait = self.limiter.allow(request.state.key_id)
        if not allowed:
            await _count_rejection(request, 429, "rate limit", flags)
            return _error(429, f"rate limit reached for this key; retry in {wait:.1f} s",
                          headers={"Retry-After": str(max(1, round(wait)))}, flags=flags)
        problems = []
        for where, text in [("message", body.message)] + [(f"conversation_history[{i}]", t.content) for i, t in enumerate(history)]:
            if found := control_tokens(self.tokenizer, text):
                problems.append(f"{where}: holds chat-template control tokens ({', '.join(found)}); send plain text")
        if len(body.conversation_history) > s.max_history_turns:
            problems.append(f"conversation_history: {len(body.conversation_history)} turns; at most {s.max_history_turns}")
        tokens = len(self.tokenizer(body.message, add_special_tokens=False)["input_ids"])
        if tokens > s.max_message_tokens:
            problems.append(f"message: {tokens} tokens; at most {s.max_message_tokens}")
        if problems:
            await _count_rejection(request, 422, "; ".join(problems), flags)
            return _error(422, "invalid request", problems, flags=flags)
        arm = assign_arm(body.patient_id, self.ab)
        response_id = str(uuid.uuid4())
        model_reply: str | None = None
        scores: tuple[float, float] | None = None
        gate_error = False
        try:
            decision, model_reply, scores = await asyncio.wait_for(self._gate(body, arm, flags, response_id), s.gate_timeout_s)
        except asyncio.CancelledError:
            # The client hung up: nobody reads the answer, but the case (an emergency among them) is logged.
            decision = fail_safe(flags, "client disconnected")
            with contextlib.suppress(Exception):
                await asyncio.shield(self._log(body, history, arm, response_id, None, decision, None, True, started,
                                               request.state.key_id))
            raise
        except Exception as exc:  # fail-safe: anything that goes wrong in the gate escalates
            gate_error = True
            decision = fail_safe(flags, type(exc).__name__)
            log.warning("gate failure (%s) on %s: escalated", type(exc).__name__, response_id)
        try:
            await self._log(body, history, arm, response_id, model_reply, decision, scores, gate_error, started,
                            request.state.key_id)
        except Exception as exc:
            log.error("audit log unavailable (%s): %s not answered", type(exc).__name__, response_id)
            return _error(503, "the audit log could not record this request, so it was not answered; retry later", flags=flags)
        return ClinicalAssistResponse(response=decision.response, safety_flag=decision.safety_flag,
                                      escalation_reason=decision.escalation_reason, confidence_score=decision.confidence_score,
                                      response_id=response_id, arm=arm)

    async def _log(self, body: ClinicalAssistRequest, history, arm: str, response_id: str, model_reply: str | None,
                   decision: GateDecision, scores: tuple[float, float] | None, gate_error: bool, started: float,
                   key_id: str) -> None:
        """One audit row: written before the response leaves (the caller answers 503 when this fails)."""
        record = AuditRecord(
            response_id=response_id, patient_id=body.patient_id, arm=arm, message=body.message,
            history=[{"role": t.role, "content": t.content} for t in history], context=body.context.model_dump(),
            model_reply=model_reply, response=decision.response, safety_flag=decision.safety_flag,
            escalation_reason=decision.escalation_reason, findings=decision.findings,
            p_escalation=None if scores is None else scores[1], reward=None if scores is None else scores[0],
            confidence_score=decision.confidence_score, replaced=decision.replaced, gate_error=gate_error,
            latency_ms=(time.perf_counter() - started) * 1000, key_id=key_id,
        )
        await self.audit.append.remote(record)

    async def _gate(self, body: ClinicalAssistRequest, arm: str, flags: list[str], response_id: str
                    ) -> tuple[GateDecision, str, tuple[float, float]]:
        s = self.config.serve
        message = PatientMessage(body.message, body.history(), body.patient_context())
        prompt = encode_prompt(self.tokenizer, self.config.data.system_prompt, message.context, message.history, message.prompt,
                               s.max_prompt_tokens).input_ids
        handle, adapter = self.policies[arm]
        generation = await handle.generate.remote(prompt, response_id, adapter)
        reward, p_escalation, threshold = await self.safety.score.remote(message, generation.text)
        decision = decide(flags, generation.text, p_escalation, threshold, s.max_repeated_ngram_share)
        return decision, generation.text, (reward, p_escalation)


def resolve_inputs(config: Config, reward_model: bool = True) -> tuple[str, str, str | None]:
    """(baseline, RLHF policy, reward model) folders: the ones serve.* names, else this config's stages.
    Each must exist; the reward model is looked up only when asked for."""
    s = config.serve
    wanted = {
        "baseline (SFT policy)": (s.baseline_dir or str(stage_output(config, "sft")), "config.json", "serve.baseline_dir"),
        "RLHF policy": (s.policy_dir or str(stage_output(config, "ppo") if s.policy_weights == "adapter"
                                            else stage_dir(config, "ppo") / PPO_WEIGHTS),
                        None, "serve.policy_dir"),
    }
    if reward_model:
        wanted["reward model"] = (s.reward_model_dir or str(stage_output(config, "reward_model")), HEADS_FILE,
                                  "serve.reward_model_dir")
    for what, (folder, needed, key) in wanted.items():
        path = Path(folder)
        if not path.is_dir() or (needed and not (path / needed).is_file()):
            raise ModelUnavailableError(
                f"no {what} at {folder}: train it first (python jobs/ppo.py --config <preset>, or make demo) or set {key}")
    folders = [v[0] for v in wanted.values()]
    return folders[0], folders[1], folders[2] if reward_model else None


def deployment_options(role: DeploymentResources, gpu: bool) -> dict[str, Any]:
    options: dict[str, Any] = {
        "ray_actor_options": {"num_cpus": role.cpus, "num_gpus": role.gpus if gpu else 0},
        "max_ongoing_requests": role.max_ongoing_requests,
    }
    if role.autoscaling:
        options["autoscaling_config"] = {"min_replicas": role.min_replicas, "max_replicas": role.max_replicas,
                                         "target_ongoing_requests": role.target_ongoing_requests}
    else:
        options["num_replicas"] = role.num_replicas
    return options


def required_cpus(config: Config, arms_share_a_policy: bool = True) -> float:
    """CPUs the deployments take at their starting replica counts (Serve waits forever for what does not fit)."""
    s = config.serve
    count = lambda r: r.min_replicas if r.autoscaling else r.num_replicas  # noqa: E731
    policies = 1 if arms_share_a_policy else 2
    return (count(s.ingress) * s.ingress.cpus + policies * count(s.policy) * s.policy.cpus + count(s.safety) * s.safety.cpus
            + s.audit.cpus)


def _use_gpu(setting: bool | str) -> bool:
    if setting != "auto":
        return bool(setting)
    import ray

    from actors.cluster import gpus_available

    return ray.is_initialized() and gpus_available()


def app_for(config: Config, policy=None, safety=None):
    """The Serve application for a config. `policy` / `safety`: other bound deployments in their place."""
    load_api_keys()  # refuse to build an endpoint without keys, before any replica starts
    baseline, policy_dir, reward_model = resolve_inputs(config)
    s, dumped, gpu = config.serve, config.model_dump(), _use_gpu(config.serve.use_gpu)
    share = s.policy.gpus if gpu else 0.0
    if policy is not None:
        rlhf = sft = policy
        rlhf_adapter, sft_adapter = True, False
    elif is_adapter(policy_dir):
        rlhf = sft = PolicyModel.options(**deployment_options(s.policy, gpu)).bind(dumped, baseline, policy_dir, share)
        rlhf_adapter, sft_adapter = True, False
    else:  # a fully fine-tuned policy: its own weights, so each arm has its own deployment
        rlhf = PolicyModel.options(name="policy_rlhf", **deployment_options(s.policy, gpu)).bind(dumped, policy_dir, None, share)
        sft = PolicyModel.options(name="policy_sft", **deployment_options(s.policy, gpu)).bind(dumped, baseline, None, share)
        rlhf_adapter = sft_adapter = False
    safety = safety or SafetyScorer.options(**deployment_options(s.safety, gpu)).bind(dumped, reward_model)
    audit_db = s.audit_db or str(Path(config.runtime.output_dir) / "serve" / "audit.db")
    audit = AuditWriter.options(**deployment_options(s.audit, gpu)).bind(dumped, str(Path(audit_db).resolve()))
    ingress_options = deployment_options(s.ingress, gpu)
    keys_env = {k: os.environ[k] for k in (KEYS_ENV, KEYS_FILE_ENV) if os.environ.get(k)}
    ingress_options["ray_actor_options"]["runtime_env"] = {"env_vars": keys_env}
    return ClinicalAssist.options(user_config=s.ab.model_dump(), **ingress_options).bind(
        dumped, baseline, rlhf, sft, rlhf_adapter, sft_adapter, safety, audit)


def build_app(args: dict[str, Any]):
    """Application builder for `serve run` / `serve deploy`: args `config` (a preset) and `overrides` (list or comma-separated)."""
    overrides = args.get("overrides") or []
    if isinstance(overrides, str):
        overrides = [o for o in overrides.split(",") if o.strip()]
    return app_for(load_config(args.get("config", DEFAULT_PRESET), list(overrides)))
