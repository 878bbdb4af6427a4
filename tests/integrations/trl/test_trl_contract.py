"""AlftGRPOTrainer's contract with TRL: it overrides GRPOTrainer's private ``_calculate_rewards`` (whole groups
across processes, non-finite user rewards). A TRL release that renamed it or stopped calling it from its training
step would silently bypass both, so these tests fail then; pyproject.toml declares the TRL range they ran on."""

import inspect
import tomllib
from pathlib import Path

import trl
from datasets import Dataset
from packaging.requirements import Requirement
from packaging.version import Version
from transformers import AutoTokenizer, PrinterCallback
from trl import GRPOTrainer

from alft.integrations.trl import AlftGRPOConfig, AlftGRPOTrainer

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def _declared_trl() -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    return next(Requirement(d) for d in dependencies if Requirement(d).name == "trl")


def test_the_installed_trl_is_in_the_declared_range_and_the_range_is_closed():
    declared = _declared_trl()
    assert Version(trl.__version__) in declared.specifier, (trl.__version__, str(declared))
    assert any(spec.operator == "<" for spec in declared.specifier), "an untested TRL must not install silently"


def test_the_overridden_hook_exists_with_the_same_parameters():
    ours = inspect.signature(AlftGRPOTrainer._calculate_rewards)
    theirs = inspect.signature(GRPOTrainer._calculate_rewards)
    assert list(ours.parameters) == list(theirs.parameters)


def test_one_training_step_goes_through_the_override(tiny_policy, tmp_path):
    args = AlftGRPOConfig(
        output_dir=str(tmp_path / "out"), num_generations=4, per_device_train_batch_size=4, max_completion_length=4,
        max_steps=1, learning_rate=1e-3, use_cpu=True, bf16=False, report_to="none", save_strategy="no",
        logging_steps=1, disable_tqdm=True, seed=0, extractor="last-number", grouper="exact",
        objective="coherence", allow_collapse=True,
    )
    data = Dataset.from_dict({"prompt": ["1+1=", "2+2="], "answer": ["2", "4"]})
    trainer = AlftGRPOTrainer(model=str(tiny_policy), args=args, train_dataset=data,
                              processing_class=AutoTokenizer.from_pretrained(tiny_policy))
    trainer.remove_callback(PrinterCallback)
    override, calls = trainer._calculate_rewards, []

    def spy(inputs, prompts, completions, completion_ids_list):
        calls.append(len(completions))
        return override(inputs, prompts, completions, completion_ids_list)

    trainer._calculate_rewards = spy  # what TRL's step calls by name reaches AlftGRPOTrainer's override
    trainer.train()
    assert calls == [4]  # one step, one generation batch of one group of K = 4
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert logged and "alft/nonfinite_rewards" in logged[0]  # a metric only the override writes
