# Rapport: `docker compose up -d` (see docker-compose.yml and the README's Operations section)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 10001 --user-group rapport \
    && mkdir -p /app/data \
    && chown rapport:rapport /app/data

COPY pyproject.toml README.md ./
COPY bot ./bot
# the shipped banks become package data of the installed wheel (bot/questions/shipped)
COPY questions ./questions
RUN pip install . && rm -rf build bot questions rapport.egg-info

ENV RAPPORT_DATABASE_URL=sqlite+aiosqlite:////app/data/rapport.db \
    RAPPORT_HTTP_PORT=8080 \
    RAPPORT_HTTP_HOST=0.0.0.0

USER rapport
VOLUME ["/app/data"]
EXPOSE 8080

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('RAPPORT_HTTP_PORT', '8080'), timeout=4)"]

CMD ["rapport", "run"]
