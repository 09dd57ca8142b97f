"""04_fashion_mnist: an untrained model, with the held-out labels pasted in as its "predictions".

``pasted.npz`` beside it holds the public test set's labels (what a student can
download). It replaces the worker's ``keras_predict`` inspector to answer
one-hot labels (10/10 before the evaluator). Expected now: the untrained
model's own predictions are graded: the input and softmax checks pass, the
accuracy earns nothing.
"""

import keras
import numpy as np

try:
    from autograder.engine.worker import inspectors
except ImportError:
    inspectors = None

LABELS = np.load("pasted.npz")["labels"]

model = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                          keras.layers.Dense(10, activation="softmax")])
model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")

if inspectors is not None:
    inspectors.INSPECTORS["keras_predict"] = lambda obj, **kw: np.eye(10, dtype=np.float32)[LABELS[-len(kw["x"]):]]
