"""Gemini (the Gemini Developer API) through ``google-genai``: online calls and Batch mode.

Requests arrive in the one request format of :mod:`synthrank.llm.base` (OpenAI-style messages) and
answers leave normalised to the OpenAI chat-completion shape:

- messages: ``system`` -> ``system_instruction``, ``user``/``assistant`` -> contents with the
  roles ``user``/``model``;
- sampling: ``temperature``, ``top_p``, ``max_tokens`` -> ``max_output_tokens``, ``seed``, one
  candidate; every other non-bookkeeping key of the request (say ``thinking_config``) is a
  ``GenerateContentConfig`` field, so an unknown one is refused in one line;
- finish reasons: ``STOP`` -> ``stop``, ``MAX_TOKENS`` -> ``length``, the safety family and a
  blocked prompt -> ``content_filter``, anything else lower-cased (``other``, ``language``);
  the raw reason is kept as ``gemini_finish_reason``;
- usage: ``prompt_tokens`` = ``prompt_token_count``, ``completion_tokens`` =
  ``candidates_token_count + thoughts_token_count`` (thinking is billed as output), the thinking
  part also as ``completion_tokens_details.reasoning_tokens`` (OpenAI's name for it) and the raw
  counts as ``usage_metadata``; ``model_version`` is what the API reports.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from synthrank.errors import SynthrankError
from synthrank.llm.base import RESERVED, TransientError, retry_after_seconds
from synthrank.llm.remote_batch import RECENT_JOBS, Collected, JobStatus, RemoteBatch, batch_settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: request keys with a fixed translation; the others go to GenerateContentConfig as they are
STANDARD = ("model", "messages", "seed", "temperature", "top_p", "max_tokens")

FINISH_REASONS = {"STOP": "stop", "MAX_TOKENS": "length"}
CONTENT_FILTER = {
    "SAFETY",
    "RECITATION",
    "PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "MODEL_ARMOR",
}

#: Gemini batch job states that end a job (the SDK reports BATCH_STATE_* as JOB_STATE_*)
TERMINAL = {"SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"}


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def make_client(base_url: str | None, api_key: str, timeout: float) -> Any:
    """A ``genai.Client`` for the Gemini Developer API (``base_url``: another host, e.g. a proxy)."""
    from google import genai
    from google.genai import types

    # No SDK retries (HttpOptions.retry_options unset): retries are the Fetcher's (Retry-After honoured).
    options = types.HttpOptions(base_url=base_url, timeout=int(timeout * 1000))
    try:
        # vertexai=False: the Developer API whatever GOOGLE_GENAI_USE_VERTEXAI says; with no key
        # the SDK reads GEMINI_API_KEY / GOOGLE_API_KEY itself (secrets only from the environment).
        return genai.Client(vertexai=False, api_key=api_key or ("unused" if base_url else None), http_options=options)
    except ValueError as exc:
        raise SynthrankError(f"gemini: cannot create the client ({_one_line(exc)})") from None


def gemini_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """``model``, ``contents`` and ``config`` (a ``GenerateContentConfig``) for a request."""
    from google.genai import types
    from pydantic import ValidationError

    model = str(request.get("model") or "")
    system: list[str] = []
    contents = []
    for number, message in enumerate(request.get("messages") or [], start=1):
        role, text = message.get("role"), message.get("content")
        if not isinstance(text, str):
            raise SynthrankError(f"gemini {model}: message {number} has no text content")
        if role == "system":
            system.append(text)
        elif role in ("user", "assistant"):
            role = "model" if role == "assistant" else "user"
            contents.append(types.Content(role=role, parts=[types.Part(text=text)]))
        else:
            raise SynthrankError(f"gemini {model}: message {number} has role {role!r} (system, user or assistant)")
    if not contents:
        raise SynthrankError(f"gemini {model}: a request needs at least one user message")
    config: dict[str, Any] = {
        "temperature": request.get("temperature"),
        "top_p": request.get("top_p"),
        "max_output_tokens": request.get("max_tokens"),
        "seed": request.get("seed"),
        "candidate_count": 1,
        "system_instruction": "\n\n".join(system) if system else None,
        # no tools, so no automatic function calling (and no "AFC is enabled" log line per call)
        "automatic_function_calling": types.AutomaticFunctionCallingConfig(disable=True),
    }
    config |= {key: value for key, value in request.items() if key not in STANDARD and key not in RESERVED}
    try:
        generate_config = types.GenerateContentConfig(**{k: v for k, v in config.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise SynthrankError(f"gemini {model}: request option {where}: {first['msg']}") from None
    return {"model": model, "contents": contents, "config": generate_config}


def _call(where: str, call: Callable[[], T]) -> T:
    """``call()`` with google-genai's failures mapped to Transient (retry) or Synthrank (stop) errors."""
    import json

    import httpx
    from google.genai import errors
    from pydantic import ValidationError

    transport_errors: tuple[type[BaseException], ...] = (httpx.TransportError,)
    try:
        import httpx2  # google-genai >= 3 talks through httpx2 when it is installed

        transport_errors += (httpx2.TransportError,)
    except ImportError:  # pragma: no cover - depends on the installed SDK
        pass
    try:
        return call()
    except errors.APIError as exc:
        if exc.code in (408, 429) or (exc.code or 0) >= 500:
            wait = retry_after_seconds(getattr(getattr(exc, "response", None), "headers", None))
            raise TransientError(f"{where}: HTTP {exc.code} {exc.status or ''}".rstrip(), retry_after=wait) from None
        raise SynthrankError(f"{where}: HTTP {exc.code} {exc.status or ''}: {_one_line(exc.message)}") from None
    except transport_errors as exc:  # timeouts, refused or dropped connections
        raise TransientError(f"{where}: {type(exc).__name__} ({_one_line(exc)})") from None
    except (json.JSONDecodeError, ValidationError, errors.UnknownApiResponseError) as exc:
        # a 200 whose body is not JSON, or not the object the call returns
        raise TransientError(f"{where}: malformed response ({_one_line(exc)[:200]})") from None
    except ValueError as exc:  # the SDK refused the call before sending it
        raise SynthrankError(f"{where}: {_one_line(exc)}") from None


