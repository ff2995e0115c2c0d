"""Image folders as data sets (``folder:PATH``), generated here with Pillow: the classes from
the subfolders, an unlabelled flat folder, the split by a hash of each path (stable when
files are added), every mode and size read to the asked size and channels, and what is left
out and counted: damaged files, non-images, links out of the folder, decompression bombs."""

from __future__ import annotations

import io
import os
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from aeexplorer.core.datasets import folder
from aeexplorer.core.datasets.listing import list_folder
from aeexplorer.core.datasets.loading import load_split, missing_files
from aeexplorer.core.datasets.registry import stored_name
from aeexplorer.core.datasets.split import NO_LABEL
from aeexplorer.core.errors import DataNotFound
from aeexplorer.core.images.folder_image import read_square
from tests.helpers.datasets import class_folder, shades, split_of


def both(path, **kwargs):
    return (load_split(f"folder:{path}", True, **kwargs),
            load_split(f"folder:{path}", False, **kwargs))


def test_class_subfolders_are_the_labels_sorted_by_name(tmp_path):
    written = class_folder(tmp_path / "pics", {"zebra": 14, "apple": 12, "mango": 10})
    deep = tmp_path / "pics" / "mango" / "more" / "deeper"  # files at any depth count
    deep.mkdir(parents=True)
    Image.new("L", (9, 9), 250).save(deep / "x.png")
    train, test = both(tmp_path / "pics")
    assert train.class_names == test.class_names == ("apple", "mango", "zebra")
    assert len(train) + len(test) == len(written) + 1 and len(test) >= 1
    assert train.skipped == test.skipped == 0 and train.labelled
    for split in (train, test):  # each image has its folder's class
        by_shade = dict(zip((round(float(v) * 255) for v in split.images[:, 0, 0, 0]),
                            split.labels.tolist()))
        for relative, value in written.items():
            if value in by_shade:
                assert split.class_names[by_shade[value]] == relative.split("/")[0]
    assert split_of(written, True) | split_of(written, False) == set(written)


def test_the_split_is_about_one_in_seven_and_stable_when_files_are_added(tmp_path):
    names = [f"c/{i}.png" for i in range(7000)]
    share = len(split_of(names, False)) / len(names)
    assert 0.12 < share < 0.17
    class_folder(tmp_path / "pics", {"a": 20, "b": 20})
    train0, test0 = both(tmp_path / "pics")
    class_folder(tmp_path / "pics", {"a": 30, "b": 30, "c": 10}, start=40)  # new files
    train1, test1 = both(tmp_path / "pics")
    assert shades(train0) <= shades(train1) and shades(test0) <= shades(test1)
    assert not shades(train0) & shades(test1) and not shades(test0) & shades(train1)
    assert len(train1) + len(test1) == 110


def test_a_folder_without_subfolders_is_unlabelled(tmp_path):
    for i in range(30):
        Image.new("RGB", (12, 12), (i * 8, 0, 0)).save(tmp_path / f"{i}.png")
    train, test = both(tmp_path)
    assert train.class_names == () and not train.labelled and not test.labelled
    assert set(train.labels.tolist()) == set(test.labels.tolist()) == {NO_LABEL}
    assert train.images.shape[1:] == (3, 28, 28)  # colour files: a colour data set


def _modes() -> dict[str, Image.Image]:
    """One image per mode, each of its own size, with a known centre value."""
    grey16 = Image.fromarray(np.full((30, 50), 65535, np.uint16))
    palette = Image.new("P", (17, 40))
    palette.putpalette([0, 0, 255] * 256)  # every index blue
    clear = Image.new("RGBA", (40, 30), (255, 255, 255, 0))  # white but fully transparent
    return {"l.png": Image.new("L", (50, 20), 128), "rgb.jpg": Image.new("RGB", (64, 64),
            (255, 0, 0)), "rgba.png": clear, "p.gif": palette, "bit.bmp": Image.new("1", (8, 8), 1),
            "deep.png": grey16, "la.webp": Image.new("LA", (33, 33), (200, 255)),
            "tiny.png": Image.new("L", (3, 5), 255)}


