"""Real videos as `(clip, label)` pipelines: frame folders (Jester, Something-Something) and tensorflow-datasets.

Both sample `num_segments` frames per video (`stkeras.data.segments`),
decode and resize them, and augment in training inside `tf.data`: a
multiscale random crop (a side of `scale x` the frame, `scale` drawn from
`crop_scales`, one crop for the whole clip) resized back, and a horizontal
flip only when `flip=True` (Jester's labels change under a flip: "swiping
left" becomes "swiping right"). Evaluation takes the whole frame. Clips are
float32 in [0, 1], `(num_segments, height, width, channels)`.
"""

import csv
import os

import tensorflow as tf

from stkeras.data.segments import segment_indices
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple

FRAME_EXTENSIONS = (".jpg", ".jpeg", ".png")
JPEG_START, JPEG_END, PNG_START = b"\xff\xd8", b"\xff\xd9", b"\x89PNG"


def read_labels(labels, classes=None):
    """`(video ids, class indices, class names)` from a label CSV.

    Args:
        labels: a CSV file of `video_id<sep>label` rows (`;` as in Jester's
            `jester-v1-train.csv`, or `,`; a header row `id,label` or
            `video_id,label` is skipped).
        classes: the class names in index order (a list, or a file with one
            name per line such as `jester-v1-labels.csv`); default: the
            sorted distinct labels of the CSV.
    """
    if not os.path.isfile(labels):
        raise ValueError(f"`labels` must be a CSV file of video ids and labels. Received: labels={labels!r} "
                         "(no such file)")
    with open(labels, newline="") as handle:
        text = handle.read()
    delimiter = ";" if ";" in text.split("\n", 1)[0] else ","
    rows = [row for row in csv.reader(text.splitlines(), delimiter=delimiter) if row]
    if rows and rows[0][0].strip().lower() in ("id", "video_id", "video"):
        rows = rows[1:]
    bad = [i for i, row in enumerate(rows, start=1) if len(row) < 2 or not row[0].strip()]
    if not rows or bad:
        raise ValueError(f"`labels` file {labels!r} must have rows `video_id{delimiter}label`; "
                         f"{'it is empty' if not rows else f'row {bad[0]} is {rows[bad[0] - 1]!r}'}.")
    ids, names = [row[0].strip() for row in rows], [row[1].strip() for row in rows]
    if classes is None:
        classes = sorted(set(names))
    elif isinstance(classes, str):
        with open(classes) as handle:
            classes = [line.strip() for line in handle if line.strip()]
    classes = list(classes)
    index = {name: i for i, name in enumerate(classes)}
    unknown = sorted(set(names) - set(index))
    if unknown:
        raise ValueError(f"Labels {unknown[:5]} of {labels!r} are not in `classes` ({len(classes)} names).")
    return ids, [index[name] for name in names], classes


def list_frames(root, video_id):
    """The frame files of one video folder, sorted by name; `ValueError` naming the folder if none."""
    folder = os.path.join(root, video_id)
    if not os.path.isdir(folder):
        raise ValueError(f"Video {video_id!r} of the labels has no frame folder: {folder!r} does not exist.")
    frames = sorted(f for f in os.listdir(folder) if f.lower().endswith(FRAME_EXTENSIONS))
    if not frames:
        raise ValueError(f"Video folder {folder!r} has no frames ({', '.join(FRAME_EXTENSIONS)} files).")
    return [os.path.join(folder, f) for f in frames]


def decode_frame(path, channels):
    """Decodes one JPEG or PNG frame to float32 in [0, 1]; an error naming the file if it is corrupt."""
    data = tf.io.read_file(path)
    is_png = tf.strings.substr(data, 0, 4) == PNG_START
    is_jpeg = tf.logical_and(tf.strings.substr(data, 0, 2) == JPEG_START,
                             tf.strings.substr(data, tf.maximum(tf.strings.length(data) - 2, 0), 2) == JPEG_END)
    check = tf.debugging.Assert(tf.logical_or(is_png, is_jpeg),
                                ["Corrupt or truncated frame file (not a complete JPEG or PNG):", path])
    with tf.control_dependencies([check]):
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
    return tf.image.convert_image_dtype(image, tf.float32)


