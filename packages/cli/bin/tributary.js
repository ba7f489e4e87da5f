#!/usr/bin/env -S GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=134217728 node --max-semi-space-size=32 --heap-growing-percent=150
// A file that exists before the build, so `npm ci` links `tributary` into node_modules/.bin
// (npm skips a bin whose target is missing, and dist/ appears only after `tsc -b`).
// The shebang's environment and node flags are src/node-flags.ts's, which says why.
await import("../dist/bin.js");
