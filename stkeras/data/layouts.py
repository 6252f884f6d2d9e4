"""The published layouts of UCF101, HMDB51, Kinetics, Something-Something v2 and Jester: `(paths, labels, class_names)`.

Each reader takes the folder of the videos (`root`) and the dataset's own
annotation files (`annotations`: a folder, or the file; by default looked
for in `root`, `root/annotations`, `root/labels` and `root`'s parent), and
returns the videos of one split as sources for `video_dataset_from_files`:
a video is found as a file with any of `.mp4 .avi .mkv .webm .mov .gif` or as a
frame folder of the same name (extracted frames). A video of the
annotations that is not found raises a `ValueError` naming it and counting
the missing ones, or, with `missing="skip"`, is left out with a warning.
Labels are 0-based indices into `class_names`.

`video_dataset(layout, root, split=...)` makes the dataset in one call.
"""

import csv
import glob
import json
import os
import re
import warnings

from stkeras.data.video_decode import VIDEO_EXTENSIONS
from stkeras.data.video_decode import is_video_source
from stkeras.data.video_files import video_dataset_from_files
from stkeras.data.video_folder import read_labels
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

MISSING = ("raise", "skip")


def _folder(root):
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise ValueError(f"`root` must be the folder of the videos. Received: root={root!r} (no such folder)")
    return root


def _annotation(root, annotations, names, what):
    """The first existing file of `names` in `annotations` (a folder or the file) or the default folders."""
    if annotations is not None and os.path.isfile(annotations):
        return os.fspath(annotations)
    folders = [annotations] if annotations is not None else [
        root, os.path.join(root, "annotations"), os.path.join(root, "labels"), os.path.dirname(os.path.abspath(root))]
    for folder in folders:
        for name in names:
            found = sorted(glob.glob(os.path.join(folder, name)))
            if found:
                return found[0]
    raise ValueError(f"No {what} ({' or '.join(names)}) in {', '.join(repr(os.fspath(f)) for f in folders)}. "
                     "Pass `annotations=` (the folder or the file).")


def _named_folder(root, name):
    """`root/name` or `name` beside `root` if either exists, else None (the default folders are searched)."""
    for folder in (os.path.join(root, name), os.path.join(os.path.dirname(os.path.abspath(root)), name)):
        if os.path.isdir(folder):
            return folder
    return None


def _source(root, relative):
    """A video file or frame folder for `relative` (with or without extension, in class folders or flat)."""
    stem = os.path.splitext(relative)[0] if relative.lower().endswith(VIDEO_EXTENSIONS) else relative
    for base in (stem, os.path.basename(stem)):
        candidate = os.path.join(root, base)
        if os.path.isdir(candidate) and is_video_source(candidate):
            return candidate
        for extension in VIDEO_EXTENSIONS:
            if os.path.isfile(candidate + extension):
                return candidate + extension
    return None


def _rows(path, separator=None):
    """The non-empty lines of the text file `path`, each split into its fields."""
    with open(path) as handle:
        return [line.strip().split(separator) for line in handle if line.strip()]


def _resolve(root, entries, class_names, missing, layout):
    """`(paths, labels, class_names)` of the `(relative path or candidates, label)` entries that are found."""
    check_choice("missing", missing, MISSING)
    paths, labels, absent = [], [], []
    for candidates, label in entries:
        candidates = [candidates] if isinstance(candidates, str) else candidates
        found = next((p for p in (_source(root, c) for c in candidates) if p is not None), None)
        if found is None:
            absent.append(candidates[0])
        else:
            paths.append(found)
            labels.append(label)
    if absent:
        message = (f"{len(absent)} of the {len(entries)} {layout} videos of the annotations are not in {root!r} "
                   f"(as a video file or frame folder), e.g. {absent[0]!r}")
        if missing == "raise":
            raise ValueError(message + ". missing='skip' leaves them out.")
        warnings.warn(message + "; they are left out.", stacklevel=3)
    if not paths:
        raise ValueError(f"No {layout} videos of the annotations were found in {root!r}.")
    return paths, None if any(label is None for label in labels) else labels, class_names


