"""Digit sources and synthetic video clips as `tf.data` pipelines."""

from stkeras.data.augment import ClipAugmentation
from stkeras.data.augment import augment_clips
from stkeras.data.digits import load_digits
from stkeras.data.finite import check_finite_clips
from stkeras.data.finite import finite_clips
from stkeras.data.grouping import group_metric
from stkeras.data.moving_mnist import moving_mnist
from stkeras.data.quadrant_blink import ORDERS
from stkeras.data.quadrant_blink import QuadrantBlinkSynthesizer
from stkeras.data.quadrant_blink import allowed_pairs
from stkeras.data.quadrant_blink import evidence_masks
from stkeras.data.quadrant_blink import quadrant_blink
from stkeras.data.per_frame import per_frame_targets
from stkeras.data.per_frame import random_subsequences
from stkeras.data.resolution import downsample_space
from stkeras.data.resolution import downsample_time
from stkeras.data.tr_mnist import tr_mnist
from stkeras.data.segments import sample_segments
from stkeras.data.segments import segment_indices
from stkeras.data.video_folder import tfds_videos
from stkeras.data.video_folder import video_folder
