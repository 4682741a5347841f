# edoc production image: gunicorn with a gevent WebSocket worker serving HTTP and Socket.IO.
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-liberation2 libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz0b poppler-utils libreoffice-writer-nogui tesseract-ocr tesseract-ocr-vie ghostscript curl \
 && rm -rf /var/lib/apt/lists/*

# Installed, not run from the sources: they are removed once built, so the image runs exactly what the wheel carries
# (templates included), from a working folder with no edoc/ in it to shadow the installed package.
COPY pyproject.toml README.md /src/
COPY edoc /src/edoc
COPY meetings /src/meetings
COPY signing /src/signing
COPY storage /src/storage
COPY templates /src/templates
RUN pip install --no-cache-dir '/src[production,pkcs11]' && rm -rf /src
# The one server command, shared with the test that starts it (tests/realtime/test_gunicorn.py).
COPY scripts/serve /usr/local/bin/edoc-serve

ENV EDOC_INSTANCE_PATH=/var/lib/edoc EDOC_ASYNC_MODE=gevent
RUN useradd --system --home /var/lib/edoc edoc && mkdir -p /var/lib/edoc && chown edoc /var/lib/edoc
WORKDIR /var/lib/edoc
USER edoc
EXPOSE 8000
# edoc-serve runs a gevent worker per core (at most 4; EDOC_WORKERS) when EDOC_REDIS_URL is set, Socket.IO then
# WebSocket only and its events shared through Redis; more containers can share that Redis behind any load balancer.
CMD ["sh", "-c", "edoc db upgrade && exec edoc-serve"]
