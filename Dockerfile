# syntax=docker/dockerfile:1
# backstop's production image: compiled JavaScript (npm run build → dist/), production dependencies
# only (no litesvm, no Telegram emulator: the sandbox cannot load here), a non-root user, and a
# HEALTHCHECK on /readyz. Build: docker build -t backstop .   Run: compose.yaml, docs/operations.md.

FROM node:22-slim AS build
# better-sqlite3 and pkcs11js compile with node-gyp.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# The image's own Node headers: node-gyp needs no download.
ENV npm_config_nodedir=/usr/local
WORKDIR /app
# `prepare` runs the build during npm install, so the sources come first.
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
# npm install, not npm ci: the lockfile lacks optional platform packages the registry mirror does not have.
RUN npm install --no-audit --no-fund
RUN npm run build
# Drop the dev dependencies (typescript, vitest, litesvm, the emulator); compiled native modules stay.
RUN npm prune --omit=dev --no-audit --no-fund

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# /var/lib/backstop: the audit head and anchor (a volume per instance); /deploy: what `backstop init` wrote, mounted read-only.
RUN mkdir -p /var/lib/backstop /deploy \
 && chown node:node /var/lib/backstop \
 && chmod 0700 /var/lib/backstop
USER node
# Relative paths in .env (keys/…, policies) resolve against the mounted deployment.
WORKDIR /deploy
EXPOSE 8080
# 200 from the active instance and from a standby; 503 while the store, the RPC or Telegram is unreachable.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "--max-semi-space-size=2", "--heap-growing-percent=50", "/app/dist/cli.js"]
CMD ["start"]
