# Mail Time Machine — container image.
# Stage 1 builds (TypeScript + the native better-sqlite3 binding); stage 2 is a slim runtime that
# runs `mtm serve` as an unprivileged user with the store on a volume.

FROM node:20-bookworm-slim AS build
WORKDIR /src
# Compilers only in this stage, in case better-sqlite3 has no prebuilt binary for the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Install without lifecycle scripts (`prepare` would build before the sources are here),
# then build the one native module explicitly.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web interface's sources; Vite builds them into dist/web beside the server.
COPY web ./web
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    MTM_CONFIG=/etc/mtm/mtm.yaml \
    MTM_STORE_PATH=/var/lib/mtm \
    MTM_SERVER_HOST=0.0.0.0 \
    MTM_HTTP_HOST=0.0.0.0
RUN groupadd --system mtm \
 && useradd --system --gid mtm --home-dir /var/lib/mtm --shell /usr/sbin/nologin mtm \
 && mkdir -p /var/lib/mtm /etc/mtm \
 && chown mtm:mtm /var/lib/mtm
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config ./config
COPY config/default.yaml /etc/mtm/mtm.yaml
USER mtm
VOLUME ["/var/lib/mtm"]
# 1143 IMAP (STARTTLS when server.tls is set), 1993 IMAP over TLS, 8025 web interface, API, /healthz /readyz /metrics.
EXPOSE 1143 1993 8025
# No curl in the slim image: Node's fetch does the probe. Liveness only — readiness is /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MTM_HTTP_PORT||8025)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve"]
