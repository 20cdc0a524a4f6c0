"""A Ray connection sized for one stylert job.

``--ray auto`` joins a running cluster, ``--ray local`` starts one on this machine, any other value is a
cluster address. Actors are sized from what the cluster has: one GPU each where there are GPUs, else a CPU
share that leaves room for Ray Data's read and write tasks (two one-CPU actors on a two-CPU cluster leave
none, and the pipeline never moves). A pipeline that makes no progress for ``stall_seconds`` is stopped with
the reason instead of hanging.
"""
from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from stylert._lazy import require
from stylert.errors import StylertError, first_line

TASK_CPUS = 0.25  # each read or write task: I/O, mostly waiting


@dataclass
class RaySummary:
    """What a Ray job did: inputs tried (``items``), those that failed with why, those the manifest skipped,
    frames made, wall seconds, video chunks, and per actor (frames, busy seconds)."""

    items: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0
    frames: int = 0
    seconds: float = 0.0
    chunks: int = 0
    per_actor: dict[str, tuple[int, float]] = field(default_factory=dict)
    # videos whose subtitle tracks the output cannot carry: (source, target, the tracks' codecs)
    dropped_subtitles: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    # what of a damaged source was left out or timed anew, or what an image's decoder read past: (source, a line)
    damage: list[tuple[str, str]] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0

    def tally(self, actor: str, frames: int, seconds: float) -> None:
        done, busy = self.per_actor.get(actor, (0, 0.0))
        self.per_actor[actor] = (done + frames, busy + seconds)


class RayCluster:
    def __init__(self, address: str, workers: int | None = None, *, use_gpus: bool = True,
                 stall_seconds: float = 300.0) -> None:
        ray = require("ray", "--ray")
        require("ray.data", "--ray")
        os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")  # stylert draws its own
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # Ray's C++ warnings; stylert reports failures
        logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-dataset INFO lines, likewise
        self.ray, self.stall_seconds = ray, stall_seconds
        self.started_here = not ray.is_initialized()
        if self.started_here:
            try:
                if address == "local":
                    ray.init(include_dashboard=False, log_to_driver=False, configure_logging=False)
                else:
                    ray.init(address=address, log_to_driver=False, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                hint = " (start one with: ray start --head, or use --ray local)" if address == "auto" else ""
                reason = first_line(exc).split(". ")[0]  # Ray's advice after it names its own --address flag
                raise StylertError(f"cannot join the Ray cluster at '{address}'{hint}: {reason}") from None
        resources = ray.cluster_resources()
        self.cpus, self.gpus = float(resources.get("CPU", 0)), float(resources.get("GPU", 0))
        self.on_gpus = use_gpus and self.gpus >= 1
        default = int(self.gpus) if self.on_gpus else max(1, int(self.cpus) - 1)
        self.workers = workers or default
        if self.on_gpus and self.workers > self.gpus:
            raise StylertError(f"--workers {self.workers} needs {self.workers} GPUs; the cluster has {self.gpus:g}")
        self.task_cpus = TASK_CPUS

    @property
    def actor_cpus(self) -> float:
        """A share that leaves a read and a write task room to run beside all the actors."""
        return max(0.1, min(1.0, (self.cpus - 2 * TASK_CPUS) / self.workers))

    def actor_resources(self) -> dict[str, float]:
        return {"num_cpus": min(1.0, self.actor_cpus), "num_gpus": 1.0} if self.on_gpus else \
            {"num_cpus": self.actor_cpus}

    def actor_pool(self, most: int) -> dict[str, Any]:
        """map_batches' arguments for a pool of 1 to ``most`` actors: ``compute`` from Ray 2.51, which deprecates
        ``concurrency`` (with a warning printed on every run), and ``concurrency`` before it."""
        if release(self.ray.__version__) >= (2, 51):
            return {"compute": self.ray.data.ActorPoolStrategy(min_size=1, max_size=most)}
        return {"concurrency": (1, most)}

    def actor_threads(self) -> int:
        """CPU threads for each actor's engine, so the actors on a node do not oversubscribe it."""
        return max(1, int(self.cpus // self.workers))

    def describe(self) -> str:
        where = f"{self.workers} GPU actors" if self.on_gpus else \
            f"{self.workers} CPU actors ({self.actor_cpus:.2f} CPU each)"
        return f"Ray cluster with {self.cpus:g} CPUs and {self.gpus:g} GPUs: {where}"

    def stream(self, dataset: Any, what: str) -> Iterator[dict]:
        """The dataset's rows as they finish; StylertError when none arrives for ``stall_seconds``."""
        return stream_rows(dataset, self.stall_seconds, f"the Ray {what} pipeline", self.describe())

    def close(self) -> None:
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()


def release(version: str) -> tuple[int, int]:
    """(major, minor) of a version string: 2.60.0 -> (2, 60), 3.0.0.dev0 -> (3, 0)."""
    major, minor = (version.split(".") + ["0"])[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def stream_rows(dataset: Any, stall_seconds: float, what: str, where: str) -> Iterator[dict]:
    """``dataset.iter_rows()`` pulled on a thread, so a pipeline that stops moving becomes an error naming
    ``what`` and ``where`` after ``stall_seconds`` instead of a hang."""
    rows: queue.Queue = queue.Queue()
    done = object()

    def pull() -> None:
        try:
            for row in dataset.iter_rows():
                rows.put(row)
        except BaseException as exc:  # handed to the caller
            rows.put(exc)
        rows.put(done)

    threading.Thread(target=pull, name="stylert-ray", daemon=True).start()
    while True:
        try:
            item = rows.get(timeout=stall_seconds)
        except queue.Empty:
            raise StylertError(f"{what} made no progress for {stall_seconds:g} s on a {where}; give fewer --workers "
                               "or free resources") from None
        if item is done:
            return
        if isinstance(item, BaseException):
            raise StylertError(f"{what} failed: {first_line(item)}") from None
        yield item
