"""Video files or frame folders as batched `(clips, labels)` `tf.data` pipelines, as Keras' image datasets.

Every video is indexed when the dataset is made (`video_index.index_video`:
its frames' timestamps and keyframes, on a thread pool, with a progress bar
for many files), so sampling knows its frames and an unreadable file is
found at once: `on_error="raise"` stops with an error naming the file,
`on_error="skip"` leaves it out with a warning and counts it. The indexes
stay with the dataset (`dataset.video_indexes`): no file is read twice to
find its frames. Frames are then sampled (`clip_sampling.dense_indices`,
or TSN segments with `sampling="segments"`), decoded with PyAV inside
`tf.data` (frame-exact seeking by the index, see `video_decode`; the
display rotation applied unless `rotate=False`) and cropped:

- training, `crop="random"` (default): the short side resized to
  `resize_short`, then a random `image_size` crop (one per clip) and, with
  `flip=True`, a random horizontal flip (off by default: some datasets'
  labels change under a flip);
- training, `crop="multiscale"`: the whole frame resized to `image_size`,
  then `video_folder`'s multiscale random crop (TSN);
- evaluation: `"center"` (short side resized, centre crop) or
  `"resize"` (the whole frame resized); a training crop becomes its
  evaluation counterpart (`"random"` -> `"center"`, `"multiscale"` ->
  `"resize"`);
- test views (`spatial_crops=3`, or `num_clips > 1`): see `views`.

Clips are float32 in [0, 1], `(batch, clip_length, height, width, 3)`;
with views, `(batch, views, clip_length, height, width, 3)`.
"""

import concurrent.futures
import functools
import os
import sys
import warnings

import numpy as np
import tensorflow as tf

from stkeras.data.augment import augment_clips
from stkeras.data.clip_sampling import OUT_OF_BOUND
from stkeras.data.clip_sampling import dense_indices
from stkeras.data.segments import segment_indices
from stkeras.data.video_decode import VIDEO_EXTENSIONS
from stkeras.data.video_decode import VideoDecodeError
from stkeras.data.video_decode import decode_frames
from stkeras.data.video_decode import is_video_source
from stkeras.data.video_index import VideoIndex
from stkeras.data.video_index import index_video
from stkeras.data.video_folder import augment_clip
from stkeras.data.video_folder import decode_frame
from stkeras.data.video_folder import list_frames
from stkeras.data.video_folder import random_flip
from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple

SAMPLING = ("dense", "segments")
CROPS = ("random", "multiscale", "center", "resize")
EVALUATION_CROP = {"random": "center", "multiscale": "resize", "center": "center", "resize": "resize"}
SUBSETS = ("training", "validation", "both")
ON_ERROR = ("raise", "skip")
PROGRESS_FROM = 100  # videos: probing this many or more shows a progress bar on stderr


def list_videos(folder, follow_links=False):
    """The video files and frame folders under `folder`, sorted by path (a folder without frames is searched).

    Example:
    >>> list_videos("ucf101/ApplyEyeMakeup")  # doctest: +SKIP
    ['ucf101/ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi', ...]
    """
    found = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            if os.path.islink(path) and not follow_links:
                continue
            if is_video_source(path):
                found.append(path)
            else:
                found.extend(list_videos(path, follow_links))
        elif name.lower().endswith(VIDEO_EXTENSIONS):
            found.append(path)
    return found


def _index_or_error(path):
    try:
        return index_video(path), None
    except VideoDecodeError as error:
        return None, str(error)
    except Exception as error:  # PyAV and TensorFlow raise their own types for damaged data
        return None, f"Video {path!r} could not be read: {type(error).__name__}: {error}"


