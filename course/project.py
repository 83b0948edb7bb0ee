"""Where the course lives: the one place that holds the repository's address."""

from course import __version__

#: The public repository of the course (the Colab badge and the bootstrap cell use it).
REPOSITORY = "https://github.com/pytorch-course/pytorch-course"
BRANCH = "main"
#: The distribution name on pip; the import name is ``course``.
DISTRIBUTION = "pytorch-course"


def pinned_requirement(version: str = __version__) -> str:
    """What the bootstrap cell installs on Colab: this course release, from its tag."""
    return f"{DISTRIBUTION} @ git+{REPOSITORY}@v{version}"


def colab_url(notebook_path: str) -> str:
    """The "Open in Colab" address of a notebook in the repository (e.g. notebooks/01_tensors.ipynb)."""
    return f"https://colab.research.google.com/github/{REPOSITORY.split('github.com/')[1]}/blob/{BRANCH}/{notebook_path}"