def ucf101(root, *, split="train", fold=1, annotations=None, missing="raise"):
    """UCF101: `classInd.txt` and `trainlist0k.txt` / `testlist0k.txt` (the `ucfTrainTestlist` folder).

    Args:
        root: the videos, `root/<Class>/v_<Class>_gXX_cYY.avi` (or flat, or
            frame folders of these names).
        split: `"train"` or `"test"`.
        fold: the split list, 1-3.
        annotations: the `ucfTrainTestlist` folder (default: found in
            `root` or beside it).
        missing: a listed video not found: `"raise"` or `"skip"`.

    Returns:
        `(paths, labels, class_names)`.

    Example:
    >>> paths, labels, classes = ucf101("UCF-101", split="test", fold=1)  # doctest: +SKIP
    """
    root = _folder(root)
    check_choice("split", split, ("train", "test"))
    check_choice("fold", fold, (1, 2, 3))
    if annotations is None:
        annotations = _named_folder(root, "ucfTrainTestlist")
    index_file = _annotation(root, annotations, ["classInd.txt"], "UCF101 class index")
    list_file = os.path.join(os.path.dirname(index_file), f"{split}list{fold:02d}.txt")
    if not os.path.isfile(list_file):
        raise ValueError(f"UCF101 split file {list_file!r} does not exist (beside {index_file!r}).")
    classes = {name: int(number) - 1 for number, name in _rows(index_file)}
    class_names = [name for name, _ in sorted(classes.items(), key=lambda item: item[1])]
    entries = []
    for relative, *_ in _rows(list_file):
        name = relative.replace("\\", "/").split("/")[0]
        if name not in classes:
            raise ValueError(f"{list_file!r}: class {name!r} of {relative!r} is not in {index_file!r}.")
        entries.append((relative, classes[name]))
    return _resolve(root, entries, class_names, missing, "UCF101")


def hmdb51(root, *, split="train", fold=1, annotations=None, missing="raise"):
    """HMDB51: `<class>_test_split<k>.txt` files of `video.avi id` rows (1 train, 2 test, 0 unused).

    Args:
        root: the videos, `root/<class>/<video>.avi` (or flat, or frame folders).
        split: `"train"` or `"test"`.
        fold: the split, 1-3.
        annotations: the folder of split files (default: `root`,
            `root/annotations`, ... or `testTrainMulti_7030_splits` beside
            `root`).
        missing: a listed video not found: `"raise"` or `"skip"`.

    Returns:
        `(paths, labels, class_names)`; classes sorted by name.

    Example:
    >>> paths, labels, classes = hmdb51("hmdb51", split="train", fold=2)  # doctest: +SKIP
    """
    root = _folder(root)
    check_choice("split", split, ("train", "test"))
    check_choice("fold", fold, (1, 2, 3))
    if annotations is None:
        annotations = _named_folder(root, "testTrainMulti_7030_splits")
    first = _annotation(root, annotations, [f"*_test_split{fold}.txt"], f"HMDB51 split files of fold {fold}")
    files = sorted(glob.glob(os.path.join(os.path.dirname(first), f"*_test_split{fold}.txt")))
    class_names = [os.path.basename(f)[: -len(f"_test_split{fold}.txt")] for f in files]
    wanted = {"train": "1", "test": "2"}[split]
    entries = []
    for label, (name, path) in enumerate(zip(class_names, files)):
        entries += [([f"{name}/{video}", video], label) for video, *group in _rows(path) if group == [wanted]]
    return _resolve(root, entries, class_names, missing, "HMDB51")


