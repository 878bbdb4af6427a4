"""The run's plots: the trends are trailing means of the logged values, evaluations are drawn where they
happened, and every PNG is written even when metrics are missing."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from alft.training.plots import _eval_markers, _smooth, plot_comparison, plot_run  # noqa: E402


@pytest.mark.parametrize("window", [1, 3, 7])
def test_the_trend_is_the_trailing_mean(window):
    values = np.random.default_rng(0).normal(size=25)
    expected = [values[max(0, i - window + 1): i + 1].mean() for i in range(values.size)]
    assert np.allclose(_smooth(values, window), expected)


def test_evaluations_are_drawn_at_step_0_and_the_last_step():
    fig, ax = plt.subplots()
    before = {"greedy_accuracy": 0.5, "majority_accuracy": 0.6, "mean_sample_accuracy": 0.4}
    after = {"greedy_accuracy": 0.7, "majority_accuracy": 0.8, "mean_sample_accuracy": 0.65}
    _eval_markers(ax, before, after, 200)
    lines = {line.get_label(): line for line in ax.lines}
    assert set(lines) == {"eval greedy accuracy", "eval majority accuracy", "eval mean sample accuracy"}
    sample = lines["eval mean sample accuracy"]
    assert list(sample.get_xdata()) == [0, 200] and list(sample.get_ydata()) == [0.4, 0.65]
    plt.close(fig)


def test_a_run_with_missing_metrics_still_gets_every_png(tmp_path):
    metrics = [{"step": s, "reward": 0.1 * s, "alft/answer_entropy": None if s % 2 else 1.0 / s} for s in range(1, 11)]
    equilibrium = {"before": {"tv_to_p_star": 0.3, "tv_floor": 0.05, "sharpening": 2.0}, "during": [],
                   "after": {"tv_to_p_star": 0.2, "tv_floor": 0.05, "sharpening": 2.0}}
    paths = plot_run(metrics, tmp_path, None, None, equilibrium=equilibrium)
    assert [p.name for p in paths] == ["reward.png", "entropy.png", "accuracy.png", "equilibrium.png"]
    for path in paths:
        image = mpimg.imread(path)
        assert image.ndim == 3 and image.shape[0] > 100 and image.std() > 0  # a drawn picture, not a blank one


def test_the_comparison_draws_one_panel_per_metric(tmp_path):
    rows = [{"method": m, "seed": s, "greedy_accuracy_before": 0.5, "greedy_accuracy_after": 0.5 + 0.01 * s}
            for m in ("plugin", "aqp") for s in range(3)]
    path = plot_comparison(rows, [("greedy_accuracy", "greedy")], tmp_path / "c.png")
    assert mpimg.imread(path).shape[1] > 100
