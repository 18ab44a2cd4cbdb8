"""Batch APIs: half the price of online calls, answers within 24 hours.

:class:`RemoteBatch` is what the OpenAI and the Gemini Batch APIs share, written once so that
"paid for once, never lost" holds for both:

1. resume first: every job the cache lists as submitted for this backend and model
   (:meth:`~synthrank.llm.cache.RequestCache.open_batches`) is polled and collected, and its requests
   are not submitted again;
2. submit the rest in jobs of at most ``max_requests`` requests (and the API's size limit), each
   recorded in the cache the moment the API has accepted it;
3. poll every ``poll_seconds`` until every job is in a terminal state (a network error while
   polling is logged and polled again: a job runs for hours), collect each answer into the cache
   with the job's id, mark the job ``done`` (or ``failed``/``expired``/``cancelled``);
4. resubmit once the requests whose answer was an error inside a job that otherwise ran (a 429
   or 500 inside a batch is worth one more try; a failed or expired *job* is reported, not
   resubmitted: its cause is usually systematic and a retry costs another day).

A create call that fails ambiguously (a timeout, a dropped connection, a 5xx: the job may exist
all the same) is not simply repeated: each submission carries a fresh tag (OpenAI: batch
``metadata``, Gemini: the job's display name) and before trying again the recent jobs are
listed and one with that tag is adopted, so a lost answer does not pay for a second job.

Requests still unanswered are left uncached and logged in one line; the
:class:`~synthrank.llm.fetch.Fetcher` then names them, and a rerun submits only those.

:class:`OpenAIBatch` is the OpenAI Batch API (``/v1/files`` + ``/v1/batches``); the Gemini Batch
mode is :class:`synthrank.llm.gemini_api.GeminiBatch`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import retry, retry_if_exception_type, stop_after_attempt

from synthrank.errors import SynthrankError
from synthrank.llm.base import TransientError, wait_for_retry
from synthrank.llm.cache import RequestCache

log = logging.getLogger(__name__)

#: the batch settings a generator accepts (``generators.<name>.batch``) and their defaults
BATCH_DEFAULTS: dict[str, float] = {"poll_seconds": 60.0, "max_requests": 1000}

#: how many of the most recent jobs are searched for a tagged submission whose answer was lost
RECENT_JOBS = 100

#: consecutive failed polls of one job before giving up (the job stays recorded: a rerun resumes it)
MAX_POLL_FAILURES = 30

T = TypeVar("T")


def batch_settings(settings: Mapping[str, Any], where: str) -> tuple[float, int]:
    """``(poll_seconds, max_requests)`` from a generator's ``batch`` settings; an unknown key is an error."""
    unknown = sorted(set(settings) - set(BATCH_DEFAULTS))
    if unknown:
        raise SynthrankError(f"{where}.batch: unknown setting {unknown[0]!r} (known: {', '.join(BATCH_DEFAULTS)})")
    values = BATCH_DEFAULTS | dict(settings)
    try:
        poll_seconds, max_requests = float(values["poll_seconds"]), int(values["max_requests"])
    except (TypeError, ValueError):
        raise SynthrankError(f"{where}.batch: poll_seconds and max_requests must be numbers") from None
    if poll_seconds < 0 or max_requests < 1:
        raise SynthrankError(f"{where}.batch: poll_seconds must be >= 0 and max_requests >= 1")
    return poll_seconds, max_requests


