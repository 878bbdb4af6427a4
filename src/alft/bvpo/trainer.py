"""``BVPOTrainer``: TRL's ``DPOTrainer`` on two pair sets, the loss mixed as L_c = α L_t + (1−α) L_e (docs/concepts/bvpo.md).

TRL's ``DPOTrainer`` knows one pair set (``chosen``/``rejected``). BVPO needs a second one on the same prompts
(``chosen_empty``/``rejected_empty``: completions that start at the answer), and a loss that weighs the two.
TRL offers no hook for either, so the subclass overrides only:

* ``_prepare_dataset``: TRL's own preparation run twice, on the trace columns and on the empty-trace
  columns, the second stored as ``empty_*_ids`` (``_set_signature_columns_if_needed`` keeps them);
* the collator: TRL's ``DataCollatorForPreference`` applied to each pair set, the empty batch's keys
  prefixed ``empty_``;
* ``compute_loss``: TRL's loss on each half, mixed with α. With ``estimate_alpha`` α is re-estimated every
  step from the batch (:func:`alft.bvpo.estimate_alpha` on per-example gradients, optionally count-sketched),
  before the mixed loss is formed; a batch of fewer than ``MIN_BATCH`` pairs (the last one of an epoch)
  keeps the previous step's α̂.

Logged every step beside TRL's metrics (which stay those of the trace pairs; the empty pairs' copies are
under ``empty/``): ``bvpo/alpha``, ``bvpo/loss_trace``, ``bvpo/loss_empty`` and, when α is estimated, the
batch's gradient statistics ``bvpo/var_trace``, ``bvpo/var_empty``, ``bvpo/cov_trace_empty``,
``bvpo/gap_sq`` (‖Ḡ_t − Ḡ_e‖²) and ``bvpo/alpha_unclipped``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import datasets
import numpy as np
import torch
from trl import DPOConfig, DPOTrainer
from trl.trainer.dpo_trainer import DataCollatorForPreference

from alft.bvpo.estimate import MIN_BATCH, estimate_alpha
from alft.bvpo.mixing import check_alpha
from alft.bvpo.pairs import BUILTIN_EMPTY_PATTERN, PairSets, PreferencePairs
from alft.errors import AlftInputError, AlftNumericalError, require

EMPTY_PREFIX = "empty_"
_EMPTY_COLUMNS = ("chosen_empty", "rejected_empty")


@dataclass
class BVPOConfig(DPOConfig):
    """``DPOConfig`` plus BVPO's mixing weight; see TRL's docs for the rest."""

    alpha: float = field(default=0.5, metadata={"help": "Weight of the trace-based loss in [0, 1]: L_c = α L_t + "
                                                        "(1−α) L_e (1 = plain DPO on trace pairs). The paper uses 0.5. "
                                                        "With estimate_alpha, the value of steps where it is not estimated."})
    estimate_alpha: bool = field(default=False, metadata={"help": "Re-estimate α every step from the batch's per-example "
                                                                  "gradients (α̂*, alft.bvpo.estimate_alpha)."})
    alpha_sketch_width: int | None = field(default=None, metadata={"help": "Count-sketch the per-example gradients to "
                                                                           "this width before estimating α (None: full gradients)."})
    empty_pattern: str = field(default=BUILTIN_EMPTY_PATTERN, metadata={"help": "Regular expression an empty-trace "
                                                                                "completion must match in full (the answer alone)."})

    def __post_init__(self) -> None:
        self.alpha = check_alpha(self.alpha)
        if self.estimate_alpha:
            require(self.per_device_train_batch_size >= MIN_BATCH, "per_device_train_batch_size",
                    self.per_device_train_batch_size, f"at least {MIN_BATCH} pairs to estimate alpha")
        if self.alpha_sketch_width is not None:
            require(self.alpha_sketch_width >= 1, "alpha_sketch_width", self.alpha_sketch_width, "None or an integer ≥ 1")
        require(not self.precompute_ref_log_probs, "precompute_ref_log_probs", True,
                "False (BVPO's empty-trace pairs are scored by the reference model on the fly)")
        super().__post_init__()


def pair_dataset(pairs: PairSets) -> datasets.Dataset:
    """The dataset :class:`BVPOTrainer` trains on, from checked pair sets."""
    return datasets.Dataset.from_dict(pairs.rows())


def check_pair_dataset(data: datasets.Dataset, empty_pattern: str) -> None:
    """The columns BVPO needs, with :class:`~alft.bvpo.pairs.PairSets`' checks (nothing tokenized yet)."""
    missing = [c for c in ("prompt", "chosen", "rejected", *_EMPTY_COLUMNS) if c not in data.column_names]
    require(not missing, "train_dataset", data.column_names,
            "columns prompt, chosen, rejected (trace pairs) and chosen_empty, rejected_empty (empty-trace pairs)")
    PairSets(PreferencePairs(data["prompt"], data["chosen"], data["rejected"]),
             PreferencePairs(data["prompt"], data["chosen_empty"], data["rejected_empty"]), empty_pattern)


