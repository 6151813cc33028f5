// The two wire formats the local stack's fan-out emulation (aws-fanout.js) speaks besides JSON:
//
// - AWS event-stream messages (application/vnd.amazon.eventstream), in which SubscribeToShard
//   pushes its events: a prelude (total length, headers length, CRC32 of those 8 bytes), the
//   headers (name length, name, type 7 = string, value length, value), the payload, and a CRC32
//   of everything before it. All integers are big-endian.
// - Just enough CBOR (RFC 8949) for a Kinesis client that speaks application/x-amz-cbor-1.1 (the
//   AWS SDKs' default): reading its SubscribeToShard request, and writing an error body back.
//
// Test scaffolding only: see "What the local stack emulates" in docs/design.md.
'use strict';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes) {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const STRING_HEADER = 7;

/** One event-stream message with string headers, in the order given. */
function eventStreamMessage(headers, payload) {
  const encodedHeaders = Buffer.concat(Object.entries(headers).map(([name, value]) => {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const header = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    let at = header.writeUInt8(nameBytes.length, 0);
    at += nameBytes.copy(header, at);
    at = header.writeUInt8(STRING_HEADER, at);
    at = header.writeUInt16BE(valueBytes.length, at);
    valueBytes.copy(header, at);
    return header;
  }));
  const total = 12 + encodedHeaders.length + payload.length + 4;
  const message = Buffer.alloc(total);
  message.writeUInt32BE(total, 0);
  message.writeUInt32BE(encodedHeaders.length, 4);
  message.writeUInt32BE(crc32(message.subarray(0, 8)), 8);
  encodedHeaders.copy(message, 12);
  payload.copy(message, 12 + encodedHeaders.length);
  message.writeUInt32BE(crc32(message.subarray(0, total - 4)), total - 4);
  return message;
}

/** An event of the given type with a JSON payload, as kinesis-local and Kinesis send them. */
function jsonEvent(eventType, body) {
  return eventStreamMessage({ ':message-type': 'event', ':event-type': eventType, ':content-type': 'application/json' },
    Buffer.from(JSON.stringify(body), 'utf8'));
}

/** An exception that ends an event stream, e.g. ResourceInUseException when a subscription is taken over. */
function jsonException(exceptionType, message) {
  return eventStreamMessage({ ':message-type': 'exception', ':exception-type': exceptionType,
    ':content-type': 'application/json' }, Buffer.from(JSON.stringify({ message }), 'utf8'));
}

/** Decodes one CBOR data item; tags are dropped (a timestamp's tag 1 leaves its number of seconds). */
function decodeCbor(bytes) {
  let at = 0;
  const BREAK = Symbol('break');

  function length(info) {
    if (info < 24) return info;
    if (info === 24) return bytes.readUInt8(at++);
    if (info === 25) { const v = bytes.readUInt16BE(at); at += 2; return v; }
    if (info === 26) { const v = bytes.readUInt32BE(at); at += 4; return v; }
    if (info === 27) { const v = Number(bytes.readBigUInt64BE(at)); at += 8; return v; }
    if (info === 31) return -1;
    throw new Error('malformed CBOR: additional information ' + info);
  }

  function chunks(major) {
    const parts = [];
    for (let part = item(); part !== BREAK; part = item()) {
      parts.push(part);
    }
    return major === 2 ? Buffer.concat(parts) : parts.join('');
  }

  function item() {
    const initial = bytes.readUInt8(at++);
    const major = initial >> 5;
    const info = initial & 31;
    if (initial === 0xff) return BREAK;
    switch (major) {
      case 0: return length(info);
      case 1: return -1 - length(info);
      case 2:
      case 3: {
        const n = length(info);
        if (n < 0) return chunks(major);
        const slice = bytes.subarray(at, at + n);
        at += n;
        return major === 2 ? Buffer.from(slice) : slice.toString('utf8');
      }
      case 4: {
        const n = length(info);
        const array = [];
        for (let i = 0; n < 0 || i < n; i++) {
          const value = item();
          if (value === BREAK) break;
          array.push(value);
        }
        return array;
      }
      case 5: {
        const n = length(info);
        const map = {};
        for (let i = 0; n < 0 || i < n; i++) {
          const key = item();
          if (key === BREAK) break;
          map[key] = item();
        }
        return map;
      }
      case 6:
        length(info);
        return item();
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22 || info === 23) return null;
        if (info === 25) { const v = bytes.readUInt16BE(at); at += 2; return halfFloat(v); }
        if (info === 26) { const v = bytes.readFloatBE(at); at += 4; return v; }
        if (info === 27) { const v = bytes.readDoubleBE(at); at += 8; return v; }
        throw new Error('malformed CBOR: simple value ' + info);
    }
  }

  return item();
}

function halfFloat(bits) {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1024 + fraction) * 2 ** (exponent - 25);
}

/** A CBOR map of text keys to text values: an error body for a CBOR client. */
function encodeCborTextMap(map) {
  const parts = [head(5, Object.keys(map).length)];
  for (const [key, value] of Object.entries(map)) {
    for (const text of [key, String(value)]) {
      const utf8 = Buffer.from(text, 'utf8');
      parts.push(head(3, utf8.length), utf8);
    }
  }
  return Buffer.concat(parts);
}

function head(major, n) {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
  if (n < 0x10000) { const b = Buffer.alloc(3); b[0] = (major << 5) | 25; b.writeUInt16BE(n, 1); return b; }
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}

module.exports = { crc32, eventStreamMessage, jsonEvent, jsonException, decodeCbor, encodeCborTextMap };
