# plugchain as a container image.
#
#   docker build -t plugchain .
#   docker run -d --name plugchain --read-only \
#     -v /var/run/docker.sock:/var/run/docker.sock -v /run/plugchain:/run/plugchain plugchain
#   export DOCKER_HOST=unix:///run/plugchain/plugchain.sock
#
# Works with the classic builder and with BuildKit (no BuildKit-only syntax).
#
# Build arguments:
#   NODE_IMAGE  base image of every stage (default: the official Node 20 image). It must hold `node`,
#               `npm` and `sh` for the build stages; the run stage only needs `node`.
#   DEPS        where node_modules come from:
#                 registry (default)  `npm ci` in the build stage, `npm ci --omit=dev` for the run stage.
#                 vendored            no registry access at all: the context holds vendor/node_modules (a
#                                     complete `npm ci` tree for this package-lock.json, made elsewhere);
#                                     the build stage uses it as is and the run stage gets the same tree
#                                     after `npm prune --omit=dev --offline`. Used by the offline test
#                                     (test/packaging/dockerfile.test.ts).

ARG NODE_IMAGE=node:20-bookworm-slim

# --- build: dev dependencies, TypeScript compile -------------------------------------------------
FROM ${NODE_IMAGE} AS build
ARG DEPS=registry
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /src
COPY package.json package-lock.json ./
# package.json is listed so that the COPY never matches nothing when vendor/ is absent.
COPY package.json vendor* /tmp/vendor/
RUN if [ "$DEPS" = vendored ]; then mv /tmp/vendor/node_modules ./node_modules; \
    elif [ "$DEPS" = registry ]; then npm ci; \
    else echo "DEPS must be registry or vendored, not $DEPS" >&2; exit 1; fi \
 && rm -rf /tmp/vendor
COPY tsconfig.json ./
COPY bin ./bin
COPY schemas ./schemas
COPY src ./src
RUN npm run build

# --- deps: production dependencies only ----------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
ARG DEPS=registry
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY package.json vendor* /tmp/vendor/
RUN if [ "$DEPS" = vendored ]; then mv /tmp/vendor/node_modules ./node_modules && npm prune --omit=dev --offline; \
    else npm ci --omit=dev --ignore-scripts; fi \
 && rm -rf /tmp/vendor /root/.npm

# --- run: node + the compiled app, nothing else --------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY schemas ./schemas
COPY package.json ./
# Nothing is written at run time outside /run/plugchain (the listen socket): logs go to stderr,
# no private daemon is started (--upstream is explicit), so `docker run --read-only` works.
VOLUME ["/run/plugchain"]
ENTRYPOINT ["node", "/app/bin/plugchain.js"]
CMD ["serve", "--listen", "unix:///run/plugchain/plugchain.sock", "--upstream", "unix:///var/run/docker.sock"]
