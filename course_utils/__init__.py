"""course_utils: the tested helpers behind the Generative Models Workbook.

Import it as ``import course_utils as cu``. Submodules load on first use (``cu.mixtures``, ``cu.hmm``,
``cu.vae``, ...), so importing the package is quick and has no side effects: no seeding, no printing,
no downloads.
"""

import importlib

from .runtime import available_devices, env_flag, get_device, limit_threads, progress, seed_everything

__version__ = "0.1.0"

_SUBMODULES = ("classifiers", "clustering", "datasets", "diffusion", "exercises", "flows", "gan", "hmm", "metrics",
               "mixtures", "plotting", "runtime", "scalability", "style", "text", "vae", "workbook")

__all__ = ["available_devices", "env_flag", "get_device", "limit_threads", "progress", "seed_everything",
           *_SUBMODULES]


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'course_utils' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
