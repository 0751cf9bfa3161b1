import { ConfigurationError, loadConfig, redisClusterSettings } from './app-config';

describe('loadConfig', () => {
  it('uses the documented defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config.RESORT_CAPACITY).toBe(20_000);
    expect(config.RESORT_TIMEZONE).toBe('Asia/Pyongyang');
    expect(config.MAX_STAY_NIGHTS).toBe(30);
    expect(config.BOOKING_HORIZON_DAYS).toBe(400);
    expect(config.MAX_PARTY_SIZE).toBe(50);
    expect(config.HOLD_TTL_SECONDS).toBe(900);
    expect(config.RESORT_HOME_COUNTRY).toBe('KP');
    expect(config.RESORT_AIRPORT).toBe('WOS');
    expect(config.WEBHOOK_ALLOW_PRIVATE_URLS).toBe(false);
    expect(config.DOCS_ENABLED).toBe(true);
    expect(config.PORT).toBe(3000);
  });

  it('parses numbers and booleans from strings', () => {
    const config = loadConfig({ RESORT_CAPACITY: '50', WEBHOOK_ALLOW_PRIVATE_URLS: 'true', DOCS_ENABLED: 'false', PORT: '8080' });
    expect(config.RESORT_CAPACITY).toBe(50);
    expect(config.WEBHOOK_ALLOW_PRIVATE_URLS).toBe(true);
    expect(config.DOCS_ENABLED).toBe(false);
    expect(config.PORT).toBe(8080);
  });

  it('names every bad variable and what is wrong with it', () => {
    let error: unknown;
    try {
      loadConfig({ RESORT_CAPACITY: 'lots', RESORT_TIMEZONE: 'Mars/Olympus', RESORT_HOME_COUNTRY: 'kp', DATABASE_URL: 'mysql://x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain('RESORT_CAPACITY="lots"');
    expect(message).toContain('RESORT_TIMEZONE="Mars/Olympus": is not a known IANA time zone');
    expect(message).toContain('RESORT_HOME_COUNTRY="kp"');
    expect(message).toContain('DATABASE_URL="mysql://x": must be a postgres:// URL');
  });

  it('takes PARTY_DECISION_HOURS in hours, fractions allowed, 48 by default; refuses zero and words', () => {
    expect(loadConfig({}).PARTY_DECISION_HOURS).toBe(48);
    expect(loadConfig({ PARTY_DECISION_HOURS: '0.5' }).PARTY_DECISION_HOURS).toBe(0.5);
    expect(() => loadConfig({ PARTY_DECISION_HOURS: '0' })).toThrow(/PARTY_DECISION_HOURS/);
    expect(() => loadConfig({ PARTY_DECISION_HOURS: 'two days' })).toThrow(/PARTY_DECISION_HOURS/);
  });

  it('takes ENFORCEMENT_PARALLEL_MAX_BOOKINGS as a count of bookings, 50,000 by default, 0 allowed; refuses negatives and fractions', () => {
    expect(loadConfig({}).ENFORCEMENT_PARALLEL_MAX_BOOKINGS).toBe(50_000);
    expect(loadConfig({ ENFORCEMENT_PARALLEL_MAX_BOOKINGS: '0' }).ENFORCEMENT_PARALLEL_MAX_BOOKINGS).toBe(0);
    expect(() => loadConfig({ ENFORCEMENT_PARALLEL_MAX_BOOKINGS: '-1' })).toThrow(/ENFORCEMENT_PARALLEL_MAX_BOOKINGS/);
    expect(() => loadConfig({ ENFORCEMENT_PARALLEL_MAX_BOOKINGS: '1.5' })).toThrow(/ENFORCEMENT_PARALLEL_MAX_BOOKINGS/);
  });

  it('refuses a short bootstrap key', () => {
    expect(() => loadConfig({ BOOTSTRAP_OPERATIONS_KEY: 'short' })).toThrow(/BOOTSTRAP_OPERATIONS_KEY/);
  });

  it('keeps guest data 90 days and Idempotency-Key answers 48 hours unless told otherwise', () => {
    const defaults = loadConfig({});
    expect(defaults.GUEST_DATA_RETENTION_DAYS).toBe(90);
    expect(defaults.IDEMPOTENCY_RETENTION_HOURS).toBe(48);
    const set = loadConfig({ GUEST_DATA_RETENTION_DAYS: '0', IDEMPOTENCY_RETENTION_HOURS: '24' });
    expect(set.GUEST_DATA_RETENTION_DAYS).toBe(0);
    expect(set.IDEMPOTENCY_RETENTION_HOURS).toBe(24);
  });

  it('refuses an Idempotency-Key retention below 24 hours and a negative or non-integer guest retention', () => {
    expect(() => loadConfig({ IDEMPOTENCY_RETENTION_HOURS: '23' })).toThrow(
      'IDEMPOTENCY_RETENTION_HOURS="23": must be at least 24 (an Idempotency-Key is replayed for 24 hours)',
    );
    expect(() => loadConfig({ IDEMPOTENCY_RETENTION_HOURS: '0' })).toThrow(/IDEMPOTENCY_RETENTION_HOURS="0"/);
    expect(() => loadConfig({ GUEST_DATA_RETENTION_DAYS: '-1' })).toThrow(/GUEST_DATA_RETENTION_DAYS="-1"/);
    expect(() => loadConfig({ GUEST_DATA_RETENTION_DAYS: '1.5' })).toThrow(/GUEST_DATA_RETENTION_DAYS="1.5"/);
  });

  it('names a bad bootstrap key without showing any of it (the message goes to the log)', () => {
    const key = 'secretkey-too-short';
    expect(() => loadConfig({ BOOTSTRAP_OPERATIONS_KEY: key })).toThrow(
      /BOOTSTRAP_OPERATIONS_KEY=\(secret, 19 characters\): must be at least 24 characters/,
    );
    try {
      loadConfig({ BOOTSTRAP_OPERATIONS_KEY: key });
    } catch (error) {
      expect((error as Error).message).not.toContain('secretk');
    }
  });

  it('reads REDIS_CLUSTER_NODES as host:port seeds, or redis[s]:// URLs carrying TLS and credentials for every node', () => {
    expect(redisClusterSettings(loadConfig({}))).toBeUndefined();
    expect(redisClusterSettings(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002' }))).toEqual({
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'redis-b.internal', port: 7001 },
        { host: '::1', port: 7002 },
      ],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(redisClusterSettings(loadConfig({ REDIS_CLUSTER_NODES: 'rediss://kalma:p%40ss@clustercfg.example.com:6379' }))).toEqual({
      nodes: [{ host: 'clustercfg.example.com', port: 6379 }],
      tls: true,
      username: 'kalma',
      password: 'p@ss',
    });
  });

  it('refuses a malformed seed, a port out of range and seeds that disagree, never showing a password', () => {
    for (const bad of ['redis-a', 'redis-a:0', 'redis-a:70000', 'a:1,,b:2', 'redis://a:1/2', 'http://a:1']) {
      expect(() => loadConfig({ REDIS_CLUSTER_NODES: bad })).toThrow(/REDIS_CLUSTER_NODES=.*host:port/);
    }
    let message = '';
    try {
      loadConfig({ REDIS_CLUSTER_NODES: 'rediss://kalma:hunter2secret@a:6379,redis://b:6379' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('every seed must use the same scheme and credentials');
    expect(message).toContain('rediss://kalma:***@a:6379');
    expect(message).not.toContain('hunter2secret');
  });
});
