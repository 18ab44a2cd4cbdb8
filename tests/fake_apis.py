"""Local HTTP servers that speak the documented REST protocols of Gemini and OpenAI.

Google's and OpenAI's services cannot be reached from the test machines, so the real clients
(google-genai, openai) are pointed at these servers instead: protocol tests. Each server records
every request it saw (method, path, JSON body) so the tests can check what the SDKs really send.

Endpoints (``{v}`` is the API version in the path, ``v1`` or ``v1beta``):

- Gemini: ``POST /{v}/models/{model}:generateContent``, ``POST /{v}/models/{model}:batchGenerateContent``
  (answers a long-running Operation ``{name: batches/..., metadata: GenerateContentBatch}``),
  ``GET /{v}/batches/{id}`` (the Operation; when done ``metadata.output.inlinedResponses`` and
  ``response.inlinedResponses``, answers in request order, request metadata not echoed),
  ``GET /{v}/batches?pageSize=N`` (``{operations: [...]}``).
- OpenAI: ``POST /v1/files`` (multipart: ``purpose``, ``file``), ``POST /v1/batches``,
  ``GET /v1/batches/{id}``, ``GET /v1/batches?limit=N`` (a list object, newest first),
  ``GET /v1/files/{id}/content``.

``lose_next_create`` makes a server create the job and then answer 503, as when the answer to a
create call is lost on the way back.
"""

from __future__ import annotations

import email.parser
import itertools
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    headers: dict[str, str]


@dataclass
class Reply:
    status: int
    body: Any  # a dict (sent as JSON) or bytes/str (sent as is)
    content_type: str = "application/json"