def probe_videos(paths, *, on_error="raise", max_workers=None, progress=None):
    """`(kept paths, their VideoIndex, skipped [(path, reason)])`, indexing the videos on a thread pool.

    Each `VideoIndex` (`video_index.index_video`) holds the video's frame
    count (`num_frames`), its frames' timestamps and keyframes; a dataset
    keeps them, so decoding reads each file by its index.

    Args:
        paths: video files or frame folders.
        on_error: `"raise"` (a `ValueError` naming the first unreadable
            file) or `"skip"` (unreadable files are left out, with a warning
            that counts them).
        max_workers: threads (default: 4 per CPU, at most 16).
        progress: a progress bar on stderr (`None`: for 100 videos or more).

    Example:
    >>> probe_videos([])
    ([], [], [])
    """
    check_choice("on_error", on_error, ON_ERROR)
    paths = [os.fspath(p) for p in paths]
    if progress is not None:
        check_bool("progress", progress)
    show = len(paths) >= PROGRESS_FROM if progress is None else progress
    workers = max_workers or min(16, 4 * (os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(_index_or_error, paths)
        if show:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(paths), desc="Indexing videos", unit="video", file=sys.stderr)
        results = list(results)
    kept, indexes, skipped = [], [], []
    for path, (index, error) in zip(paths, results):
        if error is None:
            kept.append(path)
            indexes.append(index)
        else:
            skipped.append((path, error))
    if skipped and on_error == "raise":
        raise VideoDecodeError(f"{skipped[0][1]} ({len(skipped)} of {len(paths)} videos could not be read; "
                               "on_error='skip' leaves them out.)")
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} of {len(paths)} videos that could not be read, e.g. "
                      f"{skipped[0][1]}", stacklevel=3)
    return kept, indexes, skipped


def _check_options(batch_size, clip_length, frame_step, num_clips, sampling, image_size, resize_short, crop,
                   crop_scales, flip, spatial_crops, out_of_bound, on_error, seed):
    check_positive_int("batch_size", batch_size, allow_none=True)
    check_positive_int("clip_length", clip_length)
    check_positive_int("frame_step", frame_step)
    check_positive_int("num_clips", num_clips)
    check_choice("sampling", sampling, SAMPLING)
    if sampling == "segments" and num_clips != 1:
        raise ValueError(f"`num_clips` must be 1 with sampling='segments' (its segments cover the whole video). "
                         f"Received: num_clips={num_clips!r}")
    image_size = normalize_tuple(image_size, 2, "image_size")
    resize_short = check_positive_int("resize_short", resize_short, allow_none=True)
    if crop is not None:
        check_choice("crop", crop, CROPS)
    scales = tuple(crop_scales) if isinstance(crop_scales, (tuple, list)) else ()
    if not scales or not all(isinstance(s, (int, float)) and not isinstance(s, bool) and 0 < s <= 1 for s in scales):
        raise ValueError(f"`crop_scales` must be numbers in (0, 1]. Received: crop_scales={crop_scales!r}")
    check_bool("flip", flip)
    if spatial_crops is not None:
        check_choice("spatial_crops", spatial_crops, (1, 3))
    check_choice("out_of_bound", out_of_bound, OUT_OF_BOUND)
    check_choice("on_error", on_error, ON_ERROR)
    check_positive_int("seed", seed, minimum=0, allow_none=True)
    return image_size, resize_short or round(max(image_size) * 8 / 7), scales


def _resize_short(frames, short, image_size):
    """Frames `(n, h, w, c)` resized so that the short side is `short` and an `image_size` crop fits."""
    shape = tf.cast(tf.shape(frames)[1:3], tf.float32)
    scale = tf.reduce_max(tf.stack([short / tf.reduce_min(shape), image_size[0] / shape[0],
                                    image_size[1] / shape[1]]))
    size = tf.cast(tf.math.ceil(shape * scale - 1e-3), tf.int32)
    return tf.image.resize(frames, tf.maximum(size, image_size))


def _crop(frames, top, left, image_size):
    return frames[:, top:top + image_size[0], left:left + image_size[1]]


