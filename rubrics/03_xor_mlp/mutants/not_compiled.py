# expect-lost: test_build_compiles
"""A known-buggy variant of 03_xor_mlp: build_xor_model() leaves compiling to its caller."""

import keras
import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y = np.array([[0], [1], [1], [0]], dtype="float32")


def build_xor_model():
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(32, activation="sigmoid"),
                             keras.layers.Dense(1, activation="sigmoid")])


model = build_xor_model()
model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.1))
model.fit(X, y, epochs=150, verbose=0)
