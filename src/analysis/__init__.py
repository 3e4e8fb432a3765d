"""Analysis of government takedown orders to social platforms.

raw files -> readers -> canonical frames -> validation -> Parquet -> metrics -> charts -> report.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("takedown-analysis")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"