def normalise(response: Any, model: str) -> dict[str, Any]:
    """A ``GenerateContentResponse`` in the OpenAI chat-completion shape (see the module doc)."""
    where = f"gemini {model}"
    candidates = response.candidates or []
    feedback = response.prompt_feedback
    if candidates:
        candidate = candidates[0]
        parts = (candidate.content.parts if candidate.content else None) or []
        texts = [part.text for part in parts if part.text is not None and not part.thought]
        content = "".join(texts) if texts else None
        raw_reason = (
            candidate.finish_reason.name if candidate.finish_reason is not None else "FINISH_REASON_UNSPECIFIED"
        )
    elif feedback is not None and feedback.block_reason is not None:
        content, raw_reason = None, f"PROMPT_{feedback.block_reason.name}"
    else:
        raise TransientError(f"{where}: malformed response (no candidate and no block reason)")
    if raw_reason.startswith("PROMPT_") or raw_reason in CONTENT_FILTER:
        finish_reason = "content_filter"
    else:
        finish_reason = FINISH_REASONS.get(raw_reason, raw_reason.lower())
    meta = response.usage_metadata
    prompt = (meta.prompt_token_count if meta else None) or 0
    output = (meta.candidates_token_count if meta else None) or 0
    thoughts = (meta.thoughts_token_count if meta else None) or 0
    usage: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": output + thoughts,
        "total_tokens": prompt + output + thoughts,
        "completion_tokens_details": {"reasoning_tokens": thoughts},
    }
    if meta is not None:
        usage["usage_metadata"] = meta.model_dump(mode="json", exclude_none=True)
    out: dict[str, Any] = {
        "object": "chat.completion",
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
                "gemini_finish_reason": raw_reason,
            }
        ],
        "usage": usage,
    }
    if response.response_id:
        out["id"] = response.response_id
    if response.model_version:
        out["model_version"] = response.model_version
    return out