def spatial_views(frames, *, training, crop, spatial_crops, image_size, resize_short, crop_scales, flip, seed):
    """Frames `(n, h, w, 3)` as `(n, *image_size, 3)`, or `(3, n, *image_size, 3)` for three crops."""
    if training and crop == "multiscale":
        return augment_clip(frames, True, image_size, crop_scales, flip, seed)
    if not training and crop == "resize" and spatial_crops != 3:
        return augment_clip(frames, False, image_size, crop_scales, False, seed)
    frames = _resize_short(frames, resize_short, image_size)
    height, width = tf.shape(frames)[1], tf.shape(frames)[2]
    if training:
        seeds = tf.random.experimental.stateless_split(seed, 3)
        top = tf.random.stateless_uniform((), seeds[0], 0, height - image_size[0] + 1, tf.int32)
        left = tf.random.stateless_uniform((), seeds[1], 0, width - image_size[1] + 1, tf.int32)
        frames = _crop(frames, top, left, image_size)
        return random_flip(frames, seeds[2]) if flip else frames
    top, left = (height - image_size[0]) // 2, (width - image_size[1]) // 2
    if spatial_crops != 3:
        return _crop(frames, top, left, image_size)
    # MMAction2's ThreeCrop: along the long side, start / centre / end.
    portrait = height - image_size[0] > width - image_size[1]
    tops = tf.where(portrait, tf.stack([0, top, height - image_size[0]]), tf.stack([top, top, top]))
    lefts = tf.where(portrait, tf.stack([left, left, left]), tf.stack([0, left, width - image_size[1]]))
    crops = [tf.ensure_shape(_crop(frames, tops[i], lefts[i], image_size), (None, *image_size, 3)) for i in range(3)]
    return tf.stack(crops)


def _dense(length, seed, **options):
    rng = np.random.default_rng(np.asarray(seed, np.int64).view(np.uint64))
    return dense_indices(int(length), rng=rng, **options).reshape(-1).astype(np.int64)


def _decode(path, indices, indexes, rotate):
    path = path.decode()
    return decode_frames(path, indices, index=indexes.get(path), rotate=rotate)


def _decode_video(path, indices, decode):
    frames = tf.numpy_function(decode, [path, indices], tf.uint8, stateful=False)
    return tf.image.convert_image_dtype(tf.ensure_shape(frames, (None, None, None, 3)), tf.float32)


def _decode_frame_files(frame_files, indices):
    return tf.map_fn(lambda file: decode_frame(file, 3), tf.gather(frame_files, indices),
                     fn_output_signature=tf.TensorSpec((None, None, 3), tf.float32))


