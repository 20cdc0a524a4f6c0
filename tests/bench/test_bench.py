import json
import subprocess
import sys


def test_quick_bench_writes_valid_json_markdown_and_png(tmp_path):
    r = subprocess.run([sys.executable, "-m", "stylert", "bench", "--quick", "-o", str(tmp_path)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    report = json.loads((tmp_path / "bench.json").read_text())
    assert report["gemm_roofline_gflops"] > 0 and report["machine"]["cores"] >= 1
    names = [res["name"] for res in report["results"]]
    assert names == ["PyTorch eager fp32", "ONNX Runtime default fp32", "stylert fp32", "stylert int8"]
    for res in report["results"]:
        assert set(res["latency_p50_ms"]) == {"64x64", "96x128"}
        for size, p50 in res["latency_p50_ms"].items():
            assert 0 < p50 <= res["latency_p90_ms"][size]
            assert res["gflops"][size] > 0 and len(res["samples_ms"][size]) == 2
        assert res["throughput_ips"] > 0 and res["peak_rss_mb"] > 10
    md = (tmp_path / "bench.md").read_text()
    table = md.split("\n\n")[1].splitlines()  # the first table: header, rule, one row per candidate
    assert [row.split(" | ")[0].lstrip("| ") for row in table[2:]] == names and "GEMM roofline" in md
    assert "Where the time goes" in md and "| Conv |" in md and "| QLinearConv |" in md
    assert set(report["op_profiles_ms"]) == {"stylert fp32", "stylert int8"}
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
