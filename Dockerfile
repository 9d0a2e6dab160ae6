# consult-bot image: `docker build -t consult-bot .`; see docker-compose.yml for two instances.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
RUN pip install .
COPY directory.yaml survey.yaml calendar.yaml alembic.ini ./
RUN useradd --system --home /app consult && mkdir -p /app/data && chown consult /app/data
USER consult
EXPOSE 8080
CMD ["consult-bot", "run"]
