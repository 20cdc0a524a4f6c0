import pytest

from stylert.atomic_files import atomic_output, unused_path


def test_the_output_appears_only_when_the_write_succeeds(tmp_path):
    target = tmp_path / "deep" / "out.txt"
    with atomic_output(target) as tmp:
        assert tmp.parent == target.parent and tmp.suffix == ".txt" and not target.exists()
        tmp.write_text("done")
    assert target.read_text() == "done" and [p.name for p in target.parent.iterdir()] == ["out.txt"]
    with pytest.raises(RuntimeError), atomic_output(tmp_path / "failed.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("the writer failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]


def test_a_folder_that_cannot_be_made_names_the_output_not_the_temporary(tmp_path):
    (tmp_path / "file").write_text("x")
    target = tmp_path / "file" / "out.mp4"  # its folder would be a regular file
    with pytest.raises(OSError) as err, atomic_output(target):
        pass
    assert err.value.filename == str(target) and err.value.strerror


def test_check_writable_makes_the_folder_and_leaves_nothing_else(tmp_path):
    from stylert.atomic_files import check_writable

    check_writable(tmp_path / "runs" / "style.pth")
    assert (tmp_path / "runs").is_dir() and list((tmp_path / "runs").iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(OSError) as err:
        check_writable(tmp_path / "file" / "style.pth")
    assert err.value.filename == str(tmp_path / "file" / "style.pth")


def test_an_unused_path_never_names_a_file_made_before(tmp_path):
    take = tmp_path / "take.mp4"
    assert unused_path(take) == take
    take.write_bytes(b"first")
    assert unused_path(take) == tmp_path / "take_2.mp4"
    (tmp_path / "take_2.mp4").write_bytes(b"second")
    assert unused_path(take) == tmp_path / "take_3.mp4"
