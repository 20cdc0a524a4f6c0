"""stylert on a real local Ray cluster (num_cpus=2), against the single-machine run: images byte-identical,
a bad file reported while the rest are written, a killed actor's file retried, a manifest that makes a re-run
skip what is done; one video cut into chunks and joined with the same frames, rate, duration and audio."""
from __future__ import annotations

import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from stylert.errors import MissingDependency, StylertError
from stylert.frames.images import Picture, write_image, write_picture

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'stylert[ray]')")


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def photos(tmp_path_factory, photo_module):
    folder = tmp_path_factory.mktemp("ray-in")
    for i, (y, x) in enumerate([(0, 0), (20, 30), (40, 10)]):
        write_image(folder / f"p{i}.jpg", np.ascontiguousarray(photo_module[y:y + 60, x:x + 80]))
    write_image(folder / "sub" / "p3.png", np.ascontiguousarray(photo_module[:45, :50]))
    frames = [np.ascontiguousarray(photo_module[k:k + 30, :40]) for k in (0, 9)]
    write_picture(folder / "sub" / "p4.webp", Picture(frames, alpha=[np.full((30, 40), 90, np.uint8)] * 2,
                                                      durations=(70, 80)))  # an animation with transparency
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    return folder


@pytest.fixture(scope="module")
def photo_module():
    from stylert.frames.image_decode import read_image
    from stylert.samples import sample_path

    return read_image(sample_path("chelsea"))


class CrashOnceActor:
    """Stands in for StylizeActor, but the first actor to see p1.jpg dies (a killed worker)."""

    def __init__(self, marker: str, **kwargs):
        from stylert.runtime.ray_images import StylizeActor

        self.marker, self.inner = marker, StylizeActor(**kwargs)

    def __call__(self, batch):
        if any(str(s).endswith("p1.jpg") for s in batch["source"]) and not os.path.exists(self.marker):
            Path(self.marker).write_text("died once")
            os._exit(1)
        return self.inner(batch)


def _run(photos, out, **kw):
    from stylert.runtime.ray_images import run_images_on_ray

    return run_images_on_ray([str(photos)], f"{out}/", recursive=True, ext=None, style="mosaic",
                             backend="onnxruntime", options={"device": "cpu"}, strength=1.0, preserve_color=False,
                             address="auto", workers=2, **kw)


def test_images_match_the_single_machine_run_and_reruns_skip_what_is_done(cluster, photos, tmp_path):
    from stylert import Stylizer
    from stylert.runtime.stylize_files import plan_image_outputs, stylize_files

    summary = _run(photos, tmp_path / "ray")
    assert summary.items == 6 and [Path(s).name for s, _ in summary.failed] == ["broken.jpg"]
    assert sum(f for f, _ in summary.per_actor.values()) == 5
    with Stylizer("mosaic", "onnxruntime", device="cpu") as stylizer:
        stylize_files(stylizer, plan_image_outputs([str(photos)], f"{tmp_path / 'one'}/", recursive=True))
    for single in (tmp_path / "one").rglob("*.*"):
        assert (tmp_path / "ray" / single.relative_to(tmp_path / "one")).read_bytes() == single.read_bytes()
    again = _run(photos, tmp_path / "ray")
    assert again.skipped == 5 and again.items == 1  # only the broken file is tried again
    (photos / "p0.jpg").touch()  # a changed input is redone
    assert _run(photos, tmp_path / "ray").skipped == 4


def test_max_size_and_tile_reach_the_actors(cluster, photos, tmp_path, capsys):
    """--max-size and --tile were not passed to the Ray actors, so a Ray run silently made full-size outputs."""
    from stylert import Stylizer
    from stylert.frames.image_decode import read_picture
    from stylert.runtime.stylize_files import plan_image_outputs, stylize_files

    summary = _run(photos, tmp_path / "ray", max_size=24, tile=64)
    assert summary.items == 6 and len(summary.failed) == 1
    with Stylizer("mosaic", "onnxruntime", device="cpu", tile=64) as stylizer:
        stylize_files(stylizer, plan_image_outputs([str(photos)], f"{tmp_path / 'one'}/", recursive=True),
                      max_size=24)
    singles = [p for p in (tmp_path / "one").rglob("*.*")]
    assert len(singles) == 5
    for single in singles:
        assert max(read_picture(single).frames[0].shape[:2]) == 24
        assert (tmp_path / "ray" / single.relative_to(tmp_path / "one")).read_bytes() == single.read_bytes()
    from stylert.cli import main  # the same run on one machine finds Ray's outputs done (one manifest for both)

    assert main(["stylize", str(photos), "-r", "-o", f"{tmp_path / 'ray'}/", "-s", "mosaic", "--backend",
                 "onnxruntime", "--device", "cpu", "--max-size", "24", "--tile", "64"]) == 2  # the broken file
    assert capsys.readouterr().err.splitlines()[-1].endswith("0 written to " + f"{tmp_path / 'ray'}/, 1 failed, "
                                                             "5 already done")


