# syntax=docker/dockerfile:1
# One image for both processes: the API by default, the worker with
#   command: ["node", "dist/apps/worker/src/main.js"]
# (see docker-compose.yml). Configuration comes from the environment (README.md).

# ---- build: all dependencies, compile, then drop the dev dependencies ----
FROM node:20-slim AS build
WORKDIR /app
# The manifests first, so that the dependency layer is rebuilt only when they change.
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: compiled code and production dependencies, as an unprivileged user ----
FROM node:20-slim
ENV NODE_ENV=production
# Heap limits of the API and worker (see libs/config/src/node-runtime-flags.ts).
ENV NODE_OPTIONS="--max-old-space-size=768"
WORKDIR /app
# package.json stays: its "imports" map resolves the #libs/* imports at run time.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The node image's unprivileged user; the code and dependencies stay root-owned, read-only to it.
USER node
EXPOSE 3000
# What `npm run start:api` runs, started directly so that the process receives SIGTERM itself
# and shuts down gracefully (npm as the main process adds nothing but a hop).
CMD ["node", "dist/apps/api/src/main.js"]
