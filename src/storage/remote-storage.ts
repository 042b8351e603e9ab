import { createHash } from 'node:crypto';
import { Agent, type Dispatcher, request } from 'undici';
import { type Clock, systemClock } from '../clock.js';
import { ConcurrencyLimiter } from '../concurrency-limiter.js';
import { gzip } from '../encoding/compression.js';
import { FORMAT_EXTENSIONS } from '../encoding/dump-format.js';
import { dumpFileName } from '../encoding/file-naming.js';
import {
  InvalidArgumentError,
  PayloadTooLargeError,
  RemoteStorageError,
  StorageClosedError,
  toError,
} from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { METRIC_NAMES, type Metrics } from '../metrics.js';
import { checkCount, checkFinite } from '../number-checks.js';
import type { FileSystem } from './file-system.js';
import { InFlight } from './in-flight.js';
import { multipartBody, randomBoundary } from './multipart.js';
import { remoteEventMetadata } from './remote-event-metadata.js';
import { parseRetryAfter, type RetryPolicy, retryDelay } from './retry-policy.js';
import type { PersistItem, PersistReceipt, StorageBackend } from './storage-backend.js';
import { type SpooledUpload, UploadSpool } from './upload-spool.js';

/** One intake: its base URL (`https://cws-intake.datadoghq.com`) and API key. */
export interface RemoteEndpoint {
  /** Base URL; `/api/v2/secdump` is appended unless the path already ends with it. */
  readonly url: string;
  /** Sent as `dd-api-key`; never logged or put in an error. */
  readonly apiKey: string;
}

/** Options of a {@link RemoteStorage}. Durations in milliseconds. */
export interface RemoteStorageOptions {
  /** Every endpoint gets every dump. */
  endpoints: readonly RemoteEndpoint[];
  /** Time limit of one attempt, response included. @default 30_000 */
  timeout?: number;
  /** Retries after a network error, a timeout, 429 or 5xx. @default 3 */
  retries?: number;
  /** Delay before the first retry, doubled each time, with jitter. @default 500 */
  minRetryDelay?: number;
  /** Ceiling of a retry delay; a longer `Retry-After` ends the retries. @default 30_000 */
  maxRetryDelay?: number;
  /** Most requests in flight at once. @default 4 */
  concurrency?: number;
  /**
   * Where uploads that still fail after their retries are kept, to be re-sent by `flushSpool()`
   * (also run on start). Without one, they fail.
   * @default none
   */
  spoolDirectory?: string;
  /** Most bytes the spool holds; past it, a failed upload fails. @default 268_435_456 (256 MiB) */
  maxSpoolBytes?: number;
  /** Timers of timeouts and retry delays. @default systemClock */
  clock?: Clock;
  /** Source of the retry jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** The undici dispatcher (an `Agent`, a `ProxyAgent`, a `MockAgent`). @default an Agent of its own */
  dispatcher?: Dispatcher;
  /** @default silentLogger */
  logger?: Logger;
  /** File system of the spool. @default node:fs/promises */
  fileSystem?: FileSystem;
}

/** What {@link RemoteStorage.flushSpool} did. */
export interface SpoolFlushResult {
  /** Delivered and removed. */
  sent: number;
  /** Still failing; kept. */
  failed: number;
  /** Refused for good (413, 400, …) or unreadable; kept aside as `.rejected` or `.corrupt`. */
  setAside: number;
  /** For an endpoint no longer configured; kept. */
  skipped: number;
}

interface Target {
  /** Full upload URL. */
  readonly url: string;
  readonly apiKey: string;
  /** The URL as it may appear in logs and errors. */
  readonly shown: string;
  /** A fingerprint of the key, which tells apart endpoints sharing a URL (the key itself is never kept). */
  readonly keyId: string;
}

type Attempt = { status: number; retryAfter: number | undefined } | { error: Error };

const SECDUMP_PATH = '/api/v2/secdump';

