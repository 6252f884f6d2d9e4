"""`VideoModel`: a functional model over clips whose stage outputs are named, and which knows its task."""

import dataclasses

import keras

from stkeras.heads.registry import get_head
from stkeras.tasks import Task
from stkeras.tasks import resolve_task


@keras.saving.register_keras_serializable(package="stkeras")
class VideoModel(keras.Model):
    """A functional model over clips: a backbone, or a backbone with a head.

    Every stkeras builder returns one. A backbone maps clips to features and
    names its stage outputs (keras-hub's `pyramid_outputs` idea); a head maps
    the features to a task's outputs. `with_head` puts any registered head on
    a backbone; the head's layers join the same flat graph, so every layer
    (`res3_1`, `lstm1`, ...) stays reachable with `get_layer`.

    Args:
        inputs, outputs: as for a functional `keras.Model`.
        stage_names: names of the layers whose outputs are the stages, in
            order (e.g. `("res1_1", "res2_1", "res3_2", "res4_4")`).
        feature_name: the layer whose output is the backbone's features,
            where a head starts (default: the last stage).
        task: the `stkeras.tasks.Task` its outputs predict (`None` for a
            backbone); saved with the model.
        **kwargs: `name` and the other arguments of `keras.Model`.

    Attributes:
        build_record: how a family built it (`stkeras.models.family.BuildRecord`),
            or `None`; kept in the process, not in a `.keras` file (a preset
            folder's `config.json` holds it: `stkeras.models.save_preset`).
        preprocessing: how its clips are made (a
            `stkeras.data.preprocessing.Preprocessing`) where its weights say
            (a published checkpoint's, a preset folder's), else `None`.

    Example:
    >>> from stkeras.models import build_courtney_backbone
    >>> backbone = build_courtney_backbone(op="conv3d", input_shape=(8, 32, 32, 1))
    >>> list(backbone.stage_outputs)
    ['res1_1', 'res2_1', 'res3_2', 'res4_4']
    >>> model = backbone.with_head("pool", num_classes=10)
    >>> model.output.shape, model.count_params() - backbone.count_params()
    ((None, 10), 1290)
    >>> frozen = model.get_backbone()
    >>> frozen.trainable = False  # fine-tuning the head only: the backbone's layers are the model's
    """

    def __init__(self, *args, stage_names=(), feature_name=None, task=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = Task.from_config(task) if isinstance(task, dict) else task
        self.build_record = None
        self.preprocessing = None
        self.stage_names = tuple(stage_names)
        self.feature_name = feature_name or (self.stage_names[-1] if self.stage_names else None)
        for layer_name in self.stage_names + ((self.feature_name,) if self.feature_name else ()):
            self.get_layer(layer_name)  # a ValueError naming the layer if absent

    @property
    def stage_outputs(self):
        """`{stage name: symbolic output}` of the backbone's stages."""
        return {stage: self.get_layer(stage).output for stage in self.stage_names}

    @property
    def features(self):
        """The symbolic backbone features (the output of `feature_name`)."""
        if self.feature_name is None:
            raise ValueError(f"Model {self.name!r} names no feature layer (feature_name=None).")
        return self.get_layer(self.feature_name).output

    def get_backbone(self):
        """The part from clips to features as a new `VideoModel` sharing this model's layers.

        A method, not a property: Keras' saving reads every attribute, and
        each call builds a new model.
        """
        return VideoModel(self._graph_inputs(), self.features, stage_names=self.stage_names,
                          name=f"{self.name}_backbone")

    def with_head(self, head, *, num_classes=None, task=None, classifier_activation="softmax",
                  output_name="predictions", name=None, **options):
        """This model's backbone with a registered head on its features.

        Args:
            head: a name in `stkeras.heads.available_heads()`.
            num_classes: a classifier of that many classes; or give `task`.
            task: a `stkeras.tasks.Task` or a registered task name.
            classifier_activation: the classifier's activation (`None`:
                logits), with `num_classes`.
            output_name: name of the output layer.
            name: the new model's name.
            **options: the head's options.

        Returns:
            a new `VideoModel` sharing the backbone's layers (and weights).
        """
        task = resolve_task(num_classes, task, classifier_activation=classifier_activation)
        outputs = get_head(head).apply(self.features, task=task, output_name=output_name, **options)
        model = VideoModel(self._graph_inputs(), outputs, stage_names=self.stage_names,
                           feature_name=self.feature_name, task=task, name=name or self.name)
        if self.build_record is not None and self.build_record.head is None:
            model.build_record = dataclasses.replace(self.build_record, head=head, head_arguments={
                **options, "name": model.name, **({} if output_name == "predictions" else {"output_name": output_name})})
        return model

    def _graph_inputs(self):
        return self.inputs[0] if len(self.inputs) == 1 else self.inputs

    def get_config(self):
        return {**super().get_config(), "stage_names": list(self.stage_names), "feature_name": self.feature_name,
                "task": None if self.task is None else self.task.to_config()}
