"""Worker processes: an ordered map over tasks, bounded in memory, that a Ctrl-C or a dead worker stops cleanly.

The build converts pages with it and the merged export serializes the store with it.
Workers are spawned, not forked (the parent holds an open RocksDB store); each ignores
Ctrl-C, which is the parent's to act on, and ends when the parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any, TypeVar

Task = TypeVar("Task")
Result = TypeVar("Result")

# Tasks queued or finished ahead of the consumer, per worker: enough to keep the workers
# busy, few enough that memory stays flat when the consumer is the slower side.
TASKS_AHEAD_PER_JOB = 4

_SIGINT = {signal.SIGINT}


def default_jobs() -> int:
    """Worker processes when the caller does not say: one per core, at most two (the
    writer is single-threaded, and two keep it busy)."""
    return min(os.cpu_count() or 1, 2)


def _start(initializer: Callable[..., None] | None, initargs: tuple, parent: int | None = None) -> None:
    # Ctrl-C at a terminal reaches the whole process group; stopping is the main process's
    # job, and a worker dying of it would print a traceback. The worker was started with
    # SIGINT blocked (ordered_map), so none got through before this.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGINT)
    # The parent's id as the parent gave it: one killed while this worker was still
    # starting (importing, on a loaded machine) is already gone, and the worker ends at once.
    threading.Thread(target=_exit_with_parent, args=(parent or os.getppid(),), daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """End this worker when the process that started it is gone (killed with SIGKILL, or by
    the out-of-memory killer): nothing else would, and it would wait for tasks for ever."""
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


@contextmanager
def deferred_interrupts() -> Iterator[Callable[[], None]]:
    """Inside the block a Ctrl-C (SIGINT) is only noted: the KeyboardInterrupt is raised by the
    `check()` this yields, or when the block ends; a second Ctrl-C raises at once.

    multiprocessing's pools are not safe to interrupt at an arbitrary bytecode: a
    KeyboardInterrupt inside Pool() can leave a worker spawned but not registered (it
    outlives the build, blocked forever, holding the caller's stdout/stderr) or waiting for
    start-up data that never comes (a traceback), and one inside a wait can leave a lock
    held that the pool's result thread needs when it is terminated. Main thread only, and
    only over Python's default handler: a handler someone else installed is left alone.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield lambda: None
        return
    pending = False

    def note(signum, frame):
        nonlocal pending
        if pending:
            raise KeyboardInterrupt
        pending = True

    def check() -> None:
        if pending:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield check
    finally:
        signal.signal(signal.SIGINT, previous)
    check()


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread; processes started meanwhile inherit the mask (POSIX)."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    # multiprocessing's resource tracker, started with the first pool, blocks and then
    # unblocks SIGINT around its own start: start it first, or it would end the block early.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGINT)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _collect(task: futures.Future, check: Callable[[], None], died: Exception) -> Any:
    """A task's result, waiting in short steps so that a deferred Ctrl-C is seen quickly."""
    while not task.done():
        check()
        futures.wait((task,), timeout=0.1)
    check()
    try:
        return task.result()
    except futures.BrokenExecutor:  # a worker died; the pool cannot go on
        raise died from None


def ordered_map(
    function: Callable[[Task], Result],
    tasks: Iterable[Task],
    jobs: int,
    *,
    died: Exception,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
) -> Iterator[Result]:
    """`function(task)` for each task, computed in `jobs` worker processes, yielded in task order.

    `initializer(*initargs)` runs once in each worker (open a store, build a converter);
    `died` is raised if a worker process dies. `function` and `initializer` must be
    importable by name (module-level functions).
    """
    # A Ctrl-C is raised only at the checks below, never inside the pool's own code, and
    # the pool's shutdown runs with Ctrl-C still deferred.
    with deferred_interrupts() as check:
        # Not multiprocessing.Pool: its terminate() kills workers that may be half-way
        # through sending a result, holding the result queue's lock for good, and then
        # waits forever for its task thread, which needs that lock (a build that hung on
        # Ctrl-C). This executor keeps reading results until its workers have stopped.
        executor = futures.ProcessPoolExecutor(
            jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start,
            initargs=(initializer, initargs, os.getpid()),
        )
        try:
            # A window of tasks, not executor.map: map hands out every task at once, and
            # when the workers are faster than the consumer, the results pile up in this
            # process with no bound. The window bounds them.
            window: deque[futures.Future] = deque()
            for task in tasks:
                check()
                with _sigint_blocked():  # workers start on demand, with it blocked; see _start
                    window.append(executor.submit(function, task))
                if len(window) >= jobs * TASKS_AHEAD_PER_JOB:
                    yield _collect(window.popleft(), check, died)
            while window:
                yield _collect(window.popleft(), check, died)
        finally:
            # Tasks not yet started are dropped; the workers finish the ones they hold.
            executor.shutdown(wait=True, cancel_futures=True)
