"""Run one picklable function over a stream of inputs on every core, in input order.

:func:`run_ordered` takes an iterable of inputs and a work function (a
module-level function or a picklable callable object, so that it can be sent to
worker processes) and yields ``(input, result)`` pairs **in input order**, as
soon as the head of the line is done. At most ``window`` chunks of inputs are in
flight, so memory does not grow with the batch: the input iterable is consumed
lazily, and a result is handed on (and can be dropped) before more inputs are
read. With ``jobs=1`` everything runs in the calling process, without a pool.

Because the caller sees results in input order, whatever writes outputs or prints
reports in the caller gives the same bytes with one job or many.
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

__all__ = ["Terminated", "default_jobs", "run_ordered"]

In = TypeVar("In")
Out = TypeVar("Out")


def default_jobs() -> int:
    """The number of cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


# The work function of this worker process, set once by the pool's initializer. With the
# fork start method it is inherited, never pickled, so it may hold compiled validators,
# loaded keys and trust lists (objects that cannot be pickled). Only worker processes
# ever set it; the parent process never reads it.
_WORKER_WORK: list[Callable[[Any], Any]] = []


# the signals that stop a batch the way Ctrl-C does (timeout, docker stop and systemd send
# SIGTERM; a closed terminal, SIGHUP)
_STOP_SIGNALS = ("SIGTERM", "SIGHUP")


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP during a batch: raised like Ctrl-C's KeyboardInterrupt (so the
    batch stops through the same clean-up), with the exit code of that signal."""

    def __init__(self, signum: int) -> None:
        import signal

        super().__init__(f"stopped by {signal.Signals(signum).name}")
        self.signum = signum
        self.exit_code = 128 + signum


def _raise_terminated(signum: int, _frame: Any) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _stopping_on_signals() -> Iterator[None]:
    """While a batch runs: SIGTERM and SIGHUP raise :class:`Terminated` (where they would
    kill the process outright: a handler of the program's own, or a signal ignored, as
    under ``nohup``, is left alone); the previous handlers are back afterwards."""
    import signal
    import threading

    installed: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for name in _STOP_SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None and signal.getsignal(signum) == signal.SIG_DFL:
                installed[signum] = signal.signal(signum, _raise_terminated)
    try:
        yield
    finally:
        for signum, previous in installed.items():
            signal.signal(signum, previous)


def _install(work: Callable[[Any], Any], parent: int) -> None:
    import gc
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which stops us
    for name in _STOP_SIGNALS:  # not the parent's handlers (inherited through fork): just die
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    _die_with_parent(parent)
    # Everything inherited from the parent (modules, compiled validators, keys) lives as
    # long as the worker: out of the collector's sight, a collection neither walks it
    # nor writes to its pages, which would copy them from the parent (copy-on-write).
    gc.freeze()
    _WORKER_WORK[:] = [work]


def _orphaned(parent: int) -> bool:
    """Whether the process that started this worker (process id ``parent``) is gone: this
    process's parent is another one now (a reaper). Not "the parent is process 1": in a
    container the command itself may be process 1."""
    return os.getppid() != parent


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this worker when the process that started it (``parent``) dies
    (``kill -9`` of the command): a worker never outlives its batch, waiting forever
    for work."""
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if _orphaned(parent):  # the parent died before the request was made
        os._exit(1)


def _run_chunk(chunk: Sequence[Any]) -> tuple[float, list[Any]]:
    """The results of a chunk, and the seconds the worker spent on it."""
    import time

    work = _WORKER_WORK[0]
    start = time.perf_counter()
    results = [work(item) for item in chunk]
    return time.perf_counter() - start, results


# Adaptive chunks: each round trip to a worker costs the parent about as much as a
# small document, so cheap documents go in chunks of about this many seconds of work
# (the tail of the batch stays balanced to within that), expensive ones one by one.
_CHUNK_SECONDS = 0.02
_MAX_CHUNK = 64


