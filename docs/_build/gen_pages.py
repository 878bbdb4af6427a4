"""mkdocs-gen-files script: pages generated from the code and the results files at build time.

* results/figures/*.png, copied from benchmarks/results (the results pages are filled by hooks.py);
* reference/cli.md, from the typer app (typer apps are click apps);
* reference/configuration.md, from alft.games.Reward's fields and the verl plugin's settings.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).resolve().parent))

import results  # noqa: E402


def _cell(text: object) -> str:
    """Text for a markdown table cell: one line, pipes and emphasis markers escaped."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def _code(value: object) -> str:
    """A value as inline code in a table cell (only the pipe needs escaping there)."""
    return "`" + " ".join(str(value).split()).replace("|", "\\|") + "`"


# --- results: the pages are stubs in docs/results/ filled by the hook; the figures are copied here --------------
for page in results.PAGES:
    for figure in page.figures:
        with mkdocs_gen_files.open(f"results/figures/{figure}", "wb") as handle:
            handle.write((results.RESULTS / figure).read_bytes())


# --- the CLI ---------------------------------------------------------------------------------------------------
def _commands(command, prefix):
    # typer 0.29 vendors click (typer._click): duck-type the group instead of isinstance(click.Group)
    yield prefix, command
    if hasattr(command, "commands"):
        for name in sorted(command.commands):
            sub = command.commands[name]
            if not getattr(sub, "hidden", False):
                yield from _commands(sub, f"{prefix} {name}")


def cli_page() -> str:
    import typer

    from alft.cli import app

    root = typer.main.get_command(app)
    lines = ["# Command line", "", "Generated from the `alft` command itself; `alft COMMAND -h` prints the same help.", ""]
    for name, command in _commands(root, "alft"):
        lines += [f"## {name}", ""]
        if command.help:
            lines += [command.help.strip().replace("\n\n", "\n\n").replace("\b\n", ""), ""]
        ctx = command.context_class(command, info_name=name)
        usage = " ".join(command.collect_usage_pieces(ctx))
        lines += ["```", f"{name} {usage}", "```", ""]
        rows = []
        for param in command.params:
            if getattr(param, "hidden", False) or param.name == "help":
                continue
            if param.param_type_name == "argument":
                names = f"`{param.name.upper()}`"
            else:
                names = ", ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))
            default = param.default if not callable(param.default) else None
            shown = "" if default in (None, (), [], False) or param.param_type_name == "argument" else _code(default)
            rows.append(f"| {names} | {_cell(getattr(param, 'help', '') or '')} | {shown} |")
        if rows:
            lines += ["| option | meaning | default |", "|---|---|---|", *rows, ""]
    return "\n".join(lines) + "\n"


def train_settings_section() -> list[str]:
    """``alft train``'s other settings, group by group (alft.training.settings): field, option, default, meaning."""
    from alft.training import settings
    from alft.training.option_fields import option_fields

    lines = ["## `alft train` settings", "",
             "The rest of a run's settings, in TRL's groups: each option sets the field of the same name (or the "
             "one shown) of a group of `alft.training.settings`, and the step reads it from there. The reward "
             "options above are `RewardOptions`, which make the run's `Reward`.", ""]
    for group in (settings.TrainSettings, settings.DataSettings, settings.ModelSettings, settings.HardwareSettings):
        lines += [f"### `{group.__name__}`", "", "| field | `alft train` option | default | meaning |", "|---|---|---|---|"]
        for f in option_fields(group):
            flags = ", ".join(f"`{o}`" for o in f.metadata["flags"])
            lines.append(f"| `{f.name}` | {flags} | {_code(f.default)} | {_cell(f.metadata['help'])} |")
        lines.append("")
    return lines


def configuration_page() -> str:
    from alft.games.reward import reward_fields
    from alft.integrations.verl import settings as verl

    import typer

    from alft.cli import app

    # the alft train option that sets each field: its parameter has the field's name, or one of these
    train = typer.main.get_command(app).commands["train"]
    options = {p.name: p.opts for p in train.params}
    renamed = {"estimator_params": "estimator", "constraints": "constraint"}
    rows = []
    for f in reward_fields():
        default = f.default if f.default is not dataclasses.MISSING else "—"
        opts = options.get(renamed.get(f.name, f.name))
        option = ", ".join(f"`{o}`" for o in opts) if opts else "—"
        rows.append(f"| `{f.name}` | {option} | {_code(default)} | {_cell(f.metadata.get('help', ''))} |")
    verl_rows = [f"| `algorithm.alft.{key}` |" for key in verl.REWARD_KEYS]
    lines = [
        "# Configuration keys", "",
        "Generated from the code. One set of reward settings, the fields of `alft.games.Reward`, is read under "
        "three spellings: `alft train` options (and the keys of its `--config` YAML file, dashes or "
        "underscores), the fields of `AlftGRPOConfig` for TRL, and `algorithm.alft.*` for verl.", "",
        "## Reward settings", "",
        "| field (`Reward`, `AlftGRPOConfig`, YAML) | `alft train` option | default | meaning |", "|---|---|---|---|", *rows, "",
        "`peer` is a field of its own for TRL and `alft train` (`--peer`); on verl a peer is named by "
        "`algorithm.alft.objective` (`ttrl`, `empo`) or by its estimator name. The extractor is set in "
        "verl's `compute_score`, not here.", "",
        "`AlftGRPOConfig`'s other fields are TRL's `GRPOConfig` fields, unchanged.", "",
        *train_settings_section(),
        "## verl", "",
        f"`algorithm.adv_estimator`: one of {', '.join(f'`{n}`' for n in verl.ADV_ESTIMATORS)}.", "",
        "| key |", "|---|", *verl_rows,
        *(f"| `algorithm.alft.{key}` |" for key in verl.VERL_KEYS), "",
        f"`algorithm.alft.baseline` is one of {', '.join(f'`{b}`' for b in verl.BASELINES)}: the group mean as "
        "verl's GRPO, or alft's exactly unbiased leave-one-out baseline. `algorithm.alft.epsilon` is added to the "
        "group's reward std before dividing (verl's `algorithm.norm_adv_by_std_in_grpo`). Keys that are not in "
        "verl's schema are added with a leading `+` on the command line, e.g. `+algorithm.alft.estimator=digamma`.", "",
    ]
    return "\n".join(lines)


with mkdocs_gen_files.open("reference/cli.md", "w") as handle:
    handle.write(cli_page())
with mkdocs_gen_files.open("reference/configuration.md", "w") as handle:
    handle.write(configuration_page())
