// ESLint over the project's own JavaScript (tests/test_eslint.py runs it; see
// reference_impl/README.md "The shim's modules"). The reference shim is written as ES
// modules that reference_impl/shim.py joins into one classic script: every name a module
// uses must be imported, declared by it, or a browser global the shim does not replace.
"use strict";

const fs = require("node:fs");
const path = require("node:path");
const js = require("@eslint/js");
const globals = require("globals");

const SHIM = path.join(__dirname, "reference_impl", "shim");

// Names the shim's modules declare at top level (RTCPeerConnection, MediaStream,
// AudioContext...) hide the browser's in the joined script, so they are not globals here:
// a module that uses one without importing it is an error, not the native interface.
function shimDeclarations() {
  const declared = new Set();
  const pattern = /^(?:export\s+)?(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm;
  for (const name of fs.readdirSync(SHIM)) {
    if (!name.endsWith(".js")) continue;
    for (const match of fs.readFileSync(path.join(SHIM, name), "utf8").matchAll(pattern)) declared.add(match[1]);
  }
  return declared;
}

const hidden = shimDeclarations();
const shimGlobals = Object.fromEntries(Object.entries(globals.browser).filter(([name]) => !hidden.has(name)));

module.exports = [
  {
    files: ["reference_impl/shim/**/*.js"],
    ...js.configs.recommended,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...shimGlobals, mmrShimConfig: "readonly" },
    },
    rules: {
      ...js.configs.recommended.rules,
      "no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-shadow": ["error", { builtinGlobals: false }],
      "prefer-const": "error",
      eqeqeq: ["error", "smart"],
      "no-var": "error",
    },
  },
];
