"""Replications on a Dask cluster: :class:`DaskExecutor` fits the
:class:`sim.runs.executor.Executor` interface with ``Client.map`` and
``as_completed``. ``distributed`` is an optional extra (``hallq[dask]``) and is
imported only when a Dask executor is made, so ``hallsim`` starts light."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sim.model.errors import InputError
from sim.runs.executor import Executor, local_executor

if TYPE_CHECKING:
    from distributed import Client

T = TypeVar("T")
R = TypeVar("R")

INSTALL_HINT = "install hallq[dask] (pip install 'hallq[dask]') to run on a Dask cluster"


class DaskError(InputError):
    """Dask is not installed, or its scheduler cannot be reached."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskError(f"dask.distributed is not installed: {INSTALL_HINT}") from None
    return distributed


class DaskExecutor:
    """Runs work on a Dask cluster: ``address_or_client`` is a scheduler address
    (``tcp://host:8786``), which this executor connects to (waiting at most
    ``timeout_s`` seconds) and closes, or a ``distributed.Client`` the caller
    owns (and closes)."""

    def __init__(self, address_or_client: str | Client, *, timeout_s: float = 10.0) -> None:
        distributed = _distributed()
        if isinstance(address_or_client, distributed.Client):
            self._client: Client = address_or_client
            self._owned = False
        else:
            try:
                self._client = distributed.Client(address_or_client, timeout=timeout_s)
            except (OSError, TimeoutError, ValueError) as exc:
                raise DaskError(
                    f"cannot connect to the Dask scheduler at {address_or_client!r}: {exc}"
                ) from None
            self._owned = True

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[tuple[int, R]]:
        """Submit every ``fn(item)`` at once (``pure=False``: never served from a
        cache) and yield ``(index, result)`` as tasks finish; a task's error is
        raised here. Abandoning the iterator cancels the tasks still pending."""
        if not items:
            return
        distributed = _distributed()
        futures = self._client.map(fn, list(items), pure=False)
        index = {future.key: i for i, future in enumerate(futures)}
        done = 0
        try:
            for future, result in distributed.as_completed(futures, with_results=True):
                done += 1
                yield index[future.key], result
        finally:
            if done < len(futures):
                self._client.cancel(futures)  # type: ignore[no-untyped-call]

    def close(self) -> None:
        """Close the client if this executor opened it."""
        if self._owned:
            self._client.close()  # type: ignore[no-untyped-call]


def make_executor(workers: int | None, dask: str | None, jobs: int) -> Executor:
    """The executor for ``jobs`` pieces of work: a Dask cluster at scheduler
    address ``dask`` if given (``workers`` is then the cluster's business), else
    :func:`sim.runs.executor.local_executor` with ``workers`` processes."""
    if dask is not None:
        return DaskExecutor(dask)
    return local_executor(workers, jobs)
