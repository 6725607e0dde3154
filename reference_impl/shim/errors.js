// errors.js: the exceptions a native implementation would throw, rebuilt from host replies.

import { Native } from "./core.js";

export function domError(name, message) {
  return new Native.DOMException(message, name);
}

function overconstrained(constraint, message) {
  if (typeof Native.OverconstrainedError === "function") {
    try { return new Native.OverconstrainedError(constraint, message); } catch (_) { /* fall through */ }
  }
  const error = new Native.DOMException(message, "OverconstrainedError");
  Object.defineProperty(error, "constraint", { value: constraint });
  return error;
}

// A host reply's {name, message, constraint} as the page should see it.
export function errorFromHost(error) {
  const name = (error && error.name) || "OperationError";
  const message = (error && error.message) || name;
  if (name === "TypeError") return new TypeError(message);
  if (name === "RangeError") return new RangeError(message);
  if (name === "SyntaxError" && !error.dom) return domError("SyntaxError", message);
  // Chromium's OverconstrainedErrors often have an empty message: keep the host's as it is.
  if (name === "OverconstrainedError") return overconstrained(error.constraint || "", error.message ?? "");
  return domError(name, message);
}

export function invalidState(message) {
  return domError("InvalidStateError", message);
}

export function rejected(error) {
  return Promise.reject(error);
}