def build_video_dataset(paths, lengths, labels, class_names, *, batch_size=8, clip_length=16, frame_step=2,
                        num_clips=1, sampling="dense", image_size=(112, 112), resize_short=None, crop=None,
                        crop_scales=(1.0, 0.875, 0.75, 0.66), flip=False, spatial_crops=None, shuffle=True,
                        seed=None, training=False, augmentation=None, out_of_bound="loop", skip_errors=False,
                        rotate=True):
    """The `tf.data` pipeline over probed videos; see `video_dataset_from_files`.

    `lengths` are the videos' `VideoIndex`es (`probe_videos`), kept with the
    dataset as `dataset.video_indexes` and used to decode, or their frame
    counts (each file is then indexed again whenever it is read).
    `skip_errors=True` leaves out a video whose decoding fails while
    iterating (damaged after the part indexing reads), with tf.data's logged
    warning.
    """
    image_size, resize_short, crop_scales = _check_options(
        batch_size, clip_length, frame_step, num_clips, sampling, image_size, resize_short, crop, crop_scales, flip,
        spatial_crops, out_of_bound, "raise", seed)
    check_bool("training", training)
    if not paths:
        raise ValueError("No videos to make a dataset of (every video was skipped or none was given).")
    crop = crop or ("random" if training else "center")
    crop = crop if training else EVALUATION_CROP[crop]
    if training and spatial_crops == 3:
        raise ValueError("`spatial_crops=3` makes test views: it needs training=False. Received: spatial_crops=3, "
                         "training=True")
    views = num_clips > 1 or spatial_crops is not None
    if augmentation is not None and (views or not training):
        raise ValueError("`augmentation` applies to training clips without views (training=True, num_clips=1, "
                         f"spatial_crops=None). Received: training={training}, num_clips={num_clips}, "
                         f"spatial_crops={spatial_crops}")
    check_bool("rotate", rotate)
    indexes = [length if isinstance(length, VideoIndex) else None for length in lengths]
    lengths = [index.num_frames if index is not None else int(length) for index, length in zip(indexes, lengths)]
    decode = functools.partial(_decode, indexes={path: index for path, index in zip(paths, indexes) if index},
                               rotate=rotate)
    dense = functools.partial(_dense, clip_length=clip_length, frame_step=frame_step, num_clips=num_clips,
                              training=training, out_of_bound=out_of_bound)
    crops = 3 if spatial_crops == 3 else 1
    frames_per_video = num_clips * clip_length

    def load(element, element_seed):
        path, length, label, frame_files = element
        if sampling == "segments":
            indices = tf.cast(segment_indices(length, clip_length, training, element_seed), tf.int64)
        else:
            indices = tf.numpy_function(dense, [length, element_seed], tf.int64, stateful=False)
        frames = tf.cond(tf.size(frame_files) > 0,
                         lambda: _decode_frame_files(frame_files, indices),
                         lambda: _decode_video(path, indices, decode))
        frames = tf.ensure_shape(frames, (frames_per_video, None, None, 3))
        clips = spatial_views(frames, training=training, crop=crop, spatial_crops=spatial_crops,
                              image_size=image_size, resize_short=resize_short, crop_scales=crop_scales, flip=flip,
                              seed=element_seed)
        clips = tf.reshape(clips, (crops, num_clips, clip_length, *image_size, 3))
        if views:
            clips = tf.reshape(tf.transpose(clips, (1, 0, 2, 3, 4, 5)), (num_clips * crops, clip_length,
                                                                          *image_size, 3))
        else:
            clips = clips[0, 0]
        return clips, label

    has_labels = labels is not None
    targets = tf.constant(labels if has_labels else [0] * len(paths), tf.int32)
    # Frame folders are decoded in the graph (decode_frame, no Python), video files through PyAV.
    frame_lists = [list_frames(os.path.dirname(p), os.path.basename(p)) if os.path.isdir(p) else [] for p in paths]
    frame_files = tf.RaggedTensor.from_row_lengths(tf.constant([f for files in frame_lists for f in files], tf.string),
                                                   [len(files) for files in frame_lists])
    dataset = tf.data.Dataset.from_tensor_slices((tf.constant(paths), tf.constant(lengths, tf.int64), targets,
                                                  frame_files))
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    dataset = tf.data.Dataset.zip((dataset, seeds)).map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if skip_errors:
        dataset = dataset.ignore_errors(log_warning=True)
    if batch_size is not None:
        dataset = dataset.batch(batch_size)
        if augmentation is not None:
            dataset = augment_clips(dataset, augmentation)
    elif augmentation is not None:
        dataset = dataset.map(lambda clip, label: (augmentation(clip, training=True), label))
    if not has_labels:
        dataset = dataset.map(lambda clips, label: clips)
    dataset = dataset.prefetch(tf.data.AUTOTUNE)
    dataset.class_names, dataset.file_paths = list(class_names) if class_names is not None else None, list(paths)
    dataset.video_indexes = indexes
    return dataset


def split_files(paths, labels, *, validation_split, subset, shuffle, seed):
    """Keras' split: `[(paths, labels)]` of `subset` (two for `"both"`), after a seeded shuffle of the files.

    Example:
    >>> split_files(["a", "b", "c", "d"], [0, 1, 0, 1], validation_split=0.25, subset="validation",
    ...             shuffle=False, seed=None)
    [(['d'], [1])]
    """
    if validation_split is None and subset is None:
        return [(list(paths), None if labels is None else list(labels))]
    if validation_split is None or not isinstance(validation_split, (int, float)) or not 0 < validation_split < 1:
        raise ValueError("`validation_split` must be a number in (0, 1) when `subset` is set. "
                         f"Received: validation_split={validation_split!r}, subset={subset!r}")
    if subset is None:
        raise ValueError(f"`subset` must be set when `validation_split` is: one of {', '.join(map(repr, SUBSETS))}. "
                         f"Received: validation_split={validation_split!r}, subset=None")
    check_choice("subset", subset, SUBSETS)
    if shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide a `seed` argument, "
                         "so that the training and validation subsets do not overlap. Received: seed=None")
    paths = list(paths)
    labels = None if labels is None else list(labels)
    if shuffle:
        order = np.random.RandomState(seed).permutation(len(paths))
        paths = [paths[i] for i in order]
        labels = None if labels is None else [labels[i] for i in order]
    num_validation = int(validation_split * len(paths))
    cut = len(paths) - num_validation
    parts = {"training": (paths[:cut], None if labels is None else labels[:cut]),
             "validation": (paths[cut:], None if labels is None else labels[cut:])}
    for name in ("training", "validation") if subset == "both" else (subset,):
        if not parts[name][0]:
            raise ValueError(f"validation_split={validation_split} leaves the {name} subset of {len(paths)} videos "
                             "empty.")
    return [parts["training"], parts["validation"]] if subset == "both" else [parts[subset]]


