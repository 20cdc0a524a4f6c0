"""Every training step's losses: kept inside the training checkpoint, so a resumed run's history goes on from the
step its weights are at, and written beside the checkpoint as a CSV table and a chart (``write_report``)."""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import torch

from stylert._lazy import installed
from stylert.atomic_files import atomic_output

# Plotting every point of a long run is slow and unreadable; the chart thins each curve to at most this many.
CHART_POINTS = 2000


class LossHistory:
    """Steps and their named loss terms (a term a step lacks is NaN: a resumed run may weigh other terms)."""

    def __init__(self) -> None:
        self.steps: list[int] = []
        self.names: list[str] = []
        self._rows: list[list[float]] = []

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, step: int, terms: dict[str, float]) -> None:
        for name in terms:
            if name not in self.names:
                self.names.append(name)
        self.steps.append(step)
        self._rows.append([terms.get(name, math.nan) for name in self.names])

    def values(self) -> np.ndarray:
        """float64 steps x names (NaN where a step has no such term)."""
        table = np.full((len(self.steps), len(self.names)), np.nan)
        for i, row in enumerate(self._rows):
            table[i, :len(row)] = row
        return table

    def state(self) -> dict:
        """What a checkpoint keeps (tensors and plain types, which ``torch.load(weights_only=True)`` reads)."""
        return {"names": list(self.names), "steps": torch.tensor(self.steps, dtype=torch.int64),
                "values": torch.from_numpy(self.values().astype(np.float32))}

    @classmethod
    def from_state(cls, state: dict | None, up_to: int) -> LossHistory:
        """The history a checkpoint kept, to its step ``up_to`` (empty for a checkpoint written before histories
        were kept)."""
        history = cls()
        if state:
            keep = state["steps"] <= up_to
            history.names = list(state["names"])
            history.steps = state["steps"][keep].tolist()
            history._rows = state["values"][keep].tolist()
        return history

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", *self.names])
        for step, row in zip(self.steps, self.values().tolist()):
            writer.writerow([step, *("" if math.isnan(v) else f"{v:.6g}" for v in row)])
        return out.getvalue()


def report_paths(checkpoint: str | Path) -> tuple[Path, Path]:
    """(CSV, chart) written beside ``checkpoint``: style.pth -> style_losses.csv, style_losses.png."""
    stem = Path(checkpoint).with_suffix("")
    return stem.with_name(stem.name + "_losses.csv"), stem.with_name(stem.name + "_losses.png")


def write_report(history: LossHistory, checkpoint: str | Path, title: str) -> list[Path]:
    """The CSV, and the chart where matplotlib is installed, beside ``checkpoint``, each written atomically;
    returns the paths written."""
    table, chart = report_paths(checkpoint)
    with atomic_output(table) as tmp:
        tmp.write_text(history.csv_text())
    if not installed("matplotlib") or not len(history):
        return [table]
    _draw(history, chart, title)
    return [table, chart]


def smoothed(values: np.ndarray) -> np.ndarray:
    """A centred running mean over about a fiftieth of the run (at least 1 step), ignoring NaN and infinities: the
    trend that per-step noise (one batch at a time) hides; NaN where the window holds no value. Running sums keep
    it linear in the run's length (a chart is drawn at every checkpoint)."""
    n, window = len(values), max(1, len(values) // 50)
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    first = np.arange(n) - window // 2  # the window np.convolve(mode="same") centres on each step
    start, end = np.clip(first, 0, n), np.clip(first + window, 0, n)
    count = counts[end] - counts[start]
    return np.where(count > 0, (sums[end] - sums[start]) / np.maximum(count, 1), np.nan)


def _draw(history: LossHistory, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps, table = np.asarray(history.steps), history.values()
    every = max(1, len(steps) // CHART_POINTS)
    groups = [("generator losses (weighted)", [n for n in history.names if n != "d"]),
              ("discriminator loss (BCE)", [n for n in history.names if n == "d"])]
    groups = [(label, names) for label, names in groups if names]
    fig, axes = plt.subplots(len(groups), 1, figsize=(8, 3.2 * len(groups)), dpi=110, squeeze=False, sharex=True)
    for ax, (label, names) in zip(axes[:, 0], groups):
        positive = True
        for name in names:
            column = table[:, history.names.index(name)]
            trend = smoothed(column)
            line, = ax.plot(steps[::every], trend[::every], label=name, linewidth=1.4)
            ax.plot(steps[::every], column[::every], color=line.get_color(), alpha=0.2, linewidth=0.6)
            positive &= bool(np.all(column[np.isfinite(column)] > 0))
        if positive:
            ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    axes[-1, 0].set_xlabel("step")
    axes[0, 0].set_title(title, fontsize=9)
    fig.tight_layout()
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
