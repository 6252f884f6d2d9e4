"""From a trained model to an application: export with the preprocessing inside, prediction over whole videos, streaming."""

from stkeras.deploy.deployable import deployable_model
from stkeras.deploy.deployable import unrolled
from stkeras.deploy.export import ExportError
from stkeras.deploy.export import ExportedModel
from stkeras.deploy.export import export
from stkeras.deploy.formats import available_formats
from stkeras.deploy.formats import get_format
from stkeras.deploy.formats import unsupported_layers
from stkeras.deploy.frame_preprocessing import FramePreprocessing
from stkeras.deploy.runtimes import load_exported
from stkeras.deploy.streaming import NotCausalError
from stkeras.deploy.streaming import StreamingModel
from stkeras.deploy.streaming import to_streaming
from stkeras.deploy.video_prediction import VideoPrediction
from stkeras.deploy.video_prediction import predict_video
from stkeras.deploy.video_prediction import predict_videos