def augment_clip(clip, training, image_size, crop_scales, flip, seed):
    """Resizes a clip `(N, h, w, c)` to `image_size`; in training, a multiscale random crop and optional flip."""
    clip = tf.image.resize(clip, image_size)
    if not training:
        return clip
    seeds = tf.random.experimental.stateless_split(seed, 4)
    scale = tf.gather(tf.constant(crop_scales, tf.float32),
                      tf.random.stateless_uniform((), seeds[0], 0, len(crop_scales), tf.int32))
    size = tf.maximum(tf.cast(tf.round(scale * tf.constant(image_size, tf.float32)), tf.int32), 1)
    top = tf.random.stateless_uniform((), seeds[1], 0, image_size[0] - size[0] + 1, tf.int32)
    left = tf.random.stateless_uniform((), seeds[2], 0, image_size[1] - size[1] + 1, tf.int32)
    clip = tf.image.resize(clip[:, top:top + size[0], left:left + size[1]], image_size)
    return random_flip(clip, seeds[3]) if flip else clip


def decode_resized_frames(paths, size):
    """JPEG or PNG frame files as uint8 `(n, *size, 3)`: decoded, resized (bilinear) and rounded.

    How the video pipelines and the frame cache make a frame folder's frames
    (a video file's are resized while converting, see `video_decode`).

    Example:
    >>> decode_resized_frames(tf.constant(["frames/00001.jpg"]), (128, 171)).shape  # doctest: +SKIP
    TensorShape([1, 128, 171, 3])
    """
    frames = tf.map_fn(lambda path: decode_frame(path, 3), paths,
                       fn_output_signature=tf.TensorSpec((None, None, 3), tf.float32))
    return tf.image.convert_image_dtype(tf.image.resize(frames, size), tf.uint8, saturate=True)


def random_flip(clip, seed):
    """Flips a clip `(..., h, w, c)` left-right with probability 1/2 (a stateless draw from `seed`)."""
    return tf.cond(tf.random.stateless_uniform((), seed) < 0.5, lambda: tf.reverse(clip, [-2]), lambda: clip)


def _check(num_segments, image_size, crop_scales, channels):
    check_positive_int("num_segments", num_segments)
    image_size = normalize_tuple(image_size, 2, "image_size")
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3. Received: channels={channels!r}")
    scales = tuple(crop_scales)
    if not scales or not all(isinstance(s, (int, float)) and 0 < s <= 1 for s in scales):
        raise ValueError(f"`crop_scales` must be numbers in (0, 1]. Received: crop_scales={crop_scales!r}")
    return image_size, scales


