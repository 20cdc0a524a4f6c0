import errno
import os

import pytest

from stylert.atomic_files import atomic_output, check_writable, unused_path


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


def test_a_folder_that_cannot_be_made_names_the_file_in_its_way(tmp_path):
    """mkdir's own error would be 'File exists' naming the output, as if the output were what is in the way."""
    (tmp_path / "file").write_text("x")
    for target in (tmp_path / "file" / "out.mp4", tmp_path / "file" / "deeper" / "out.mp4"):
        with pytest.raises(NotADirectoryError) as err, atomic_output(target):
            pass
        assert (err.value.filename, err.value.strerror) == (str(tmp_path / "file"), "Not a directory")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]


def test_a_folder_that_cannot_be_made_for_another_reason_names_the_output_not_the_temporary(tmp_path):
    target = tmp_path / ("x" * 300) / "out.mp4"  # a folder name longer than file systems take
    with pytest.raises(OSError) as err, atomic_output(target):
        pass
    assert err.value.filename == str(target) and err.value.strerror == "File name too long"


def test_a_full_disk_names_the_output_and_leaves_nothing(tmp_path):
    """A writer's ENOSPC carries no file name (a plain write) or the temporary's (FFmpeg's open); either way the
    one error line names the file the user asked for. An error about another file is left as it is."""

    for filename in (None, "TMP"):
        target = tmp_path / f"out_{filename}.onnx"
        with pytest.raises(OSError) as err, atomic_output(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(errno.ENOSPC, "No space left on device", *([str(tmp)] if filename else []))
        assert (err.value.errno, err.value.filename) == (errno.ENOSPC, str(target))
    with pytest.raises(FileNotFoundError) as err, atomic_output(tmp_path / "x.png"):
        open(tmp_path / "missing-input.png", "rb")
    assert err.value.filename == str(tmp_path / "missing-input.png")
    assert list(tmp_path.iterdir()) == []


def test_check_writable_leaves_nothing_behind_not_even_the_folders_it_tried(tmp_path):
    from stylert.atomic_files import check_writable

    check_writable(tmp_path / "runs" / "a" / "style.pth")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "kept").mkdir()
    check_writable(tmp_path / "kept" / "new" / "style.pth")
    assert list(tmp_path.iterdir()) == [tmp_path / "kept"] and list((tmp_path / "kept").iterdir()) == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError) as err:
        check_writable(tmp_path / "file" / "style.pth")
    assert err.value.filename == str(tmp_path / "file")


def test_an_unused_path_never_names_a_file_made_before(tmp_path):
    take = tmp_path / "take.mp4"
    assert unused_path(take) == take
    take.write_bytes(b"first")
    assert unused_path(take) == tmp_path / "take_2.mp4"
    (tmp_path / "take_2.mp4").write_bytes(b"second")
    assert unused_path(take) == tmp_path / "take_3.mp4"


def test_a_name_as_long_as_the_file_system_allows_is_written(tmp_path):
    """The temporary beside it adds a dot, 8 characters and .part to the name: it is cut to fit, the target is not
    ('File name too long' refused a 255-byte output)."""
    for stem in ("a" * 251, "é" * 125):  # 255 bytes with .png, two bytes a character in UTF-8
        target = tmp_path / f"{stem}.png"
        with atomic_output(target) as tmp:
            assert tmp.suffix == ".png" and len(os.fsencode(tmp.name)) <= 255
            tmp.write_bytes(b"x")
        assert target.read_bytes() == b"x"
    too_long = tmp_path / "new" / f"{'a' * 252}.png"  # refused at the check, before the work it would end
    with pytest.raises(OSError) as err:
        check_writable(too_long)
    assert (err.value.errno, err.value.filename) == (errno.ENAMETOOLONG, str(too_long))
    assert not (tmp_path / "new").exists()
    check_writable(too_long, its_name=False)  # one of a batch: that file fails when written, the others go on
