"""A server killed with SIGKILL while scoring finishes the job after a restart, as attempt 2."""

import os
import re
import time

import httpx
import pytest
from api_support import DATABASES, running_server, wait_for_job

pytestmark = pytest.mark.slow


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("kind", DATABASES)
def test_sigkilled_server_completes_the_job_after_restart(kind, tmp_path, phantom_clips):
    clip = phantom_clips("pre", "right", 3.0, 41)
    # the restarted server re-queues the job once the killed one's lease (3 s) has expired
    with running_server(tmp_path, kind, POSESCORE_LEASE_S="3") as (server, key):
        client = httpx.Client(base_url=server.url, headers={"X-API-Key": key}, timeout=30)
        with open(clip, "rb") as fh:
            r = client.post("/v1/jobs", data={"patient": "P-kill", "session": "s1", "phase": "pre"},
                            files={"video": ("a.mp4", fh, "video/mp4")})
        job_id = r.json()["job_id"]
        deadline = time.monotonic() + 60
        while (status := client.get(f"/v1/jobs/{job_id}").json())["stage"] != "pose":
            assert time.monotonic() < deadline and status["status"] in ("queued", "running")
            time.sleep(0.05)
        workers = [int(p) for p in re.findall(r"worker (\d+) ready", server.log_path.read_text())]
        server.kill()  # mid-job: the server process only, as an OOM killer would

        deadline = time.monotonic() + 10  # orphaned workers notice and exit
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "orphaned worker still running"
            time.sleep(0.2)

        server.start()
        status = wait_for_job(client, job_id)
        assert status["status"] == "done", status
        assert status["attempts"] == 2
        result = client.get(f"/v1/jobs/{job_id}/result").json()
        assert result["quality"]["scorable"]
        assert "re-queued" in server.log_path.read_text()
        client.close()
