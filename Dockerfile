FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
COPY events ./events
COPY seeds ./seeds
RUN pip install --no-cache-dir .
ENV STANCELINE_SEED_EVENTS_DIR=/app/events
EXPOSE 8000
# `serve` migrates the schema and loads the curated events (idempotently) before listening.
CMD ["stanceline", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
HEALTHCHECK --interval=10s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