@dataclass
class BVPOCollator:
    """TRL's preference collator applied to the trace pairs and, prefixed ``empty_``, to the empty-trace pairs."""

    base: DataCollatorForPreference

    def __call__(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        keys = ("prompt_ids", "chosen_ids", "rejected_ids")
        trace = self.base([{k: e[k] for k in keys} for e in examples])
        empty = self.base([{k: e[EMPTY_PREFIX + k] for k in keys} for e in examples])
        return {**trace, **{EMPTY_PREFIX + k: v for k, v in empty.items()}}


def split_batch(inputs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(trace batch, empty-trace batch) from a collated BVPO batch."""
    trace = {k: v for k, v in inputs.items() if not k.startswith(EMPTY_PREFIX)}
    empty = {k[len(EMPTY_PREFIX):]: v for k, v in inputs.items() if k.startswith(EMPTY_PREFIX)}
    return trace, empty


def pair_rows(batch: dict[str, Any], i: int) -> dict[str, Any]:
    """Pair i of a collated preference batch (rows i and n + i: TRL stacks chosen then rejected)."""
    n = batch["input_ids"].shape[0] // 2
    return {k: torch.cat([v[i : i + 1], v[n + i : n + i + 1]]) if torch.is_tensor(v) and v.dim() >= 1 and v.shape[0] == 2 * n
            else v for k, v in batch.items()}


class BVPOTrainer(DPOTrainer):
    """``DPOTrainer`` on trace pairs and empty-trace pairs, losses mixed with α (fixed or α̂* each step)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        config = kwargs.get("args")
        require(isinstance(config, BVPOConfig), "args", type(config).__name__, "a BVPOConfig")
        if kwargs.get("train_dataset") is not None:
            check_pair_dataset(kwargs["train_dataset"], config.empty_pattern)
        require(kwargs.get("eval_dataset") is None, "eval_dataset", "given", "None (evaluate with alft.bvpo.task)")
        super().__init__(*args, **kwargs)
        self.data_collator = BVPOCollator(self.data_collator)
        self.alpha_history: list[float] = []
        self._sketch: tuple[torch.Tensor, torch.Tensor] | None = None

    # -- data --------------------------------------------------------------------------------------------
    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):  # type: ignore[override]
        if "chosen_ids" in dataset.column_names:  # already prepared
            return dataset
        trace = dataset.remove_columns(list(_EMPTY_COLUMNS))
        empty = dataset.select_columns(["prompt", *_EMPTY_COLUMNS]).rename_columns(
            {"chosen_empty": "chosen", "rejected_empty": "rejected"})
        trace = super()._prepare_dataset(trace, processing_class, args, dataset_name)
        empty = super()._prepare_dataset(empty, processing_class, args, f"{dataset_name} (empty traces)")
        require(len(trace) == len(empty), "max_length", args.max_length,
                "a length that drops no pair of either set (the two sets must stay aligned)")
        for key in ("prompt_ids", "chosen_ids", "rejected_ids"):
            trace = trace.add_column(EMPTY_PREFIX + key, empty[key])
        return trace

    def _set_signature_columns_if_needed(self) -> None:
        super()._set_signature_columns_if_needed()
        self._signature_columns = list(self._signature_columns) + [
            EMPTY_PREFIX + k for k in ("prompt_ids", "chosen_ids", "rejected_ids")]

    # -- the loss ----------------------------------------------------------------------------------------
    def _pair_loss(self, model, batch: dict[str, Any], metrics: str) -> torch.Tensor:
        """TRL's DPO loss on one pair set. TRL appends its metrics (rewards, margins, …); ``metrics`` says where
        they go: ``"keep"`` leaves them (the trace pairs), ``"empty"`` moves them under ``empty/``, ``"drop"``
        removes them (the per-example passes of α̂*)."""
        if metrics == "keep":
            return super()._compute_loss(model, batch, return_outputs=False)
        store = self._metrics["train" if self.model.training else "eval"]
        before = {key: len(values) for key, values in store.items()}
        loss = super()._compute_loss(model, batch, return_outputs=False)
        for key in [k for k in store if not k.startswith(("empty/", "bvpo/"))]:
            added = store[key][before.get(key, 0):]
            del store[key][before.get(key, 0):]
            if metrics == "empty" and added:
                store[f"empty/{key}"].extend(added)
            if not store[key]:
                del store[key]  # TRL's log() averages every list: an emptied one would divide by zero
        return loss

    def _flat_grad(self, loss: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
        grads = torch.autograd.grad(loss, params, allow_unused=True)
        flat = torch.cat([(g if g is not None else torch.zeros_like(p)).reshape(-1) for g, p in zip(grads, params)])
        width = self.args.alpha_sketch_width
        if width is None:
            return flat.detach()
        if self._sketch is None or self._sketch[0].numel() != flat.numel():
            generator = torch.Generator().manual_seed(self.args.seed)
            buckets = torch.randint(0, width, (flat.numel(),), generator=generator)
            signs = torch.randint(0, 2, (flat.numel(),), generator=generator).to(flat.dtype) * 2 - 1
            self._sketch = (buckets.to(flat.device), signs.to(flat.device))
        buckets, signs = self._sketch
        return torch.zeros(width, dtype=flat.dtype, device=flat.device).index_add_(0, buckets, flat.detach() * signs)

    def per_example_gradients(self, model, trace: dict[str, Any], empty: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(n, P) per-pair gradients of ℓ_t and ℓ_e (sketched when ``alpha_sketch_width`` is set)."""
        params = [p for p in model.parameters() if p.requires_grad]
        n = trace["input_ids"].shape[0] // 2
        rows_t, rows_e = [], []
        for i in range(n):
            rows_t.append(self._flat_grad(self._pair_loss(model, pair_rows(trace, i), "drop"), params))
            rows_e.append(self._flat_grad(self._pair_loss(model, pair_rows(empty, i), "drop"), params))
        return torch.stack(rows_t).double().cpu().numpy(), torch.stack(rows_e).double().cpu().numpy()

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if return_outputs:
            raise AlftInputError("return_outputs: got True, expected False (BVPOTrainer returns the mixed loss only)")
        mode = "train" if self.model.training else "eval"
        trace, empty = split_batch(inputs)
        require(bool(empty), "batch", sorted(inputs), "a BVPO batch (trace and empty_ keys)")
        alpha = self.args.alpha
        n_pairs = trace["input_ids"].shape[0] // 2
        if self.args.estimate_alpha and self.model.training and n_pairs < MIN_BATCH:
            # the last batch of an epoch may hold a single pair: no sample covariance, so the previous α̂ is kept
            alpha = self.alpha_history[-1] if self.alpha_history else self.args.alpha
        elif self.args.estimate_alpha and self.model.training:
            estimate = estimate_alpha(*self.per_example_gradients(model, trace, empty))
            alpha = estimate.alpha
            for key, value in (("var_trace", estimate.var_trace), ("var_empty", estimate.var_empty),
                               ("cov_trace_empty", estimate.cov_trace_empty), ("gap_sq", estimate.denominator),
                               ("alpha_unclipped", estimate.alpha_unclipped)):
                self._metrics[mode][f"bvpo/{key}"].append(float(value))
        loss_trace = self._pair_loss(model, trace, "keep")
        loss_empty = self._pair_loss(model, empty, "empty")
        for name, value in (("trace", loss_trace), ("empty", loss_empty)):
            if not torch.isfinite(value):
                raise AlftNumericalError(f"loss_{name}: got {value.item()} at step {self.state.global_step}; expected a "
                                         "finite DPO loss (non-finite log-probabilities: check the model and the pairs)")
        loss = alpha * loss_trace + (1.0 - alpha) * loss_empty
        if self.model.training:
            self.alpha_history.append(alpha)
        self._metrics[mode]["bvpo/alpha"].append(alpha)
        self._metrics[mode]["bvpo/loss_trace"].append(loss_trace.item())
        self._metrics[mode]["bvpo/loss_empty"].append(loss_empty.item())
        return loss
