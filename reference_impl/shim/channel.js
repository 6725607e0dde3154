// channel.js: the WebSocket to the host (PROTOCOL.md). Requests made before the socket
// opens are queued, so the shim can install synchronously at document start.

import { config } from "./config.js";
import { Native } from "./core.js";
import { errorFromHost, invalidState } from "./errors.js";
import { integration, log } from "./integration.js";

export const channel = {
  socket: null,
  state: "connecting", // "connecting" | "open" | "closed"
  nextId: 1,
  pending: new Native.Map(), // id -> {resolve, reject, op}
  queue: [], // serialised requests waiting for the socket
  onEvent: null, // (message) => void
  onLost: null, // () => void, once, when the socket closes
  onHello: null, // (result) => void

  connect() {
    let socket;
    try {
      socket = new Native.WebSocket(config.url);
    } catch (error) {
      log("error", `cannot open the channel to the host: ${error}`);
      this._closed();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      const hello = {
        id: 0, op: "hello", role: "page", protocol: config.protocol, secret: config.secret,
        activityId: integration.activityId, url: String(location.href).slice(0, 2048),
      };
      socket.send(Native.JSON.stringify(hello));
      this.state = "open";
      // The host handles messages in order, so queued requests can follow the hello at once.
      for (const text of this.queue) socket.send(text);
      this.queue = [];
    };
    socket.onmessage = (message) => this._receive(message.data);
    socket.onclose = () => this._closed();
    socket.onerror = () => {}; // onclose follows and does the work
  },

  // Send a request; the promise settles with the host's reply.
  request(op, args) {
    if (this.state === "closed") {
      return Promise.reject(invalidState("call redirection is disconnected (no channel to the host)"));
    }
    const id = this.nextId++;
    const text = Native.JSON.stringify({ ...(args || {}), id, op });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, op });
      if (this.state === "open") this.socket.send(text);
      else this.queue.push(text);
    });
  },

  // Fire and forget: failures become log entries instead of unhandled rejections.
  post(op, args) {
    this.request(op, args).catch((error) => log("warning", `${op} failed: ${error.name}: ${error.message}`));
  },

  _receive(data) {
    let message;
    try {
      message = Native.JSON.parse(data);
    } catch (error) {
      log("error", `unreadable message from the host: ${error}`);
      return;
    }
    if (message.event !== undefined) {
      if (this.onEvent) this.onEvent(message);
      return;
    }
    if (message.id === 0) { // the hello
      if (message.ok) { if (this.onHello) this.onHello(message.result); }
      else log("error", `the host refused the page: ${message.error && message.error.message}`);
      return;
    }
    const waiter = this.pending.get(message.id);
    if (!waiter) {
      if (!message.ok) log("error", `host error: ${message.error && message.error.name}: ${message.error && message.error.message}`);
      return;
    }
    this.pending.delete(message.id);
    if (message.ok) waiter.resolve(message.result);
    else waiter.reject(errorFromHost(message.error));
  },

  _closed() {
    if (this.state === "closed") return;
    this.state = "closed";
    this.queue = [];
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiting) waiter.reject(invalidState("call redirection is disconnected (the channel to the host closed)"));
    if (this.onLost) this.onLost();
  },
};
