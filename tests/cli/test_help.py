"""Help a newcomer can act on: -h everywhere, --version, defaults and choices shown, no unshipped references."""

import pytest
import typer
from typer.testing import CliRunner

from alft.cli import app

runner = CliRunner()


def _commands():
    """Every command and sub-command of the app, as argument lists."""
    group = typer.main.get_command(app)
    out = [[]]
    for name, command in group.commands.items():
        out.append([name])
        out += [[name, sub] for sub in getattr(command, "commands", {})]
    return out


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "alft")
def test_every_command_takes_h_and_shows_no_unshipped_spec_reference(path):
    result = runner.invoke(app, [*path, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "SPEC" not in result.output


def test_version():
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"alft {version('alft')}"


def test_train_help_shows_choices_defaults_and_a_qualified_lr_warning():
    text = " ".join(runner.invoke(app, ["train", "-h"], env={"COLUMNS": "400"}).output.split())
    for shown in ("<auto|cpu|cuda|mps>", "<colocate|server>", "<default|tiny>", "[default: auto]",
                  "Default: 3e-05 (preset default)", "accelerate launch -m alft.cli train", "--config"):
        assert shown in text, shown
    assert "On the built-in task lr ≥ 1e-4 hacked the reward" in text
