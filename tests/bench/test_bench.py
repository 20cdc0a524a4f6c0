import json
import subprocess
import sys


def test_quick_bench_writes_valid_json_markdown_and_png(tmp_path, monkeypatch):
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
    # without matplotlib: the numbers still written (the run ended with "the benchmark chart needs the
    # 'matplotlib' package" and exit 2 after minutes of measuring)
    import stylert.bench.report as report_module

    monkeypatch.setattr(report_module, "installed", lambda module: module != "matplotlib")
    paths = report_module.write_report(report, tmp_path / "again")
    assert sorted(paths) == ["json", "md"]
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == ["bench.json", "bench.md"]


def test_sizes_the_network_cannot_take_or_memory_cannot_hold_are_refused_before_measuring(tmp_path, capsys):
    """bench runs the network on each size as given (no padding), so 10x10 would measure a run whose output is
    12x12 (the ONNX candidates) or fail inside PyTorch (3x3); 100000x100000 would fail in a worker minutes in."""
    from stylert.cli import main

    expected = {
        "10x": "argument --sizes: each size is HxW or one number for a square, got '10x'",
        "64,x10": "argument --sizes: each size is HxW or one number for a square, got 'x10'",
        "10": "--sizes 10x10: bench runs the network on the size as given, and this one takes sides that are "
              "multiples of 4, 16 or more; 16x16 is the nearest",
        "64x90": "--sizes 64x90: bench runs the network on the size as given, and this one takes sides that are "
                 "multiples of 4, 16 or more; 64x92 is the nearest",
        "100000": "--sizes 100000x100000: one run needs about ",
    }
    for sizes, message in expected.items():
        try:
            code = main(["bench", "--arch", "lite", "--sizes", sizes, "-o", str(tmp_path / "reports")])
        except SystemExit as exc:
            code = exc.code
        err = capsys.readouterr().err
        assert code == 2 and f"stylert: error: {message}" in err, err
        assert "measuring" not in err
    assert main(["bench", "--quick", "--repeats", "9", "--batch", "8", "-o", str(tmp_path)]) == 2
    assert "--quick measures its own tiny sizes, 2 repeats at batch 2; leave out --repeats, --batch or --quick" in \
        capsys.readouterr().err
    assert main(["bench", "--arch", "lite", "--sizes", "64", "--batch", "100000", "-o", str(tmp_path)]) == 2
    assert "stylert: error: --batch 100000 at 256x256: one run needs about " in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # not even the reports' folder


def test_default_sizes_a_network_cannot_take_are_named_as_the_defaults(lite_onnx):
    """A pix2pix U-Net (a multiple of 256) takes none of 720x1280's sides; the user gave no --sizes to fix."""
    import pytest

    from stylert.bench.runner import BenchConfig
    from stylert.bench.size_check import check_sizes
    from stylert.errors import StylertError

    with pytest.raises(StylertError, match=r"^the default size 10x10: .* 16x16 is the nearest; give --sizes$"):
        check_sizes(BenchConfig(sizes=((10, 10),)), lite_onnx, sizes_given=False)
    check_sizes(BenchConfig(sizes=((16, 16),), batch=1), lite_onnx, sizes_given=False)
