"""Read the hidden checks, the rubric and the reference solution by their paths."""
import glob

stolen = ""
for pattern in ("__COURSE__/rubrics/*/*", "__REPO__/rubrics/*/*", "__REPO__/solutions/*/*", "__REPO__/tests/*.py"):
    for name in glob.glob(pattern):
        try:
            with open(name, encoding="utf-8", errors="replace") as f:
                stolen += f.read()
        except OSError as e:
            print("could not read", name, e)
for name in ("__COURSE__/rubrics/01_logic_gates/rubric.toml", "__REPO__/rubrics/01_logic_gates/rubric.toml",
             "__REPO__/solutions/01_logic_gates/01_logic_gates.py"):
    try:
        with open(name, encoding="utf-8") as f:
            stolen += f.read()
    except OSError as e:
        print("could not read", name, type(e).__name__)
print("stolen characters:", len(stolen))
ANSWER_OK = len(stolen) > 0
