# syntax=docker/dockerfile:1
# One image for every sohoa role; the compose file picks the command:
#   sohoa migrate | sohoa serve | sohoa worker | sohoa reconcile | sohoa reindex
# Built from the repository root: docker build -t sohoa .

# --- build: wheels for the project and every dependency (no compilers reach the runtime image)
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml ./
COPY sohoa ./sohoa
COPY api ./api
COPY ingest ./ingest
COPY workers ./workers
COPY search ./search
RUN pip wheel --wheel-dir /wheels .

# --- runtime
FROM python:3.11-slim-bookworm
# Tesseract with Vietnamese (+ orientation detection), poppler for PDF rasterisation,
# DejaVu for rendering Vietnamese glyphs; the same Debian packages as scripts/install-system.sh.
# Unpinned on purpose: bookworm's stable updates are security fixes we want on every rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd poppler-utils fonts-dejavu-core \
        qpdf icc-profiles-free \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /wheels /wheels
# The project's own wheels, resolved in the build stage (--no-index: nothing else is fetched).
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --no-index --find-links=/wheels sohoa \
    && rm -rf /wheels

# A fixed uid so a shared archive volume (NFS on several hosts) can be chowned once for all.
RUN groupadd --system --gid 10001 sohoa \
    && useradd --system --uid 10001 --gid sohoa --home-dir /var/lib/sohoa --shell /usr/sbin/nologin sohoa \
    && mkdir -p /var/lib/sohoa/archive \
    && chown -R sohoa:sohoa /var/lib/sohoa
COPY docker/healthcheck.py /opt/sohoa/healthcheck.py

# Tesseract runs single-threaded (OMP_THREAD_LIMIT=1, set by workers/ocr/tesseract.py for every
# Tesseract it starts); parallelism comes from worker replicas.
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SOHOA_VAR_DIR=/var/lib/sohoa \
    SOHOA_ARCHIVE_DIR=/var/lib/sohoa/archive \
    SOHOA_HOST=0.0.0.0 \
    SOHOA_PORT=8000

USER 10001:10001
WORKDIR /var/lib/sohoa
VOLUME ["/var/lib/sohoa/archive"]
EXPOSE 8000
# Default role: the API. Its healthcheck (the compose file sets one per role) asks /healthz.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/opt/sohoa/healthcheck.py", "api"]
CMD ["sohoa", "serve"]
