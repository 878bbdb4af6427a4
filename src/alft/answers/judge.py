"""math-verify, run with a time bound that works in any thread (docs/concepts/answers.md#equivalence).

math-verify's own timeouts use ``signal.alarm``, which only works in a process's main thread: in TRL's reward
threads or verl's Ray workers it must run without one, and a ``\\frac`` bomb or ``10^{10^{10}}`` could then hang
the trainer. So math-verify runs in **judge processes**: each is a fresh interpreter (``python -c``, talking
over a socket pair; not ``multiprocessing``, whose ``spawn`` would re-run the user's training script and whose
``fork`` would copy a threaded trainer) that parses, fingerprints (:mod:`alft.answers.fingerprint`) and verifies
answer strings, in its own main thread, where an interval timer bounds each item. The parent reads each result
with a deadline of that bound plus :data:`GRACE_SECONDS`; if the child overruns (stuck in C code that the timer
cannot interrupt) or dies, the parent kills it, counts the item as a fallback and restarts the child on the
remaining items. The parent never imports sympy.

Several judges form a pool: a batch with many new answers to parse is split over them (``workers``, when at
least :data:`MIN_ITEMS_PER_WORKER` answers per worker; one judge otherwise, since a process pays ≈ 1.5 s to
start). ``workers=0`` runs math-verify in the calling thread instead: the interval timer then bounds each item
in the main thread only, and elsewhere only the answer-length guard (``MAX_ANSWER_CHARS``) applies.

Each judge keeps the parses of the answers it saw last (:data:`PARSE_CACHE_ENTRIES`), so verifying a pair of
answers that it fingerprinted costs no second parse.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from alft.answers.cache import BoundedCache
from alft.answers.fingerprint import UNPARSED, AnswerKey, key_of

GRACE_SECONDS = 2.0
"""How much longer than the per-item bound the parent waits before killing a judge."""
STARTUP_SECONDS = 120.0
"""How long a new judge may take to import math-verify and say it is ready."""
MIN_ITEMS_PER_WORKER = 64
"""A batch is split over several judges only when each gets at least this many answers to parse."""
PARSE_CACHE_ENTRIES = 8192
"""Parsed answers each judge keeps (sympy objects, a few kB each: ≤ ~40 MB per judge)."""

FAILED = "failed"
"""The result of an item that raised, timed out or killed its judge: a fallback."""

KEY, VERIFY, CLEAR = "key", "verify", "clear"


class _ItemTimeout(BaseException):
    """Raised by the interval timer; a BaseException, so that math-verify's ``except Exception`` cannot swallow it."""


def _on_alarm(signum: int, frame: Any) -> None:
    raise _ItemTimeout


class _Worker:
    """What a judge does, in whichever process or thread runs it."""

    def __init__(self) -> None:
        import math_verify  # noqa: F401 — imported once, up front (it loads sympy)

        logging.getLogger("math_verify").setLevel(logging.ERROR)  # its "timeout disabled" warnings: we bound time
        self.parsed = BoundedCache(PARSE_CACHE_ENTRIES)

    def parse(self, answer: str) -> list[Any]:
        import math_verify

        parsed = self.parsed.get(answer)
        if parsed is None:
            try:
                parsed = math_verify.parse(f"${answer}$", parsing_timeout=None, raise_on_error=True)
            except _ItemTimeout:
                raise
            except Exception:  # noqa: BLE001 — math-verify's own verdict on a failed parse is "nothing found"
                parsed = []
            self.parsed.put(answer, parsed)
        return parsed

    def clear(self) -> None:
        """Forget every parse: ours, and math-verify's own memo of recent LaTeX."""
        from math_verify import parser

        self.parsed.clear()
        parser.parse_latex_cached.cache_clear()
        parser.parse_expr_cached.cache_clear()

    def key(self, answer: str) -> AnswerKey:
        return key_of(self.parse(answer))

    def verify(self, pair: tuple[str, str]) -> bool:
        import math_verify

        gold, target = (self.parse(answer) for answer in pair)
        # raise_on_error=False: a failing comparison is "not equal", as in all-pairs math-verify
        return bool(math_verify.verify(gold, target, timeout_seconds=None, raise_on_error=False))

    def run(self, operation: str, item: Any, timeout_seconds: float) -> Any:
        """One item with an interval-timer bound when this is the main thread; :data:`FAILED` on any failure."""
        bounded = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        if bounded:
            previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout_seconds)
        try:
            if operation == CLEAR:
                self.clear()
                return True
            return self.key(item) if operation == KEY else self.verify(item)
        except BaseException as error:  # noqa: BLE001 — timeouts, RecursionError, MemoryError: a counted fallback
            if isinstance(error, KeyboardInterrupt):
                raise
            return FAILED
        finally:
            if bounded:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)


