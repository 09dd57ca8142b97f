#!/usr/bin/env bash
# Gradescope builds the autograder image with this script (as root, once per upload).
# The zip's root holds: setup.sh, run_autograder, ASSIGNMENT (the assignment's name),
# optionally EXTRAS ("keras" for assignments that train a model), and course/ (the
# course repository: pyproject.toml, README.md, autograder/, assignments/, rubrics/).
set -euo pipefail

SOURCE=/autograder/source
EXTRAS="$(tr -d '[:space:]' < "$SOURCE/EXTRAS" 2>/dev/null || true)"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q python3 python3-pip python3-venv bubblewrap

python3 -m venv /opt/grader
/opt/grader/bin/python -m pip install --quiet --upgrade pip
/opt/grader/bin/python -m pip install --quiet "$SOURCE/course${EXTRAS:+[$EXTRAS]}"
ln -sf /opt/grader/bin/grade /usr/local/bin/grade

# Keras assignments: fetch Fashion-MNIST now, so grading needs no network.
if [ "$EXTRAS" = "keras" ]; then
  KERAS_HOME=/opt/keras /opt/grader/bin/python -c "import keras; keras.datasets.fashion_mnist.load_data()"
fi
