import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalised = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
  if (['false', '0', 'no', 'off', ''].includes(normalised)) return false;
  return value;
};

function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Every setting of the service, read from the environment once at boot.
 * Nothing else in the code base reads `process.env`.
 */
export class AppConfig {
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'must be a postgres:// URL' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/kalma';

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 20;

  @Matches(/^rediss?:\/\/.+/, { message: 'must be a redis:// URL' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Seeds of a Redis Cluster (`host:port,host:port`, or `rediss://user:password@host:port,…` for
   * TLS and credentials): set, every Redis client is a cluster client and REDIS_URL is unused.
   * Parsed (and checked) by `redisClusterSettings`.
   */
  @IsOptional()
  @IsString()
  REDIS_CLUSTER_NODES?: string;

  /** Prefix of every BullMQ key; lets several deployments (or test runs) share one Redis. */
  @Matches(/^[A-Za-z0-9_{}:-]+$/, { message: 'may contain letters, digits, _ - : { } only' })
  QUEUE_PREFIX = 'kalma';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * `json`: one JSON object a line, for machines (log shippers, tests). `pretty`: coloured,
   * human-readable lines through pino-pretty, for a person at a terminal (`npm start` picks it
   * when its output is one). Redaction and the error allow-list apply to both alike.
   */
  @IsIn(['json', 'pretty'])
  LOG_FORMAT: 'json' | 'pretty' = 'json';

  @IsString()
  RESORT_TIMEZONE = 'Asia/Pyongyang';

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  RESORT_CAPACITY = 20_000;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(366)
  MAX_STAY_NIGHTS = 30;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(3660)
  BOOKING_HORIZON_DAYS = 400;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1000)
  MAX_PARTY_SIZE = 50;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3600)
  HOLD_TTL_SECONDS = 900;

  /**
   * How long an agency whose policy is `ask` has to keep or cancel a booking a restriction took
   * guests out of; fractions allowed (0.5: half an hour).
   */
  @Transform(toNumber)
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be a number of hours (fractions allowed)' })
  @Min(0.0001)
  @Max(24 * 366)
  PARTY_DECISION_HOURS = 48;

  /**
   * A ban affecting at most this many bookings is enforced in two lanes side by side (fastest:
   * both cores, a stall of other agencies' admissions that is over in seconds); a larger one runs
   * its lanes one after the other, so that a long enforcement leaves room for the admissions
   * that go on meanwhile (on two cores, 200,000 affected bookings: other agencies kept 0.82 of
   * their booking rate instead of 0.29 with no webhooks going out, 0.36 instead of 0.26 with
   * them; enforcement a third to a half longer). 0: always one lane at a time.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  ENFORCEMENT_PARALLEL_MAX_BOOKINGS = 50_000;

  /** Guests an agency may have in live holds at once; confirmed bookings are not limited. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100_000_000)
  MAX_HELD_GUESTS_PER_AGENCY = 2_000;

  @Matches(/^[A-Z]{2}$/, { message: 'must be an ISO 3166-1 alpha-2 code in upper case' })
  RESORT_HOME_COUNTRY = 'KP';

  @Matches(/^[A-Z]{3}$/, { message: 'must be an IATA airport code (three upper-case letters)' })
  RESORT_AIRPORT = 'WOS';

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  RATE_LIMIT_PER_MINUTE = 600;

  /**
   * Most write requests of one agency's agents (cancel, confirm, amend, …; not new bookings,
   * which are admitted in shared batches) that one API process runs at once; the others wait in line
   * without a database connection. Unset: a quarter of DATABASE_POOL_SIZE, at least 1, so one
   * agency whose writes all wait on a lock never holds the connections every other agency needs.
   */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(200)
  AGENCY_WRITE_CONCURRENCY?: number;

