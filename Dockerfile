# caisse service image: Python 3.11 slim, non-root; all state (the SQLite database, the secret
# key that checks consent codes and sign-ins, the audit exports) under the /data volume, so a
# new container on the same volume keeps every code and session valid.
FROM python:3.11-slim AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    CAISSE_DATA_DIR=/data

WORKDIR /build
COPY pyproject.toml README.md ./
COPY app ./app
# Installed, not editable: the migrations and the rule sets ship inside the package
# (tests/e2e/test_installed_package.py runs the service and a charge from such an install).
RUN pip install --no-compile . \
    && rm -rf /build \
    && useradd --system --uid 10001 --home-dir /data caisse \
    && mkdir -p /data && chown caisse /data

USER caisse
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/v1/health')"
CMD ["caisse", "serve", "--host", "0.0.0.0", "--port", "8000"]
