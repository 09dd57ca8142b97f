#!/usr/bin/env bash
# Build a Gradescope autograder zip for one assignment from the course repository.
# Usage (from the course repository's root): assignments/_gradescope/make_zip.sh NAME [keras]
# Writes NAME-gradescope.zip: setup.sh, run_autograder, ASSIGNMENT, EXTRAS and course/
# (the committed grader, assignments and hidden rubrics; never solutions/).
set -euo pipefail

name="${1:?usage: make_zip.sh ASSIGNMENT [keras]}"
extras="${2:-}"
root="$(git rev-parse --show-toplevel)"
test -d "$root/rubrics/$name" || { echo "no rubrics/$name in $root" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/course"
git -C "$root" archive HEAD pyproject.toml README.md autograder assignments rubrics | tar -x -C "$stage/course"
cp "$root/assignments/_gradescope/setup.sh" "$root/assignments/_gradescope/run_autograder" "$stage/"
chmod +x "$stage/setup.sh" "$stage/run_autograder"
echo "$name" > "$stage/ASSIGNMENT"
echo "$extras" > "$stage/EXTRAS"
rm -f "$root/$name-gradescope.zip"
(cd "$stage" && zip -qr "$root/$name-gradescope.zip" .)
echo "Wrote $root/$name-gradescope.zip"