def chunks(
    items: Sequence[tuple[str, Mapping[str, Any]]], max_requests: int, max_bytes: int
) -> Iterator[list[tuple[str, Mapping[str, Any]]]]:
    """Consecutive chunks of at most ``max_requests`` items and about ``max_bytes`` of request JSON."""
    chunk: list[tuple[str, Mapping[str, Any]]] = []
    size = 0
    for key, request in items:
        item_size = len(json.dumps(request, ensure_ascii=False).encode("utf-8")) + 256  # + the line's envelope
        if chunk and (len(chunk) >= max_requests or size + item_size > max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append((key, request))
        size += item_size
    if chunk:
        yield chunk


@dataclass
class JobStatus:
    """A remote job as the poll saw it: its state name, whether it is over, and the raw object."""

    state: str
    terminal: bool
    succeeded: bool
    raw: Any = None
    #: request counts as the API reports them (e.g. completed, failed, total), for the log
    counts: Mapping[str, int] | None = None


@dataclass
class Collected:
    """What one finished job returned: answers and per-request errors, by request key."""

    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class RemoteBatch(ABC):
    """The submit / record / poll / collect / resume loop shared by the remote Batch APIs."""

    backend = ""
    #: the largest request payload one job may carry (bytes of request JSON)
    max_bytes = 100_000_000

    def __init__(self, model: str, poll_seconds: float, max_requests: int) -> None:
        self.model = model
        self.poll_seconds = poll_seconds
        self.max_requests = max_requests
        self.submitted = 0  # jobs this instance created (the rest were resumed)

    # -- what a Batch API implements

    @abstractmethod
    def submit(self, chunk: Sequence[tuple[str, Mapping[str, Any]]], tag: str) -> str:
        """Create one remote job for ``chunk``, labelled with ``tag``; returns its id."""

    @abstractmethod
    def find(self, tag: str) -> str | None:
        """The id of a recent job labelled ``tag``, if the API has one."""

    @abstractmethod
    def status(self, job_id: str) -> JobStatus:
        """The job's state as the API reports it now."""

    @abstractmethod
    def collect(self, job_id: str, keys: Sequence[str], status: JobStatus) -> Collected:
        """The answers of a job in a terminal state (``keys``: its requests, in submission order)."""

    # -- the shared loop

    @property
    def where(self) -> str:
        return f"{self.backend} batch ({self.model})"

    def _retrying(self, call: Callable[[], T]) -> T:
        """``call()`` retried on :class:`TransientError` (rate limits, 5xx, network)."""
        attempt = retry(
            retry=retry_if_exception_type(TransientError),
            wait=wait_for_retry(initial=1, max_wait=120),
            stop=stop_after_attempt(6),
            reraise=True,
        )(call)
        try:
            return attempt()
        except TransientError as exc:
            raise SynthrankError(f"{self.where}: gave up after 6 attempts: {exc}") from None

    def run(self, pending: Sequence[tuple[str, Mapping[str, Any]]], cache: RequestCache) -> None:
        requests = dict(pending)
        wrong = {str(r.get("model")) for r in requests.values()} - {self.model}
        if wrong:
            raise SynthrankError(f"{self.where}: got requests for another model ({sorted(wrong)[0]})")
        jobs = dict(cache.open_batches(self.backend, self.model))
        if jobs:
            log.info("%s: resuming %d submitted job(s) before submitting anything new", self.where, len(jobs))
        covered = {key for keys in jobs.values() for key in keys}
        todo = [(key, request) for key, request in pending if key not in covered]
        jobs |= self._submit_all(todo, cache)
        retry_keys = self._wait(jobs, requests, cache)
        retry_keys = [key for key in retry_keys if key in requests and key not in cache]
        if retry_keys:
            log.info("%s: resubmitting once the %d requests that failed inside a job", self.where, len(retry_keys))
            self._wait(self._submit_all([(k, requests[k]) for k in retry_keys], cache), requests, cache)
        missing = [key for key in requests if key not in cache]
        if missing:
            log.warning(
                "%s: %d of %d requests unanswered; the answered ones are cached, a rerun resubmits the rest",
                self.where,
                len(missing),
                len(requests),
            )

    def _submit_all(self, items: Sequence[tuple[str, Mapping[str, Any]]], cache: RequestCache) -> dict[str, list[str]]:
        jobs = {}
        for chunk in chunks(items, self.max_requests, self.max_bytes):
            job_id = self._retrying(self._submitter(chunk))
            keys = [key for key, _ in chunk]
            cache.record_batch(job_id, self.backend, self.model, keys)  # before waiting: a restart resumes it
            self.submitted += 1
            jobs[job_id] = keys
            log.info("%s: submitted job %s with %d requests", self.where, job_id, len(keys))
        return jobs

    def _submitter(self, chunk: Sequence[tuple[str, Mapping[str, Any]]]) -> Callable[[], str]:
        """One attempt at submitting ``chunk``; a retry first adopts the job an earlier attempt made."""
        tag = uuid.uuid4().hex[:16]
        tried = False

        def attempt() -> str:
            nonlocal tried
            if tried and (found := self.find(tag)) is not None:
                log.info("%s: adopting job %s, created by an attempt whose answer was lost", self.where, found)
                return found
            tried = True
            return self.submit(chunk, tag)

        return attempt

    def _wait(
        self, jobs: Mapping[str, list[str]], requests: Mapping[str, Mapping[str, Any]], cache: RequestCache
    ) -> list[str]:
        """Poll ``jobs`` until each is over and collect it; returns the keys of per-request errors."""
        waiting = dict(jobs)
        failures = dict.fromkeys(waiting, 0)
        errored: list[str] = []
        while waiting:
            for job_id, keys in list(waiting.items()):
                try:
                    status = self.status(job_id)
                except TransientError as exc:
                    failures[job_id] += 1
                    if failures[job_id] >= MAX_POLL_FAILURES:
                        raise SynthrankError(
                            f"{self.where}: cannot poll job {job_id} ({exc}); it stays recorded, a rerun resumes it"
                        ) from None
                    log.warning("%s: polling job %s failed (%s); polling again", self.where, job_id, exc)
                    continue
                failures[job_id] = 0
                counts = ", ".join(f"{name} {value}" for name, value in (status.counts or {}).items())
                log.info("%s: job %s is %s%s", self.where, job_id, status.state, f" ({counts})" if counts else "")
                if not status.terminal:
                    continue
                del waiting[job_id]
                errored += self._store(job_id, keys, status, requests, cache)
            if waiting:
                time.sleep(self.poll_seconds)
        return errored

    def _store(
        self,
        job_id: str,
        keys: Sequence[str],
        status: JobStatus,
        requests: Mapping[str, Mapping[str, Any]],
        cache: RequestCache,
    ) -> list[str]:
        collected = self._retrying(lambda: self.collect(job_id, keys, status))
        unknown = 0
        for key, response in collected.answers.items():
            if key in requests:
                cache.put(key, requests[key], response, batch_id=job_id)
            elif key not in cache:
                unknown += 1
        if unknown:
            # The request of an answer is part of the cache entry (export/import re-hash it) and
            # only the run that asked knows it; the job stays open so that run collects it.
            log.warning(
                "%s: job %s holds %d answers to requests this run did not ask for; it stays open for the run that does",
                self.where,
                job_id,
                unknown,
            )
        else:
            cache.update_batch(job_id, "done" if status.succeeded else status.state.lower())
        lost = len(keys) - len(collected.answers) - len(collected.errors)
        if not status.succeeded:
            log.warning(
                "%s: job %s ended %s: %d answers collected, %d requests unanswered",
                self.where,
                job_id,
                status.state,
                len(collected.answers),
                len(keys) - len(collected.answers),
            )
        elif collected.errors or lost:
            first = next(iter(collected.errors.values()), "no answer")
            log.warning(
                "%s: job %s: %d answers, %d request errors (first: %s), %d without an answer",
                self.where,
                job_id,
                len(collected.answers),
                len(collected.errors),
                first,
                lost,
            )
        else:
            log.info("%s: job %s collected (%d answers)", self.where, job_id, len(collected.answers))
        return list(collected.errors) if status.succeeded else []
