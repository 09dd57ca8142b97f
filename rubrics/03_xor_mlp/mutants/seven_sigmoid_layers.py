# expect-lost: test_xor_truth_table
"""A known-buggy variant of 03_xor_mlp: the lecture's seven sigmoid layers, whose gradients vanish."""

import keras
import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y = np.array([[0], [1], [1], [0]], dtype="float32")


def build_xor_model():
    layers = [keras.Input(shape=(2,))] + [keras.layers.Dense(32, activation="sigmoid") for _ in range(7)]
    model = keras.Sequential(layers + [keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="mean_squared_error", optimizer="adam")
    return model


model = build_xor_model()
model.fit(X, y, epochs=150, verbose=0)
