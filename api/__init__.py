"""posescore scoring service: FastAPI app, job store and worker pool, web page.

Start it with ``posescore serve``; create API keys with ``posescore keys create --name NAME``.
"""
