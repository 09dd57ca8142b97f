# expect-lost: test_build_returns_a_new_model
"""A known-buggy variant of 03_xor_mlp: build_xor_model() hands out one model, which is then trained."""

import keras
import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y = np.array([[0], [1], [1], [0]], dtype="float32")

_model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(32, activation="sigmoid"),
                           keras.layers.Dense(1, activation="sigmoid")])
_model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.1))


def build_xor_model():
    return _model


model = build_xor_model()
model.fit(X, y, epochs=150, verbose=0)