class _ChunkSize:
    """How many inputs the next chunk takes: ``fixed``, or sized from the seconds per
    input the workers have reported so far (a moving average; one input at first)."""

    __slots__ = ("fixed", "per_item", "size")

    def __init__(self, fixed: int | None) -> None:
        self.fixed = fixed
        self.size = max(1, fixed or 1)
        self.per_item: float | None = None

    def observe(self, seconds: float, items: int) -> None:
        if self.fixed is not None or not items:
            return
        per_item = seconds / items
        self.per_item = per_item if self.per_item is None else 0.7 * self.per_item + 0.3 * per_item
        wanted = _CHUNK_SECONDS / self.per_item if self.per_item > 0 else _MAX_CHUNK
        self.size = max(1, min(_MAX_CHUNK, int(wanted)))


def run_ordered(
    work: Callable[[In], Out],
    items: Iterable[In],
    *,
    jobs: int = 1,
    chunk_size: int | None = None,
    window: int | None = None,
    done: Callable[[In], Out | None] | None = None,
) -> Iterator[tuple[In, Out]]:
    """Yield ``(item, work(item))`` for every item, in the order of ``items``.

    ``work`` runs in worker processes forked from this one: build what it needs
    (validators, keys) before calling, and each worker inherits it, never pickled
    (where the platform cannot fork, everything runs in this process). Inputs and
    results are pickled.

    ``jobs`` worker processes (1: in this process); inputs are sent to them in
    chunks (fewer round trips for small documents) of ``chunk_size`` inputs, or by
    default as many as take the workers about 20 ms (measured as the batch runs,
    at most 64), with at most ``window`` chunks in flight (default ``2 × jobs``).
    ``done(item)``, when given, is asked first, in this process: a result it returns
    is used as is and the item is not sent to a worker (e.g. an output that already
    exists, with --resume).
    ``work.prepare()``, when it exists, is called once first (to compile validators
    that the workers then inherit).

    ``work`` should turn every failure of one input into a result: an exception it
    raises ends the batch (it propagates here, and the pool is shut down). If a worker
    process dies (a crash in a native library, the OOM killer), the inputs in flight
    are run again one by one, and the one that kills its worker again gets
    ``work.crashed(item)`` as its result; without that method the batch ends. Chunks
    finished before the crash are not run again. A job that stages outputs in files
    (``work.stage_dir``, named for process ``work.owner``, see
    :func:`inspectx._io.stage_output`) gets what a dead worker left there removed when
    the batch ends: the caller must have put every staged output it was handed in place
    (or discarded it) before asking for the next result.

    Until the iteration ends (or is closed), SIGTERM and SIGHUP raise
    :class:`Terminated` (a ``KeyboardInterrupt`` carrying the exit code 128 + the
    signal), so that the caller cleans up as after Ctrl-C.
    """
    with _stopping_on_signals():
        prepare = getattr(work, "prepare", None)
        if callable(prepare):
            prepare()  # once, here: forked workers inherit what it built
        if jobs > 1 and not _can_fork():
            jobs = 1  # the jobs hold keys and trust snapshots, which cannot be pickled
        if jobs <= 1:
            for item in items:
                known = done(item) if done is not None else None
                yield item, known if known is not None else work(item)
            return
        yield from _run_pool(work, items, jobs, _ChunkSize(chunk_size), window or 2 * jobs, done)


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _pool(jobs: int, work: Callable[[Any], Any]) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start in milliseconds and inherit ``work`` with everything it holds
    context = multiprocessing.get_context("fork")
    return ProcessPoolExecutor(
        max_workers=jobs, mp_context=context, initializer=_install, initargs=(work, os.getpid())
    )