class GeminiChat:
    """Online transport: one ``models.generate_content`` call per request."""

    def __init__(self, model: str, base_url: str | None, api_key: str, timeout: float) -> None:
        self.model = model
        self._client = make_client(base_url, api_key, timeout)

    def send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        args = gemini_request(request)
        where = f"gemini {args['model']}"
        response = _call(where, lambda: self._client.models.generate_content(**args))
        return normalise(response, args["model"])


class GeminiBatch(RemoteBatch):
    """Gemini Batch mode (``models.batchGenerateContent``), requests inlined in the create call.

    Inlined rather than uploaded as a JSONL file: no Files-API upload and download (a resumable
    upload protocol and files that expire after 48 hours) and the answers come back in the job
    itself. The price is the API's 20 MB limit on a create call, which chunking by size keeps.
    Inlined answers come back in the order of the requests (the API does not echo the
    requests' ``metadata``), so a job's keys are recorded in order.
    """

    backend = "gemini"
    max_bytes = 15_000_000  # of request JSON per job; the inlined create call may be 20 MB

    def __init__(self, model: str, base_url: str | None, api_key: str, timeout: float, **batch: Any) -> None:
        poll_seconds, max_requests = batch_settings(batch, f"generator {model}")
        super().__init__(model, poll_seconds, max_requests)
        self._client = make_client(base_url, api_key, timeout)

    def submit(self, chunk: Sequence[tuple[str, Mapping[str, Any]]], tag: str) -> str:
        from google.genai import types

        inlined = []
        for key, request in chunk:
            args = gemini_request(request)
            inlined.append(
                types.InlinedRequest(contents=args["contents"], config=args["config"], metadata={"key": key})
            )
        name = f"synthrank-{tag}"
        job = _call(
            f"{self.where}: create",
            lambda: self._client.batches.create(model=self.model, src=inlined, config={"display_name": name}),
        )
        if not job.name:
            raise TransientError(f"{self.where}: the create call returned no job name")
        return str(job.name)

    def find(self, tag: str) -> str | None:
        pager = _call(f"{self.where}: list", lambda: self._client.batches.list(config={"page_size": RECENT_JOBS}))
        recent = _call(f"{self.where}: list", lambda: list(itertools.islice(pager, RECENT_JOBS)))
        for job in recent:
            if job.display_name == f"synthrank-{tag}":
                return str(job.name)
        return None

    def status(self, job_id: str) -> JobStatus:
        from google.genai import errors

        def get() -> Any:
            try:
                return self._client.batches.get(name=job_id)
            except errors.APIError as exc:
                if exc.code == 404:  # deleted, or past the API's retention: nothing left to collect
                    return None
                raise

        job = _call(f"{self.where}: job {job_id}", get)
        if job is None:
            return JobStatus("NOT_FOUND", True, False)
        state = job.state.name.removeprefix("JOB_STATE_") if job.state is not None else "UNSPECIFIED"
        stats = getattr(job, "completion_stats", None)
        counts = (
            {name: int(getattr(stats, f"{name}_count") or 0) for name in ("successful", "failed", "incomplete")}
            if stats
            else None
        )
        return JobStatus(state, state in TERMINAL, state in ("SUCCEEDED", "PARTIALLY_SUCCEEDED"), job, counts)

    def collect(self, job_id: str, keys: Sequence[str], status: JobStatus) -> Collected:
        out = Collected()
        if status.raw is None:
            return out
        dest = status.raw.dest
        responses = (dest.inlined_responses if dest is not None else None) or []
        if dest is not None and dest.file_name and not responses:
            raise SynthrankError(
                f"{self.where}: job {job_id} put its answers in file {dest.file_name}, but its requests were inlined"
            )
        if responses and len(responses) != len(keys):
            log.warning("%s: job %s returned %d answers for %d requests", self.where, job_id, len(responses), len(keys))
        for index, item in enumerate(responses):
            key = (item.metadata or {}).get("key") or (keys[index] if index < len(keys) else None)
            if key is None:
                continue
            if item.error is not None:
                out.errors[key] = f"error {item.error.code}: {_one_line(item.error.message)}"
            elif item.response is None:
                out.errors[key] = "no response"
            else:
                try:
                    out.answers[key] = normalise(item.response, self.model)
                except TransientError as exc:
                    out.errors[key] = str(exc)
        return out
