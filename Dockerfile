# weworktop in a container: docs/production.md (config, the /data volume, health, logs).
# Build: docker build -t weworktop .   Run: see compose.yaml.
# test/app/production-install.test.ts runs this file's install path without Docker: the stages'
# commands and the runtime stage's COPY lines are read from here.

# 1. Build: the TypeScript compiler and the other dev dependencies, then dist/ and app.js.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the native modules are not needed to compile, and `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# 2. Production dependencies only (better-sqlite3 takes its prebuilt binary for node:20 on glibc).
FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` builds from the sources, which this stage does not have (dist comes from the build stage).
RUN npm pkg delete scripts.prepare && npm ci --omit=dev

# 3. Run: node:20-slim, a non-root user, the data in /data.
FROM node:20-slim
# Two malloc arenas: less memory left resident after a burst (docs/performance.md).
ENV NODE_ENV=production \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/app.js ./app.js
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/simulator/page ./simulator/page
COPY --from=build /app/config.json.example ./config.json.example
COPY --from=build /app/LICENSE ./LICENSE
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 5001
# The port as the environment sets it (PORT, WEWORKTOP_PORT), else the default.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.WEWORKTOP_PORT || process.env.PORT || 5001}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Config: mount a config.json at /app/config.json (or set CONFIG_PATH), or pass every key as an
# environment variable (CHANNEL_TYPE, OPEN_AI_API_KEY, WEWORKTOP_CORP_ID, ...).
CMD ["node", "app.js", "start"]