def video_dataset_from_files(paths, labels=None, *, class_names=None, batch_size=8, clip_length=16, frame_step=2,
                             num_clips=1, sampling="dense", image_size=(112, 112), resize_short=None, crop=None,
                             crop_scales=(1.0, 0.875, 0.75, 0.66), flip=False, spatial_crops=None, shuffle=True,
                             seed=None, validation_split=None, subset=None, training=None, augmentation=None,
                             out_of_bound="loop", on_error="raise", rotate=True):
    """Video files (or frame folders) with their labels as batched `(clips, labels)`.

    The pipeline of `video_dataset_from_directory` over lists of files, as
    the readers of `stkeras.data.layouts` give them.

    Args:
        paths: video files or frame folders.
        labels: one int label per path, or `None` (the dataset yields clips only).
        class_names: the names of the labels, kept as the `class_names` attribute.
        Others: as `video_dataset_from_directory`.

    Returns:
        a `tf.data.Dataset` (two for `subset="both"`) with attributes
        `class_names`, `file_paths`, `video_indexes` (each file's
        `VideoIndex`), `num_skipped` and `skipped` (`[(path, reason)]`).

    Example:
    >>> ds = video_dataset_from_files(["a.mp4", "b.mp4"], [0, 1], class_names=["walk", "run"])  # doctest: +SKIP
    """
    paths = [os.fspath(p) for p in paths]
    _check_options(batch_size, clip_length, frame_step, num_clips, sampling, image_size, resize_short, crop,
                   crop_scales, flip, spatial_crops, out_of_bound, on_error, seed)
    if labels is not None:
        labels = [int(label) for label in labels]
        if len(labels) != len(paths):
            raise ValueError(f"`labels` must have one label per video: {len(paths)} videos, {len(labels)} labels.")
    if not paths:
        raise ValueError("`paths` is empty: no videos to make a dataset of.")
    parts = split_files(paths, labels, validation_split=validation_split, subset=subset, shuffle=shuffle, seed=seed)
    kept, indexes, skipped = probe_videos(paths, on_error=on_error)
    _check_readable(paths, labels, class_names, kept, skipped)
    index_of, reason_of = dict(zip(kept, indexes)), dict(skipped)
    names = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for name, (part_paths, part_labels) in zip(names, parts):
        readable = [i for i, path in enumerate(part_paths) if path in index_of]
        part_skipped = [(path, reason_of[path]) for path in part_paths if path not in index_of]
        if part_labels is not None:
            part_labels = [part_labels[i] for i in readable]
        part_paths = [part_paths[i] for i in readable]
        is_training = (name == "training") if training is None else training
        dataset = build_video_dataset(
            part_paths, [index_of[path] for path in part_paths], part_labels, class_names, batch_size=batch_size,
            clip_length=clip_length, frame_step=frame_step, num_clips=num_clips, sampling=sampling,
            image_size=image_size, resize_short=resize_short, crop=crop, crop_scales=crop_scales, flip=flip,
            spatial_crops=None if is_training and subset == "both" else spatial_crops, shuffle=shuffle, seed=seed,
            training=check_bool("training", is_training),
            augmentation=None if subset == "both" and name == "validation" else augmentation,
            out_of_bound=out_of_bound, skip_errors=on_error == "skip", rotate=rotate)
        dataset.num_skipped, dataset.skipped = len(part_skipped), part_skipped
        datasets.append(dataset)
    return tuple(datasets) if subset == "both" else datasets[0]


