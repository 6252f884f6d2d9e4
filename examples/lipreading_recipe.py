"""Courtney & Sreenivas 2019's lipreading recipe at small scale: a ResNet ConvLSTM, then its reverse direction, averaged.

    python examples/lipreading_recipe.py [--out runs/lipreading]                  # synthetic clips
    python examples/lipreading_recipe.py --clips-npz my_clips.npz                 # your clips
    python examples/lipreading_recipe.py --chunk-length 8        # truncated backpropagation every 8 frames
    python examples/lipreading_recipe.py --video-folder DIR --train-labels train.csv --test-labels test.csv

Your clips: a NumPy file with `clips` (n, frames, height, width, channels) in
[0, 1] and integer `labels` (n,), optionally `test_clips` and `test_labels`
(else the last fifth is held out). A video folder: one folder of frames per
video and `video_id;label` CSVs (`stkeras.data.video_folder`). The synthetic
default is Courtney & Sreenivas 2022's quadrant-blink digit task on 64x64 frames.

The recipe (Section 4.1): random windows of the clips, one random crop of
48-64 pixels (scaled to the frames) resized, flip, rotation and brightness per
clip, the loss at every frame, Adam with gradients clipped at global norm
5.0, the rate reduced on plateaus (with `--chunk-length 8`, truncated
backpropagation every 8 frames and one update per sequence), three crops x
flip at test time. Then
the reverse-direction network starts from the trained forward network, trains
on its own, and the two are averaged. The paper's rate is 1e-4 over weeks;
this demo's default is 1e-3 for minutes.
"""

import argparse
import os

import keras
import numpy as np
import tensorflow as tf

from stkeras.data import ClipAugmentation
from stkeras.data import augment_clips
from stkeras.data import check_finite_clips
from stkeras.data import per_frame_targets
from stkeras.data import quadrant_blink
from stkeras.data import random_subsequences
from stkeras.data import video_folder
from stkeras.models import ResConvLSTM
from stkeras.models import build_res_convlstm
from stkeras.training import average_directions
from stkeras.training import compile_for_task
from stkeras.data import predict_tta
from stkeras.training import reverse_direction
from stkeras.training import tbptt_fit

STAGES = (ResConvLSTM(1, 1, 8, 16), ResConvLSTM(1, 16, 16, 32), ResConvLSTM(1, 32, 32, 64))


def _arrays(dataset):
    pairs = [(np.asarray(clip), np.asarray(label)) for clip, label, *_ in dataset]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def load_clips(args):
    """`(train_clips, train_labels, test_clips, test_labels)` as NumPy arrays."""
    if args.clips_npz:
        data = np.load(args.clips_npz)
        clips = check_finite_clips(data["clips"].astype("float32"), f"clips in {args.clips_npz}")
        labels = data["labels"].astype("int32")
        if "test_clips" in data:
            test = check_finite_clips(data["test_clips"].astype("float32"), f"test_clips in {args.clips_npz}")
            return clips, labels, test, data["test_labels"].astype("int32")
        cut = len(clips) - max(1, len(clips) // 5)
        return clips[:cut], labels[:cut], clips[cut:], labels[cut:]
    if args.video_folder:
        size = (args.size, args.size)
        train = video_folder(args.video_folder, args.train_labels, num_segments=args.frames, image_size=size,
                             channels=1)
        test = video_folder(args.video_folder, args.test_labels, num_segments=args.frames, image_size=size,
                            channels=1, classes=train.class_names)
        return (*_arrays(train), *_arrays(test))
    synthetic = dict(frames=args.frames, size=args.size, digit_size=28, speeds=(1, 2), visible_every=(1,),
                     max_step=24, task="digit")
    return (*_arrays(quadrant_blink("train", num_clips=args.train_clips, **synthetic)),
            *_arrays(quadrant_blink("test", num_clips=args.test_clips, **synthetic)))


def accuracy(model, clips, labels, crop_sizes):
    probabilities = predict_tta(model, clips, crop_sizes=crop_sizes)
    if probabilities.ndim == 3:  # per-frame outputs: the clip's class from the mean over frames
        probabilities = probabilities.mean(axis=1)
    return float(np.mean(probabilities.argmax(-1) == labels))


def fit(model, train, validation, epochs, learning_rate, chunk_length=None):
    """Keras' fit, or, with `chunk_length`, truncated backpropagation every `chunk_length` frames."""
    compile_for_task(model, "digit", learning_rate=learning_rate, global_clipnorm=5.0)
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, verbose=1)
    if chunk_length:
        return tbptt_fit(model, train, chunk_length=chunk_length, epochs=epochs, validation_data=validation,
                         callbacks=[plateau], verbose=2)
    return model.fit(train, validation_data=validation, epochs=epochs, callbacks=[plateau], verbose=2, shuffle=False)


