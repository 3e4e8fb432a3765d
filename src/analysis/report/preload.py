"""Imported once by the report runner's fork server (:func:`analysis.report.render.run_report`
on Linux), so every worker forked from it starts with papermill and nbconvert loaded."""

from analysis.report.render import import_runner_modules

import_runner_modules()
