"""Batches at scale: every core, inputs streamed in order, memory flat as the batch grows.

- :func:`run_ordered` (``inspectx.batch.engine``) runs a per-document job over an
  iterable of inputs with ``jobs`` worker processes and yields the results in input
  order, with a bounded number in flight;
- :func:`iter_inputs` (``inspectx.batch.inputs``) expands files, folders, ZIP
  archives and JSON Lines files into inputs, lazily, with limits;
- ``inspectx.batch.jobs`` holds the per-document work of each pipeline (convert,
  validate, sign, verify), used by the command line and usable from a program.

Importing this package loads only the standard library.
"""

from inspectx.batch.engine import default_jobs, run_ordered
from inspectx.batch.inputs import ArchiveLimits, iter_inputs

__all__ = ["ArchiveLimits", "default_jobs", "iter_inputs", "run_ordered"]
