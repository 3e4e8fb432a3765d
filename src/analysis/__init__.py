"""Analysis of government takedown orders to social platforms.

raw files -> readers -> canonical frames -> validation -> Parquet -> metrics -> charts -> report.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("takedown-analysis")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"


def _use_system_allocator_for_arrow() -> None:
    """Arrow allocates through the C library's malloc, unless the user chose a pool.

    pyarrow's default (mimalloc) hands freed pages back to the system eagerly; our metrics
    allocate and free arrays of tens of millions of values, and on the benchmark machine that
    made the kernel's page-fault time larger than the computation (lag on 10M events: 10.9-13.4 s
    with mimalloc, 8.0-8.2 s with the system allocator; see bench/README.md). Setting
    ``ARROW_DEFAULT_MEMORY_POOL`` (``mimalloc``, ``jemalloc``, ``system``) overrides this.
    """
    import os

    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    import pyarrow

    pyarrow.set_memory_pool(pyarrow.system_memory_pool())


_use_system_allocator_for_arrow()