  /**
   * Most of those write requests, all agencies together, that one API process runs at once. Unset:
   * the pool less a quarter of it (at least 1), so that several agencies whose writes wait on one
   * locked night (every agency with stays on it) still leave connections for new bookings and reads.
   */
  @IsOptional()
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000)
  AGENCY_WRITE_CONCURRENCY_TOTAL?: number;

  /** Most write requests of one agency waiting in line per API process; one more is 429 `rate_limited`. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(100_000)
  AGENCY_WRITE_QUEUE = 200;

  /** Longest a write request waits in line for its agency's turn before it is 429 `rate_limited`. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(600_000)
  AGENCY_WRITE_MAX_WAIT_MS = 10_000;

  /** Requests failing authentication per client address per minute, across API processes; then 429. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  AUTH_FAILURES_PER_MINUTE = 60;

  /**
   * Which `X-Forwarded-For` hops to believe for a request's client address (the address
   * authentication failures are counted by): 0 believes none (the TCP peer is the client), n
   * believes the last n hops (n proxies of yours in front of the API).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(10)
  TRUSTED_PROXY_HOPS = 0;

  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_URLS = false;

  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'must be at least 24 characters' })
  BOOTSTRAP_OPERATIONS_KEY?: string;

  @Transform(toBoolean)
  @IsBoolean()
  DOCS_ENABLED = true;

  /** The API applies pending migrations at boot unless this is false (then run `npm run migrate`). */
  @Transform(toBoolean)
  @IsBoolean()
  MIGRATE_ON_BOOT = true;

  /** How often the worker's sweeper looks for due work whose queue job was lost (expired holds, due bans). */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3600)
  SWEEP_INTERVAL_SECONDS = 15;

  /**
   * Days after a booking's check-out or cancellation (whichever comes first) at which its guests
   * are anonymised: each keeps only its nationality. 0 anonymises at the next sweep.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(36_500)
  GUEST_DATA_RETENTION_DAYS = 90;

  /**
   * Stored Idempotency-Key answers (they contain guests) are deleted once this old. Never below
   * 24: a key is replayed for 24 h, so deleting sooner would break retries within that window.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(24, { message: 'must be at least 24 (an Idempotency-Key is replayed for 24 hours)' })
  @Max(24 * 3660)
  IDEMPOTENCY_RETENTION_HOURS = 48;

  /** Port of the worker's own small HTTP listener serving its `/metrics`; 0 disables it. */
  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_METRICS_PORT = 9464;

  /** How often a worker looks for due webhook deliveries (and drains them). */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_DISPATCH_INTERVAL_MS = 1_000;

  /** Webhook requests in flight at once per worker process. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000)
  WEBHOOK_CONCURRENCY = 100;

  /**
   * Webhook deliveries all worker processes together claim per second while a ban is being
   * enforced, all agencies together, shared fairly between them; full speed again
   * once the ban's cancellations are done. The enforcement and other agencies' bookings keep the
   * cores meanwhile (BENCHMARKS.md).
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(100_000)
  WEBHOOK_RATE_DURING_ENFORCEMENT = 250;

  /** How long one webhook request may take before it counts as a failed attempt. */
  @Transform(toInteger)
  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Delay before the first retry; each further retry doubles it (with jitter), up to WEBHOOK_RETRY_MAX_DELAY_SECONDS. */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(3600)
  WEBHOOK_RETRY_BASE_SECONDS = 30;

  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(24 * 3600)
  WEBHOOK_RETRY_MAX_DELAY_SECONDS = 3600;

  /**
   * A delivery is given up (`failed`) only when it has had this many attempts AND is older than
   * WEBHOOK_RETRY_WINDOW_SECONDS: with the defaults, about 32 attempts over at least 24 h. Both
   * count from the notification's creation, or from the last retry operations asked for.
   */
  @Transform(toInteger)
  @IsInt()
  @Min(1)
  @Max(1_000)
  WEBHOOK_MAX_ATTEMPTS = 32;

  @Transform(toInteger)
  @IsInt()
  @Min(0)
  @Max(30 * 24 * 3600)
  WEBHOOK_RETRY_WINDOW_SECONDS = 24 * 3600;
}

/** Variables whose values are secrets: a configuration error names them but never shows the value (it goes to the log). */
const SECRET_VARIABLES = new Set(['BOOTSTRAP_OPERATIONS_KEY']);

/** Optional variables without a default (absent from `new AppConfig()`'s keys). */
const OPTIONAL_VARIABLES = [
  'BOOTSTRAP_OPERATIONS_KEY',
  'REDIS_CLUSTER_NODES',
  'AGENCY_WRITE_CONCURRENCY',
  'AGENCY_WRITE_CONCURRENCY_TOTAL',
];

/** `AGENCY_WRITE_CONCURRENCY`, or a quarter of the pool (at least 1) when it is unset. */
export function agencyWriteConcurrency(config: Pick<AppConfig, 'AGENCY_WRITE_CONCURRENCY' | 'DATABASE_POOL_SIZE'>): number {
  return config.AGENCY_WRITE_CONCURRENCY ?? Math.max(1, Math.floor(config.DATABASE_POOL_SIZE / 4));
}