def kinetics(root, *, split="train", annotations=None, classes=None, missing="raise"):
    """Kinetics (400/600/700): a CSV of `label,youtube_id,time_start,time_end,split` rows.

    Videos are `<youtube_id>_<start:06d>_<end:06d>.mp4` (any video
    extension, or a frame folder) in `root/<split>/<label>/`,
    `root/<label>/` or flat in `root/` or `root/<split>/`.

    Args:
        root: the videos.
        split: the CSV's name, `"train"`, `"val"`, `"validate"` or `"test"`
            (`<split>.csv`).
        annotations: the CSV or its folder.
        classes: class names in index order (a list); default: the sorted
            labels of the CSV (pass the training CSV's to index a
            validation split that lacks a class the same way).
        missing: a listed video not found: `"raise"` or `"skip"` (Kinetics
            videos disappear from YouTube: `"skip"` is the usual choice).

    Returns:
        `(paths, labels, class_names)`.

    Example:
    >>> paths, labels, classes = kinetics("kinetics400", split="val", missing="skip")  # doctest: +SKIP
    """
    root = _folder(root)
    check_choice("split", split, ("train", "val", "validate", "test"))
    table = _annotation(root, annotations, [f"{split}.csv"], f"Kinetics {split} CSV")
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    needed = {"label", "youtube_id", "time_start", "time_end"}
    if not rows or not needed <= set(rows[0]):
        raise ValueError(f"Kinetics CSV {table!r} must have the columns label,youtube_id,time_start,time_end. "
                         f"Its columns: {list(rows[0]) if rows else 'none (empty file)'}")
    class_names = list(classes) if classes is not None else sorted({row["label"] for row in rows})
    index = {name: i for i, name in enumerate(class_names)}
    unknown = sorted({row["label"] for row in rows} - set(index))
    if unknown:
        raise ValueError(f"Labels {unknown[:5]} of {table!r} are not in `classes` ({len(class_names)} names).")
    entries = []
    for row in rows:
        name = f"{row['youtube_id']}_{int(float(row['time_start'])):06d}_{int(float(row['time_end'])):06d}"
        label = row["label"]
        entries.append(([f"{split}/{label}/{name}", f"{label}/{name}", name, f"{split}/{name}"], index[label]))
    return _resolve(root, entries, class_names, missing, "Kinetics")


def _template_name(template):
    return re.sub(r"\[([^\]]*)\]", r"\1", template)


def something_something_v2(root, *, split="train", annotations=None, missing="raise"):
    """Something-Something v2: `something-something-v2-labels.json` and `-<split>.json`; videos `<id>.webm`.

    A video's class is its `template` with the brackets removed
    (`"Putting [something] on [something]"` -> `"Putting something on
    something"`), indexed by the labels file.

    Args:
        root: the videos (`<id>.webm`, or frame folders `<id>`).
        split: `"train"`, `"validation"` or `"test"` (no labels: `labels`
            is `None`).
        annotations: the folder of the JSON files.
        missing: a listed video not found: `"raise"` or `"skip"`.

    Returns:
        `(paths, labels, class_names)`.

    Example:
    >>> paths, labels, classes = something_something_v2("20bn-something-something-v2",
    ...                                                  split="validation")  # doctest: +SKIP
    """
    root = _folder(root)
    check_choice("split", split, ("train", "validation", "test"))
    labels_file = _annotation(root, annotations, ["something-something-v2-labels.json"],
                              "Something-Something v2 labels file")
    split_file = os.path.join(os.path.dirname(labels_file), f"something-something-v2-{split}.json")
    if not os.path.isfile(split_file):
        raise ValueError(f"Something-Something v2 split file {split_file!r} does not exist.")
    with open(labels_file) as handle:
        index = {name: int(number) for name, number in json.load(handle).items()}
    class_names = [name for name, _ in sorted(index.items(), key=lambda item: item[1])]
    with open(split_file) as handle:
        items = json.load(handle)
    entries = []
    for item in items:
        label = None
        if "template" in item:
            name = _template_name(item["template"])
            if name not in index:
                raise ValueError(f"Template {item['template']!r} of video {item['id']!r} in {split_file!r} is not "
                                 f"in {labels_file!r}.")
            label = index[name]
        entries.append((str(item["id"]), label))
    return _resolve(root, entries, class_names, missing, "Something-Something v2")


