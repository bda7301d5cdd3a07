"""Batch export: many voice lines, each a job, run by a local process pool or by Ray.

* :mod:`studio.batch.job`: a job (:class:`BatchJob`: a render spec, a name and the output
  formats) and running one (:func:`run_job`), which never raises for a bad line;
* :mod:`studio.batch.backend`: what a backend does (:class:`Backend`) and the events it sends.
"""
