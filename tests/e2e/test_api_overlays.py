"""A job's overlay video over HTTP: served to its tenant only, erased with the job."""

import pytest
from api_support import apps_without_workers, key_for, store_done_job
from contract_support import score_dict

from api.overlays import overlay_path


@pytest.fixture
def service(tmp_path, small_model_path):
    with apps_without_workers(tmp_path / "data", small_model_path) as (app,):
        yield app


def test_overlay_is_served_to_its_tenant_and_erased_with_its_job(service):
    settings = service.app.state.settings
    job_id = store_done_job(service.app.state.sessionmaker, "P1", "pre", score_dict(),
                            tenant="clinic-a")
    mine, other = key_for(service, "clinic-a", ("read", "admin")), key_for(service, "clinic-b")
    assert service.get(f"/v1/jobs/{job_id}/overlay", headers=mine).status_code == 404
    path = overlay_path(settings, job_id)
    path.write_bytes(b"\x1aE\xdf\xa3 webm bytes")
    shown = service.get(f"/v1/jobs/{job_id}/overlay", headers=mine)
    assert shown.status_code == 200 and shown.content == path.read_bytes()
    assert shown.headers["content-type"] == "video/webm"
    assert shown.headers["cache-control"] == "no-store"
    assert service.get(f"/v1/jobs/{job_id}/overlay", headers=other).status_code == 404
    assert oct(settings.overlays_dir.stat().st_mode & 0o777) == "0o700"
    assert service.delete(f"/v1/jobs/{job_id}", headers=mine).status_code == 204
    assert not path.exists()
