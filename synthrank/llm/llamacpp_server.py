"""Serve a GGUF model over an OpenAI-compatible HTTP API with llama.cpp (``xllamacpp``).

Run as ``python -m synthrank.llm.llamacpp_server --model M.gguf --alias NAME --port P``; it serves until
terminated. :func:`synthrank.llm.llamacpp.local_server` starts and stops it around a generation job.
"""

from __future__ import annotations

import argparse
import signal
import threading


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="path to a .gguf file")
    parser.add_argument("--alias", required=True, help="model name the API reports")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--parallel", type=int, default=1, help="concurrent decoding slots")
    parser.add_argument("--ctx-size", type=int, default=4096, help="context size shared by all slots")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = [args.alias]
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_parallel = args.parallel
    params.n_ctx = args.ctx_size
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    server = xllamacpp.Server(params)  # noqa: F841 - serves on its own threads while referenced

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()


if __name__ == "__main__":
    main()