function endpointUrl(endpoint: RemoteEndpoint): Target {
  let url: URL;
  try {
    url = new URL(endpoint.url);
  } catch {
    throw new InvalidArgumentError(`invalid endpoint URL: ${JSON.stringify(redact(endpoint.url))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`endpoint URL must be http or https: ${redact(endpoint.url)}`);
  }
  if (typeof endpoint.apiKey !== 'string') throw new InvalidArgumentError('endpoint apiKey must be a string');
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path.endsWith(SECDUMP_PATH) ? path : `${path}${SECDUMP_PATH}`;
  const full = url.toString();
  const keyId = createHash('sha256').update(endpoint.apiKey).digest('hex').slice(0, 16);
  return { url: full, apiKey: endpoint.apiKey, shown: redact(full), keyId };
}

/** The URL without user info and query values (where credentials could hide). */
function redact(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, 'redacted');
    return url.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * Uploads dumps to Datadog's intake protocol with undici: `POST <endpoint>/api/v2/secdump`,
 * `multipart/form-data` with an `event` part (the dump's metadata as JSON) and a `dump` part
 * (`filename="dump.<format>"`), header `dd-api-key`, and the whole body gzipped with
 * `Content-Encoding: gzip` when the request asks for compression. Only 202 is success; 413 is a
 * {@link PayloadTooLargeError}, never retried; network errors, timeouts, 429 and 5xx are
 * retried with capped exponential backoff and jitter (`Retry-After` honoured); what still
 * fails can be spooled to disk and re-sent later. Every endpoint gets every dump: a store
 * succeeds when at least one endpoint took it, or when every failure was spooled (deferred).
 */
export class RemoteStorage implements StorageBackend {
  readonly type = 'remote_storage' as const;
  private readonly targets: readonly Target[];
  private readonly timeout: number;
  private readonly retry: RetryPolicy;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly logger: Logger;
  private readonly limiter: ConcurrencyLimiter;
  private readonly spool: UploadSpool | undefined;
  private readonly tooLarge = new Map<string, number>();
  private readonly inFlight = new InFlight();
  // Retry delays in progress: shutdown cuts them short (requests in flight run to their timeout).
  private readonly delays = new Set<AbortController>();
  private flushing: Promise<SpoolFlushResult> | undefined;
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @throws {InvalidArgumentError} for no endpoint, a bad URL, or a bad number. */
  constructor(options: RemoteStorageOptions) {
    const endpoints = options?.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0) {
      throw new InvalidArgumentError('RemoteStorage needs at least one endpoint');
    }
    this.targets = endpoints.map(endpointUrl);
    this.timeout = checkFinite(options.timeout ?? 30_000, 'timeout', { positive: true });
    this.retry = {
      retries: checkCount(options.retries ?? 3, 'retries'),
      minDelay: checkFinite(options.minRetryDelay ?? 500, 'minRetryDelay', { positive: true }),
      maxDelay: checkFinite(options.maxRetryDelay ?? 30_000, 'maxRetryDelay', { positive: true }),
    };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent();
    this.logger = options.logger ?? silentLogger;
    const concurrency = checkCount(options.concurrency ?? 4, 'concurrency');
    if (concurrency < 1) throw new InvalidArgumentError('concurrency must be at least 1');
    this.limiter = new ConcurrencyLimiter(concurrency);
    this.spool =
      options.spoolDirectory === undefined
        ? undefined
        : new UploadSpool(
            options.spoolDirectory,
            checkCount(options.maxSpoolBytes ?? 256 * 1024 * 1024, 'maxSpoolBytes'),
            options.fileSystem,
          );
  }

  /** The upload URLs, as they may be shown (no credentials). */
  get endpoints(): string[] {
    return this.targets.map((target) => target.shown);
  }

  /** Re-sends what the spool holds (idempotent: later calls wait for the same start). */
  start(): Promise<void> {
    this.starting ??= this.spool === undefined ? Promise.resolve() : this.flushSpool().then(() => {});
    return this.starting;
  }

  async store(item: PersistItem): Promise<PersistReceipt> {
    if (this.closing !== undefined) throw new StorageClosedError('remote storage is shut down');
    return this.inFlight.track(this.upload(item));
  }

  /**
   * Tries to deliver every spooled upload once (with its retries). Delivered ones are removed;
   * one refused for good (413, 400, …) or unreadable is set aside, never lost. Concurrent calls
   * share one pass.
   */
  flushSpool(): Promise<SpoolFlushResult> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /**
   * Cuts retry delays short (what then fails is spooled, when there is a spool), waits for
   * uploads in flight, closes its own dispatcher. Idempotent.
   */
  shutdown(): Promise<void> {
    this.closing ??= (async () => {
      for (const controller of this.delays) controller.abort();
      await this.inFlight.drain();
      await this.flushing?.catch(() => {});
      if (this.ownsDispatcher) await this.dispatcher.close();
    })();
    return this.closing;
  }

  /** `entity_too_large` per format and compression, since the last call. */
  sendTelemetry(metrics: Metrics): void {
    for (const [key, n] of this.tooLarge) {
      if (n === 0) continue;
      const [format, compression] = key.split(':');
      metrics.count(METRIC_NAMES.entityTooLarge, n, [`format:${format}`, `compression:${compression}`]);
      this.tooLarge.set(key, 0);
    }
  }

  private async upload(item: PersistItem): Promise<PersistReceipt> {
    const { request, dump, encoded } = item;
    const boundary = randomBoundary();
    const event = JSON.stringify(remoteEventMetadata(dump, request.format, encoded.length));
    const multipart = multipartBody(
      [
        { name: 'event', filename: '', contentType: 'application/json', body: Buffer.from(event, 'utf8') },
        {
          name: 'dump',
          filename: `dump.${FORMAT_EXTENSIONS[request.format]}`,
          contentType: 'application/json', // the agent sends this type for every format
          body: encoded,
        },
      ],
      boundary,
    );
    const body = request.compression ? gzip(multipart) : multipart;
    const contentType = `multipart/form-data; boundary=${boundary}`;
    const contentEncoding = request.compression ? 'gzip' : undefined;
    const results = await Promise.all(
      this.targets.map((target) => this.send(target, body, contentType, contentEncoding, request.format)),
    );
    const delivered = this.targets.filter((_, i) => results[i] === undefined);
    const spooled: string[] = [];
    let firstError: RemoteStorageError | undefined;
    for (const [i, error] of results.entries()) {
      if (error === undefined) continue;
      if (error instanceof PayloadTooLargeError) this.countTooLarge(request.format, request.compression);
      const file = !isWorthRetryingLater(error)
        ? undefined
        : await this.spoolUpload({
            url: this.targets[i]!.shown,
            keyId: this.targets[i]!.keyId,
            name: dump.name,
            format: request.format,
            compression: request.compression,
            contentType,
            contentEncoding,
            createdAt: this.clock.now(),
            body,
          });
      if (file !== undefined) spooled.push(file);
      else firstError ??= error;
      this.logger.warn(
        {
          endpoint: error.endpoint,
          status: error.status,
          attempts: error.attempts,
          spooled: file !== undefined,
        },
        "couldn't send activity dump",
      );
    }
    if (delivered.length > 0) {
      // The endpoint with what was sent there, so every stored dump has a location of its own.
      const sent = dumpFileName(dump.name, request.format, request.compression);
      return { location: delivered.map((target) => `${target.shown}#${sent}`).join(' '), size: body.length };
    }
    if (firstError !== undefined) throw firstError;
    return { location: spooled.join(' '), size: body.length, deferred: true };
  }

  /** Sends one body to one endpoint with its retries; `undefined` on 202, else the final error. */
  private async send(
    target: Target,
    body: Uint8Array,
    contentType: string,
    contentEncoding: string | undefined,
    format: string,
  ): Promise<RemoteStorageError | undefined> {
    const headers: Record<string, string> = { 'content-type': contentType, 'dd-api-key': target.apiKey };
    if (contentEncoding !== undefined) headers['content-encoding'] = contentEncoding;
    for (let attempt = 1; ; attempt++) {
      const result = await this.limiter.run(() => this.post(target, body, headers));
      const status = 'status' in result ? result.status : undefined;
      if (status === 202) return undefined;
      const detail = 'error' in result ? result.error.message : `HTTP ${status}`;
      const message = `couldn't send activity dump [${format}] to [${target.shown}]: ${detail} (attempt ${attempt})`;
      const cause = 'error' in result ? result.error : undefined;
      const details = { endpoint: target.shown, status, attempts: attempt, cause };
      if (status === 413) return new PayloadTooLargeError(message, details);
      const retryable = status === undefined || status === 429 || status >= 500;
      const delay =
        retryable && attempt <= this.retry.retries && this.closing === undefined
          ? retryDelay(attempt, this.retry, this.random, 'status' in result ? result.retryAfter : undefined)
          : undefined;
      if (delay === undefined) return new RemoteStorageError(message, details);
      if (!(await this.sleep(delay))) return new RemoteStorageError(message, details);
    }
  }

  private async post(target: Target, body: Uint8Array, headers: Record<string, string>): Promise<Attempt> {
    const controller = new AbortController();
    const timer = this.clock.setTimeout(
      () => controller.abort(new Error(`no response within ${this.timeout} ms`)),
      this.timeout,
    );
    try {
      const response = await request(target.url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.dispatcher,
        signal: controller.signal,
      });
      await response.body.dump();
      return {
        status: response.statusCode,
        retryAfter: parseRetryAfter(response.headers['retry-after'], this.clock.now()),
      };
    } catch (error) {
      const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
      return { error: toError(reason) };
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /** Waits `ms` on the clock; `false` when shutdown cut the wait short. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const controller = new AbortController();
      this.delays.add(controller);
      const timer = this.clock.setTimeout(() => {
        this.delays.delete(controller);
        resolve(true);
      }, ms);
      controller.signal.addEventListener('abort', () => {
        this.clock.clearTimeout(timer);
        this.delays.delete(controller);
        resolve(false);
      });
    });
  }

  private async spoolUpload(upload: SpooledUpload): Promise<string | undefined> {
    if (this.spool === undefined) return undefined;
    try {
      return await this.spool.add(upload);
    } catch (error) {
      this.logger.error({ err: error }, "couldn't spool a failed upload");
      return undefined;
    }
  }

  private async flushOnce(): Promise<SpoolFlushResult> {
    const result: SpoolFlushResult = { sent: 0, failed: 0, setAside: 0, skipped: 0 };
    const spool = this.spool;
    if (spool === undefined) return result;
    for (const file of await spool.list()) {
      let upload: SpooledUpload;
      try {
        upload = await spool.read(file);
      } catch (error) {
        this.logger.error({ err: error, file }, 'unreadable spooled upload set aside');
        await spool.setAside(file, 'corrupt').catch(() => {});
        result.setAside++;
        continue;
      }
      const target = this.targets.find((t) => t.shown === upload.url && t.keyId === upload.keyId);
      if (target === undefined) {
        result.skipped++;
        continue;
      }
      const error = await this.send(
        target,
        upload.body,
        upload.contentType,
        upload.contentEncoding,
        upload.format,
      );
      if (error === undefined) {
        await spool.remove(file);
        result.sent++;
      } else if (!isWorthRetryingLater(error)) {
        if (error instanceof PayloadTooLargeError) this.countTooLarge(upload.format, upload.compression);
        this.logger.error(
          { endpoint: error.endpoint, status: error.status, file },
          'spooled upload refused for good',
        );
        await spool.setAside(file, 'rejected').catch(() => {});
        result.setAside++;
      } else {
        result.failed++;
      }
    }
    return result;
  }

  private countTooLarge(format: string, compression: boolean): void {
    const key = `${format}:${compression}`;
    this.tooLarge.set(key, (this.tooLarge.get(key) ?? 0) + 1);
  }
}

/**
 * Whether a failed upload may succeed later, and so is worth spooling: network errors,
 * timeouts, 429 and 5xx, and 401/403 (a key being rotated). Other answers (413, 400, a 2xx that
 * is not 202) would be refused again.
 */
function isWorthRetryingLater(error: RemoteStorageError): boolean {
  const status = error.status;
  return status === undefined || status === 429 || status >= 500 || status === 401 || status === 403;
}
