"""The published layouts' readers on tiny fixtures of each layout (a few videos of 4-6 frames)."""

import json
import os

import numpy as np
import pytest

from tests.data.video_fixtures import write_frame_folder
from tests.data.video_fixtures import write_video

from stkeras.data import read_layout
from stkeras.data import video_dataset


def _names(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def test_ucf101(tmp_path):
    root = tmp_path / "UCF-101"
    notes = tmp_path / "ucfTrainTestlist"  # beside the videos, as the archives unpack
    notes.mkdir()
    (notes / "classInd.txt").write_text("1 ApplyEyeMakeup\n2 Archery\n")
    (notes / "trainlist01.txt").write_text("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1\n"
                                           "Archery/v_Archery_g08_c01.avi 2\n")
    (notes / "testlist01.txt").write_text("Archery/v_Archery_g01_c01.avi\n"
                                          "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi\n")
    write_video(root / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g08_c01.avi", 6)
    write_video(root / "Archery" / "v_Archery_g08_c01.avi", 6)
    write_frame_folder(root / "Archery" / "v_Archery_g01_c01", 5)  # extracted frames stand in for the .avi
    write_video(root / "ApplyEyeMakeup" / "v_ApplyEyeMakeup_g01_c01.mp4", 4)
    paths, labels, classes = read_layout("ucf101", str(root), split="train")
    assert classes == ["ApplyEyeMakeup", "Archery"] and labels == [0, 1]
    assert _names(paths, root) == ["ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi", "Archery/v_Archery_g08_c01.avi"]
    paths, labels, _ = read_layout("ucf101", str(root), split="test")
    assert labels == [1, 0] and _names(paths, root) == ["Archery/v_Archery_g01_c01",
                                                       "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.mp4"]
    ds = video_dataset("ucf101", str(root), split="test", clip_length=2, image_size=(8, 8), batch_size=2,
                       shuffle=False, num_clips=2, spatial_crops=3)
    x, y = next(iter(ds))
    assert x.shape == (2, 6, 2, 8, 8, 3) and y.numpy().tolist() == [1, 0] and ds.class_names == classes
    with pytest.raises(ValueError, match="UCF101 split file .*testlist02.txt' does not exist"):
        read_layout("ucf101", str(root), split="test", fold=2)


def test_hmdb51(tmp_path):
    root = tmp_path / "hmdb51"
    for name, rows in [("brush_hair", "a.avi 1\nb.avi 2\nc.avi 0\n"), ("cartwheel", "d.avi 2\ne.avi 1\n")]:
        (root / "annotations").mkdir(parents=True, exist_ok=True)
        (root / "annotations" / f"{name}_test_split1.txt").write_text(rows)
    for name, video in [("brush_hair", "a"), ("brush_hair", "b"), ("cartwheel", "d"), ("cartwheel", "e")]:
        write_video(root / name / f"{video}.avi", 4)
    paths, labels, classes = read_layout("hmdb51", str(root), split="train")
    assert classes == ["brush_hair", "cartwheel"] and labels == [0, 1]
    assert _names(paths, root) == ["brush_hair/a.avi", "cartwheel/e.avi"]
    paths, labels, _ = read_layout("hmdb51", str(root), split="test")
    assert labels == [0, 1] and _names(paths, root) == ["brush_hair/b.avi", "cartwheel/d.avi"]  # c.avi: unused


def test_kinetics_nested_or_flat_and_missing_videos(tmp_path):
    root = tmp_path / "kinetics"
    root.mkdir()
    (root / "val.csv").write_text("label,youtube_id,time_start,time_end,split\n"
                                  "riding a bike,abc,10,20,val\n"
                                  "abseiling,xyz,0,10,val\n"
                                  "abseiling,gone,5,15,val\n")
    write_video(root / "val" / "riding a bike" / "abc_000010_000020.mp4", 4)
    write_video(root / "xyz_000000_000010.mp4", 4)  # flat
    with pytest.raises(ValueError, match="1 of the 3 Kinetics videos .* e.g. 'val/abseiling/gone_000005_000015'"):
        read_layout("kinetics", str(root), split="val")
    with pytest.warns(UserWarning, match="1 of the 3 Kinetics videos"):
        paths, labels, classes = read_layout("kinetics", str(root), split="val", missing="skip")
    assert classes == ["abseiling", "riding a bike"] and labels == [1, 0]
    assert _names(paths, root) == ["val/riding a bike/abc_000010_000020.mp4", "xyz_000000_000010.mp4"]
    with pytest.raises(ValueError, match="No Kinetics train CSV"):
        read_layout("kinetics", str(root), split="train")


def test_something_something_v2(tmp_path):
    root = tmp_path / "ssv2"
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "something-something-v2-labels.json").write_text(json.dumps(
        {"Holding something": "0", "Putting something on something": "1"}))
    (labels / "something-something-v2-validation.json").write_text(json.dumps([
        {"id": "74225", "label": "putting a cup on a table", "template": "Putting [something] on [something]",
         "placeholders": ["a cup", "a table"]},
        {"id": "116154", "label": "holding a pen", "template": "Holding [something]", "placeholders": ["a pen"]}]))
    (labels / "something-something-v2-test.json").write_text(json.dumps([{"id": "74225"}]))
    write_video(root / "74225.webm", 4)
    write_frame_folder(root / "116154", 4)
    paths, targets, classes = read_layout("something_something_v2", str(root), split="validation",
                                          annotations=str(labels))
    assert classes == ["Holding something", "Putting something on something"] and targets == [1, 0]
    assert _names(paths, root) == ["74225.webm", "116154"]
    paths, targets, _ = read_layout("something_something_v2", str(root), split="test", annotations=str(labels))
    assert targets is None and _names(paths, root) == ["74225.webm"]
    ds = video_dataset("something_something_v2", str(root), split="test", annotations=str(labels), clip_length=2,
                       image_size=(8, 8))
    assert next(iter(ds)).shape == (1, 2, 8, 8, 3)


def test_jester_frame_folders_or_files(tmp_path):
    root = tmp_path / "20bn-jester-v1"
    (root / "jester-v1-labels.csv").parent.mkdir(parents=True)
    (root / "jester-v1-labels.csv").write_text("Swiping Left\nThumb Up\n")
    (root / "jester-v1-train.csv").write_text("1;Thumb Up\n2;Swiping Left\n")
    write_frame_folder(root / "1", 6)
    write_video(root / "2.mp4", 6)
    paths, labels, classes = read_layout("jester", str(root), split="train")
    assert classes == ["Swiping Left", "Thumb Up"] and labels == [1, 0] and _names(paths, root) == ["1", "2.mp4"]
    ds = video_dataset("jester", str(root), split="train", clip_length=4, sampling="segments", image_size=(8, 8),
                       seed=0)
    x, y = next(iter(ds))
    assert x.shape == (2, 4, 8, 8, 3) and sorted(y.numpy().tolist()) == [0, 1]
    assert np.isfinite(x.numpy()).all()


def test_layout_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Unknown `layout`: 'ucf'"):
        read_layout("ucf", str(tmp_path))
    with pytest.raises(ValueError, match="`root` must be the folder of the videos.*nowhere"):
        read_layout("jester", str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="`fold` is for ucf101 and hmdb51"):
        video_dataset("jester", str(tmp_path), fold=2)
