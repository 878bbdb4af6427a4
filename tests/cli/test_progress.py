"""What a long command shows: timed plain lines in a log file, bars on a terminal, no library noise by default."""

import io
import logging
import re
import time

from rich.console import Console

from alft.cli.progress import LogProgress, progress_display, quiet_libraries


def test_a_log_file_gets_timed_lines_at_the_interval_one_when_a_stage_finishes_and_a_heartbeat_between():
    out = io.StringIO()
    with LogProgress(Console(file=out, width=200), interval=0.05) as progress:
        progress.stage("drawing reference answers")
        task = progress.add_task("reference answers", total=4)
        time.sleep(0.3)
        progress.update(task, completed=4)
        time.sleep(0.3)  # no bar runs: the heartbeat names the stage
    lines = out.getvalue().splitlines()
    assert all(re.match(r"^\[\d\d:\d\d:\d\d\] ", line) for line in lines)
    assert lines[0].endswith("• drawing reference answers")
    assert sum("reference answers: 0/4," in line for line in lines) >= 3
    assert sum("reference answers: 4/4 done" in line for line in lines) == 1
    assert sum("… drawing reference answers (0:00 so far)" in line for line in lines) >= 2


def test_a_terminal_gets_bars_and_anything_else_plain_lines():
    assert isinstance(progress_display(Console(file=io.StringIO())), LogProgress)
    assert not isinstance(progress_display(Console(file=io.StringIO(), force_terminal=True)), LogProgress)


def test_the_libraries_bars_and_log_lines_are_hidden_unless_verbose_and_restored_after():
    import datasets
    import transformers

    logging_ = transformers.utils.logging
    bars = logging_.is_progress_bar_enabled()
    logging_.enable_progress_bar()  # as a fresh process has it (an earlier test of this process may not)
    before = logging_.get_verbosity()
    try:
        with quiet_libraries(verbose=True):
            assert logging_.is_progress_bar_enabled() and logging_.get_verbosity() == before
        with quiet_libraries(verbose=False):
            assert not logging_.is_progress_bar_enabled() and not datasets.is_progress_bar_enabled()
            assert logging_.get_verbosity() == logging.ERROR and logging.getLogger("trl").level == logging.ERROR
        assert logging_.is_progress_bar_enabled() and logging_.get_verbosity() == before
    finally:
        if not bars:
            logging_.disable_progress_bar()
