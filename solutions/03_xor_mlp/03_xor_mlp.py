"""Reference solution of 03_xor_mlp: the code cells of 03_xor_mlp.ipynb (demo cells left out)."""

import keras
import numpy as np

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
y = np.array([[0], [1], [1], [0]], dtype="float32")

EPOCHS = 150  # 학습률 0.1이면 50 epochs 안팎에서 XOR을 배웁니다 / with learning rate 0.1 XOR is learnt in about 50 epochs


def build_xor_model():
    """XOR용 모델을 새로 만들고 compile해서 돌려줍니다 (학습은 하지 않습니다).

    Build and compile a new, untrained model for XOR: inputs of shape (2,),
    one hidden Dense layer of 32 sigmoid units, one sigmoid output unit, adam.
    """
    # BEGIN SOLUTION
    model = keras.Sequential([
        keras.Input(shape=(2,)),
        keras.layers.Dense(32, activation="sigmoid"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(loss="mean_squared_error", optimizer=keras.optimizers.Adam(learning_rate=0.1),
                  metrics=["binary_accuracy"])
    return model
    # END SOLUTION


model = build_xor_model()
# BEGIN SOLUTION
history = model.fit(X, y, epochs=EPOCHS, verbose=0)
# END SOLUTION
print(model.predict(X, verbose=0).round(3))


EXPLORE = False


def build_deep_sigmoid_model(depth=7, activation="sigmoid"):
    """sigmoid 층을 depth개 쌓은 모델 / A model with depth hidden layers of 32 units."""
    layers = [keras.Input(shape=(2,))]
    layers += [keras.layers.Dense(32, activation=activation) for _ in range(depth)]
    layers += [keras.layers.Dense(1, activation="sigmoid")]
    deep = keras.Sequential(layers)
    deep.compile(loss="mean_squared_error", optimizer="adam", metrics=["binary_accuracy"])
    return deep


if EXPLORE:
    deep = build_deep_sigmoid_model()
    deep_history = deep.fit(X, y, epochs=300, verbose=0)
    print("seven sigmoid layers, accuracy:", deep_history.history["binary_accuracy"][-1])
    print(deep.predict(X, verbose=0).round(3))  # all close to 0.5: the gradients vanished
