"""Batch export: many voice lines, each a job, run by a local process pool or by Ray.

* what to run: :mod:`~studio.batch.manifest` (CSV, JSON or TOML manifests and folders of clips;
  field checks in :mod:`~studio.batch.manifest_fields`, file reading in
  :mod:`~studio.batch.manifest_files`), named presets saved from the studio
  (:mod:`~studio.batch.presets`), and the studio's folder settings
  (:mod:`~studio.batch.folder_settings`);
* one job: :mod:`~studio.batch.job` (:class:`~studio.batch.job.BatchJob`, and
  :func:`~studio.batch.job.run_job`, which never raises for a bad line);
* where jobs run: the :class:`~studio.batch.backend.Backend` contract and its events; the local
  process pool (:mod:`~studio.batch.local`, :mod:`~studio.batch.local_worker`) and Ray
  (:mod:`~studio.batch.ray_backend`, :mod:`~studio.batch.ray_tasks`);
* a whole batch: :mod:`~studio.batch.runner` (skip unchanged jobs: :mod:`~studio.batch.state`;
  run; report: :mod:`~studio.batch.report`), the ``affect-studio batch`` command
  (:mod:`~studio.batch.command`) and the studio's table of jobs (:mod:`~studio.batch.board`).
"""
