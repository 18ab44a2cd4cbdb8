"""The ``openai`` backend (and ``local``, through the same client): online chat completions and
the OpenAI Batch API.

- :class:`OpenAIChat` (online): chat completions through the ``openai`` client, to
  api.openai.com or to any OpenAI-compatible server by ``base_url`` (vLLM's ``vllm serve``,
  llama.cpp);
- :class:`OpenAIBatch`: the OpenAI Batch API (``/v1/files`` + ``/v1/batches``) on the shared
  loop of :class:`~synthrank.llm.remote_batch.RemoteBatch`.
"""

from __future__ import annotations

import inspect
import io
import itertools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from synthrank.errors import SynthrankError
from synthrank.llm.base import TransientError, api_body, normalised, retry_after_seconds
from synthrank.llm.remote_batch import RECENT_JOBS, Collected, JobStatus, RemoteBatch, batch_settings

log = logging.getLogger(__name__)

T = TypeVar("T")


class OpenAIChat:
    """Online transport: chat completions through the ``openai`` client (api.openai.com or any
    OpenAI-compatible server by ``base_url``: vLLM's ``vllm serve``, llama.cpp)."""

    def __init__(self, base_url: str | None, api_key: str, timeout: float) -> None:
        from openai import OpenAI

        self.base_url = base_url
        # Retries are the Fetcher's (tenacity, which honours Retry-After), so the client's own are off.
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url, timeout=timeout, max_retries=0)
        self._known = frozenset(inspect.signature(self._client.chat.completions.create).parameters)

    def send(self, request: Mapping[str, Any]) -> dict[str, Any]:
        import openai

        body = api_body(request)
        # a key the client does not know (top_k, min_p, repetition_penalty, chat_template_kwargs for
        # `vllm serve` or llama.cpp) goes into the JSON body as it is: the server accepts or refuses it
        extra = {key: body.pop(key) for key in list(body) if key not in self._known}
        try:
            completion = self._client.chat.completions.create(**body, **({"extra_body": extra} if extra else {}))
        except openai.APIStatusError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                wait = retry_after_seconds(getattr(exc.response, "headers", None))
                raise TransientError(f"HTTP {exc.status_code}", retry_after=wait) from None
            raise SynthrankError(
                f"{request.get('model')}: request failed with HTTP {exc.status_code}: {exc.message}"
            ) from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise TransientError(f"cannot reach {self.base_url or 'the API'} ({exc})") from None
        except openai.APIResponseValidationError as exc:
            raise TransientError(f"malformed response ({exc})") from None
        if not hasattr(completion, "model_dump"):  # a 200 whose body was not JSON
            raise TransientError(f"malformed response body {str(completion)[:80]!r}")
        response = completion.model_dump(mode="json", exclude_none=True)
        if response.get("system_fingerprint"):
            response["model_version"] = response["system_fingerprint"]
        return response


