from pathlib import Path

import pytest

from stylert.errors import NoInputs
from stylert.folders import files_in, none_of


def _files(root: Path, *names: str) -> None:
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"x")


def test_a_folder_s_files_are_what_a_shell_star_finds(tmp_path):
    _files(tmp_path, "b.JPG", "a.png", ".hidden.png", "notes.txt", "sub/c.png", ".cache/d.png")
    (tmp_path / "folder.png").mkdir()  # a folder named like an image is not one
    assert files_in(tmp_path, (".png", ".jpg")) == [tmp_path / "a.png", tmp_path / "b.JPG"]
    assert files_in(tmp_path, (".png",), recursive=True) == [tmp_path / "a.png", tmp_path / "sub" / "c.png"]
    assert files_in(tmp_path, (".png",), recursive=True, leave_out=tmp_path / "sub") == [tmp_path / "a.png"]


def test_names_with_numbers_come_in_the_order_of_their_numbers(tmp_path):
    """As a file manager lists them: IMG_9 before IMG_10, take2/ before take10/, a padded name beside the same
    number unpadded in a fixed order."""
    _files(tmp_path, "IMG_10.jpg", "IMG_9.jpg", "IMG_009.jpg", "IMG_100.jpg", "take10/a.jpg", "take2/b.jpg", "b.jpg")
    assert [p.relative_to(tmp_path).as_posix() for p in files_in(tmp_path, (".jpg",), recursive=True)] == \
        ["IMG_009.jpg", "IMG_9.jpg", "IMG_10.jpg", "IMG_100.jpg", "b.jpg", "take2/b.jpg", "take10/a.jpg"]
    from stylert.frames.images import collect_images

    globbed = collect_images([str(tmp_path / "IMG_*.jpg")])
    assert [image.path.name for image in globbed] == ["IMG_009.jpg", "IMG_9.jpg", "IMG_10.jpg", "IMG_100.jpg"]


def test_a_folder_without_the_files_asked_for_says_what_it_holds(tmp_path):
    _files(tmp_path, "shots/a.dpx", "shots/b.dpx", "shots/README", "shots/.DS_Store", "shots/day1/c.png",
           "shots/day2/d.jpg")
    shots = tmp_path / "shots"
    assert none_of((".png", ".jpg"), "image", [shots], deeper_hint=" (-r looks in them)") == \
        "; it holds 2 .dpx, 1 (no suffix); its subfolders hold 2 images (-r looks in them)"
    assert none_of((".png",), "image", [shots / "day2"]) == "; it holds 1 .jpg"
    assert none_of((".png",), "image", [shots / "day1", shots / "day2"]) == "; they hold 1 .png, 1 .jpg"
    (tmp_path / "empty").mkdir()
    assert none_of((".png",), "image", [tmp_path / "empty"]) == ""


def test_no_images_and_no_videos_name_what_the_folder_holds_instead(tmp_path):
    from stylert.frames.images import collect_images
    from stylert.runtime.video import collect_videos

    _files(tmp_path, "renders/a.cin", "renders/2024/b.png", "clips/2024/c.mp4")
    with pytest.raises(NoInputs, match=r"no image files in .*renders \(looked for .*\); it holds 1 \.cin; its "
                                       r"subfolders hold 1 image \(-r looks in them\)$"):
        collect_images([str(tmp_path / "renders")])
    assert [i.path.name for i in collect_images([str(tmp_path / "renders")], recursive=True)] == ["b.png"]
    with pytest.raises(NoInputs, match=r"no video files in .*clips \(looked for .*\); its subfolders hold 1 video "
                                       r"\(name them: stylert video .*clips/\*/ -o OUT/\)$"):
        collect_videos([str(tmp_path / "clips")])


def test_a_pattern_that_finds_no_images_says_how_many_files_it_matched(tmp_path):
    from stylert.frames.images import collect_images

    _files(tmp_path, "a.cin", "b.cin")
    with pytest.raises(NoInputs, match=r"; .*\*\.cin matches 2 files$"):
        collect_images([str(tmp_path / "*.cin")])
    with pytest.raises(NoInputs, match=r"; .*nope\*\.jpg matches no files$"):
        collect_images([str(tmp_path / "nope*.jpg")])
