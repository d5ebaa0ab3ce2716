"""Evaluation workers hold no database credentials."""

from __future__ import annotations

from api.settings import Settings
from launch.serve import child_env
from worker.settings import WorkerSettings


def test_worker_settings_have_no_database_field() -> None:
    assert not any("database" in name or "secret" in name
                   for name in WorkerSettings.model_fields)


def test_serve_strips_credentials_from_the_worker_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("AUTOGRADE_DATABASE_URL", "postgresql+psycopg://u:pw@db/x")
    monkeypatch.setenv("AUTOGRADE_SECRET_KEY", "s" * 40)
    settings = Settings(data_dir=tmp_path)
    worker = child_env(settings, trusted=False)
    assert "AUTOGRADE_DATABASE_URL" not in worker and "AUTOGRADE_SECRET_KEY" not in worker
    assert "pw@db" not in " ".join(worker.values())
    assert child_env(settings, trusted=True)["AUTOGRADE_DATABASE_URL"].endswith("@db/x")


def test_gpu_worker_pins_one_gpu_per_pool_process(monkeypatch) -> None:
    import billiard.process

    from worker.celery_app import gpu_list, pin_process_to_gpu

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "unset-by-test")  # restored afterwards
    assert gpu_list(WorkerSettings(gpus="0, 1")) == ["0", "1"]
    seen = []
    for index in (0, 1):
        process = billiard.process.current_process()
        monkeypatch.setattr(process, "index", index, raising=False)
        seen.append(pin_process_to_gpu(["0", "1"]))
    assert seen == ["0", "1"]
    import os

    assert os.environ["CUDA_VISIBLE_DEVICES"] == "1"
