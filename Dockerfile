# One image for every Tributary connector; docker-compose.yml picks the subcommand, e.g.
#   docker run --rm -v "$PWD/examples:/config:ro" tributary source --config /config/source.yaml

# ---- build: install everything, compile, then drop the dev dependencies -----------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY . .
# --ignore-scripts: no root `prepare` (the compile is the next, explicit step) and no install
# scripts of dev tools; no runtime dependency needs one (@node-rs/crc32 ships its prebuilt
# binary as an optional package per platform, which npm picks by os and cpu).
RUN npm ci --ignore-scripts --no-audit --no-fund
RUN npx tsc -b
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund
# Only what runs: each package's manifest and compiled output.
RUN mkdir -p /out/packages \
  && for dir in packages/*/; do \
       mkdir -p "/out/$dir" && cp "$dir/package.json" "/out/$dir" && cp -R "$dir/dist" "/out/$dir"; \
     done

# ---- runtime ----------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
# The workspace links under node_modules/@tributary point into packages/.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /out/packages ./packages
COPY --from=build /app/schemas ./schemas
USER node
# The environment and the node flags are packages/cli/src/node-flags.ts's, which says why.
ENV GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728
ENTRYPOINT ["node", "--max-semi-space-size=32", "--heap-growing-percent=150", "packages/cli/dist/bin.js"]
CMD ["--help"]
