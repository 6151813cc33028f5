// A front for kinesis-local on the local stack's Kinesis port, so that SubscribeToShard follows
// Kinesis's documented rules (aws-fanout.js) while kinesis-local answers everything else.
//
// kinesis-local serves HTTP/1.1 and HTTP/2 itself on raw sockets, so its requests cannot be
// intercepted inside the process; instead it is moved to a second loopback port
// (KINESIS_MOCK_PLAIN_PORT) and this front listens on the stack's port
// (STREAMFLEET_KINESIS_FRONT_PORT), once kinesis-local listens. A connection that opens with the
// HTTP/2 preface (the AWS SDK's async clients speak HTTP/2 without TLS) goes to an HTTP/2 server,
// any other to an HTTP/1.1 one. SubscribeToShard is answered here; every other request is passed
// to kinesis-local over HTTP/1.1 as it came, body and headers, and its answer passed back.
//
// Test scaffolding only: see "What the local stack emulates" in docs/design.md.
'use strict';
const net = require('net');
const http = require('http');
const http2 = require('http2');
const { Duplex } = require('stream');
const { Subscriptions } = require('./aws-fanout.js');

const LOOPBACK = '127.0.0.1';
const HTTP2_PREFACE = 'PRI ';
/** Headers of one connection, which HTTP/2 forbids and which are not passed on in either direction. */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade',
  'http2-settings', 'te', 'host']);

/** kinesis-local's JSON API over loopback, for the fan-out emulation's own calls. */
class Backend {
  constructor(port) {
    this.port = port;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  }

  /** Resolves to the parsed answer; rejects with { status, type, message } when kinesis-local answers with an error. */
  call(operation, body) {
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise((resolve, reject) => {
      const request = http.request({ host: LOOPBACK, port: this.port, method: 'POST', path: '/', agent: this.agent,
        headers: {
          'content-type': 'application/x-amz-json-1.1', 'content-length': payload.length,
          'x-amz-target': 'Kinesis_20131202.' + operation,
          // kinesis-local reads the region from the credential scope; it checks no signature.
          'authorization': `AWS4-HMAC-SHA256 Credential=local/20200101/${process.env.AWS_REGION || 'us-east-1'}`
            + '/kinesis/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-date': '20200101T000000Z',
        } }, answer => {
        const chunks = [];
        answer.on('data', chunk => chunks.push(chunk));
        answer.on('error', reject);
        answer.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = {};
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch (e) {
            parsed = { message: text };
          }
          if (answer.statusCode >= 300) {
            const type = String(parsed.__type || 'InternalFailureException');
            reject({ status: answer.statusCode, type: type.substring(type.lastIndexOf('#') + 1),
              message: parsed.message || parsed.Message || `${operation} failed with HTTP ${answer.statusCode}` });
          } else {
            resolve(parsed);
          }
        });
      });
      request.on('error', e => reject({ status: 500, type: 'InternalFailureException', message: e.message }));
      request.end(payload);
    });
  }
}

/**
 * The socket as a stream that yields the bytes already read from it first. An HTTP/2 session reads
 * a net.Socket's handle directly and would miss them; given any other duplex it reads through it.
 */
function replaying(socket, first) {
  const duplex = new Duplex({
    read() {
      socket.resume();
    },
    write(chunk, encoding, done) {
      socket.write(chunk, encoding, done);
    },
    final(done) {
      socket.end();
      done();
    },
    destroy(error, done) {
      socket.destroy();
      done(error);
    },
  });
  duplex.push(first);
  socket.on('data', chunk => {
    if (!duplex.push(chunk)) {
      socket.pause();
    }
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}

function start(frontPort, backendPort) {
  const backend = new Backend(backendPort);
  const subscriptions = new Subscriptions(backend);
  const forwarding = new http.Agent({ keepAlive: true, maxSockets: 256 });

  function forward(req, res) {
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!name.startsWith(':') && !CONNECTION_HEADERS.has(name)) {
        headers[name] = value;
      }
    }
    headers.host = req.headers.host || req.headers[':authority'] || `${LOOPBACK}:${frontPort}`;
    const upstream = http.request({ host: LOOPBACK, port: backendPort, method: req.method, path: req.url, headers,
      agent: forwarding }, answer => {
      const back = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!CONNECTION_HEADERS.has(name)) {
          back[name] = value;
        }
      }
      res.writeHead(answer.statusCode, back);
      answer.on('error', () => res.destroy());
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (res.headersSent) {
        res.destroy();
      } else {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('kinesis-local did not answer');
      }
    });
    req.on('error', () => upstream.destroy());
    res.on('close', () => {
      if (!res.writableEnded) {
        upstream.destroy();
      }
    });
    req.pipe(upstream);
  }

  function handle(req, res) {
    res.on('error', () => {});
    const target = String(req.headers['x-amz-target'] || '');
    if (req.method === 'POST' && target.endsWith('.SubscribeToShard')) {
      subscriptions.subscribe(req, res).catch(() => res.destroy());
    } else {
      forward(req, res);
    }
  }

  const http1 = http.createServer(handle);
  // The SDK's HTTP/1.1 clients keep idle connections for up to a minute; closing them sooner makes stale ones.
  http1.keepAliveTimeout = 65_000;
  http1.on('clientError', (e, socket) => socket.destroy());
  const h2 = http2.createServer(handle);
  h2.on('sessionError', () => {});
  h2.on('streamError', () => {});

  const front = net.createServer(socket => {
    socket.on('error', () => {});
    socket.once('data', first => {
      socket.pause();
      if (first.subarray(0, HTTP2_PREFACE.length).toString('latin1') === HTTP2_PREFACE) {
        h2.emit('connection', replaying(socket, first));
      } else {
        socket.unshift(first);
        http1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  front.listen(frontPort, LOOPBACK);
  return front;
}

/**
 * Starts the front once kinesis-local listens on its own port, so that the stack's port accepts
 * connections only when kinesis-local can answer them.
 */
function install() {
  const frontPort = Number(process.env.STREAMFLEET_KINESIS_FRONT_PORT);
  const backendPort = Number(process.env.KINESIS_MOCK_PLAIN_PORT);
  if (!frontPort || !backendPort) {
    throw new Error('kinesis-front.js needs STREAMFLEET_KINESIS_FRONT_PORT and KINESIS_MOCK_PLAIN_PORT');
  }
  const listen = net.Server.prototype.listen;
  let started = false;
  net.Server.prototype.listen = function (...args) {
    const port = typeof args[0] === 'object' && args[0] !== null ? args[0].port : args[0];
    if (!started && Number(port) === backendPort) {
      started = true;
      this.once('listening', () => start(frontPort, backendPort));
    }
    return listen.apply(this, args);
  };
}

module.exports = { install };