def test_every_mode_and_size_is_read_to_the_asked_size_and_channels(tmp_path):
    images = _modes()
    for name, im in images.items():
        im.save(tmp_path / name)
    colour = {name: read_square(str(tmp_path / name), 16, 3) for name in images}
    grey = {name: read_square(str(tmp_path / name), 28, 1) for name in images}
    assert all(a.shape == (3, 16, 16) and a.dtype == np.float32 for a in colour.values())
    assert all(a.shape == (1, 28, 28) and 0 <= a.min() and a.max() <= 1 for a in grey.values())
    centre = {name: a[:, 8, 8] for name, a in colour.items()}
    np.testing.assert_allclose(centre["rgb.jpg"], [1, 0, 0], atol=0.02)
    np.testing.assert_allclose(centre["p.gif"], [0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(centre["rgba.png"], [0, 0, 0])  # transparency over black
    np.testing.assert_allclose(centre["deep.png"], [1, 1, 1])  # 16-bit: 65535 is white
    np.testing.assert_allclose(centre["l.png"], [128 / 255] * 3, atol=1e-6)
    np.testing.assert_allclose(centre["tiny.png"], [1, 1, 1], atol=0.01)  # upscaled
    # grey by luma (ITU-R 601), as data.fit_images: pure red is 0.299
    assert grey["rgb.jpg"][0, 14, 14] == pytest.approx(0.299, abs=0.01)


def test_the_channels_default_to_colour_only_when_a_file_is_in_colour(tmp_path):
    for i in range(30):
        Image.new("L", (10, 10), i).save(tmp_path / f"g{i}.png")
    grey_palette = Image.new("P", (10, 10))
    grey_palette.putpalette([v for i in range(256) for v in (i, i, i)])
    grey_palette.save(tmp_path / "palette.png")
    assert load_split(f"folder:{tmp_path}", True).images.shape[1] == 1
    Image.new("RGB", (10, 10), (0, 90, 0)).save(tmp_path / "g0.png")  # now one in colour
    assert both(tmp_path)[0].images.shape[1] == 3 or both(tmp_path)[1].images.shape[1] == 3
    train = load_split(f"folder:{tmp_path}", True, channels=1, image_size=12)
    assert train.images.shape[1:] == (1, 12, 12)


def test_what_cannot_be_read_is_left_out_and_counted(tmp_path):
    pics, outside = tmp_path / "pics", tmp_path / "outside"
    class_folder(pics, {"a": 20, "b": 20})
    outside.mkdir()
    Image.new("L", (9, 9), 7).save(outside / "elsewhere.png")
    (pics / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)  # damaged
    good = io.BytesIO()
    Image.new("L", (64, 64), 9).save(good, "PNG")
    (pics / "a" / "truncated.png").write_bytes(good.getvalue()[:60])
    (pics / "b" / "notes.txt").write_text("not an image")
    (pics / "b" / "empty.jpg").write_bytes(b"")
    (pics / "b" / "escape.png").symlink_to(outside / "elsewhere.png")  # out of the folder
    (pics / "b" / "loop").symlink_to(pics)  # a link to a folder: not walked
    (pics / "beside.png").write_bytes(good.getvalue())  # beside the class folders: no class
    (pics / "a" / "inside.png").symlink_to(pics / "b" / "img020.png")  # in the folder: read
    (pics / ".hidden.png").write_bytes(b"junk")  # hidden: not looked at, not counted
    (pics / "a" / ".DS_Store").write_bytes(b"junk")
    if hasattr(os, "mkfifo"):
        os.mkfifo(pics / "b" / "pipe.png")  # would block a reader forever
    left_out = 7 + hasattr(os, "mkfifo")
    start = time.perf_counter()
    train, test = both(pics)
    assert time.perf_counter() - start < 60
    assert len(train) + len(test) == 41  # the 40 and the link inside
    assert train.skipped + test.skipped == left_out
    assert 7 not in shades(train) | shades(test)  # the file outside was never read


def test_a_decompression_bomb_is_refused_from_its_header(tmp_path):
    """A small PNG that declares 60000 x 60000 pixels: refused before anything is decoded."""
    data = io.BytesIO()
    Image.new("L", (1, 1)).save(data, "PNG")
    raw = bytearray(data.getvalue())
    ihdr = raw.index(b"IHDR")
    raw[ihdr + 4:ihdr + 12] = struct.pack(">II", 60_000, 60_000)
    raw[ihdr + 17:ihdr + 21] = struct.pack(">I", zlib.crc32(bytes(raw[ihdr:ihdr + 17])))
    (tmp_path / "bomb.png").write_bytes(bytes(raw))
    start = time.perf_counter()
    assert read_square(str(tmp_path / "bomb.png"), 28, 1) is None
    assert time.perf_counter() - start < 1.0


def test_a_folder_too_small_to_split_or_missing_is_one_clear_line(tmp_path):
    Image.new("L", (9, 9)).save(tmp_path / "only.png")
    with pytest.raises(DataNotFound, match="too few to split") as info:
        load_split(f"folder:{tmp_path}", True)
    assert "\n" not in str(info.value)
    with pytest.raises(DataNotFound, match="no folder"):
        load_split(f"folder:{tmp_path / 'nowhere'}", True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataNotFound, match="no image files"):
        load_split(f"folder:{tmp_path / 'empty'}", True)
    for i in range(30):
        (tmp_path / "junk" / "x").mkdir(parents=True, exist_ok=True)
        (tmp_path / "junk" / "x" / f"{i}.png").write_bytes(b"not a png")
    with pytest.raises(DataNotFound, match="could be read as an image"):
        load_split(f"folder:{tmp_path / 'junk'}", True)


def test_a_bare_name_is_a_folder_of_images_under_the_data_root_and_never_leaves_it(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    class_folder(root / "images" / "shapes", {"a": 20, "b": 20})
    class_folder(outside, {"a": 20, "b": 20})
    (root / "images" / "linked").symlink_to(outside)
    (root / "images" / "notes.txt").write_text("a file, not a folder")
    assert folder.image_folders(root) == ["folder:shapes"]
    assert folder.folder_path("folder:shapes", root) == root / "images" / "shapes"
    assert len(load_split("folder:shapes", True, root)) > 0
    with pytest.raises(DataNotFound, match="leads out of"):
        load_split("folder:linked", True, root)
    assert missing_files("folder:linked", root)
    # "." and ".." are paths (relative to where the command runs), never names in images/
    assert not any(folder.is_bare(t) for t in (".", "..", "~", "a/b", "/a", ""))
    assert missing_files("folder:shapes", root) == []
    assert missing_files("folder:gone", root) == [str(root / "images" / "gone")]
    # a path names a folder anywhere (the command line), and is stored by its name only
    assert stored_name(f"folder:{outside}/", root) == "folder:outside"
    assert stored_name("folder:shapes", root) == "folder:shapes"


def test_names_are_printable_and_short(tmp_path):
    long = "x" * 150
    class_folder(tmp_path / "odd\tname", {"tab\there": 20, long: 20})
    listing = list_folder(tmp_path / "odd\tname")
    assert listing.class_names == ("tab?here", "x" * 100)
    assert stored_name(f"folder:{tmp_path / 'odd	name'}", tmp_path) == "folder:odd?name"


def test_the_exif_orientation_is_applied(tmp_path):
    """A photo stored sideways with EXIF orientation 6 (turn 90° clockwise to view): its
    bright stored top becomes the viewed right."""
    arr = np.zeros((40, 40), np.uint8)
    arr[:10] = 255  # stored: the top rows bright
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(arr).save(tmp_path / "turned.jpg", exif=exif, quality=95)
    image = read_square(str(tmp_path / "turned.jpg"), 8, 1)[0]
    assert image[:, -1].mean() > 0.8 and image[:, 0].mean() < 0.2
