// SubscribeToShard as Kinesis documents it (API_SubscribeToShard), for the local stack, on top of
// kinesis-local's own ListShards, GetShardIterator and GetRecords. kinesis-local's own
// SubscribeToShard differs in two ways that matter to a fan-out reader:
//
// - At the end of a closed shard (a parent after a split or a merge) it never sends an event with
//   ChildShards and without a ContinuationSequenceNumber; it keeps sending empty events. Here the
//   event that reaches the shard's end carries the child shards, has no continuation, and the
//   stream then completes.
// - It holds a (consumer, shard) subscription until its stream ends and refuses every other one
//   with ResourceInUseException. Here, as on Kinesis, a SubscribeToShard within 5 s of the last
//   successful one for the same consumer and shard is refused with ResourceInUseException; one
//   5 s or more later is accepted and takes over: the previous subscription's stream, if still
//   open, ends with a ResourceInUseException event.
//
// As on Kinesis a subscription ends (completes normally) after 5 minutes. Events are pushed as
// soon as records are found (the shard is polled every 250 ms while idle), and an empty event
// at most once a second otherwise.
//
// kinesis-local takes only an existing record's sequence number (or a shard's start) as a
// position, so an empty event before a subscription's first record needs the record just before
// where it started: for TRIM_HORIZON the shard's start, for AFTER_SEQUENCE_NUMBER that number,
// and for LATEST, AT_TIMESTAMP and AT_SEQUENCE_NUMBER the shard's last record, found by reading
// the shard once before a poll that then finds nothing.
//
// Test scaffolding only: see "What the local stack emulates" in docs/design.md.
'use strict';
const crypto = require('crypto');
const { jsonEvent, jsonException, decodeCbor, encodeCborTextMap } = require('./aws-wire.js');

const TAKEOVER_AFTER_MS = 5_000;
const LIFETIME_MS = 5 * 60_000;
const IDLE_POLL_MS = 250;
const EMPTY_EVENT_EVERY_MS = 1_000;
const RECORDS_PER_EVENT = 1_000;

/** The SubscribeToShard endpoint: checks a request, applies the 5 s rule, and runs the subscriptions. */
class Subscriptions {
  constructor(backend) {
    this.backend = backend;
    /** The latest successful subscription of each consumer to each shard, kept at least 5 s. */
    this.latest = new Map();
  }

  async subscribe(req, res) {
    const protocol = Protocol.of(req.headers['content-type']);
    let input;
    try {
      input = protocol.decode(await readBody(req));
    } catch (e) {
      return protocol.fail(res, 400, 'SerializationException', 'cannot read the SubscribeToShard request: ' + e.message);
    }
    const consumerArn = input.ConsumerARN;
    const shardId = input.ShardId;
    const start = input.StartingPosition || {};
    if (!consumerArn || !shardId || !start.Type) {
      return protocol.fail(res, 400, 'ValidationException', 'ConsumerARN, ShardId and StartingPosition.Type are required');
    }
    let opened;
    try {
      opened = await this.open(consumerArn, shardId, start);
    } catch (e) {
      return protocol.fail(res, e.status || 500, e.type || 'InternalFailureException', e.message);
    }
    if (res.destroyed || res.writableEnded) {
      return undefined;
    }
    const key = consumerArn + ' ' + shardId;
    const previous = this.latest.get(key);
    const now = Date.now();
    if (previous && now - previous.startedAt < TAKEOVER_AFTER_MS) {
      return protocol.fail(res, 400, 'ResourceInUseException', `Another subscription of consumer ${consumerArn} to ${shardId}`
        + ` started ${now - previous.startedAt} ms ago; a new one may take it over ${TAKEOVER_AFTER_MS} ms after it started`);
    }
    if (previous) {
      previous.takenOver(`Subscription of consumer ${consumerArn} to ${shardId} was taken over by a newer one`);
    }
    const subscription = new Subscription(this.backend, res, opened, now);
    this.latest.set(key, subscription);
    subscription.whenEnded(() => {
      const forget = () => {
        if (this.latest.get(key) === subscription) {
          this.latest.delete(key);
        }
      };
      setTimeout(forget, Math.max(0, subscription.startedAt + TAKEOVER_AFTER_MS - Date.now())).unref();
    });
    subscription.start();
    return undefined;
  }

