"""A small pool of worker processes that run derivations under a time limit.

A thread cannot be stopped, so each derivation runs in a persistent worker process
(one pipe each); past the time limit the parent kills that worker and starts a fresh
one, and the request is answered with an error.  The server's threads only wait on
pipes, so a hostile expression holds one worker, never the server.

Example (it starts a process, so it is not run as a doctest)::

    pool = WorkerPool(size=1, time_limit=10)
    pool.call("derive", Query("tr(A@B)", ("A",)))[0]      # 200
"""
from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
from dataclasses import dataclass

from .protocol import Query


class TimeLimitExceeded(Exception):
    """The derivation ran past the time limit; its worker was replaced."""


class Busy(Exception):
    """No worker became free in time (all are working on other requests)."""


class WorkerDied(Exception):
    """The worker process ended without answering (killed from outside, out of memory)."""


def _context():
    # forkserver: workers fork from a clean single-threaded process that has matcalc
    # imported, so a replacement starts in milliseconds and never inherits the server's
    # threads or locks; spawn where forkserver does not exist (Windows).
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["matcalc.web.engine", "latex2mathml.converter"])
        return ctx
    return multiprocessing.get_context("spawn")


def _serve(conn) -> None:
    """A worker's life: answer (task, query) with engine.run's (status, body, log) until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is for the server, which then ends its workers
    from . import engine
    while True:
        try:
            task, query = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(engine.run(task, query))


@dataclass(eq=False)   # compared and hashed by identity: the pool keeps a set of them
class _Worker:
    process: multiprocessing.Process
    conn: object

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class WorkerPool:
    """size persistent workers; call() waits at most `wait` seconds for a free one, then `time_limit` for it."""

    def __init__(self, size: int = 2, time_limit: float = 10.0, wait: float | None = None):
        self.time_limit = time_limit
        self.wait = time_limit + 5 if wait is None else wait
        self._ctx = _context()
        self._idle: queue.Queue = queue.Queue()
        self._all: set = set()
        self._lock = threading.Lock()
        self._closed = False
        for _ in range(size):
            self._idle.put(self._start())

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_serve, args=(child,), daemon=True, name="matcalc-worker")
        process.start()
        child.close()
        worker = _Worker(process, parent)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()
        if not self._closed:
            self._idle.put(self._start())

    def call(self, task: str, query: Query) -> tuple:
        """(status, body, log) from engine.run in a worker; raises TimeLimitExceeded, Busy or WorkerDied."""
        try:
            worker = self._idle.get(timeout=self.wait)
        except queue.Empty:
            raise Busy(f"all {len(self._all)} workers stayed busy for {self.wait:g} s") from None
        try:
            worker.conn.send((task, query))
            if not worker.conn.poll(self.time_limit):
                self._replace(worker)
                raise TimeLimitExceeded(f"the derivation took longer than {self.time_limit:g} s and was stopped")
            reply = worker.conn.recv()
        except (EOFError, OSError) as e:
            self._replace(worker)
            raise WorkerDied(f"the worker process ended without answering ({type(e).__name__})") from None
        self._idle.put(worker)
        return reply

    def close(self) -> None:
        """Stop every worker (the server is shutting down)."""
        self._closed = True
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.stop()
