"""The jobs that keep procrastinate's queues moving, run by `manage.py worker`.

procrastinate's Django app imports this module (the `tasks` module of an installed app) when
Django starts.
"""

import logging

from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)


@app.periodic(cron="* * * * *")
@app.task(name="retry_stalled_jobs", queueing_lock="retry_stalled_jobs")
async def retry_stalled_jobs(timestamp: int) -> None:
    """Run again the jobs of the workers whose heartbeat has stopped (killed, out of memory).

    A worker beats every 10 s; procrastinate calls one silent for 30 s stalled. Run every minute,
    this gives a dead worker's jobs to another worker within two minutes of its death.
    """
    for job in await app.job_manager.get_stalled_jobs():
        logger.warning("Job %s (%s) of a stalled worker is run again", job.id, job.task_name)
        await app.job_manager.retry_job(job)
