# expect-lost: test_xor_truth_table, test_build_architecture
"""A known-buggy variant of 03_xor_mlp: a hidden layer of one unit, which can never compute XOR however long it trains."""

import keras
import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y = np.array([[0], [1], [1], [0]], dtype="float32")


def build_xor_model():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, activation="sigmoid"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.1))
    return model


model = build_xor_model()
model.fit(X, y, epochs=150, verbose=0)
