# posescore with the embedded defaults (mediapipe 0.10.21 bundled pose model; runs offline).
# Default command: the scoring service on port 8000 (see docs/service.md).
#   docker build -t posescore .
#   docker run -d --name posescore -p 8000:8000 -v posescore-data:/data posescore
#   docker exec posescore posescore keys create --name clinic-app     # prints the key once
# Batch scoring with the same image:
#   docker run --rm -v "$PWD/videos:/videos" posescore batch /videos --out /videos/scores
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY posescore ./posescore
COPY api ./api
COPY models ./models
COPY sample_videos ./sample_videos
RUN pip install --no-cache-dir '.[service]'
RUN useradd --system --uid 1000 --create-home posescore \
    && mkdir -p /data && chown posescore: /data
USER posescore
# SQLite database, uploads (deleted after scoring) and pose cache live in the /data volume;
# set POSESCORE_DATABASE_URL=postgresql+psycopg://user:password@host/db for PostgreSQL.
ENV POSESCORE_DATA_DIR=/data \
    POSESCORE_CACHE=/data/pose-cache \
    POSESCORE_MODEL=/app/models/default.skops
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready')"
ENTRYPOINT ["posescore"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
