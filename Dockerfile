# posescore with the embedded defaults (mediapipe 0.10.21 bundled pose model; runs offline).
FROM python:3.11-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgl1 libglib2.0-0 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY posescore ./posescore
COPY models ./models
COPY sample_videos ./sample_videos
RUN pip install --no-cache-dir .
ENV POSESCORE_CACHE=/tmp/posescore-cache \
    POSESCORE_MODEL=/app/models/default.skops
ENTRYPOINT ["posescore"]
CMD ["batch", "sample_videos", "--out", "/tmp/out"]
