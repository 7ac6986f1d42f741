# caisse service image: Python 3.11 slim, non-root, SQLite in /data by default.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DATABASE_URL=sqlite:////data/caisse.db

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-compile . \
    && useradd --system --uid 10001 --home-dir /app caisse \
    && mkdir -p /data && chown caisse /data

USER caisse
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v1/health')"
CMD ["caisse", "serve", "--host", "0.0.0.0", "--port", "8000"]
