# syntax=docker/dockerfile:1
#
# One image, one binary: `tdm scheduler | crawler | results | migrate | up`.
#
# Targets:
#   runtime  (default)  Node 20 + the built workspaces, production dependencies only.
#                       HTTP checks need nothing else.
#   browser             runtime + Debian's `chromium`, for crawlers that run
#                       `mode: "browser"` checks (TDM_CHROMIUM_PATH=/usr/bin/chromium).
#                       A separate target because Chromium adds ~300 MB and a large attack
#                       surface that the scheduler, the results service and HTTP-only
#                       crawlers do not need. We never download a browser (no
#                       `playwright install`): the system package is patched by Debian.
#
#   docker build -t tdm:0.1.0 .
#   docker build --target browser -t tdm:0.1.0-browser .

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install every dependency, compile, then drop the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# Manifests first, so that the dependency layer is cached until a manifest changes.
# One line per workspace of package.json (test/deploy checks that none is missing).
COPY package.json package-lock.json tsconfig.json tsconfig.base.json ./
COPY libs/core/package.json libs/core/
COPY libs/survival/package.json libs/survival/
COPY libs/report/package.json libs/report/
COPY libs/fixture-web/package.json libs/fixture-web/
COPY libs/telemetry/package.json libs/telemetry/
COPY libs/store/package.json libs/store/
COPY libs/bus/package.json libs/bus/
COPY libs/politeness/package.json libs/politeness/
COPY libs/probe/package.json libs/probe/
COPY services/scheduler/package.json services/scheduler/
COPY services/crawler/package.json services/crawler/
COPY services/results/package.json services/results/
COPY services/cli/package.json services/cli/
COPY test/helpers/package.json test/helpers/
COPY bench/package.json bench/
RUN npm ci

COPY libs/ libs/
COPY services/ services/
COPY test/helpers/ test/helpers/
# The benchmark is a workspace and a project reference, so `npm run build` compiles it;
# the runtime image does not copy it.
COPY bench/ bench/
RUN npm run build \
 && npm prune --omit=dev \
 && find libs services -name '*.tsbuildinfo' -delete

# ---- runtime: production dependencies and compiled code, non-root ----
FROM ${NODE_IMAGE} AS runtime
# No listen address here: the product's loopback default keeps the API (a list of URLs)
# private unless the operator opens it on purpose (`docker run -e TDM_LISTEN=… -p …`,
# docs/operations.md); on Kubernetes k8s/base/config.env opens it inside the pod.
ENV NODE_ENV=production \
    TDM_DATA_DIR=/var/lib/tdm
WORKDIR /app
# A fixed numeric uid, so that Kubernetes can check runAsNonRoot without a passwd lookup.
RUN groupadd --system --gid 10001 tdm \
 && useradd --system --uid 10001 --gid tdm --home-dir /var/lib/tdm --shell /usr/sbin/nologin tdm \
 && mkdir -p /var/lib/tdm && chown tdm:tdm /var/lib/tdm
COPY --from=build --chown=root:root /app/package.json /app/package-lock.json ./
COPY --from=build --chown=root:root /app/node_modules/ node_modules/
COPY --from=build --chown=root:root /app/libs/ libs/
COPY --from=build --chown=root:root /app/services/ services/
USER 10001:10001
EXPOSE 8080 9464
ENTRYPOINT ["node", "/app/services/cli/dist/main.js"]
CMD ["--help"]

# ---- browser: runtime + the system Chromium for browser-mode checks ----
FROM runtime AS browser
USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium fonts-liberation \
 && rm -rf /var/lib/apt/lists/*
ENV TDM_CHROMIUM_PATH=/usr/bin/chromium
USER 10001:10001

# The default target is the small image.
FROM runtime
