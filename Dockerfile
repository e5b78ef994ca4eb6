# syntax=docker/dockerfile:1
# One image for the API (default command) and the job worker (`node --import tsx src/worker.ts`).
# TypeScript runs through tsx, as `npm start` does: no separate build output to drift from it.
# .ci/image-rehearsal.sh runs the runtime stage's install and command without a Docker engine;
# keep the two in step.
ARG NODE_VERSION=24

# --- build: all dependencies, then the generated Prisma client and GraphQL types
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
# The manifest first: this layer is rebuilt only when the dependencies change.
COPY package.json package-lock.json ./
# postinstall (prisma generate, graphql-codegen) needs the sources, copied below; it runs then.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY prisma.config.ts codegen.ts tsconfig.json schema.graphql ./
COPY prisma ./prisma
COPY src ./src
RUN npm run postinstall

# --- runtime: production dependencies only, the sources and what the build stage generated
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: postinstall runs codegen, a dev dependency (its output is copied below).
# No dependency needs its own script here: jieba's and esbuild's binaries are platform packages;
# tfjs-node's script downloads libtensorflow, so the image trains on the wasm backend.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY src ./src
COPY --from=build /app/src/generated ./src/generated
# The image's own user (uid 1000); the app writes nothing under /app at run time.
USER node
EXPOSE 4000
# node itself is PID 1 (no npm/npx in between), so SIGTERM reaches the shutdown sequence;
# compose adds an init (`init: true`) to reap what the process forks.
CMD ["node", "--import", "tsx", "src/main.ts"]
# The default command serves HTTP; the worker service replaces this check (docker-compose.yml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
