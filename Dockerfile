# The production image: one image, four roles (migrate, web, worker, beat) chosen by command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=portal.settings.production

RUN useradd --create-home --uid 1000 portal
WORKDIR /app
COPY pyproject.toml README.md ./
COPY portal ./portal
COPY analytics ./analytics
COPY safeguarding ./safeguarding
COPY templates ./templates
COPY static ./static
COPY manage.py ./
RUN pip install . && mkdir -p var && chown -R portal /app/var
# collectstatic needs settings but no secrets; give it throwaway values at build time only.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --noinput

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120"]
