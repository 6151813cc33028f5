// Preloaded into every emulator that the local stack starts (node -r ./bind-loopback.js ...).
//
// 1. Some emulators hard-code 0.0.0.0 as their listen host; the local stack keeps every server
//    on loopback, so any listen() without an explicit loopback host is pointed at 127.0.0.1.
// 2. The parent JVM holds our stdin open for as long as it lives. When it dies -- even by
//    kill -9, when no shutdown hook runs -- stdin reaches end-of-file and the emulator exits,
//    so no orphan keeps a port.
'use strict';
const net = require('net');

const LOOPBACK = '127.0.0.1';
const originalListen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'object' && args[0] !== null) {
    args[0] = Object.assign({}, args[0], { host: LOOPBACK });
  } else if (typeof args[0] === 'number' || typeof args[0] === 'string') {
    if (typeof args[1] === 'string') {
      args[1] = LOOPBACK;
    } else {
      args.splice(1, 0, LOOPBACK);
    }
  }
  return originalListen.apply(this, args);
};

if (process.env.STREAMFLEET_WATCH_PARENT === '1') {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