def video_folder(root, labels, *, num_segments=8, training=False, image_size=(112, 112), classes=None,
                 crop_scales=(1.0, 0.875, 0.75, 0.66), flip=False, channels=3, shuffle=None, seed=0):
    """Videos stored as one folder of frames each, with a CSV of labels.

    The layout of Jester and Something-Something users: `root/<video_id>/`
    holds the video's frames (`00001.jpg`, ...; sorted by name), and the
    labels CSV has one `video_id;label` row per video. Every video in the CSV
    is checked for frames when the dataset is made (`ValueError` naming the
    folder); a corrupt frame stops iteration with an error naming the file.

    Args:
        root: the folder of video folders.
        labels: the labels CSV (see `read_labels`).
        num_segments: frames sampled per video (one per segment).
        training: random frame per segment, random crop (and flip); else
            segment centres and whole frames.
        image_size: `(height, width)` of the clips' frames.
        classes: class names in index order (list or file); default: the
            sorted labels.
        crop_scales: side of the random crop relative to the frame.
        flip: random horizontal flip in training (only if labels allow).
        channels: 3 (RGB) or 1 (grayscale).
        shuffle: shuffle the videos every epoch (default: `training`).
        seed: seed of the shuffle, frame draws and crops.

    Returns:
        a `tf.data.Dataset` of `(clip, label)`, unbatched, with attributes
        `class_names` and `num_videos`.

    Example:
    >>> ds = video_folder("jester/20bn-jester-v1", "jester/jester-v1-train.csv",
    ...                   classes="jester/jester-v1-labels.csv", training=True)  # doctest: +SKIP
    """
    image_size, scales = _check(num_segments, image_size, crop_scales, channels)
    if not os.path.isdir(root):
        raise ValueError(f"`root` must be a folder of video folders. Received: root={root!r} (no such folder)")
    ids, targets, class_names = read_labels(labels, classes)
    frames = tf.ragged.constant([list_frames(root, video_id) for video_id in ids])
    dataset = tf.data.Dataset.from_tensor_slices((frames, tf.constant(targets, tf.int32)))
    if training if shuffle is None else shuffle:
        dataset = dataset.shuffle(len(ids), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed).batch(2)

    def load(element, element_seed):
        paths, target = element
        indices = segment_indices(tf.shape(paths)[0], num_segments, training, element_seed)
        clip = tf.map_fn(lambda path: tf.image.resize(decode_frame(path, channels), image_size),
                         tf.gather(paths, indices), fn_output_signature=tf.float32)
        return augment_clip(clip, training, image_size, scales, flip, element_seed), target

    dataset = tf.data.Dataset.zip((dataset, seeds)).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset.class_names, dataset.num_videos = class_names, len(ids)
    return dataset


def tfds_videos(name, *, split, num_segments=8, training=False, image_size=(112, 112), data_dir=None,
                video_key="video", label_key="label", crop_scales=(1.0, 0.875, 0.75, 0.66), flip=False, seed=0):
    """Videos of a tensorflow-datasets dataset that is already prepared (e.g. `"ucf101"`), as `(clip, label)`.

    Nothing is downloaded: the dataset must have been prepared in
    `data_dir` (tensorflow-datasets' default folder if `None`).

    Args:
        name: the tensorflow-datasets name, e.g. `"ucf101"` or
            `"ucf101/ucf101_1_256"`.
        split: e.g. `"train"` or `"test[:10%]"`.
        num_segments, training, image_size, crop_scales, flip, seed: as
            for `video_folder`.
        data_dir: the tensorflow-datasets folder.
        video_key, label_key: the features holding the video `(T, h, w, c)`
            and the label.

    Returns:
        a `tf.data.Dataset` of `(clip, label)` with attribute `class_names`.
    """
    import tensorflow_datasets as tfds

    image_size, scales = _check(num_segments, image_size, crop_scales, 3)
    try:
        dataset, info = tfds.load(name, split=split, data_dir=data_dir, download=False, with_info=True)
    except Exception as error:  # tfds raises several types for a dataset that is not prepared
        raise ValueError(f"tensorflow-datasets could not load {name!r} (split {split!r}) from data_dir={data_dir!r} "
                         f"without downloading: prepare it first (tfds build {name}). {error}") from error
    for key in (video_key, label_key):
        if key not in info.features:
            raise ValueError(f"Dataset {name!r} has no feature {key!r}. Its features: {', '.join(info.features)}")
    label_feature = info.features[label_key]
    seeds = tf.data.Dataset.random(seed=seed).batch(2)

    def load(example, element_seed):
        video = example[video_key]
        indices = segment_indices(tf.shape(video)[0], num_segments, training, element_seed)
        clip = tf.image.convert_image_dtype(tf.gather(video, indices), tf.float32)
        return augment_clip(clip, training, image_size, scales, flip, element_seed), tf.cast(example[label_key],
                                                                                             tf.int32)

    dataset = tf.data.Dataset.zip((dataset, seeds)).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset.class_names = list(getattr(label_feature, "names", []) or [])
    return dataset
