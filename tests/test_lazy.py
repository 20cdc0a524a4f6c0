"""Optional packages: one line naming what to install, or what to reinstall where a package is installed but does
not load (a build for NumPy 1 beside NumPy 2)."""
import sys

import pytest

from stylert._lazy import installed, require
from stylert.errors import MissingDependency


@pytest.fixture
def packages(tmp_path, monkeypatch):
    (tmp_path / "built_for_numpy1").mkdir()
    (tmp_path / "built_for_numpy1" / "__init__.py").write_text(
        "raise ValueError('numpy.dtype size changed, may indicate binary incompatibility')")
    (tmp_path / "needs_another").mkdir()
    (tmp_path / "needs_another" / "__init__.py").write_text("import stylert_test_absent_dependency")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in ("built_for_numpy1", "needs_another"):
        sys.modules.pop(name, None)


def test_a_package_that_is_installed_but_does_not_load_is_named_with_its_reason(packages):
    """Such a package (rawpy 0.21 beside NumPy 2) was an internal error."""
    assert installed("built_for_numpy1")
    with pytest.raises(MissingDependency, match=r"^developing it needs the 'built_for_numpy1' package, which is "
                                                r"installed but does not load here \(ValueError: numpy.dtype size "
                                                r"changed, .*\); reinstall it: pip install --upgrade "
                                                r"built_for_numpy1$"):
        require("built_for_numpy1", "developing it")


def test_a_missing_package_or_one_it_imports_is_named_itself(packages):
    with pytest.raises(MissingDependency, match=r"^x needs the 'stylert_test_absent_dependency' package "):
        require("needs_another", "x")
    with pytest.raises(MissingDependency, match=r"^video needs the 'nothing_here' package \(No module named "
                                                r"'nothing_here'\); install it with: pip install nothing_here$"):
        require("nothing_here.sub", "video")
    assert not installed("nothing_here")
