"""What a long command shows while it runs: rich bars on a terminal, plain timed lines in a log file, and none of
the libraries' own bars, log lines or warnings unless ``--verbose``.

rich redraws bars only on a terminal: with stderr sent to a file it prints them once, at the end. So off a
terminal :class:`LogProgress` prints one line per running stage every :data:`LOG_INTERVAL` seconds (and one
when a stage finishes), and a heartbeat naming the current stage when no bar is running.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

LOG_INTERVAL = 15.0  # seconds between plain progress lines (a log file shows life at least every 30 s)
LIBRARY_LOGGERS = ("transformers", "datasets", "trl", "accelerate", "peft", "huggingface_hub", "torch", "filelock")


def progress_display(console: Console) -> Progress:
    """Bars on a terminal, :class:`LogProgress` elsewhere."""
    if console.is_terminal:
        return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False)
    return LogProgress(console)


def stage_log(progress: Progress) -> Callable[[str], None]:
    """The ``log`` of a pipeline: one ``• message`` line per stage (and the heartbeat's stage off a terminal)."""
    if isinstance(progress, LogProgress):
        return progress.stage
    return lambda message: progress.console.print(f"• {escape(message)}", highlight=False)


class LogProgress(Progress):
    """Progress for a log file: timed plain lines at a steady interval instead of bars.

    Args:
        console: where the lines go (stderr).
        interval: seconds between lines while something runs.
    """

    def __init__(self, console: Console, interval: float = LOG_INTERVAL) -> None:
        super().__init__(TextColumn("{task.description}"), console=console, disable=True)
        self.interval = interval
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: set[Any] = set()  # finished tasks already reported
        self._stage, self._stage_start = "", time.monotonic()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="alft-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
        self._report_finished()

    def stage(self, message: str) -> None:
        """A new stage: printed now, named by the heartbeat until the next one."""
        with self._lock:
            self._stage, self._stage_start = message, time.monotonic()
        self._print(f"• {message}")

    def update(self, task_id: Any, **changes: Any) -> None:  # noqa: D102 — rich's
        super().update(task_id, **changes)
        self._report_finished()

    def advance(self, task_id: Any, advance: float = 1) -> None:  # noqa: D102 — rich's
        super().advance(task_id, advance)
        self._report_finished()

    def _beat(self) -> None:
        while not self._halt.wait(self.interval):
            running = [task for task in self.tasks if not task.finished]
            if running:
                for task in running:
                    self._print(_task_line(task))
            elif self._stage:
                self._print(f"… {self._stage} ({_clock(time.monotonic() - self._stage_start)} so far)")

    def _report_finished(self) -> None:
        for task in self.tasks:
            if task.finished and task.id not in self._reported:
                self._reported.add(task.id)
                self._print(_task_line(task))

    def _print(self, line: str) -> None:
        self.console.print(f"[{time.strftime('%H:%M:%S')}] {escape(line)}", highlight=False, soft_wrap=True)


def _task_line(task: Any) -> str:
    total = f"/{task.total:g}" if task.total is not None else ""
    done = " done" if task.finished else ""
    return f"{task.description}: {task.completed:g}{total}{done}, {_clock(task.elapsed or 0.0)}"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


@contextlib.contextmanager
def quiet_libraries(verbose: bool) -> Iterator[None]:
    """Hide transformers', datasets' and huggingface_hub's progress bars, the libraries' log lines below errors
    and their Python warnings, unless ``verbose``; everything is restored after."""
    if verbose:
        yield
        return
    import datasets
    import huggingface_hub.utils
    import transformers

    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    transformers_level = transformers.utils.logging.get_verbosity()
    transformers_bars = transformers.utils.logging.is_progress_bar_enabled()
    datasets_bars = datasets.is_progress_bar_enabled()
    hub_bars = not huggingface_hub.utils.are_progress_bars_disabled()
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    huggingface_hub.utils.disable_progress_bars()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore")
            warnings.filterwarnings("default", module=r"alft\.")  # alft's own warnings still show
            yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        transformers.utils.logging.set_verbosity(transformers_level)
        if transformers_bars:
            transformers.utils.logging.enable_progress_bar()
        if datasets_bars:
            datasets.enable_progress_bars()
        if hub_bars:
            huggingface_hub.utils.enable_progress_bars()
