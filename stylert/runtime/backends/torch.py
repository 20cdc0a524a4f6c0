"""Eager PyTorch backend: the reference for parity tests and the anchor in benchmarks."""
from __future__ import annotations

import numpy as np

from stylert._lazy import require
from stylert.errors import BackendUnavailable
from stylert.model_info import ModelInfo
from stylert.runtime.backends.base import Backend


class TorchBackend(Backend):
    name = "torch"
    suffixes = (".pth", ".pt")

    def _open_impl(self) -> None:
        torch = require("torch", "the torch backend")
        from stylert.export.onnx_export import convention_module
        from stylert.models.checkpoint import load_checkpoint

        loaded = load_checkpoint(self.model_path)
        want_cuda = self.device in ("cuda", "gpu")
        if want_cuda and not torch.cuda.is_available():
            raise BackendUnavailable("torch sees no CUDA GPU here; use --device cpu")
        self._device = torch.device("cuda" if want_cuda or (self.device == "auto" and torch.cuda.is_available()) else "cpu")
        if self.threads:
            torch.set_num_threads(self.threads)
        self._module = convention_module(loaded).to(self._device)
        self._torch = torch
        self._info = ModelInfo(loaded.architecture, loaded.variant, loaded.style, loaded.size_multiple)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def description(self) -> str:
        return f"torch ({self._device})" if self._open else "torch"

    def _run_impl(self, batch: np.ndarray) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            out = self._module(torch.from_numpy(batch).to(self._device))
        return out.float().cpu().numpy()

    def _close_impl(self) -> None:
        del self._module
