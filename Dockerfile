# traceobject image: the web (gunicorn), worker and beat services all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 traceobject
# pg_dump and pg_restore for `manage.py backup` and `restore` (Debian 12's 15, as compose's
# postgres:15; docs/operations.md).
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends postgresql-client \
 && rm -rf /var/lib/apt/lists/*

COPY requirements.txt build-constraints.txt ./
# XStatic-Bootstrap is source-only and needs an older setuptools to build (see the Makefile).
RUN pip install --no-cache-dir -r build-constraints.txt wheel \
 && pip install --no-cache-dir --no-build-isolation -r requirements.txt

COPY . .
# Static files are collected into the image and served by WhiteNoise. The settings refuse to
# load without these, so the step gets throwaway values (an all-zero Fernet key, an address
# that cannot resolve) that encrypt and link nothing; the real ones come at run time.
# tests/site/test_dockerfile.py runs this exact command with only these variables.
RUN python bin/compilemessages \
 && SECRET_KEY=collectstatic-only \
    TIP_CONTACT_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    SITE_URL=https://collectstatic.invalid \
    STATIC_ROOT=/app/static \
    python manage.py collectstatic --noinput \
 && mkdir -p /data/media /data/intake /app/var \
 && chown -R traceobject /data /app/var

USER traceobject
ENV STATIC_ROOT=/app/static MEDIA_ROOT=/data/media PORT=8000
EXPOSE 8000
CMD ["gunicorn", "traceobject.wsgi:application", "-c", "python:traceobject.gunicorn_conf", "--bind", "0.0.0.0:8000"]
