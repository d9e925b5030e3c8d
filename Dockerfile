# The example app's image. Build it from the repository root:
#
#   docker build -t ghcr.io/nest-health/nest-health-example:0.1.0 .
#   docker run -p 3000:3000 -e DATABASE_URL=postgres://… -e REDIS_URL=redis://… \
#     ghcr.io/nest-health/nest-health-example:0.1.0
#
# Three stages: `build` compiles the example (and the library's sources and apps/shared with it)
# with the dev dependencies; `production-dependencies` installs the runtime dependencies only; the
# final stage holds those, the compiled app and the probe CLI, and runs as the unprivileged `node`
# user.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY libs/health ./libs/health
COPY apps/example ./apps/example
COPY apps/shared ./apps/shared
RUN npm run build:example

FROM node:20-slim AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-slim
ENV NODE_ENV=production
ENV PORT=3000
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=production-dependencies /app/package.json ./package.json
COPY --from=build /app/dist/apps/example ./dist
COPY --from=build /app/libs/health/bin/nest-health-probe.js ./bin/nest-health-probe.js
USER node
EXPOSE 3000
# The probe CLI (plain Node, no curl needed): exit 0 on a 2xx answer of the liveness probe, 1
# otherwise. Liveness, not readiness: a dependency outage must not mark the container unhealthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node bin/nest-health-probe.js "http://127.0.0.1:${PORT}/health/live" --timeout 2s
CMD ["node", "dist/apps/example/src/main.js"]