  /**
   * The shard iterator to start from, the continuation to report before any record if it is
   * known now, and how to find the shard's last record; fails as Kinesis would.
   */
  async open(consumerArn, shardId, start) {
    const consumer = (await this.backend.call('DescribeStreamConsumer', { ConsumerARN: consumerArn })).ConsumerDescription;
    if (consumer.ConsumerStatus !== 'ACTIVE') {
      throw { status: 400, type: 'ResourceInUseException', message: `Consumer ${consumerArn} is not ACTIVE` };
    }
    const streamName = consumer.StreamARN.substring(consumer.StreamARN.indexOf(':stream/') + ':stream/'.length);
    const request = { StreamName: streamName, ShardId: shardId, ShardIteratorType: start.Type };
    if (start.SequenceNumber !== undefined) {
      request.StartingSequenceNumber = start.SequenceNumber;
    }
    if (start.Timestamp !== undefined) {
      request.Timestamp = epochSeconds(start.Timestamp);
    }
    const iterator = (await this.backend.call('GetShardIterator', request)).ShardIterator;
    let continuation = null;
    if (start.Type === 'AFTER_SEQUENCE_NUMBER') {
      continuation = start.SequenceNumber;
    } else if (start.Type === 'TRIM_HORIZON') {
      continuation = await this.shardStart(streamName, shardId);
    }
    return { iterator, continuation, lastRecord: () => this.lastRecord(streamName, shardId) };
  }

  /** kinesis-local places a shard's starting sequence number just before its first record. */
  async shardStart(streamName, shardId) {
    const shards = (await this.backend.call('ListShards', { StreamName: streamName })).Shards || [];
    const shard = shards.find(s => s.ShardId === shardId);
    return shard ? shard.SequenceNumberRange.StartingSequenceNumber : null;
  }

  /** The sequence number of the shard's last record now, or its start if it has none. */
  async lastRecord(streamName, shardId) {
    let iterator = (await this.backend.call('GetShardIterator', { StreamName: streamName, ShardId: shardId,
      ShardIteratorType: 'TRIM_HORIZON' })).ShardIterator;
    let last = null;
    while (iterator) {
      const page = await this.backend.call('GetRecords', { ShardIterator: iterator, Limit: RECORDS_PER_EVENT });
      const records = page.Records || [];
      if (records.length === 0) {
        break;
      }
      last = records[records.length - 1].SequenceNumber;
      iterator = page.NextShardIterator;
    }
    return last != null ? last : this.shardStart(streamName, shardId);
  }
}

/** One open event stream: polls the shard and pushes its records until the shard ends, 5 minutes pass, or it is taken over. */
class Subscription {
  constructor(backend, res, opened, startedAt) {
    this.backend = backend;
    this.res = res;
    this.iterator = opened.iterator;
    this.continuation = opened.continuation;
    this.lastRecord = opened.lastRecord;
    this.startedAt = startedAt;
    this.open = true;
    this.lastEventAt = 0;
    this.wake = null;
    this.lifetime = null;
    this.foundNothing = false;
    this.endListeners = [];
  }

  start() {
    this.res.on('close', () => this.end());
    this.res.on('error', () => this.end());
    this.res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': crypto.randomUUID() });
    // Kinesis opens the stream with this event; the SDK's responseReceived (onResponse) waits for it.
    this.res.write(jsonEvent('initial-response', {}));
    this.lifetime = setTimeout(() => this.complete(), LIFETIME_MS);
    this.run().catch(e => this.fail('InternalFailureException', 'the fan-out emulation failed: ' + e.message));
  }

