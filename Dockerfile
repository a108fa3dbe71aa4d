# Livehouse gateway and ingest image (one image, two roles: see docker-compose.yml).
# Node 20 on Debian bookworm: chdb and uWebSockets.js ship glibc prebuilt binaries.
# Not built in this repository's CI (no Docker engine there); see docs/operations.md.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The UI (SolidJS + uPlot, Vite) into ui/dist, served by the gateway.
RUN npm run build --if-present
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    SQL_PORT=8123 \
    DATA_DIR=/var/lib/livehouse
WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /var/lib/livehouse && chown node:node /var/lib/livehouse
# The gateway runs analysts' SQL in-process (docs/security.md): never as root, and run it with a
# read-only root filesystem (compose read_only, k8s readOnlyRootFilesystem); only DATA_DIR and /tmp are written.
USER node
EXPOSE 8080 8123
VOLUME ["/var/lib/livehouse"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains ingestion batches and closes sockets (api/main.ts).
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "api/main.ts"]
