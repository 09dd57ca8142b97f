"""The accuracy of your trained `model` on the 5,000 test images grading holds out (`grade check` shows it).

Your code never sees these images' labels: `load_data()` in your notebook gives only the first
5,000 test images. Here, on your own machine, the labels come from your own Fashion-MNIST files.
"""

import numpy as np
import pytest

from autograder.checks import fail
from autograder.grading.datasets import find_fashion_mnist, load_heldout
from autograder.grading.models import export_model

RESHAPE = {(28, 28): lambda x: x, (784,): lambda x: x.reshape(len(x), 784), (28, 28, 1): lambda x: x[..., np.newaxis]}


@pytest.fixture(scope="module")
def images_and_labels(request):
    return load_heldout(find_fashion_mnist(request.getfixturevalue("data_dir")))


def test_accuracy_on_the_held_out_images(submission, evaluator, images_and_labels, credit, rubric):
    exported = export_model(submission.value("model"), what="model")  # your trained model, as data
    reshape = RESHAPE.get(exported.summary.input_shape[1:] if exported.summary.input_shape else None)
    if reshape is None:
        fail("model input shape", expected="(None, 28, 28) or (None, 784)", got=exported.summary.show_input())
    images, labels = images_and_labels
    what = f"model.predict(...) for the {len(labels)} held-out images"
    got = evaluator.predict(evaluator.rebuild(exported), reshape(images.astype(np.float32) / 255.0), what=what,
                            batch_size=500)
    if got.shape != (len(labels), 10) or not np.all(np.isfinite(got)):
        fail(what, expected=f"shape ({len(labels)}, 10), finite", got=f"shape {got.shape}")
    accuracy = float(np.mean(np.argmax(got, axis=1) == labels))
    credit.metric("accuracy", accuracy)
    threshold, floor = float(rubric.params["threshold"]), float(rubric.params["floor"])
    fraction = 0.0 if not np.isfinite(accuracy) or accuracy < floor else min(1.0, (accuracy - floor) / (threshold - floor))
    credit.partial(fraction, what=f"accuracy on the {len(labels)} held-out images",
                   expected=f">= {threshold:.2f} for full points (none below {floor:.2f})", got=f"{accuracy:.4f}")
