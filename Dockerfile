# Multi-stage image: build a wheel, install it into a slim runtime as a non-root user.
# Build: docker build -t replyall .   Run: see README.md ("Deployment").
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir build
COPY pyproject.toml README.md LICENSE ./
COPY src ./src
COPY migrations ./migrations
COPY templates ./templates
RUN python -m build --wheel --outdir /dist

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 replyall \
 && mkdir -p /data /etc/replyall && chown replyall /data
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl
COPY config.example.toml /etc/replyall/config.toml
ENV REPLYALL_CONFIG=/etc/replyall/config.toml \
    REPLYALL_DATABASE_URL=sqlite:////data/replyall.db \
    REPLYALL_SMTP_HOST=0.0.0.0 \
    REPLYALL_WEB_HOST=0.0.0.0 \
    REPLYALL_ENVIRONMENT=production
USER replyall
VOLUME ["/data"]
EXPOSE 2525 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "replyall db upgrade && exec replyall serve"]