def two_stage_parsing() -> None:
    """Make latex2sympy (math-verify's LaTeX parser) try ANTLR's fast SLL prediction first, and the full LL
    prediction it uses today only when SLL reports an error: ANTLR's documented two-stage strategy, whose
    result is LL's whenever SLL succeeds. 4–6× faster parses (≈ 1.2 ms instead of ≈ 6.5 ms on MATH-like
    answers, measured), the same parse on every string of the corpus and of the grouping benchmark (1 831
    strings compared). Installed in judge processes only: it patches latex2sympy's parser class for the whole
    process, which ``workers=0`` (the user's own process) is spared.
    """
    from antlr4.atn.PredictionMode import PredictionMode
    from latex2sympy2_extended import latex2sympy2

    converter = latex2sympy2._Latex2Sympy
    if getattr(converter, "_alft_two_stage", False):
        return
    create_parser, parse = converter.create_parser, converter.parse

    def create_parser_sll_first(self: Any, latex_str: str) -> Any:
        parser = create_parser(self, latex_str)
        if getattr(self, "_alft_sll", False):
            parser._interp.predictionMode = PredictionMode.SLL
        return parser

    def parse_sll_then_ll(self: Any, latex_str: str) -> Any:
        self._alft_sll = True
        try:
            return parse(self, latex_str)
        except Exception:  # noqa: BLE001 — SLL's syntax error (or any failure): the LL parse decides, as before
            self._alft_sll = False
            return parse(self, latex_str)

    converter.create_parser, converter.parse = create_parser_sll_first, parse_sll_then_ll
    converter._alft_two_stage = True


def main() -> None:
    """A judge process's entry point: serve the socket whose file descriptor is the first argument."""
    two_stage_parsing()
    _serve(Connection(int(sys.argv[1])))


def _serve(connection: Any) -> None:
    """A judge's main loop: (operation, items, timeout) in, one (result, cpu seconds) per item out."""
    worker = _Worker()
    connection.send(("ready", time.process_time()))
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message is None:
            return
        operation, items, timeout_seconds = message
        for item in items:
            connection.send((worker.run(operation, item, timeout_seconds), time.process_time()))


