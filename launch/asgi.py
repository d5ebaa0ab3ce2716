"""ASGI factory for running the API under several uvicorn/gunicorn processes:

    uvicorn --factory launch.asgi:create_from_env --workers 4

Settings come from the environment when the factory is called (never at import time).
"""

from __future__ import annotations

from fastapi import FastAPI

from api.app import create_app
from api.queue import CeleryDispatcher, base_celery
from api.settings import Settings
from launch.packages import load_packages


def create_from_env() -> FastAPI:
    """The API app with a Celery dispatcher, configured from ``AUTOGRADE_*``."""
    settings = Settings()
    return create_app(settings, dispatcher=CeleryDispatcher(base_celery(settings, "autograde-api")),
                      packages=load_packages)