def _isolated(work: Callable[[In], Out], item: In, crashed: Callable[[In], Out]) -> Out:
    """``work(item)`` in a worker of its own; ``crashed(item)`` if that worker dies too."""
    from concurrent.futures.process import BrokenProcessPool

    single = _pool(1, work)
    try:
        return single.submit(_run_chunk, [item]).result()[1][0]  # type: ignore[no-any-return]
    except BrokenProcessPool:
        return crashed(item)
    finally:
        single.shutdown(wait=True)


def _submit(pool: Any, chunk: list[Any]) -> Any:
    """A future of the chunk's results. A pool whose worker has just died refuses new
    work: the chunk then gets a future that failed as the others in flight do, and is
    run again with them."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    try:
        return pool.submit(_run_chunk, chunk)
    except BrokenProcessPool as exc:
        refused: Future[Any] = Future()
        refused.set_exception(exc)
        return refused


def _finished(outcome: Any) -> list[Any] | None:
    """The results of a chunk: already known (a list), or its future's when it finished
    without an error; ``None`` when it must run (again)."""
    if isinstance(outcome, list):
        return outcome
    if outcome.done() and not outcome.cancelled() and outcome.exception() is None:
        return outcome.result()[1]  # type: ignore[no-any-return]
    return None


def _remove_leftovers(work: Any) -> None:
    """After a batch in which a worker died: remove the temporary files the job staged
    under its ``stage_dir`` (named for process ``owner``) that are still there. The worker
    that died may have been writing one; every output handed on has been put in place
    by now (the caller takes each result before it asks for the next)."""
    stage_dir = getattr(work, "stage_dir", None)
    if not stage_dir:
        return
    from inspectx._io import remove_temporaries_of

    owner = getattr(work, "owner", None)
    remove_temporaries_of(stage_dir, owner if owner is not None else os.getpid())


def _run_pool(
    work: Callable[[In], Out],
    items: Iterable[In],
    jobs: int,
    chunk_size: _ChunkSize,
    window: int,
    done: Callable[[In], Out | None] | None,
) -> Iterator[tuple[In, Out]]:
    from concurrent.futures.process import BrokenProcessPool

    # each slot: (chunk of items, a future of their results, or the results already known)
    pending: deque[tuple[list[In], Any]] = deque()
    source = iter(items)
    exhausted = False
    worker_died = False
    pool = _pool(jobs, work)
    try:
        while True:
            while not exhausted and len(pending) < window:
                chunk: list[In] = []
                for item in source:
                    known = done(item) if done is not None else None
                    if known is not None:
                        if chunk:  # keep the order: send what came before it first
                            pending.append((chunk, _submit(pool, chunk)))
                            chunk = []
                        pending.append(([item], [known]))
                        if len(pending) >= window:
                            break
                        continue
                    chunk.append(item)
                    if len(chunk) >= chunk_size.size:
                        break
                else:
                    exhausted = True
                if chunk:
                    pending.append((chunk, _submit(pool, chunk)))
            if not pending:
                break
            chunk_items, outcome = pending.popleft()
            if isinstance(outcome, list):
                results = outcome
            else:
                try:
                    seconds, results = outcome.result()
                    chunk_size.observe(seconds, len(results))
                except BrokenProcessPool:
                    crashed = getattr(work, "crashed", None)
                    if crashed is None:
                        raise
                    # a worker died (a crash in a native library, the OOM killer): find the
                    # input that did it, one at a time, and go on with a new pool
                    pool.shutdown(wait=True, cancel_futures=True)
                    worker_died = True
                    results = [_isolated(work, item, crashed) for item in chunk_items]
                    pool = _pool(jobs, work)
                    # the chunks that were done before the crash keep their results (run
                    # again, they would stage their outputs twice); the others run again
                    pending = deque((c, _finished(o) or _submit(pool, c)) for c, o in pending)
            yield from zip(chunk_items, results, strict=True)
        if worker_died:
            _remove_leftovers(work)
    finally:
        for _items, outcome in pending:
            if not isinstance(outcome, list):
                outcome.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
