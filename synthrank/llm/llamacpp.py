"""The ``local`` backend's server: a GGUF model served by llama.cpp (``xllamacpp``) for one job.

:func:`local_server` starts :mod:`synthrank.llm.llamacpp_server` in a child process on a free
port, waits until it is healthy, yields its OpenAI-compatible base URL and stops it afterwards;
requests then go through :class:`~synthrank.llm.openai_api.OpenAIChat`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from synthrank.errors import SynthrankError

log = logging.getLogger(__name__)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def local_server(
    gguf: str, alias: str, parallel: int = 1, ctx_size: int = 4096, threads: int = 2, startup_timeout: float = 120
) -> Iterator[str]:
    """Run the embedded llama.cpp server for the block; yields its OpenAI base URL."""
    if not Path(gguf).is_file():
        raise SynthrankError(f"local model file {gguf} does not exist")
    import importlib.util

    if importlib.util.find_spec("xllamacpp") is None:
        raise SynthrankError(
            "the local backend serves its model with llama.cpp: make install, or in the repository "
            "pip install -c envs/constraints.txt -e '.[local]'"
        )
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "synthrank.llm.llamacpp_server",
        "--model",
        gguf,
        "--alias",
        alias,
        "--port",
        str(port),
    ]
    cmd += ["--parallel", str(parallel), "--ctx-size", str(ctx_size * parallel), "--threads", str(threads)]
    # The server is this package's module: importable even where synthrank is not installed (a
    # stage's conda environment, whose jobs find the package through scripts/synthrank).
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding synthrank/
    path = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen(cmd, stdout=sys.stderr, stderr=sys.stderr, env={**os.environ, "PYTHONPATH": path})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise SynthrankError(f"local LLM server for {gguf} exited with code {proc.returncode} at start-up")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SynthrankError(f"local LLM server for {gguf} not ready after {startup_timeout:.0f} s")
            time.sleep(0.5)
        log.info("local LLM server %s up at %s", alias, base)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