class Judge:
    """One judge process, started on first use and restarted after a kill; one caller at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Any = None
        self._cpu_done = 0.0  # CPU seconds of judges already stopped
        self._cpu_now = 0.0
        self.restarts = 0

    @property
    def cpu_seconds(self) -> float:
        """CPU time this judge's processes have used (one core's worth of grouping cost)."""
        return self._cpu_done + self._cpu_now

    def _start(self) -> None:
        ours, theirs = socket.socketpair()
        source = Path(__file__).resolve().parents[2]  # the directory holding this alft package
        code = f"import sys; sys.path.insert(0, {str(source)!r}); from alft.answers.judge import main; main()"
        process = subprocess.Popen([sys.executable, "-c", code, str(theirs.fileno())], pass_fds=(theirs.fileno(),),
                                   stdin=subprocess.DEVNULL)
        theirs.close()
        connection = Connection(ours.detach())
        try:
            ready = connection.poll(STARTUP_SECONDS)
            _, self._cpu_now = connection.recv() if ready else (None, 0.0)
        except (EOFError, OSError):
            ready = False
        if not ready:
            process.kill()
            process.wait()
            connection.close()
            raise RuntimeError(f"alft answer judge: math-verify did not start within {STARTUP_SECONDS} s "
                               f"(exit code {process.poll()}); use AnswerEquivalence(workers=0) to run it in-process")
        self._process, self._connection = process, connection

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._connection.close()
        self._cpu_done += self._cpu_now
        self._cpu_now = 0.0
        self._process = self._connection = None

    def run(self, operation: str, items: Sequence[Any], timeout_seconds: float) -> tuple[list[Any], int]:
        """Results of ``operation`` on ``items`` in order, and how many items overran or crashed the judge."""
        results: list[Any] = []
        killed = 0
        with self._lock:
            while len(results) < len(items):
                if self._process is None:
                    self._start()
                self._connection.send((operation, list(items[len(results):]), timeout_seconds))
                while len(results) < len(items):
                    try:
                        ready = self._connection.poll(timeout_seconds + GRACE_SECONDS)
                        result, self._cpu_now = self._connection.recv() if ready else (None, self._cpu_now)
                    except (EOFError, OSError):
                        ready = False
                    if not ready:  # overran its bound or died: this item is a fallback, restart on the rest
                        results.append(FAILED)
                        killed += 1
                        self.restarts += 1
                        self._stop()
                        break
                    results.append(result)
        return results, killed

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                try:
                    self._connection.send(None)
                except OSError:
                    pass
            self._stop()


class JudgePool:
    """The judges of this process (rebuilt after a fork: a child never talks to its parent's judges)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._judges: list[Judge] = []
        self._pid = os.getpid()
        self._local: _Worker | None = None

    def _get(self, n: int) -> list[Judge]:
        with self._lock:
            if self._pid != os.getpid():
                self._judges, self._pid, self._local = [], os.getpid(), None
            while len(self._judges) < n:
                self._judges.append(Judge())
            return self._judges[:n]

    @property
    def cpu_seconds(self) -> float:
        """CPU seconds used by this process's judges so far."""
        return sum(judge.cpu_seconds for judge in self._judges)

    def run(self, operation: str, items: Sequence[Any], timeout_seconds: float, workers: int) -> list[Any]:
        """Results of ``operation`` (:data:`KEY` or :data:`VERIFY`) on ``items``, in order (:data:`FAILED` for
        an item that failed or overran ``timeout_seconds``)."""
        if not items:
            return []
        if workers == 0:
            return self._run_here(operation, items, timeout_seconds)
        n = max(1, min(workers, len(items) // MIN_ITEMS_PER_WORKER))
        judges = self._get(n)
        if n == 1:
            return judges[0].run(operation, items, timeout_seconds)[0]
        chunks = [items[i::n] for i in range(n)]  # interleaved: similar answers spread evenly
        with ThreadPoolExecutor(n) as threads:
            parts = list(threads.map(lambda job: job[0].run(operation, job[1], timeout_seconds)[0], zip(judges, chunks)))
        results: list[Any] = [None] * len(items)
        for i, part in enumerate(parts):
            results[i::n] = part
        return results

    def _run_here(self, operation: str, items: Sequence[Any], timeout_seconds: float) -> list[Any]:
        with self._lock:
            if self._local is None:
                self._local = _Worker()
            worker = self._local
        return [worker.run(operation, item, timeout_seconds) for item in items]

    def clear(self) -> None:
        """Empty the parse caches of the running judges (and of the in-process one)."""
        with self._lock:
            judges = [judge for judge in self._judges if judge._process is not None] if self._pid == os.getpid() else []
            local = self._local
        for judge in judges:
            judge.run(CLEAR, [None], GRACE_SECONDS)
        if local is not None:
            local.clear()

    def close(self) -> None:
        """Stop every judge process (they are daemons: they also stop with this process)."""
        with self._lock:
            judges, self._judges = self._judges, []
        for judge in judges:
            judge.close()


JUDGES = JudgePool()
"""The process-wide judge pool that :class:`alft.answers.AnswerEquivalence` uses."""
atexit.register(JUDGES.close)

__all__ = ["CLEAR", "FAILED", "JUDGES", "KEY", "UNPARSED", "VERIFY", "Judge", "JudgePool"]
