"""The backend: a FastAPI app over storeassist_tui.store."""

from storeassist_tui.server.app import create_app

__all__ = ["create_app"]
