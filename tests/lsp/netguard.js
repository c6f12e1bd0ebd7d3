// Preloaded into yaml-language-server by tests/lsp/client.py (NODE_OPTIONS=--require): like the
// Python guard of tests/netguard, any connection but loopback or a local socket throws at once.
"use strict";
const net = require("net");
const loopback = (host) =>
  host === undefined || host === "localhost" || /^127\./.test(host) || host === "::1";
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const options = typeof args[0] === "object" && args[0] !== null ? args[0] : { port: args[0], host: args[1] };
  if (options.path === undefined && !loopback(options.host)) {
    throw new Error(`tests may not reach the network: connection to ${options.host} refused`);
  }
  return connect.apply(this, args);
};
