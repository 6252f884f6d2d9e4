"""Digit sources and synthetic video clips as `tf.data` pipelines."""

from stkeras.data.digits import load_digits
from stkeras.data.quadrant_blink import ORDERS
from stkeras.data.quadrant_blink import QuadrantBlinkSynthesizer
from stkeras.data.quadrant_blink import allowed_pairs
from stkeras.data.quadrant_blink import quadrant_blink
