# One image for every Conclave service; docker-compose.yml picks the entry point per service.
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
COPY test/package.json ./test/package.json
COPY tools ./tools
COPY tsconfig.json tsconfig.base.json ./
RUN npm ci --no-audit --no-fund && npx tsc -b && npm prune --omit=dev

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 CONCLAVE_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
CMD ["node", "apps/cli/dist/main.js", "--help"]
