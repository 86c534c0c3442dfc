# syntax=docker/dockerfile:1
# One image for every fraudstream service (producer, detector, alerts) and the model CLIs.
# The services run TypeScript directly with tsx (a runtime dependency, see docs/deployment.md), exactly
# as `npm run <service>` does locally. Built on the current Node.js LTS; the code also runs on Node 20.
ARG NODE_VERSION=26.13.0

FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY services/producer/package.json services/producer/
COPY services/detector/package.json services/detector/
COPY services/alerts/package.json services/alerts/
COPY model/package.json model/
# @tensorflow/tfjs-node is an optional dependency: its install script downloads libtensorflow,
# which works where the network is open. Where it cannot (offline build, no prebuilt binary for
# the platform), npm drops it and the code falls back to the WASM backend.
RUN npm ci --omit=dev --no-audit --no-fund \
 && if node -e "require.resolve('@tensorflow/tfjs-node')" 2>/dev/null; \
    then echo "TensorFlow.js backend: tfjs-node (native)"; \
    else echo "TensorFlow.js backend: WASM (tfjs-node could not be installed here)"; fi

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=node:node /app ./
COPY --chown=node:node . .
USER node
# Each compose service sets its own command (`node --import tsx services/<name>/src/main.ts`);
# without one, the image lists the npm scripts it can run (`docker compose run --rm detector npm run export -- --help`).
CMD ["npm", "run"]
