/* probe: an operator's check that every node's workers are alive and share the queue.
 * `tucai jobs probe --count N [--work-ms M]` enqueues N `jobs.probe` jobs; each holds its
 * worker for M milliseconds (a stand-in for real work) and completes. `tucai jobs runs` and
 * job_runs then show which node ran which probe, and that none ran twice. */
#ifndef TUCAI_JOBS_PROBE_H
#define TUCAI_JOBS_PROBE_H

void jobs_probe_register(void);

#endif
