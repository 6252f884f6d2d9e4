"""From a trained model to an application: export with the preprocessing inside, prediction over whole videos, streaming."""

from stkeras.deploy.frame_preprocessing import FramePreprocessing
from stkeras.deploy.streaming import NotCausalError
from stkeras.deploy.streaming import StreamingModel
from stkeras.deploy.streaming import to_streaming
