// testharnessreport.js of `conformance wpt`: hands every result of testharness.js to the
// harness through the `__conformanceWptReport` binding, as each subtest finishes (so a
// file that times out still reports what it did) and once when the file completes.
// The harness keeps the per-file deadline itself, hence explicit_timeout.
(() => {
  "use strict";
  const report = (message) => {
    if (typeof window.__conformanceWptReport === "function") window.__conformanceWptReport(message);
  };
  const subtest = (test) => ({ name: String(test.name), status: test.status, message: test.message ? String(test.message) : null });
  setup({ explicit_timeout: true });
  add_result_callback((test) => report({ kind: "result", ...subtest(test) }));
  add_completion_callback((tests, harness) => report({
    kind: "complete",
    status: harness.status,
    message: harness.message ? String(harness.message) : null,
    tests: tests.map(subtest),
  }));
})();
