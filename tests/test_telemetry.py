"""ONNX Runtime 1.29+ writes a device ID and an event store for Microsoft's usage telemetry when it is imported;
stylert opts out unless the user has set the variables themselves."""
import os
import subprocess
import sys


def _run(code: str, tmp_path, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("CI", "ORT_DISABLE_TELEMETRY", "ORT_TELEMETRY_DISABLED", "ORT_RUNNING_UNIT_TESTS")}
    clean.update(XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path), **env)
    done = subprocess.run([sys.executable, "-c", code], env=clean, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_onnx_runtime_writes_no_telemetry_device_id_under_stylert(tmp_path):
    _run("import stylert.ort_session, onnxruntime", tmp_path)
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_the_user_s_own_choice_is_kept(tmp_path):
    said = _run("import os, stylert; print(os.environ['ORT_DISABLE_TELEMETRY'], os.environ['ORT_TELEMETRY_DISABLED'])",
                tmp_path, ORT_DISABLE_TELEMETRY="0")
    assert said.split() == ["0", "1"]