def _check_readable(paths, labels, class_names, kept, skipped):
    """Names the folder when no video can be read, and a class none of whose videos can (on_error="skip")."""
    if not skipped:
        return
    if not kept:
        folder = os.path.commonpath([os.path.abspath(p) for p in paths])
        raise VideoDecodeError(f"None of the {len(paths)} videos in {folder!r} can be read, e.g. {skipped[0][1]}")
    if labels is None:
        return
    readable, reason = set(kept), dict(skipped)
    for label in sorted(set(labels)):
        videos = [path for path, y in zip(paths, labels) if y == label]
        if not any(path in readable for path in videos):
            name = repr(class_names[label]) if class_names is not None and 0 <= label < len(class_names) else label
            raise VideoDecodeError(f"Class {name} has no readable video: none of its {len(videos)} videos can be "
                                   f"read, e.g. {reason[videos[0]]}")


def _index_directory(directory, labels, class_names, follow_links):
    if not isinstance(directory, (str, os.PathLike)) or not os.path.isdir(directory):
        raise ValueError(f"`directory` must be an existing folder. Received: directory={directory!r} (no such folder)")
    directory = os.fspath(directory)
    if labels != "inferred":
        if class_names is not None:
            raise ValueError("`class_names` is only valid with labels='inferred'. "
                             f"Received: class_names={class_names!r}, labels={type(labels).__name__}")
        paths = list_videos(directory, follow_links)
        if not paths:
            raise ValueError(f"No videos ({', '.join(VIDEO_EXTENSIONS)} files or frame folders) in {directory!r}.")
        if labels is not None:
            if isinstance(labels, str) or not isinstance(labels, (list, tuple, np.ndarray)):
                raise ValueError("`labels` must be 'inferred', None, or a list of int labels, one per video file. "
                                 f"Received: labels={labels!r}")
            if len(labels) != len(paths):
                raise ValueError(f"`labels` must have one label per video found in {directory!r} (sorted by path): "
                                 f"{len(paths)} videos, {len(labels)} labels.")
            labels = [int(label) for label in labels]
        return paths, labels, None
    subdirs = sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d))
                     and not is_video_source(os.path.join(directory, d)))
    if class_names is not None:
        missing = [name for name in class_names if name not in subdirs]
        if missing:
            raise ValueError(f"`class_names` must be subfolders of {directory!r}; {missing[:5]} are not. "
                             f"Its subfolders: {subdirs[:20]}")
        subdirs = list(class_names)
    if not subdirs:
        raise ValueError(f"No class subfolders in {directory!r}: with labels='inferred' every class is a subfolder "
                         "of video files or frame folders.")
    paths, targets, empty = [], [], []
    for index, name in enumerate(subdirs):
        found = list_videos(os.path.join(directory, name), follow_links)
        if not found:
            empty.append(name)
        paths += found
        targets += [index] * len(found)
    if empty:
        raise ValueError(f"Class folders without videos ({', '.join(VIDEO_EXTENSIONS)} files or frame folders) in "
                         f"{directory!r}: {empty[:10]}")
    return paths, targets, subdirs


def list_class_videos(directory, *, class_names=None, follow_links=False):
    """`(paths, labels, class_names)` of a folder of class subfolders, as `video_dataset_from_directory` lists it.

    Example:
    >>> paths, labels, class_names = list_class_videos("videos")  # doctest: +SKIP
    """
    check_bool("follow_links", follow_links)
    return _index_directory(directory, "inferred", class_names, follow_links)


