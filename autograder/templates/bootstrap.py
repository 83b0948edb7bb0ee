# Setup. On Colab or a bare Jupyter this installs the `course` package of this
# release ({version}) once; it never installs, upgrades or pins torch.
import importlib.util
import os

if importlib.util.find_spec("course") is None:
    # COURSE_WHEEL, when set, names a wheel (a path or URL) to install instead, e.g. offline.
    requirement = os.environ.get("COURSE_WHEEL", "{requirement}")
    %pip install -q "{{requirement}}"

import course

device = course.setup()
