# traceobject image: the web (gunicorn), worker and beat services all run from it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 traceobject

COPY requirements.txt build-constraints.txt ./
# XStatic-Bootstrap is source-only and needs an older setuptools to build (see the Makefile).
RUN pip install --no-cache-dir -r build-constraints.txt wheel \
 && pip install --no-cache-dir --no-build-isolation -r requirements.txt

COPY . .
# Static files are collected into the image and served by WhiteNoise; the key is a
# throwaway needed only to load the settings for this step.
RUN python bin/compilemessages \
 && SECRET_KEY=collectstatic-only STATIC_ROOT=/app/static python manage.py collectstatic --noinput \
 && mkdir -p /data/media /data/intake /app/var \
 && chown -R traceobject /data /app/var

USER traceobject
ENV STATIC_ROOT=/app/static MEDIA_ROOT=/data/media PORT=8000
EXPOSE 8000
CMD ["gunicorn", "traceobject.wsgi:application", "--bind", "0.0.0.0:8000"]