  whenEnded(listener) {
    this.endListeners.push(listener);
  }

  async run() {
    while (this.open) {
      const emptyEventDue = Date.now() - this.lastEventAt >= EMPTY_EVENT_EVERY_MS;
      let answer;
      let lastBefore = null;
      try {
        // Read before the poll: if the poll then finds nothing, no record came between that last one and the position.
        if (this.continuation == null && this.foundNothing && emptyEventDue) {
          lastBefore = await this.lastRecord();
        }
        answer = await this.backend.call('GetRecords', { ShardIterator: this.iterator, Limit: RECORDS_PER_EVENT });
      } catch (e) {
        return this.fail(e.type || 'InternalFailureException', e.message);
      }
      if (!this.open) {
        return undefined;
      }
      const records = answer.Records || [];
      this.foundNothing = records.length === 0;
      if (records.length > 0) {
        this.continuation = records[records.length - 1].SequenceNumber;
      } else if (this.continuation == null) {
        this.continuation = lastBefore;
      }
      const event = { Records: records, MillisBehindLatest: answer.MillisBehindLatest || 0 };
      if (answer.NextShardIterator == null) {
        event.ChildShards = answer.ChildShards || [];
        await this.send(event);
        return this.complete();
      }
      this.iterator = answer.NextShardIterator;
      if ((records.length > 0 || emptyEventDue) && this.continuation != null) {
        event.ContinuationSequenceNumber = this.continuation;
        await this.send(event);
      }
      if (records.length === 0) {
        await this.pause(IDLE_POLL_MS);
      }
    }
    return undefined;
  }

  async send(event) {
    if (!this.open) {
      return;
    }
    this.lastEventAt = Date.now();
    if (!this.res.write(jsonEvent('SubscribeToShardEvent', event))) {
      await new Promise(resolve => {
        this.wake = resolve;
        this.res.once('drain', resolve);
      });
      this.wake = null;
    }
  }

  pause(ms) {
    return new Promise(resolve => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).then(() => {
      this.wake = null;
    });
  }

  /** A newer subscription of the same consumer to the same shard took over: this stream ends with ResourceInUseException. */
  takenOver(message) {
    this.fail('ResourceInUseException', message);
  }

  fail(type, message) {
    if (this.open) {
      this.res.write(jsonException(type, message));
      this.complete();
    }
  }

  complete() {
    if (this.open) {
      this.res.end();
    }
    this.end();
  }

  end() {
    if (!this.open) {
      return;
    }
    this.open = false;
    clearTimeout(this.lifetime);
    if (this.wake) {
      this.wake();
    }
    this.endListeners.forEach(listener => listener());
  }
}

/** The client's wire protocol: JSON (application/x-amz-json-1.1) or CBOR (application/x-amz-cbor-1.1). */
class Protocol {
  static of(contentType) {
    return new Protocol(String(contentType || 'application/x-amz-json-1.1'));
  }

  constructor(contentType) {
    this.contentType = contentType;
    this.cbor = contentType.includes('cbor');
  }

  decode(body) {
    return this.cbor ? decodeCbor(body) : JSON.parse(body.toString('utf8'));
  }

  fail(res, status, type, message) {
    if (res.destroyed || res.headersSent) {
      return;
    }
    const error = { __type: type, message };
    const body = this.cbor ? encodeCborTextMap(error) : Buffer.from(JSON.stringify(error), 'utf8');
    res.writeHead(status, { 'content-type': this.contentType, 'x-amzn-errortype': type,
      'x-amzn-requestid': crypto.randomUUID(), 'content-length': body.length });
    res.end(body);
  }
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A timestamp as a JSON client sends it (epoch seconds) or a CBOR client does (epoch milliseconds). */
function epochSeconds(value) {
  const n = Number(value);
  return n > 1e11 ? n / 1000 : n;
}

module.exports = { Subscriptions };