class OpenAIBatch(RemoteBatch):
    """The OpenAI Batch API: one JSONL input file and one batch per chunk of requests.

    Each line's ``custom_id`` is the request key, so answers map back whatever their order. The
    limits are 50,000 lines and 200 MB per input file.
    """

    backend = "openai"
    max_bytes = 190_000_000

    def __init__(self, model: str, base_url: str | None, api_key: str, timeout: float, **batch: Any) -> None:
        from openai import OpenAI

        poll_seconds, max_requests = batch_settings(batch, f"generator {model}")
        super().__init__(model, poll_seconds, min(max_requests, 50_000))
        self.base_url = base_url
        # Retries are ours (tenacity), so the client's own are off.
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url, timeout=timeout, max_retries=0)
        self._known = frozenset(inspect.signature(self._client.chat.completions.create).parameters)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        import openai

        try:
            return call()
        except openai.APIStatusError as exc:
            if exc.status_code == 429 or exc.status_code >= 500:
                wait = retry_after_seconds(getattr(exc.response, "headers", None))
                raise TransientError(f"{what}: HTTP {exc.status_code}", retry_after=wait) from None
            message = " ".join(str(exc.message).split())
            raise SynthrankError(f"{self.where}: {what} failed with HTTP {exc.status_code}: {message}") from None
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise TransientError(f"{what}: cannot reach {self.base_url or 'the API'} ({exc})") from None
        except openai.APIResponseValidationError as exc:
            raise TransientError(f"{what}: malformed response ({exc})") from None

    def submit(self, chunk: Sequence[tuple[str, Mapping[str, Any]]], tag: str) -> str:
        lines = (
            json.dumps(
                {"custom_id": key, "method": "POST", "url": "/v1/chat/completions", "body": api_body(request)},
                ensure_ascii=False,
            )
            for key, request in chunk
        )
        data = ("\n".join(lines) + "\n").encode("utf-8")
        upload = self._call(
            "file upload",
            lambda: self._client.files.create(file=("synthrank-batch.jsonl", io.BytesIO(data)), purpose="batch"),
        )
        job = self._call(
            "batch create",
            lambda: self._client.batches.create(
                input_file_id=upload.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"client": "synthrank", "synthrank_tag": tag},
            ),
        )
        return str(job.id)

    def find(self, tag: str) -> str | None:
        recent = self._call(
            "batch list", lambda: list(itertools.islice(self._client.batches.list(limit=RECENT_JOBS), RECENT_JOBS))
        )
        for job in recent:
            if (job.metadata or {}).get("synthrank_tag") == tag:
                return str(job.id)
        return None

    def status(self, job_id: str) -> JobStatus:
        import openai

        def retrieve() -> Any:
            try:
                return self._client.batches.retrieve(job_id)
            except openai.NotFoundError:  # deleted, or another account's: nothing left to collect
                return None

        job = self._call(f"batch {job_id}", retrieve)
        if job is None:
            return JobStatus("not_found", True, False)
        state = str(job.status)
        # An expired or cancelled batch still has an output file with the requests it completed.
        terminal = state in ("completed", "failed", "expired", "cancelled")
        counts = getattr(job, "request_counts", None)
        reported = (
            {name: int(getattr(counts, name) or 0) for name in ("completed", "failed", "total")} if counts else None
        )
        return JobStatus(state, terminal, state == "completed", job, reported)

    def collect(self, job_id: str, keys: Sequence[str], status: JobStatus) -> Collected:
        job = status.raw
        out = Collected()
        if job is None:
            return out
        if status.state == "failed" and job.errors is not None and job.errors.data:
            error = job.errors.data[0]
            log.warning("%s: batch %s failed: %s (%s)", self.where, job_id, error.message, error.code)
        if job.output_file_id:
            text = self._call("output download", lambda: self._client.files.content(job.output_file_id).text)
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    self._parse_line(line, f"batch {job_id} output line {number}", out)
        if job.error_file_id:
            text = self._call("error download", lambda: self._client.files.content(job.error_file_id).text)
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    self._parse_line(line, f"batch {job_id} error line {number}", out)
        return out

    def _parse_line(self, line: str, where: str, out: Collected) -> None:
        """One line of an output or error file: ``{custom_id, response: {status_code, body}, error}``."""
        from openai.types.chat import ChatCompletion
        from pydantic import ValidationError

        try:
            entry = json.loads(line)
            key = str(entry["custom_id"])
        except (ValueError, KeyError, TypeError):
            log.warning("%s: %s is not a batch result line; skipped", self.where, where)
            return
        response = entry.get("response") or {}
        error = entry.get("error")
        if error or response.get("status_code") != 200:
            detail = error or (response.get("body") or {}).get("error") or {}
            message = detail.get("message") if isinstance(detail, dict) else str(detail)
            out.errors[key] = f"HTTP {response.get('status_code', '-')}: {' '.join(str(message).split())}"
            return
        try:
            completion = ChatCompletion.model_validate(response["body"])
            answer = normalised(completion.model_dump(mode="json", exclude_none=True), where)
        except (ValidationError, KeyError, TransientError) as exc:
            out.errors[key] = f"malformed answer ({str(exc).splitlines()[0]})"
            return
        if answer.get("system_fingerprint"):
            answer["model_version"] = answer["system_fingerprint"]  # as OpenAIChat does
        out.answers[key] = answer