/** `AGENCY_WRITE_CONCURRENCY_TOTAL`, or the pool less a quarter of it (at least 1) when it is unset. */
export function agencyWriteConcurrencyTotal(config: Pick<AppConfig, 'AGENCY_WRITE_CONCURRENCY_TOTAL' | 'DATABASE_POOL_SIZE'>): number {
  const pool = config.DATABASE_POOL_SIZE;
  return config.AGENCY_WRITE_CONCURRENCY_TOTAL ?? Math.max(1, pool - Math.max(1, Math.floor(pool / 4)));
}

/** `redis://user:secret@host` → `redis://user:***@host`: a password in a URL never reaches the log. */
function withoutPasswords(value: string): string {
  return value.replace(/(\/\/[^:/@,]*:)[^@/,]*@/g, '$1***@');
}

function shownValue(name: string, value: string | undefined): string {
  if (SECRET_VARIABLES.has(name)) return value === undefined ? '(not set)' : `(secret, ${value.length} characters)`;
  return JSON.stringify(withoutPasswords(value ?? ''));
}

/** A Redis Cluster to connect to: its seed nodes, and what every node connection uses. */
export interface RedisClusterSettings {
  nodes: { host: string; port: number }[];
  tls: boolean;
  username?: string;
  password?: string;
}

const HOST_AND_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;

/**
 * Parses REDIS_CLUSTER_NODES: comma-separated seeds, each `host:port` (IPv6 in brackets) or a
 * `redis://` / `rediss://` URL (TLS) that may carry `user:password@`. One node is enough for the
 * client to discover the others; every seed must agree on scheme and credentials, since they
 * apply to every node of the cluster. Undefined when the variable is not set.
 * Throws a message (never showing a password) naming what is wrong.
 */
export function redisClusterSettings(config: Pick<AppConfig, 'REDIS_CLUSTER_NODES'>): RedisClusterSettings | undefined {
  const raw = config.REDIS_CLUSTER_NODES?.trim();
  if (!raw) return undefined;
  const seeds = raw.split(',').map((seed) => seed.trim());
  let settings: RedisClusterSettings | undefined;
  for (const seed of seeds) {
    let tls = false;
    let username: string | undefined;
    let password: string | undefined;
    let hostAndPort = seed;
    const scheme = /^(rediss?):\/\//.exec(seed);
    if (scheme) {
      let url: URL;
      try {
        url = new URL(seed);
      } catch {
        throw new Error(`seed ${JSON.stringify(withoutPasswords(seed))} is not a valid URL`);
      }
      if (!url.port || (url.pathname !== '' && url.pathname !== '/') || url.search) {
        throw new Error(
          `seed ${JSON.stringify(withoutPasswords(seed))} must be scheme://[user:password@]host:port, nothing after the port`,
        );
      }
      tls = scheme[1] === 'rediss';
      username = url.username ? decodeURIComponent(url.username) : undefined;
      password = url.password ? decodeURIComponent(url.password) : undefined;
      hostAndPort = `${url.hostname}:${url.port}`;
    }
    const match = HOST_AND_PORT.exec(hostAndPort);
    const port = match ? Number(match[3]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new Error(`seed ${JSON.stringify(withoutPasswords(seed))} is not host:port (or redis[s]://[user:password@]host:port)`);
    }
    const node = { host: match[1] ?? match[2], port };
    if (!settings) {
      settings = { nodes: [node], tls, username, password };
    } else {
      if (settings.tls !== tls || settings.username !== username || settings.password !== password) {
        throw new Error('every seed must use the same scheme and credentials (they apply to every node of the cluster)');
      }
      settings.nodes.push(node);
    }
  }
  return settings;
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

/** Builds the typed configuration from an environment, or throws naming every bad variable. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const provided: Record<string, string> = {};
  for (const name of [...known, ...OPTIONAL_VARIABLES]) {
    const value = environment[name];
    if (value !== undefined && value !== '') provided[name] = value;
  }
  const config = plainToInstance(AppConfig, provided, { exposeDefaultValues: true });
  const problems = validateSync(config, { forbidUnknownValues: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map(
      (message) =>
        `${error.property}=${shownValue(error.property, provided[error.property])}: ${message.replace(`${error.property} `, '')}`,
    ),
  );
  if (!isValidTimeZone(config.RESORT_TIMEZONE)) {
    problems.push(`RESORT_TIMEZONE=${JSON.stringify(config.RESORT_TIMEZONE)}: is not a known IANA time zone`);
  }
  try {
    redisClusterSettings(config);
  } catch (error) {
    problems.push(`REDIS_CLUSTER_NODES=${shownValue('REDIS_CLUSTER_NODES', config.REDIS_CLUSTER_NODES)}: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return config;
}
