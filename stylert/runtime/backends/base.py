"""The one protocol every inference backend implements.

A backend is opened (sessions created, memory allocated), runs batches, and is
closed; it is a context manager so those lifetimes are visible. ``run`` takes and
returns float32 RGB NCHW in 0..255 (the stylert IO convention); the returned
array may be reused by the next call: copy it if you keep it.
"""
from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import ClassVar

import numpy as np

from stylert.model_info import ModelInfo


class Backend(abc.ABC):
    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]  # model files this backend loads directly

    def __init__(self, model_path: Path, *, device: str = "auto", threads: int | None = None) -> None:
        self.model_path = Path(model_path)
        self.device = device
        self.threads = threads
        self._open = False

    @property
    @abc.abstractmethod
    def info(self) -> ModelInfo:
        """Model metadata; available after open()."""

    @property
    def description(self) -> str:
        """Human-readable backend + device, e.g. 'onnxruntime (CPUExecutionProvider)'."""
        return self.name

    def open(self) -> Backend:
        if not self._open:
            self._open_impl()
            self._open = True
        return self

    def run(self, batch: np.ndarray) -> np.ndarray:
        if not self._open:
            self.open()
        return self._run_impl(batch)

    def run_many(self, batches: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        """Outputs of ``batches`` in order. This default runs one at a time; a backend that can keep
        several batches in flight (TensorRT) overrides it."""
        for batch in batches:
            yield self.run(batch)

    @property
    def fuses_pre_post(self) -> bool:
        """True when ``run_frames`` does pre/post-processing on the backend's device."""
        return False

    def run_frames(self, frames: list[np.ndarray], *, multiple: int, strength: float,
                   preserve_color: bool) -> list[np.ndarray]:
        """Whole uint8 BGR frames in and out; only for backends whose ``fuses_pre_post`` is True."""
        raise NotImplementedError(f"the {self.name} backend does pre/post-processing on the CPU")

    def close(self) -> None:
        if self._open:
            self._close_impl()
            self._open = False

    def __enter__(self) -> Backend:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @abc.abstractmethod
    def _open_impl(self) -> None: ...

    @abc.abstractmethod
    def _run_impl(self, batch: np.ndarray) -> np.ndarray: ...

    def _close_impl(self) -> None:
        """Release resources; the default has none to release."""
