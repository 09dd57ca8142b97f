# expect-lost: test_softmax_output, test_heldout_accuracy
"""A known-buggy variant of 04_fashion_mnist: an output layer of 5 units instead of 10 (untrained)."""

import keras
import numpy as np

EPOCHS = 10  # 강의는 30 epochs / the lecture trains 30

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


(X_train_full, y_train_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
print(X_train_full.shape, X_train_full.dtype, X_test.shape)


X_valid, X_train = X_train_full[:5000] / 255.0, X_train_full[5000:] / 255.0
y_valid, y_train = y_train_full[:5000], y_train_full[5000:]
X_test = X_test / 255.0


def build_model():
    """강의의 모델을 만들고 compile해서 돌려줍니다 (학습은 하지 않습니다).

    Build and compile the lecture's model, untrained: 28x28 images in, 10 class probabilities out.
    """
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(300, activation="relu"),
        keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(5, activation="softmax"),
    ])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    return model


model = build_model()
