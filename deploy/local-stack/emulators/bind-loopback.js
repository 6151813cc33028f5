// Preloaded into every emulator that the local stack starts (node -r ./bind-loopback.js ...).
//
// 1. Some emulators hard-code 0.0.0.0 as their listen host; the local stack keeps every server
//    on loopback, so any listen() without an explicit loopback host is pointed at 127.0.0.1.
// 2. A client that goes away in the middle of a request (a worker killed with kill -9, as the
//    fault tests do) must not take the emulator down: dynalite and kinesalite rethrow the
//    request's 'aborted' error, which ends the Node process. Real AWS shrugs that off, so here
//    such an error on an incoming request is dropped; every other error reaches their handlers.
// 3. The parent JVM holds our stdin open for as long as it lives. When it dies -- even by
//    kill -9, when no shutdown hook runs -- stdin reaches end-of-file and the emulator exits,
//    so no orphan keeps a port.
// 4. For kinesis-local (STREAMFLEET_KINESIS_FRONT_PORT set), a front on the stack's Kinesis port
//    that gives SubscribeToShard Kinesis's documented rules (kinesis-front.js, aws-fanout.js).
'use strict';
const net = require('net');
const http = require('http');

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

const originalOn = http.IncomingMessage.prototype.on;

function clientWentAway(err) {
  return err && (err.code === 'ECONNRESET' || err.message === 'aborted');
}

http.IncomingMessage.prototype.on = function (event, listener) {
  if (event === 'error' && typeof listener === 'function') {
    return originalOn.call(this, event, function (err, ...rest) {
      if (clientWentAway(err)) {
        return undefined;
      }
      return listener.call(this, err, ...rest);
    });
  }
  return originalOn.call(this, event, listener);
};
http.IncomingMessage.prototype.addListener = http.IncomingMessage.prototype.on;

if (process.env.STREAMFLEET_KINESIS_FRONT_PORT) {
  require('./kinesis-front.js').install();
}

if (process.env.STREAMFLEET_WATCH_PARENT === '1') {
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
}
