"""Export steps: torch -> ONNX, ONNX graph passes, ONNX -> TensorRT engine."""
