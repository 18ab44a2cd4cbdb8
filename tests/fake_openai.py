"""A scriptable OpenAI-compatible chat-completions server for fault tests and benchmarks.

It speaks the documented ``POST /v1/chat/completions`` protocol well enough for the real
``openai`` client: scripted failures (HTTP status codes, malformed bodies, stalls past the
client's timeout), a fixed added latency per request, and a log of every request it saw.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    def __init__(self, latency: float = 0.0, answer: Callable[[dict[str, Any]], str] | None = None) -> None:
        self.latency = latency
        self.answer = answer or (lambda body: f"Passage {body.get('seed')}: " + "a few words of filler text " * 3)
        # per request, in order: int status, "malformed", "stall", ("text", s, finish),
        # ("retry-after", status, header value)
        self.script: list[Any] = []
        self.seen: list[dict[str, Any]] = []
        self.seen_at: list[float] = []  # time.monotonic() of each request
        self.lock = threading.Lock()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.loads(handler.rfile.read(int(handler.headers["Content-Length"])))
        with self.lock:
            self.seen.append(body)
            self.seen_at.append(time.monotonic())
            action = self.script.pop(0) if self.script else None
        if self.latency:
            time.sleep(self.latency)
        if action == "stall":
            time.sleep(3)
        if isinstance(action, int):
            return self._send(handler, action, json.dumps({"error": {"message": f"status {action}"}}).encode())
        if isinstance(action, tuple) and action[0] == "retry-after":
            error = json.dumps({"error": {"message": f"status {action[1]}"}}).encode()
            return self._send(handler, action[1], error, headers={"Retry-After": action[2]})
        if action == "malformed":
            return self._send(handler, 200, b'{"id": "x", "choices": "not a list"}')
        if action == "not-json":
            return self._send(handler, 200, b"<html>gateway</html>", "text/html")
        text, finish = (action[1], action[2]) if isinstance(action, tuple) else (self.answer(body), "stop")
        reply = {
            "id": f"c{len(self.seen)}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "system_fingerprint": "fp_fake",
            "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
        }
        self._send(handler, 200, json.dumps(reply).encode())

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler,
        code: int,
        data: bytes,
        ctype: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        handler.send_response(code)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    @contextmanager
    def serve(self) -> Iterator[str]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake.handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.request_queue_size = 128
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/v1"
        finally:
            server.shutdown()
            server.server_close()
