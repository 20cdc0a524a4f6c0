"""Which files of a batch are frames of one numbered sequence, and how they are steadied together."""
from pathlib import Path

import numpy as np

from stylert.frames.images import Picture
from stylert.runtime.flicker import FlowSmoother
from stylert.runtime.image_sequences import MOST_AT_ONCE, SequenceFlow, frame_number, sequence_key, sequence_name


def test_frames_of_one_sequence_share_a_key_and_other_names_do_not():
    key = sequence_key
    assert key(Path("shot/frame_0001.png")) == key(Path("shot/frame_0002.PNG")) == ("shot", "frame_", ".png")
    assert key(Path("shot/frame_0001.png")) != key(Path("other/frame_0001.png"))  # another folder
    assert key(Path("shot/frame_9.png")) == key(Path("shot/frame_10.png"))  # ffmpeg's frame%d.png: unpadded
    assert (frame_number(Path("shot/frame_9.png")), frame_number(Path("shot/frame_0010.png"))) == (9, 10)
    assert key(Path("shot/frame_0001_matte.png")) == ("shot", "frame_", "_matte.png")  # its own sequence
    assert key(Path("shot/still.png")) is None


def test_a_sequence_is_named_as_its_files_are_with_the_frame_number_as_hashes():
    assert sequence_name(Path("shot/frame_0001.png")) == str(Path("shot") / "frame_####.png")
    assert sequence_name(Path("shot/frame1.png")) == str(Path("shot") / "frame#.png")


def test_an_unpadded_sequence_is_visited_and_steadied_in_number_order_across_9_to_10(tmp_path):
    """ffmpeg -i clip.mp4 frame%d.png writes frame1.png ... frame12.png: a folder gives them in number order
    (not frame1, frame10, frame11, frame12, frame2, ...), and one smoother runs through 9 -> 10, so every
    frame after the first is blended with the one before it."""
    from stylert.folders import files_in

    rng = np.random.default_rng(4)
    for k in range(1, 13):
        (tmp_path / f"frame{k}.png").write_bytes(b"")
    paths = files_in(tmp_path, (".png",))
    assert [p.name for p in paths] == [f"frame{k}.png" for k in range(1, 13)]
    steady, alone = SequenceFlow(0.6, measure=True), FlowSmoother(0.6)
    for path in paths:
        source, stylised = _picture(rng), _picture(rng)
        got = steady(path, source, stylised)
        assert np.array_equal(got.frames[0], alone(source.frames[0], stylised.frames[0]))
    assert list(steady.reports()) == [str(tmp_path / "frame#.png")]
    assert steady.reports()[str(tmp_path / "frame#.png")].frames == 12


def _picture(rng, shape=(24, 32, 3)):
    return Picture([rng.integers(0, 256, shape, dtype=np.uint8)])


def test_each_sequence_has_its_own_smoother_and_an_animation_or_unnumbered_still_is_left_alone():
    rng = np.random.default_rng(0)
    steady = SequenceFlow(0.6)
    beauty, matte = FlowSmoother(0.6), FlowSmoother(0.6)
    for k in range(3):  # two interleaved sequences, each steadied as if alone
        for name, alone in (("frame", beauty), ("frame_matte", matte)):
            source, stylised = _picture(rng), _picture(rng)
            got = steady(Path(f"shot/{name.replace('frame', f'frame_{k:04d}')}.png"), source, stylised)
            assert np.array_equal(got.frames[0], alone(source.frames[0], stylised.frames[0]))
    animation = Picture([_picture(rng).frames[0]] * 2, durations=(40, 40))
    assert steady(Path("shot/frame_0009.png"), animation, animation) is animation
    still = _picture(rng)
    assert steady(Path("shot/still.png"), still, still) is still


def test_it_follows_a_few_sequences_at_once_not_every_one_it_has_seen():
    """A sequence left for MOST_AT_ONCE others starts again (its next frame passes as it is); one left for
    fewer goes on (its next frame is blended with the last)."""
    rng = np.random.default_rng(1)
    for others, starts_again in ((MOST_AT_ONCE - 1, False), (MOST_AT_ONCE, True)):
        steady = SequenceFlow(0.6)
        first = _picture(rng)
        steady(Path("shot/a_0001.png"), first, first)
        for k in range(others):
            steady(Path(f"shot/take{k}_0001.png"), _picture(rng), _picture(rng))
        stylised = Picture([np.clip(first.frames[0].astype(int) + 40, 0, 255).astype(np.uint8)])
        got = steady(Path("shot/a_0002.png"), first, stylised)
        assert np.array_equal(got.frames[0], stylised.frames[0]) == starts_again


def test_flicker_is_metered_per_sequence_across_its_files_and_per_animation_across_its_frames():
    from stylert.runtime.flicker import FlickerMeter

    rng = np.random.default_rng(2)
    flow = SequenceFlow(measure=True)  # no smoothing: measured as stylised
    pairs = [(_picture(rng), _picture(rng)) for _ in range(3)]
    alone = FlickerMeter()
    for k, (source, stylised) in enumerate(pairs):
        assert flow(Path(f"shot/frame_{k:04d}.png"), source, stylised) is stylised
        alone.add(source.frames[0], stylised.frames[0])
    frames = [_picture(rng).frames[0] for _ in range(3)]
    animation = Picture(frames, durations=(40,) * 3)
    flow(Path("shot/pan.webp"), animation, animation)
    flow(Path("shot/still.png"), pairs[0][0], pairs[0][1])  # one frame: nothing to meter
    pages = Picture(frames)  # a TIFF's pages are not frames in time
    flow(Path("shot/scan.tif"), pages, pages)
    reports = flow.reports()
    assert sorted(reports) == sorted([str(Path("shot") / "frame_####.png"), str(Path("shot/pan.webp"))])
    assert reports[str(Path("shot") / "frame_####.png")] == alone.report()
    assert reports[str(Path("shot/pan.webp"))].ratio == 1.0  # output == input


def test_frames_of_other_sizes_in_one_sequence_are_steadied_and_metered_without_error():
    """Numbered photos turned either way (IMG_0001.jpg landscape, IMG_0002.jpg portrait) are one 'sequence'."""
    rng = np.random.default_rng(3)
    flow = SequenceFlow(0.6, measure=True)
    for k, shape in enumerate([(24, 32, 3), (32, 24, 3), (32, 24, 3)]):
        source, stylised = _picture(rng, shape), _picture(rng, shape)
        assert flow(Path(f"dcim/IMG_{k:04d}.jpg"), source, stylised).frames[0].shape == shape
    assert flow.reports()[str(Path("dcim") / "IMG_####.jpg")].frames == 3