def video_dataset_from_directory(directory, *, labels="inferred", class_names=None, batch_size=8, clip_length=16,
                                 frame_step=2, num_clips=1, sampling="dense", image_size=(112, 112),
                                 resize_short=None, crop=None, crop_scales=(1.0, 0.875, 0.75, 0.66), flip=False,
                                 spatial_crops=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                 training=None, augmentation=None, out_of_bound="loop", on_error="raise",
                                 follow_links=False, rotate=True):
    """Video files in class subfolders as batched `(clips, labels)`, like `keras.utils.image_dataset_from_directory`.

    `directory/<class>/` holds the class's videos: files (`.mp4 .avi .mkv
    .webm .mov .gif`) or frame folders (JPEG/PNG frames sorted by name).

    Args:
        directory: the folder of class subfolders.
        labels: `"inferred"` (from the subfolders), a list of int labels
            (one per video under `directory`, in sorted path order), or
            `None` (clips only).
        class_names: the class subfolders to use, in label order (default:
            all, sorted); only with `labels="inferred"`.
        batch_size: clips per batch (`None`: unbatched).
        clip_length: frames per clip.
        frame_step: distance between a clip's frames (dense sampling).
        num_clips: clips per video; more than one gives views (evaluation).
        sampling: `"dense"` (MMAction2's `SampleFrames`, see
            `clip_sampling`) or `"segments"` (TSN: `clip_length` segments,
            one frame each; `frame_step` unused).
        image_size: `(height, width)` of the frames.
        resize_short: the short side before cropping (default:
            `max(image_size) * 8 / 7`, 128 for 112).
        crop: `"random"` (training default), `"multiscale"`, `"center"`
            (evaluation default) or `"resize"`; see the module's notes.
        crop_scales: the crop sides of `"multiscale"`, relative to the frame.
        flip: random horizontal flips in training.
        spatial_crops: test views: `None`, 1 (centre) or 3 (start, centre
            and end of the long side, as MMAction2's `ThreeCrop`).
        shuffle: shuffle the videos (every epoch).
        seed: seed of the shuffle, the split and the random draws.
        validation_split: the fraction of videos held out (with `subset`).
        subset: `"training"`, `"validation"` or `"both"` (a pair of datasets).
        training: random clips and crops (default: True for the training
            subset, else False).
        augmentation: a layer applied to training batches (e.g.
            `ClipAugmentation`), through `augment_clips`.
        out_of_bound: a video shorter than a clip: `"loop"` or
            `"repeat_last"` (see `clip_sampling`).
        on_error: an unreadable video: `"raise"` (a `ValueError` naming it)
            or `"skip"` (left out, counted in `num_skipped`, with a warning;
            a video that fails only while iterating, damaged past the part
            that indexing reads, is left out with a logged warning). Either
            way, a folder without any readable video and a class without one
            are refused, named.
        follow_links: follow symbolic links to folders.
        rotate: apply each file's display rotation (phone videos), as
            FFmpeg does by default; `False` keeps the frames as coded.

    Returns:
        a `tf.data.Dataset` of float32 clips in [0, 1] `(batch,
        clip_length, *image_size, 3)` (`(batch, views, clip_length, ...)`
        with views) and int32 labels, with attributes `class_names`,
        `file_paths`, `video_indexes`, `num_skipped` and `skipped`; a pair
        for `subset="both"`.

    Example:
    >>> train, val = video_dataset_from_directory("ucf101/videos", validation_split=0.2, subset="both",
    ...                                           seed=0)  # doctest: +SKIP
    >>> train.class_names[:2]  # doctest: +SKIP
    ['ApplyEyeMakeup', 'ApplyLipstick']
    """
    check_bool("follow_links", follow_links)
    paths, targets, names = _index_directory(directory, labels, class_names, follow_links)
    return video_dataset_from_files(
        paths, targets, class_names=names, batch_size=batch_size, clip_length=clip_length, frame_step=frame_step,
        num_clips=num_clips, sampling=sampling, image_size=image_size, resize_short=resize_short, crop=crop,
        crop_scales=crop_scales, flip=flip, spatial_crops=spatial_crops, shuffle=shuffle, seed=seed,
        validation_split=validation_split, subset=subset, training=training, augmentation=augmentation,
        out_of_bound=out_of_bound, on_error=on_error, rotate=rotate)
