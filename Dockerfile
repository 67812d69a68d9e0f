# syntax=docker/dockerfile:1
# Empress API Access: build with tsc, run the compiled JavaScript as the unprivileged `node` user.
#   docker build -t empress-api-access .
#   docker run -e DATABASE_URL=postgres://user:pass@host:5432/empress -p 4000:4000 empress-api-access
# In a container DATABASE_URL is always set, so the embedded PostgreSQL is never started.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: every dependency, then tsc into dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ormconfig.ts ./
COPY src ./src
COPY scripts ./scripts
COPY web ./web
RUN npm run build

# ---- runtime: production dependencies and the compiled code only ----
FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production \
    PORT=4000 \
    HOST=0.0.0.0 \
    NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist ./dist
# Code and dependencies stay owned by root (read-only to the service); the process runs as `node`.
USER node
EXPOSE 4000
# No curl in the slim image: ask /healthz with node itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.PORT||4000,path:'/healthz',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
# The heap's size as npm start gives it (docs/operations.md#memory): RSS stays under 250 MB.
CMD ["node", "--max-old-space-size=160", "dist/src/main.js"]
