"""Write everywhere but its scratch folder."""
import os

targets = ["/tmp/__MARKER__-tmp", "__REPO__/__MARKER__-repo", "__SUBS__/__MARKER__-subs", "__COURSE__/rubrics/__MARKER__",
           os.path.join(os.path.dirname(os.getcwd()), "job.json"), os.path.join(os.path.dirname(os.getcwd()), "__MARKER__-up"),
           os.path.expanduser("~/__MARKER__-home"), "/var/tmp/__MARKER__-vartmp", "/dev/shm/__MARKER__-shm"]
for path in targets:
    try:
        with open(path, "w") as f:
            f.write("__MARKER__")
        print("wrote", path)
    except OSError as e:
        print("could not write", path, type(e).__name__)
ANSWER_OK = True