class FakeAPI:
    """Routes ``(method, path)`` to ``handle``; subclasses implement it."""

    def __init__(self) -> None:
        self.seen: list[Seen] = []
        self.lock = threading.Lock()
        #: replies to send before the normal behaviour, first in first out (e.g. a 429)
        self.script: list[Reply] = []

    def handle(self, method: str, path: str, body: Any, raw: bytes, headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def calls(self, method: str, pattern: str) -> list[Seen]:
        """The requests whose path (without its query) matches ``pattern``."""
        return [s for s in self.seen if s.method == method and re.fullmatch(pattern, s.path.split("?")[0])]

    def _dispatch(self, method: str, path: str, raw: bytes, headers: dict[str, str]) -> Reply:
        body: Any = None
        if raw and headers.get("content-type", "").startswith("application/json"):
            body = json.loads(raw)
        with self.lock:
            self.seen.append(Seen(method, path, body, headers))
            if self.script:
                return self.script.pop(0)
            return self.handle(method, path, body, raw, headers)


@contextmanager
def serve(api: FakeAPI) -> Iterator[str]:
    """Run ``api`` on a free local port for the block; yields ``http://127.0.0.1:PORT``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self, method: str) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = api._dispatch(method, self.path, raw, headers)
            data = reply.body if isinstance(reply.body, bytes) else None
            if data is None:
                data = reply.body.encode() if isinstance(reply.body, str) else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._any("GET")

        def do_POST(self) -> None:
            self._any("POST")

        def log_message(self, *args: Any) -> None:  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True  # a client's idle keep-alive connection does not hold up the shutdown
    server.block_on_close = False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def error(status: int, message: str, google_status: str = "") -> Reply:
    """An error body as both APIs document it (``{"error": {code, message, status|type}}``)."""
    return Reply(status, {"error": {"code": status, "message": message, "status": google_status, "type": "x"}})


def gemini_answer(text: str | None, finish: str = "STOP", thoughts: int = 0, version: str = "gemini-test-001") -> dict:
    """A REST ``GenerateContentResponse`` (camelCase, as the API sends it)."""
    usage = {"promptTokenCount": 11, "candidatesTokenCount": 7, "totalTokenCount": 18 + thoughts}
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    parts = [] if text is None else [{"text": text}]
    if thoughts:
        parts.insert(0, {"text": "thinking...", "thought": True})
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
        "usageMetadata": usage,
        "modelVersion": version,
        "responseId": "resp-1",
    }


def user_text(request: dict) -> str:
    """The text of the last user turn of a REST GenerateContentRequest."""
    return request["contents"][-1]["parts"][0]["text"]


@dataclass
class GeminiAPI(FakeAPI):
    """The Gemini Developer API: generateContent, batchGenerateContent and batches.get."""

    hold: bool = False  # keep batch jobs pending (a job that takes its time)
    final_state: str = "BATCH_STATE_SUCCEEDED"
    lose_next_create: bool = False
    names: dict[str, str] = field(default_factory=dict)
    jobs: dict[str, list[dict]] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        super().__init__()

    def handle(self, method: str, path: str, body: Any, raw: bytes, headers: dict[str, str]) -> Reply:
        if m := re.fullmatch(r"/v1(?:beta)?/models/([^/:]+):generateContent", path):
            return Reply(200, gemini_answer(f"answer to {user_text(body)}"))
        if m := re.fullmatch(r"/v1(?:beta)?/models/([^/:]+):batchGenerateContent", path):
            name = f"batches/job{next(self._ids)}"
            self.jobs[name] = [item["request"] for item in body["batch"]["inputConfig"]["requests"]["requests"]]
            self.names[name] = body["batch"]["displayName"]
            if self.lose_next_create:
                self.lose_next_create = False
                return error(503, "The service is currently unavailable", "UNAVAILABLE")
            return Reply(200, self._operation(name, m.group(1), "BATCH_STATE_PENDING", self.names[name]))
        if method == "GET" and re.fullmatch(r"/v1(?:beta)?/batches\?pageSize=\d+", path):
            newest = [
                self._operation(n, "gemini-test", "BATCH_STATE_RUNNING", self.names[n]) for n in reversed(self.jobs)
            ]
            return Reply(200, {"operations": newest})
        if m := re.fullmatch(r"/v1(?:beta)?/(batches/[^/?]+)", path.split("?")[0]):
            name = m.group(1)
            if name not in self.jobs:
                return error(404, f"{name} not found", "NOT_FOUND")
            state = "BATCH_STATE_RUNNING" if self.hold else self.final_state
            return Reply(200, self._operation(name, "gemini-test", state, self.names[name]))
        return error(404, f"no route {method} {path}", "NOT_FOUND")

    def _operation(self, name: str, model: str, state: str, display: str) -> dict:
        metadata: dict[str, Any] = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch",
            "model": f"models/{model}",
            "displayName": display,
            "createTime": "2026-11-25T22:00:00Z",
            "state": state,
            "name": name,
        }
        operation: dict[str, Any] = {"name": name, "metadata": metadata}
        if state == "BATCH_STATE_SUCCEEDED":
            answers = []
            for request in self.jobs[name]:
                text = user_text(request)
                if "FAIL" in text:
                    answers.append({"error": {"code": 13, "message": "internal error"}})
                else:
                    answers.append({"response": gemini_answer(f"batch answer to {text}")})
            output = {"inlinedResponses": {"inlinedResponses": answers}}
            metadata["output"] = output
            operation |= {"done": True, "response": {"@type": "...GenerateContentBatchOutput", **output}}
        elif state != "BATCH_STATE_RUNNING" and state != "BATCH_STATE_PENDING":
            operation["done"] = True
        return operation


def multipart(raw: bytes, content_type: str) -> dict[str, bytes]:
    """The fields of a multipart/form-data body."""
    message = email.parser.BytesParser().parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + raw)
    return {
        part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
        for part in message.get_payload()
    }


def chat_completion(text: str, fingerprint: str = "fp_test") -> dict:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1764108000,
        "model": "gpt-test-2026-01-01",
        "system_fingerprint": fingerprint,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 5, "total_tokens": 14},
    }


@dataclass
class OpenAIAPI(FakeAPI):
    """The OpenAI Files and Batch APIs for /v1/chat/completions."""

    hold: bool = False
    final_status: str = "completed"
    lose_next_create: bool = False
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, dict] = field(default_factory=dict)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        super().__init__()

    def handle(self, method: str, path: str, body: Any, raw: bytes, headers: dict[str, str]) -> Reply:
        now = int(time.time())
        if (method, path) == ("POST", "/v1/files"):
            fields = multipart(raw, headers["content-type"])
            file_id = f"file-{next(self._ids)}"
            self.files[file_id] = fields["file"]
            purpose = fields["purpose"].decode()
            return Reply(
                200,
                {
                    "id": file_id,
                    "object": "file",
                    "bytes": len(fields["file"]),
                    "created_at": now,
                    "filename": "in.jsonl",
                    "purpose": purpose,
                    "status": "processed",
                },
            )
        if (method, path) == ("POST", "/v1/batches"):
            batch_id = f"batch_{next(self._ids)}"
            self.batches[batch_id] = {
                "id": batch_id,
                "object": "batch",
                "endpoint": body["endpoint"],
                "input_file_id": body["input_file_id"],
                "completion_window": body["completion_window"],
                "status": "validating",
                "created_at": now,
                "metadata": body.get("metadata"),
            }
            if self.lose_next_create:
                self.lose_next_create = False
                return error(503, "The server is overloaded")
            return Reply(200, self.batches[batch_id])
        if method == "GET" and re.fullmatch(r"/v1/batches\?limit=\d+", path):
            newest = list(reversed(self.batches.values()))
            return Reply(200, {"object": "list", "data": newest, "has_more": False})
        if method == "GET" and (m := re.fullmatch(r"/v1/batches/([^/]+)", path)):
            batch = self.batches.get(m.group(1))
            if batch is None:
                return error(404, "no such batch")
            if self.hold:
                return Reply(200, batch | {"status": "in_progress"})
            if batch["status"] == "validating":
                if self.final_status == "failed":
                    errors = [{"code": "invalid_request", "message": "the input file is not valid", "line": 1}]
                    batch |= {"status": "failed", "errors": {"object": "list", "data": errors}}
                else:
                    self._complete(batch)
            return Reply(200, batch)
        if method == "GET" and (m := re.fullmatch(r"/v1/files/([^/]+)/content", path)):
            if m.group(1) not in self.files:
                return error(404, "no such file")
            return Reply(200, self.files[m.group(1)], "application/octet-stream")
        return error(404, f"no route {method} {path}")

    def _complete(self, batch: dict) -> None:
        out, err = [], []
        for number, line in enumerate(self.files[batch["input_file_id"]].decode().splitlines()):
            entry = json.loads(line)
            text = entry["body"]["messages"][-1]["content"]
            result = {"id": f"batch_req_{number}", "custom_id": entry["custom_id"]}
            if "FAIL" in text:
                body = {"error": {"message": "The server had an error", "type": "server_error"}}
                err.append(result | {"response": {"status_code": 500, "request_id": "r", "body": body}, "error": None})
            else:
                response = {
                    "status_code": 200,
                    "request_id": f"req_{number}",
                    "body": chat_completion(f"batch answer to {text}"),
                }
                out.append(result | {"response": response, "error": None})
        batch["status"] = self.final_status
        batch["request_counts"] = {"total": len(out) + len(err), "completed": len(out), "failed": len(err)}
        for kind, lines in (("output_file_id", out), ("error_file_id", err)):
            if lines:
                file_id = f"file-{next(self._ids)}"
                self.files[file_id] = "".join(json.dumps(x) + "\n" for x in lines).encode()
                batch[kind] = file_id


class Killed(Exception):
    """Stands for kill -9 in the resume tests: raised where the batch loop would first sleep."""


def killed_on_first_poll(_seconds: float) -> None:
    raise Killed
