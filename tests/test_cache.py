import pytest

from stylert.cache import cache_dir
from stylert.errors import StylertError


def test_the_cache_follows_the_environment_and_falls_back_where_it_cannot_write(tmp_path, monkeypatch):
    monkeypatch.delenv("STYLERT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir("onnx") == tmp_path / "xdg" / "stylert" / "onnx" and (tmp_path / "xdg" / "stylert").is_dir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty means unset (XDG), not the current folder
    assert cache_dir("onnx") == tmp_path / "home" / ".cache" / "stylert" / "onnx"
    (tmp_path / "blocked").write_text("a file where the cache folder would go")  # as a read-only home fails
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocked"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # TMPDIR is read once; read it again
    fallback = cache_dir("engines")
    assert fallback.parent.parent == tmp_path / "tmp" and fallback.name == "engines" and fallback.is_dir()
    monkeypatch.setenv("STYLERT_CACHE_DIR", str(tmp_path / "blocked" / "cache"))  # asked for: an error, not a move
    with pytest.raises(StylertError, match=r"STYLERT_CACHE_DIR=.*blocked/cache cannot be written \(Not a directory\)"):
        cache_dir("onnx")
