"""synthrank: fine-tuning dense rankers on synthetic (LLM-written) passages."""

# The one place for the version: pyproject.toml reads it from here (setuptools' dynamic version).
__version__ = "0.1.0"
