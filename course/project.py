"""Where the course lives: the one place that holds the repository's address and the tag.

An instructor who forks the course changes it with one command,
``python -m autograder release --repository https://github.com/OWNER/NAME``, which
rewrites the two lines below and releases every notebook again (the Colab badge and the
bootstrap cell are made from them). The notebooks install the ``course`` package from
the git tag ``v<version>``; ``python -m autograder release --tag`` creates or checks it.
"""

from course import __version__

#: The public repository of the course (the Colab badge and the bootstrap cell use it).
REPOSITORY = "https://github.com/pytorch-course/pytorch-course"
#: The branch whose notebooks the Colab badges open.
BRANCH = "main"
#: The distribution name on pip; the import name is ``course``.
DISTRIBUTION = "pytorch-course"


def tag(version: str = __version__) -> str:
    """The git tag of a course release: what the notebooks of that release install from."""
    return f"v{version}"


def pinned_requirement(version: str = __version__) -> str:
    """What the bootstrap cell installs on Colab: this course release, from its tag."""
    return f"{DISTRIBUTION} @ git+{REPOSITORY}@{tag(version)}"


def file_url(path: str) -> str:
    """The address of a file of the repository on GitHub (e.g. docs/mistakes.md)."""
    return f"{REPOSITORY}/blob/{BRANCH}/{path}"


def colab_url(notebook_path: str) -> str:
    """The "Open in Colab" address of a notebook in the repository (e.g. notebooks/01_tensors.ipynb)."""
    return (
        f"https://colab.research.google.com/github/{REPOSITORY.split('github.com/')[1]}/blob/{BRANCH}/{notebook_path}"
    )
