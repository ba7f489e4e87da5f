#!/usr/bin/env node
// A file that exists before the build, so `npm ci` links `tributary` into node_modules/.bin
// (npm skips a bin whose target is missing, and dist/ appears only after `tsc -b`).
await import("../dist/bin.js");