def reversed_in_time(dataset):
    """Clips and per-frame targets from the last frame to the first."""
    return dataset.map(lambda clips, targets: (tf.reverse(clips, [1]), tf.reverse(targets, [1])))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/lipreading")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--clips-npz", help="NumPy file with clips and labels")
    source.add_argument("--video-folder", help="folder of video folders (needs --train-labels and --test-labels)")
    parser.add_argument("--train-labels")
    parser.add_argument("--test-labels")
    parser.add_argument("--frames", type=int, default=16, help="frames per synthetic or video-folder clip")
    parser.add_argument("--size", type=int, default=64, help="frame size of synthetic or video-folder clips")
    parser.add_argument("--train-clips", type=int, default=1024)
    parser.add_argument("--test-clips", type=int, default=256)
    parser.add_argument("--window", type=int, default=12, help="frames of the random training windows")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--reverse-epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--chunk-length", type=int, default=None,
                        help="truncated backpropagation every this many frames, one update per sequence "
                             "(the paper: 8); default: through the whole window")
    args = parser.parse_args(argv)
    if args.video_folder and not (args.train_labels and args.test_labels):
        parser.error("--video-folder needs --train-labels and --test-labels")

    keras.utils.set_random_seed(0)
    train_clips, train_labels, test_clips, test_labels = load_clips(args)
    frames, size, channels = train_clips.shape[1], train_clips.shape[2], train_clips.shape[4]
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    # The paper crops 48-64 pixels of its mouth region and resizes to 48: the same fractions of these frames.
    output_size = size * 3 // 4
    crops = (output_size, (output_size + size) // 2, size)
    print(f"{len(train_clips)} training and {len(test_clips)} test clips of {frames} frames of {size}x{size}; "
          f"{classes} classes; windows of {min(args.window, frames)} frames; crops {crops[0]}-{size} resized "
          f"to {output_size}")

    batches = tf.data.Dataset.from_tensor_slices((train_clips, train_labels)).shuffle(
        len(train_clips), seed=0).batch(args.batch_size)
    windows = random_subsequences(batches, min(args.window, frames), seed=0)
    augmentation = ClipAugmentation(output_size, crop_size=(crops[0], size), seed=0)
    train = per_frame_targets(augment_clips(windows, augmentation)).prefetch(2)
    resize = ClipAugmentation(output_size, flip=False, rotation=0, brightness=0)
    validation = per_frame_targets(tf.data.Dataset.from_tensor_slices((test_clips, test_labels)).batch(
        args.batch_size).map(lambda clips, labels: (resize(clips, training=False), labels)))

    forward = build_res_convlstm(stages=STAGES, input_shape=(None, output_size, output_size, channels),
                                 num_classes=classes, lstm_units=64, spatial_reduction="flatten",
                                 per_frame=True, name="forward")
    print(f"forward network: {forward.count_params():,} parameters")
    fit(forward, train, validation, args.epochs, args.learning_rate, args.chunk_length)
    scores = {"forward": accuracy(forward, test_clips, test_labels, crops)}

    backward = reverse_direction(forward)
    print("reverse-direction network, initialized with the forward network's weights")
    if args.chunk_length:
        # The copy reads reversed clips through its inner network; that network reads forward, so it trains
        # with truncated backpropagation on reversed clips and targets, and the copy shares its weights.
        inner = backward.get_layer(f"{forward.name}_backward")
        fit(inner, reversed_in_time(train), reversed_in_time(validation), args.reverse_epochs, args.learning_rate,
            args.chunk_length)
    else:
        fit(backward, train, validation, args.reverse_epochs, args.learning_rate)
    scores["backward"] = accuracy(backward, test_clips, test_labels, crops)
    both = average_directions(forward, backward)
    scores["both"] = accuracy(both, test_clips, test_labels, crops)

    os.makedirs(args.out, exist_ok=True)
    both.save(os.path.join(args.out, "bidirectional.keras"))
    chance = float(np.max(np.bincount(test_labels)) / len(test_labels))
    print(f"held-out accuracy with 3 crops x flip: forward {scores['forward']:.3f}, backward "
          f"{scores['backward']:.3f}, both averaged {scores['both']:.3f} (majority class {chance:.3f}); "
          f"saved {args.out}/bidirectional.keras")
    return scores


if __name__ == "__main__":
    main()
