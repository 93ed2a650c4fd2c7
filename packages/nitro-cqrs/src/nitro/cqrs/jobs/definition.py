"""A job: a function run later by a worker, with JSON arguments validated at enqueue.

.. code-block:: python

    from nitro.cqrs.jobs import job, JobRetry


    @job(retry=JobRetry(max_tries=5, retry_on=(ConnectionError,)))
    def send_report(report_id: int, to: str) -> None: ...


    send_report.enqueue(report_id=7, to="ops@example.com")
    send_report.options(key="report-7", delay=60).enqueue(report_id=7, to="ops@example.com")
    send_report(report_id=7, to="ops@example.com")  # a plain call runs it here, now

Arguments go through a Pydantic model made from the function's signature: a wrong value
is a :class:`pydantic.ValidationError` naming the argument, and a value that JSON
cannot carry is a :class:`JobArgumentError` naming it — at enqueue, in the caller,
never in the worker. Nothing is pickled.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, get_type_hints

from pydantic import BaseModel, ConfigDict, TypeAdapter, create_model
from pydantic_core import PydanticSerializationError

if TYPE_CHECKING:
    from nitro.cqrs.jobs.envelope import JobRef

__all__ = ["Job", "JobArgumentError", "JobOptions", "JobRetry", "UnknownJob", "job", "job_named"]

P = ParamSpec("P")
R = TypeVar("R")


class JobArgumentError(TypeError):
    """A job argument JSON cannot carry (an open file, a lock, an arbitrary object)."""


class UnknownJob(LookupError):
    """A job name that no ``@job`` in this process defines."""


@dataclass(frozen=True)
class JobRetry:
    """How a failing job is tried again.

    *max_tries* counts the first run. The wait before run ``n`` (from 2) is
    ``backoff * 2 ** (n - 2)`` seconds, at most *max_delay*, less a random part of up to
    *jitter* of it (so jobs that failed together do not retry together). Only
    exceptions of the types in *retry_on* are retried; any other goes to the dead-letter
    queue at once.
    """

    max_tries: int = 3
    backoff: float = 1.0
    max_delay: float = 300.0
    jitter: float = 0.5
    retry_on: tuple[type[BaseException], ...] = (Exception,)

    def __post_init__(self) -> None:
        if self.max_tries < 1:
            raise ValueError(f"JobRetry(max_tries={self.max_tries}): at least 1 try")
        if self.backoff < 0 or self.max_delay < 0:
            raise ValueError("JobRetry: backoff and max_delay cannot be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"JobRetry(jitter={self.jitter}): a fraction from 0 to 1")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before run *attempt* (2, 3, ...)."""
        wait: float = min(self.max_delay, self.backoff * 2.0 ** (attempt - 2))
        return wait * (1 - random.uniform(0, self.jitter))

    def retries(self, error: BaseException, attempt: int) -> bool:
        """Whether *error* on run *attempt* is tried again."""
        return attempt < self.max_tries and isinstance(error, self.retry_on)


@dataclass(frozen=True)
class JobOptions:
    """Per-enqueue options: an idempotency *key* (the effect happens once per key while
    its record lives, *key_ttl* seconds), a *delay* in seconds, a *queue*."""

    key: str | None = None
    delay: float = 0.0
    queue: str | None = None
    key_ttl: float = 24 * 3600.0


_jobs: dict[str, Job[Any, Any]] = {}


def job_named(name: str) -> Job[Any, Any]:
    """The job called *name* (:class:`UnknownJob` naming the known ones otherwise)."""
    found = _jobs.get(name)
    if found is None:
        known = ", ".join(sorted(_jobs)) or "none"
        raise UnknownJob(f"no job is called {name!r} in this process; known jobs: {known}")
    return found