def test_a_killed_actor_s_file_is_retried(cluster, photos, tmp_path):
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers get this test's class by value
    marker = tmp_path / "died"
    summary = _run(photos, tmp_path / "out", actor_class=CrashOnceActor,
                   actor_kwargs={"marker": str(marker)})
    assert marker.exists() and (tmp_path / "out" / "p1.jpg").is_file()
    assert len(summary.failed) == 1  # broken.jpg only


def test_one_video_in_chunks_equals_the_single_machine_run(cluster, tmp_path):
    pytest.importorskip("av", reason="PyAV is not installed")
    import av

    from stylert import Stylizer
    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions, stylize_video
    from tests.media import make_video

    clip = make_video(tmp_path / "clip.mp4", frames=48, size=(60, 80), fps=Fraction(24), timecode="01:00:00:00")
    options = VideoOptions(smooth=0.6)
    summary = run_videos_on_ray([str(clip)], str(tmp_path / "ray.mp4"), options, style="mosaic",
                                backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                                address="auto", workers=2)
    assert summary.chunks >= 2 and not summary.failed and summary.frames == 48
    with Stylizer("mosaic", "onnxruntime", device="cpu", batch_size=4) as stylizer:
        stylize_video(stylizer, clip, tmp_path / "one.mp4", options)

    def read(path):
        with av.open(str(path)) as c:
            v, a = c.streams.video[0], c.streams.audio[0]
            frames = [f.to_ndarray(format="bgr24").astype(float) for f in c.decode(v)]
            rate, duration, timecode = v.average_rate, c.duration, v.metadata.get("timecode")
        with av.open(str(path)) as c:
            audio = sum(1 for p in c.demux(c.streams.audio[0]) if p.size)
        return frames, rate, duration, audio, a.codec_context.name, timecode

    ray_frames, *ray_facts = read(tmp_path / "ray.mp4")
    one_frames, *one_facts = read(tmp_path / "one.mp4")
    assert len(ray_frames) == len(one_frames) == 48 and ray_facts == one_facts and one_facts[-1] == "01:00:00:00"
    assert max(np.abs(a - b).mean() for a, b in zip(ray_frames, one_frames)) < 4  # the codecs' own difference
    change = lambda frames, i: np.abs(frames[i] - frames[i - 1]).mean()  # noqa: E731
    joins = [i for i in range(1, 48) if i % (48 // summary.chunks) == 0]
    for i in joins:  # no seam: the frame-to-frame change at a join is what the single-machine output has there
        assert change(ray_frames, i) <= change(one_frames, i) * 1.5 + 1.0


def test_url_inputs_are_planned_with_their_folders_kept_and_ext_checked(photos, tmp_path):
    """A folder given as a URL (file:// here; s3:// and gs:// go through the same pyarrow file system) keeps its
    sub-folders under -o, takes --ext as local files do, and refuses a format stylert cannot write."""
    from stylert.errors import NoInputs
    from stylert.runtime.ray_images import plan_url_outputs

    url = f"file://{photos}"
    pairs = dict(plan_url_outputs([url], "file:///out/", "png"))
    assert pairs[f"file://{photos / 'sub' / 'p4.webp'}"] == "file:///out/sub/p4.png"
    assert pairs[f"file://{photos / 'p0.jpg'}"] == "file:///out/p0.png" and len(pairs) == 6  # broken.jpg too
    assert dict(plan_url_outputs([url], "file:///out", None))[f"file://{photos / 'p0.jpg'}"] == "file:///out/p0.jpg"
    with pytest.raises(StylertError, match="--ext 'psd': stylert reads PSD but does not write it"):
        plan_url_outputs([url], "file:///out/", "psd")
    (tmp_path / "empty").mkdir()
    with pytest.raises(NoInputs, match="no image files in file://"):
        plan_url_outputs([f"file://{tmp_path / 'empty'}"], "file:///out/", None)


def test_a_cluster_that_cannot_be_joined_is_one_line_without_ray_s_own_flags(monkeypatch):
    from stylert.runtime.ray_cluster import RayCluster

    def refused(**kwargs):
        raise ConnectionError("Could not find any running Ray instance. Please specify the one to connect to by "
                              "setting `--address` flag or `RAY_ADDRESS` environment variable.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refused)
    with pytest.raises(StylertError, match=r"^cannot join the Ray cluster at 'auto' \(start one with: ray start "
                                           r"--head, or use --ray local\): Could not find any running Ray instance$"):
        RayCluster("auto")


def test_missing_ray_says_what_to_install(monkeypatch):
    from stylert.runtime.ray_cluster import RayCluster

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependency, match=r"pip install 'stylert\[ray\]'"):
        RayCluster("local")


def test_the_actor_pool_is_asked_for_in_the_words_of_the_ray_installed():
    """Ray 2.51 deprecates map_batches(concurrency=...) for compute=ActorPoolStrategy(...), with a warning each run;
    before it, concurrency was the word (compute was the deprecated one)."""
    from types import SimpleNamespace

    from stylert.runtime.ray_cluster import RayCluster, release

    assert [release(v) for v in ("2.40.0", "2.51.1", "2.60.0", "3.0.0.dev0", "2.9")] == \
        [(2, 40), (2, 51), (2, 60), (3, 0), (2, 9)]
    cluster = RayCluster.__new__(RayCluster)  # no Ray started: only the version matters here
    pool = SimpleNamespace(ActorPoolStrategy=lambda **sizes: sizes)
    cluster.ray = SimpleNamespace(__version__="2.60.0", data=pool)
    assert cluster.actor_pool(3) == {"compute": {"min_size": 1, "max_size": 3}}
    cluster.ray = SimpleNamespace(__version__="2.40.0", data=pool)
    assert cluster.actor_pool(3) == {"concurrency": (1, 3)}


def test_a_stalled_pipeline_is_an_error_not_a_hang():
    from stylert.runtime.ray_cluster import stream_rows

    class Stuck:
        def iter_rows(self):
            time.sleep(60)
            yield {}

    started = time.perf_counter()
    with pytest.raises(StylertError, match="made no progress for 0.5 s"):
        list(stream_rows(Stuck(), 0.5, "the Ray stylize pipeline", "test cluster"))
    assert time.perf_counter() - started < 5


def test_a_variable_frame_rate_video_in_chunks_keeps_each_frames_time(cluster, tmp_path):
    """A phone clip at 30 fps, then 10 fps (low light): each chunk is timed from its own first frame and put at
    that frame's time, so the joined file has the source's frame times, as the single-machine run has; on an
    even grid the slow half came 1.4 s early and the sound ran behind."""
    av = pytest.importorskip("av", reason="PyAV is not installed")

    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from tests.media import make_video

    times = [i / 30 for i in range(45)] + [1.5 + k / 10 for k in range(45)]
    clip = make_video(tmp_path / "phone.mp4", frames=90, size=(48, 64), fps=Fraction(30), times=times)
    for start in (0.0, 1.0):
        target = tmp_path / f"ray{start}.mp4"
        summary = run_videos_on_ray([str(clip)], str(target), VideoOptions(start=start), style="mosaic",
                                    backend="onnxruntime", engine={"device": "cpu"}, strength=1.0,
                                    preserve_color=False, address="auto", workers=2)
        assert summary.chunks >= 2 and not summary.failed
        with av.open(str(target)) as c:
            got = [round(float(f.time), 3) for f in c.decode(video=0)]
        assert got == [round(t - start, 3) for t in times if t >= start - 1e-6]


def test_subtitles_the_output_cannot_carry_are_reported(cluster, tmp_path):
    """The single-machine run names the subtitle tracks an .mp4 cannot carry; Ray's summary did not. Text
    tracks are converted, as on one machine."""
    pytest.importorskip("av", reason="PyAV is not installed")

    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from tests.media import make_video

    film = make_video(tmp_path / "film.mkv", frames=24, fps=Fraction(24), audio=None, subtitles=True,
                      bitmap_subtitles=True)
    runs = {}
    for suffix in (".mp4", ".mkv"):
        runs[suffix] = run_videos_on_ray([str(film)], str(tmp_path / f"out{suffix}"), VideoOptions(), style="mosaic",
                                         backend="onnxruntime", engine={"device": "cpu"}, strength=1.0,
                                         preserve_color=False, address="auto", workers=2)
        assert runs[suffix].chunks >= 2 and not runs[suffix].failed
    # the text subtitles are converted; the DVD's pictures cannot be
    assert runs[".mp4"].dropped_subtitles == [(str(film), str(tmp_path / "out.mp4"), ("dvd_subtitle",))]
    assert runs[".mkv"].dropped_subtitles == []
    import av

    with av.open(str(tmp_path / "out.mp4")) as c, av.open(str(tmp_path / "out.mkv")) as k:
        assert [s.codec_context.name for s in c.streams.subtitles] == ["mov_text"]  # the chunks' join converts too
        assert [s.codec_context.name for s in k.streams.subtitles] == ["ssa", "dvdsub"]


def test_a_damaged_track_is_reported_from_a_chunked_video_and_from_whole_ones(cluster, tmp_path):
    """As on one machine: a track whose codec is unknown (a damaged header) is left out and named, by the join of
    a chunked video and by the actor that made a whole one."""
    pytest.importorskip("av", reason="PyAV is not installed")

    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from tests.media import make_video

    take = make_video(tmp_path / "take.mkv", frames=24, fps=Fraction(24))
    damaged = tmp_path / "damaged.mkv"
    damaged.write_bytes(take.read_bytes().replace(b"A_AAC", b"A_ZZZ"))
    summary = run_videos_on_ray([str(damaged)], str(tmp_path / "out.mp4"), VideoOptions(), style="mosaic",
                                backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                                address="auto", workers=2)
    assert not summary.failed and summary.frames == 24
    assert summary.damage == [(str(damaged), "audio track 1 not kept: its codec is unknown or its header damaged")]
    folder = tmp_path / "card"  # whole videos, one per actor: stylize_video's own report comes back
    folder.mkdir()
    (folder / "damaged.mkv").write_bytes(damaged.read_bytes())
    take.rename(folder / "take.mkv")
    summary = run_videos_on_ray([str(folder)], str(tmp_path / "out") + "/", VideoOptions(), style="mosaic",
                                backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                                address="auto", workers=2)
    assert not summary.failed and summary.frames == 48
    assert summary.damage == [(str(folder / "damaged.mkv"),
                               "audio track 1 not kept: its codec is unknown or its header damaged")]


def test_audio_an_m4v_cannot_hold_is_refused_before_the_chunks_are_made(cluster, tmp_path):
    pytest.importorskip("av", reason="PyAV is not installed")

    from stylert.errors import StylertError
    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from tests.runtime.test_video import _six_channel_clip

    src, stylised = _six_channel_clip(tmp_path / "recorder.mkv", channels=12), []
    with pytest.raises(StylertError, match=r"a 12-channel audio track and \.m4v holds at most 8"):
        run_videos_on_ray([str(src)], str(tmp_path / "out.m4v"), VideoOptions(), style="mosaic",
                          backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                          address="auto", workers=2, on_frames=stylised.append)
    assert stylised == [] and sorted(p.name for p in tmp_path.iterdir()) == ["recorder.mkv"]


def test_one_video_in_chunks_into_a_webm_is_vp9_with_opus(cluster, tmp_path):
    """A WebM's chunks are VP9 in WebM (it holds no H.264), joined with the source's audio as Opus; its folder is
    made for it (the chunks are written beside it)."""
    pytest.importorskip("av", reason="PyAV is not installed")
    import av

    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from tests.media import make_video

    clip = make_video(tmp_path / "clip.mp4", frames=24, size=(48, 64), fps=Fraction(24))
    summary = run_videos_on_ray([str(clip)], str(tmp_path / "new" / "web.webm"), VideoOptions(), style="mosaic",
                                backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                                address="auto", workers=2)
    assert summary.chunks >= 2 and not summary.failed and summary.frames == 24
    with av.open(str(tmp_path / "new" / "web.webm")) as c:
        assert [s.codec_context.name for s in c.streams] == ["vp9", "opus"]
        assert sum(1 for _ in c.decode(video=0)) == 24


def test_smooth_on_ray_equals_the_single_machine_run(cluster, photos, tmp_path):
    """--smooth steadies an animation's frames on the actors exactly as on one machine."""
    from stylert import Stylizer
    from stylert.runtime.ray_images import run_images_on_ray
    from stylert.runtime.stylize_files import plan_image_outputs, stylize_files

    animation = str(photos / "sub" / "p4.webp")
    run_images_on_ray([animation], f"{tmp_path / 'ray'}/", recursive=False, ext=None, style="mosaic",
                      backend="onnxruntime", options={"device": "cpu"}, strength=1.0, preserve_color=False,
                      address="auto", workers=1, smooth=0.6)
    with Stylizer("mosaic", "onnxruntime", device="cpu") as stylizer:
        stylize_files(stylizer, plan_image_outputs([animation], f"{tmp_path / 'one'}/"), smooth=0.6)
        stylize_files(stylizer, plan_image_outputs([animation], f"{tmp_path / 'plain'}/"))
    smoothed = (tmp_path / "one" / "p4.webp").read_bytes()
    assert (tmp_path / "ray" / "p4.webp").read_bytes() == smoothed != (tmp_path / "plain" / "p4.webp").read_bytes()


@pytest.mark.parametrize("codec, suffix", [("libvpx-vp9", ".webm"), ("libvpx-vp9", ".mkv"), ("ffv1", ".mkv")])
def test_a_transparent_clip_in_chunks_keeps_its_alpha(cluster, tmp_path, codec, suffix):
    """VP9 keeps its alpha in WebM and Matroska alike, and FFV1 in Matroska: a Matroska output's chunks were MP4
    (for H.264's decode times), which holds neither, and the joined VP9 lost its AlphaMode."""
    pytest.importorskip("av", reason="PyAV is not installed")
    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from stylert.runtime.video_decode import decode_frames, probe_video
    from tests.media import make_transparent_video

    src = make_transparent_video(tmp_path / "overlay.mov", codec="prores_ks", pix_fmt="yuva444p10le", frames=24)
    out = tmp_path / f"out{suffix}"
    summary = run_videos_on_ray([str(src)], str(out), VideoOptions(codec=codec), style="mosaic",
                                backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                                address="auto", workers=2)
    assert summary.chunks >= 2 and not summary.failed and summary.frames == 24
    assert probe_video(out).alpha
    source = list(decode_frames(src, decoder="cpu", alpha=True))
    joined = list(decode_frames(out, decoder="cpu", alpha=True))
    assert len(joined) == 24
    assert max(np.abs(a[..., 3].astype(int) - b[..., 3]).mean() for a, b in zip(joined, source)) < 3


def test_a_folder_of_videos_rerun_on_ray_skips_those_already_made(cluster, tmp_path):
    pytest.importorskip("av", reason="PyAV is not installed")
    from stylert.runtime.ray_video import run_videos_on_ray
    from stylert.runtime.video import VideoOptions
    from tests.media import make_video

    (tmp_path / "clips").mkdir()
    for name in ("a.mp4", "b.mp4"):
        make_video(tmp_path / "clips" / name, frames=6, size=(32, 48), audio=None)

    def run(**kw):
        return run_videos_on_ray([str(tmp_path / "clips")], f"{tmp_path / 'out'}/", VideoOptions(), style="mosaic",
                                 backend="onnxruntime", engine={"device": "cpu"}, strength=1.0, preserve_color=False,
                                 address="auto", workers=2, **kw)

    first = run()
    assert (first.items, first.skipped, first.failed, first.frames) == (2, 0, [], 12)
    again = run()
    assert (again.items, again.skipped, again.frames) == (0, 2, 0)
    redo = run(redo=True)
    assert (redo.items, redo.skipped, redo.frames) == (2, 0, 12)


def test_a_photo_read_despite_damage_is_written_and_reported(cluster, photo_module, tmp_path):
    from tests.media import cut_jpeg

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "damaged.jpg").write_bytes(cut_jpeg(np.ascontiguousarray(photo_module[:40, :56])))
    summary = _run(folder, tmp_path / "out")
    assert summary.items == 1 and not summary.failed and (tmp_path / "out" / "damaged.jpg").is_file()
    assert [(Path(s).name, line.split(":")[0]) for s, line in summary.damage] == [("damaged.jpg", "Corrupt JPEG data")]
