# expect-lost: test_xor_truth_table
"""A known-buggy variant of 03_xor_mlp: the model is built but never trained."""

import keras
import numpy as np


def build_xor_model():
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(32, activation="sigmoid"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(loss="mean_squared_error", optimizer="adam")
    return model


model = build_xor_model()