def jester(root, *, split="train", annotations=None, missing="raise"):
    """Jester: `jester-v1-<split>.csv` of `id;label` rows and `jester-v1-labels.csv`; frame folders `<id>` or files.

    Args:
        root: the videos (`20bn-jester-v1/<id>/00001.jpg ...`, or `<id>.mp4`).
        split: `"train"`, `"validation"` or `"test"` (ids only: `labels` is `None`).
        annotations: the folder of the CSV files.
        missing: a listed video not found: `"raise"` or `"skip"`.

    Returns:
        `(paths, labels, class_names)`.

    Example:
    >>> paths, labels, classes = jester("20bn-jester-v1", split="validation")  # doctest: +SKIP
    """
    root = _folder(root)
    check_choice("split", split, ("train", "validation", "test"))
    labels_file = _annotation(root, annotations, ["jester-v1-labels.csv"], "Jester labels file")
    table = os.path.join(os.path.dirname(labels_file), f"jester-v1-{split}.csv")
    if split == "test":
        with open(labels_file) as handle:
            class_names = [line.strip() for line in handle if line.strip()]  # names hold spaces
        return _resolve(root, [(row[0], None) for row in _rows(table, ";")], class_names, missing, "Jester")
    ids, targets, class_names = read_labels(table, labels_file)
    return _resolve(root, list(zip(ids, targets)), class_names, missing, "Jester")


LAYOUTS = {"ucf101": ucf101, "hmdb51": hmdb51, "kinetics": kinetics, "something_something_v2": something_something_v2,
           "jester": jester}


def read_layout(layout, root, *, split="train", **options):
    """`(paths, labels, class_names)` of a published layout by name (`LAYOUTS`).

    Example:
    >>> sorted(LAYOUTS)
    ['hmdb51', 'jester', 'kinetics', 'something_something_v2', 'ucf101']
    """
    check_choice("layout", layout, tuple(LAYOUTS))
    return LAYOUTS[layout](root, split=split, **options)


def video_dataset(layout, root, *, split="train", fold=None, annotations=None, classes=None, missing="raise",
                  training=None, **options):
    """The videos of a published layout's split as batched `(clips, labels)`.

    Args:
        layout: `"ucf101"`, `"hmdb51"`, `"kinetics"`,
            `"something_something_v2"` or `"jester"`.
        root: the folder of the videos.
        split: the layout's split name (`"train"`, `"test"`, `"validation"`, ...).
        fold: UCF101's and HMDB51's split list (1-3, default 1).
        annotations: the annotation files' folder (or file).
        classes: Kinetics' class names.
        missing: a listed video not found: `"raise"` or `"skip"`.
        training: random clips and crops (default: `split == "train"`).
        **options: `video_dataset_from_files`'s (batch_size, clip_length,
            frame_step, num_clips, image_size, spatial_crops, on_error, ...).

    Returns:
        a `tf.data.Dataset` as `video_dataset_from_directory`'s.

    Example:
    >>> test = video_dataset("ucf101", "UCF-101", split="test", num_clips=10, spatial_crops=3)  # doctest: +SKIP
    """
    check_choice("layout", layout, tuple(LAYOUTS))
    extra = {"annotations": annotations, "missing": missing}
    if layout in ("ucf101", "hmdb51"):
        extra["fold"] = 1 if fold is None else check_positive_int("fold", fold)
    elif fold is not None:
        raise ValueError(f"`fold` is for ucf101 and hmdb51. Received: fold={fold!r}, layout={layout!r}")
    if layout == "kinetics":
        extra["classes"] = classes
    elif classes is not None:
        raise ValueError(f"`classes` is for kinetics. Received: classes=..., layout={layout!r}")
    paths, labels, class_names = read_layout(layout, root, split=split, **extra)
    return video_dataset_from_files(paths, labels, class_names=class_names,
                                    training=split == "train" if training is None else training, **options)
