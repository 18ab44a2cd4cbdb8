"""synthrank: fine-tuning dense rankers on synthetic (LLM-written) passages."""

__version__ = "0.1.0"
