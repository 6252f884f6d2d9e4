"""Explanations of video models: Grad-CAM maps (tf-keras-vis) and how well they point at the evidence."""

from stkeras.explain.feature_layer import feature_layer
from stkeras.explain.feature_layer import spatiotemporal_layers
from stkeras.explain.gradcam import METHODS
from stkeras.explain.gradcam import WEIGHTINGS
from stkeras.explain.gradcam import gradcam
from stkeras.explain.localization import localization_score
