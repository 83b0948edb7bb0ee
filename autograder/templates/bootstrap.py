# Setup. On Colab or a bare Jupyter this installs the `course` package of this
# release ({version}) once; it never installs, upgrades or pins torch.
import importlib.util

if importlib.util.find_spec("course") is None:
    %pip install -q "{requirement}"

import course

device = course.setup()
