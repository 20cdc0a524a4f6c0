"""ONNX Runtime backend: CPU everywhere, CUDA when onnxruntime-gpu and a GPU are present."""
from __future__ import annotations

import numpy as np

from stylert.errors import BackendUnavailable, BadModelFile
from stylert.model_info import ModelInfo
from stylert.runtime.backends.base import Backend


def _providers(device: str, available: list[str]) -> list[str]:
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device in ("cuda", "gpu") and "CUDAExecutionProvider" not in available:
        raise BackendUnavailable("onnxruntime has no CUDA provider here; install onnxruntime-gpu or use --device cpu")
    gpu = ["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []
    return gpu + ["CPUExecutionProvider"]


class OnnxRuntimeBackend(Backend):
    name = "onnxruntime"
    suffixes = (".onnx",)

    def _open_impl(self) -> None:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if self.threads:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        providers = _providers(self.device, ort.get_available_providers())
        try:
            self._session = ort.InferenceSession(str(self.model_path), opts, providers=providers)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BadModelFile(f"{self.model_path} is not a loadable ONNX model (truncated or corrupt?): {first}") from None
        inputs = self._session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4 or inputs[0].shape[1] not in (3, "3"):
            raise BadModelFile(f"{self.model_path}: expected one NCHW input with 3 channels, got "
                               f"{[(i.name, i.shape) for i in inputs]}")
        self._input = inputs[0].name
        meta = self._session.get_modelmeta().custom_metadata_map
        self._info = ModelInfo.from_metadata(meta, fallback_style=self.model_path.stem)

    @property
    def info(self) -> ModelInfo:
        return self._info

    @property
    def description(self) -> str:
        providers = self._session.get_providers() if self._open else []
        return f"onnxruntime ({providers[0] if providers else 'not open'})"

    def _run_impl(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {self._input: batch})[0]

    def _close_impl(self) -> None:
        del self._session