class Job(Generic[P, R]):
    """A function that runs in a worker (made by :func:`job`)."""

    def __init__(
        self, func: Callable[P, R], *, name: str, retry: JobRetry, queue: str, options: JobOptions
    ) -> None:
        self.func = func
        self.name = name
        self.retry = retry
        self.queue = queue
        self._options = options
        self.__doc__ = func.__doc__
        self.__wrapped__ = func
        self._signature = inspect.signature(func)
        self._names = frozenset(self._signature.parameters)
        self._required = frozenset(
            n for n, p in self._signature.parameters.items() if p.default is p.empty
        )
        self.is_async = inspect.iscoroutinefunction(func)
        self.args_model = _arguments_model(func, name)
        #: One JSON dumper per argument, built once.
        self._dumpers = {
            field_name: TypeAdapter(field.annotation or Any)
            for field_name, field in self.args_model.model_fields.items()
        }

    def __repr__(self) -> str:
        return f"<Job {self.name}>"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.func(*args, **kwargs)

    def options(
        self,
        *,
        key: str | None = None,
        delay: float | None = None,
        queue: str | None = None,
        key_ttl: float | None = None,
    ) -> Job[P, R]:
        """This job with other enqueue options (``send.options(key="r7").enqueue(...)``)."""
        current = self._options
        copy: Job[P, R] = object.__new__(Job)
        copy.__dict__.update(self.__dict__)
        copy._options = replace(
            current,
            key=current.key if key is None else key,
            delay=current.delay if delay is None else delay,
            queue=current.queue if queue is None else queue,
            key_ttl=current.key_ttl if key_ttl is None else key_ttl,
        )
        return copy

    def serialise(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The arguments as JSON-ready data, validated (see the module docs)."""
        if args or not self._required <= kwargs.keys() <= self._names:
            try:
                kwargs = self._signature.bind(*args, **kwargs).arguments
            except TypeError as exc:
                raise TypeError(f"{self.name}: {exc}") from None
        # (keywords naming every required parameter and no other need no binding)
        validated = self.args_model.model_validate(kwargs)
        data: dict[str, Any] = {}
        for field_name, dumper in self._dumpers.items():
            value = getattr(validated, field_name)
            try:
                data[field_name] = dumper.dump_python(value, mode="json")
            except (PydanticSerializationError, TypeError, ValueError) as exc:
                raise JobArgumentError(
                    f"{self.name}: argument {field_name!r} ({type(value).__name__}) cannot be "
                    f"sent as JSON: {exc}. Pass data (ids, numbers, strings, lists, dicts, "
                    "Pydantic models), not objects"
                ) from None
        return data

    def arguments(self, data: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments of a run, from the JSON data of an envelope."""
        validated = self.args_model.model_validate(data)
        return {name: getattr(validated, name) for name in type(validated).model_fields}

    def enqueue(self, *args: P.args, **kwargs: P.kwargs) -> JobRef:
        """Send a run of this job to the configured engine: after the commit of the
        unit of work active here (through the outbox when it has one), else now."""
        from nitro.cqrs.jobs.enqueue import enqueue

        return enqueue(self, self.serialise(*args, **kwargs), self._options)


def _arguments_model(func: Callable[..., Any], name: str) -> type[BaseModel]:
    try:
        hints = get_type_hints(func, include_extras=True)
    except (NameError, TypeError):
        hints = {}
    fields: dict[str, Any] = {}
    for param in inspect.signature(func).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"@job {name}: *args and **kwargs cannot be checked; name them")
        annotation = hints.get(param.name, Any)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, default)
    return create_model(
        f"{name.replace('.', '_')}_Arguments",
        __config__=ConfigDict(extra="forbid", arbitrary_types_allowed=True),
        **fields,
    )


def job(
    func: Callable[P, R] | None = None,
    /,
    *,
    name: str | None = None,
    retry: JobRetry | None = None,
    queue: str = "default",
) -> Any:
    """Make *func* a job (``@job`` or ``@job(retry=..., queue=...)``). *name* defaults to
    ``module.qualname``: the name workers look the job up by, so keep it stable."""

    def decorate(target: Callable[P, R]) -> Job[P, R]:
        job_name = name or f"{target.__module__}.{target.__qualname__}"
        defined = Job(
            target,
            name=job_name,
            retry=retry or JobRetry(),
            queue=queue,
            options=JobOptions(queue=queue),
        )
        earlier = _jobs.get(job_name)
        if earlier is not None and _source(earlier.func) != _source(target):
            raise ValueError(
                f"two jobs are called {job_name!r} ({_source(earlier.func)} and "
                f"{_source(target)}); give one a name= of its own"
            )
        _jobs[job_name] = defined
        return defined

    return decorate(func) if func is not None else decorate


def _source(func: Callable[..., Any]) -> str:
    code = getattr(func, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else repr(func)
