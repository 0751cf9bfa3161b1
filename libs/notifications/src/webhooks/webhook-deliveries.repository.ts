import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Narrowed, returnedRows, RowOf, selectList } from '#libs/database';

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'not_applicable';
export const DELIVERY_STATES: DeliveryState[] = ['pending', 'delivered', 'failed', 'not_applicable'];

/** What a claim reads of the notification (`attempt`: the number of this attempt, its count after the claim), as `notifications n`. */
const CLAIMED_NOTIFICATION_SELECT = selectList(
  'notifications',
  'n',
  ['id', 'agency_id', 'type', 'data', 'created_at', 'delivery_attempts'],
  {
    delivery_attempts: 'attempt',
  },
);
/** …and of its agency, as `agencies a`. */
const CLAIMED_AGENCY_SELECT = selectList('agencies', 'a', ['webhook_url', 'webhook_secret']);
type ClaimedRow = Narrowed<RowOf<typeof CLAIMED_NOTIFICATION_SELECT>, { data: Record<string, unknown> }> &
  RowOf<typeof CLAIMED_AGENCY_SELECT> & {
    /** Its number within the current retry window (1 = the window's first): what the backoff grows with. */
    attemptInWindow: number;
    share: number;
  };

/** A delivery claimed for one attempt: the notification plus where and how to send it. */
export type ClaimedDelivery = Omit<ClaimedRow, 'share' | 'webhookUrl'> & { webhookUrl: string };

/** What one attempt produced, ready to be recorded. */
export interface AttemptRecord extends AttemptRow {
  notificationId: string;
  /** Used if it failed and is not given up: seconds from now to the next attempt. */
  retryInSeconds: number;
}

/** How recording changed a delivery (only deliveries whose state this attempt still decided). */
export interface RecordedTransition {
  notificationId: string;
  state: DeliveryState;
  /** For delivered ones: seconds from the notification being written to its delivery. */
  lagSeconds: number | null;
}

/** A notification's webhook delivery, as `FROM notifications n`. */
const DELIVERY_SELECT = selectList(
  'notifications',
  'n',
  ['id', 'sequence', 'agency_id', 'type', 'created_at', 'delivery_state', 'delivery_attempts', 'next_attempt_at', 'delivered_at'],
  { id: 'notificationId', delivery_state: 'state', delivery_attempts: 'attempts' },
);
export type DeliveryRow = Narrowed<RowOf<typeof DELIVERY_SELECT>, { state: DeliveryState }>;

const ATTEMPT_SELECT = selectList('webhook_attempts', null, [
  'attempt',
  'url',
  'attempted_at',
  'duration_ms',
  'status_code',
  'error',
  'succeeded',
]);
export type AttemptRow = RowOf<typeof ATTEMPT_SELECT>;

export interface DeliveryWithLastAttempt extends DeliveryRow {
  lastAttempt: AttemptRow | null;
}

const DELIVERY_COLUMNS = DELIVERY_SELECT.sql;

/** SQL of webhook delivery: claiming due deliveries, recording attempts, and operations' views. */
@Injectable()
export class WebhookDeliveriesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` due deliveries for one attempt each, shared out between agencies. Each
   * agency's share is the caller's `concurrency` divided by the agencies it has deliveries of in
   * hand (`inHand`: claimed, not yet recorded) or that have any due, plus one (room for an agency
   * whose first delivery comes due next), rounded up, and returned; an agency gets up to two shares
   * in hand (the caller sends at most one share at once, the other ready behind it), the
   * agencies with the fewest in hand first, each agency's oldest due first. So one agency's
   * backlog never fills a claim while another has anything due, and a receiver that hangs holds
   * at most its share of the caller's requests. SKIP LOCKED lets any number of workers claim
   * side by side without waiting on each other; the claim itself is a lease: `next_attempt_at`
   * moves `leaseSeconds` ahead, so if this worker dies the deliveries become due again and
   * another worker retries them. Notifications of agencies without a webhook URL are settled as
   * `not_applicable` on the way and not returned. Each agency costs one probe of
   * `notifications_agency_delivery_due`, whatever its backlog.
   */
  async claimDue(
    limit: number,
    leaseSeconds: number,
    share: { concurrency: number; inHand: ReadonlyMap<string, number> },
  ): Promise<{ deliveries: ClaimedDelivery[]; claimedCount: number; share: number | null }> {
    const inHand = [...share.inHand].filter(([, count]) => count > 0).map(([agencyId, count]) => ({ agencyId, count }));
    const rows = returnedRows<ClaimedRow>(
      await this.dataSource.query(
        `WITH in_hand AS (
         SELECT * FROM jsonb_to_recordset($3::jsonb) AS h("agencyId" uuid, count integer)
       ), active AS (
         -- A LATERAL probe with LIMIT 1, not EXISTS: the planner may turn an EXISTS into one hashed
         -- scan of every due delivery (it did, with statistics not yet caught up with a ban's
         -- million new notifications: 60-90 ms per claim at 200,000), where a probe per agency
         -- reads an index page or two. Ordered as the index is, so that it is the index: without
         -- the ORDER BY, statistics saying most notifications are pending (a ban's backlog,
         -- analysed) made it a sequential scan hoping to meet one soon, which for an agency with
         -- nothing due read the whole table, on every claim.
         SELECT a.id, COALESCE(h.count, 0) AS in_hand
           FROM agencies a LEFT JOIN in_hand h ON h."agencyId" = a.id
           LEFT JOIN LATERAL (
             SELECT true AS due FROM notifications n
              WHERE n.agency_id = a.id AND n.delivery_state = 'pending' AND n.next_attempt_at <= now()
              ORDER BY n.next_attempt_at
              LIMIT 1) waiting ON true
          WHERE h.count > 0 OR waiting.due
       ), fair AS (
         SELECT ceil($4::numeric / (count(*) + 1))::int AS share FROM active
       ), candidates AS (
         -- Up to two shares per agency in hand (one in flight, one ready to go when a request of its
         -- ends: the caller sends no more than a share at once): no more rows locked than can be claimed.
         SELECT d.id, d.agency_id, d.next_attempt_at, g.in_hand
           FROM active g CROSS JOIN fair
           CROSS JOIN LATERAL (
             SELECT n.id, n.agency_id, n.next_attempt_at FROM notifications n
              WHERE n.agency_id = g.id AND n.delivery_state = 'pending' AND n.next_attempt_at <= now()
              ORDER BY n.next_attempt_at
              LIMIT greatest(0, 2 * fair.share - g.in_hand)
              FOR UPDATE SKIP LOCKED) d
       ), due AS (
         SELECT ranked.id FROM (
           SELECT c.id, c.next_attempt_at, c.in_hand + row_number() OVER (PARTITION BY c.agency_id ORDER BY c.next_attempt_at) AS turn
             FROM candidates c) ranked
          ORDER BY ranked.turn, ranked.next_attempt_at
          LIMIT $1
       )
       UPDATE notifications n SET
         delivery_state = CASE WHEN a.webhook_url IS NULL THEN 'not_applicable' ELSE 'pending' END,
         next_attempt_at = CASE WHEN a.webhook_url IS NULL THEN NULL ELSE now() + make_interval(secs => $2) END,
         delivery_attempts = n.delivery_attempts + CASE WHEN a.webhook_url IS NULL THEN 0 ELSE 1 END
       FROM due, agencies a, fair
       WHERE n.id = due.id AND a.id = n.agency_id
       RETURNING fair.share, ${CLAIMED_NOTIFICATION_SELECT.sql},
                 n.delivery_attempts - n.attempts_before_retry_window AS "attemptInWindow",
                 ${CLAIMED_AGENCY_SELECT.sql}`,
        [limit, leaseSeconds, JSON.stringify(inHand), share.concurrency],
      ),
    );
    return {
      deliveries: rows.filter((row) => row.webhookUrl !== null).map(({ share: _share, ...delivery }) => delivery as ClaimedDelivery),
      claimedCount: rows.length,
      share: rows[0]?.share ?? null,
    };
  }

  /**
   * Takes up to `wanted` deliveries from the pace every worker shares while a ban is being
   * enforced: a token bucket in one row, filling at `ratePerSecond` up to `burst`, so that the
   * workers together, however many, claim at most `burst` + `ratePerSecond` × t in any t seconds.
   * Returns how many were granted (0 when the bucket is empty). The upsert writes the row on first
   * use and serialises the workers on it: a paced worker asks about five times a second.
   */
  async takeFromSharedPace(wanted: number, pace: { ratePerSecond: number; burst: number }): Promise<number> {
    // The bucket as it is now: what it held, plus what it filled since, at most a burst.
    const filled = `least($3::float8, p.tokens + $2::float8 * greatest(0, extract(epoch FROM EXCLUDED.updated_at - p.updated_at)))`;
    const rows: { granted: number }[] = await this.dataSource.query(
      `INSERT INTO webhook_pace AS p (id, tokens, granted, updated_at)
       VALUES (true, $3::float8 - least($1::int, floor($3::float8)), least($1::int, floor($3::float8)), clock_timestamp())
       ON CONFLICT (id) DO UPDATE SET
         tokens = ${filled} - least($1::int, floor(${filled})),
         granted = least($1::int, floor(${filled})),
         -- The time is read before the row's lock is waited for: a caller that waited must not move
         -- it back, or the next would fill the bucket again for time already counted.
         updated_at = greatest(p.updated_at, EXCLUDED.updated_at)
       RETURNING p.granted`,
      [wanted, pace.ratePerSecond, pace.burst],
    );
    return rows[0].granted;
  }

  /**
   * The age of each agency's oldest pending delivery (waiting for its first attempt, a retry, or
   * in flight), for agencies that have one: one probe of `notifications_agency_pending` each, for
   * the pending delivery written first (sequences follow commits per agency, so its age is the
   * oldest's to within the length of a transaction).
   */
  async oldestPendingByAgency(): Promise<{ agencyId: string; ageSeconds: number }[]> {
    return this.dataSource.query(
      `SELECT a.id AS "agencyId", extract(epoch FROM now() - oldest.created_at)::float8 AS "ageSeconds"
         FROM agencies a
         CROSS JOIN LATERAL (
           SELECT n.created_at FROM notifications n
            WHERE n.agency_id = a.id AND n.delivery_state = 'pending'
            ORDER BY n.sequence LIMIT 1) oldest`,
    );
  }

  /**
   * Undoes claims whose attempt was never made (a worker shutting down): due again now, and the
   * attempt number given back. Only claims still current are touched.
   */
  async releaseClaims(claims: { notificationId: string; attempt: number }[]): Promise<void> {
    if (claims.length === 0) return;
    await this.dataSource.query(
      `UPDATE notifications n SET next_attempt_at = now(), delivery_attempts = n.delivery_attempts - 1
         FROM jsonb_to_recordset($1::jsonb) AS c("notificationId" uuid, attempt integer)
        WHERE n.id = c."notificationId" AND n.delivery_state = 'pending' AND n.delivery_attempts = c.attempt`,
      [JSON.stringify(claims)],
    );
  }

  /**
   * Records attempts and their effect in one statement. Every attempt gets its row. A success
   * settles a still-pending delivery whatever attempt it was; a failure only reschedules (or
   * gives up) if no later attempt was claimed since (its lease ran out and another worker
   * took over): the latest attempt owns the schedule. Giving up needs both `maxAttempts`
   * attempts and `retryWindowSeconds`, counted from the start of the retry window (the
   * notification's creation, or the last retry operations asked for).
   */
  async recordAttempts(
    attempts: AttemptRecord[],
    policy: { maxAttempts: number; retryWindowSeconds: number },
  ): Promise<RecordedTransition[]> {
    if (attempts.length === 0) return [];
    const result: RecordedTransition[] | [RecordedTransition[], number] = await this.dataSource.query(
      `WITH outcome AS (
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS o(
           "notificationId" uuid, attempt integer, url text, "attemptedAt" timestamptz, "durationMs" integer,
           "statusCode" integer, error text, succeeded boolean, "retryInSeconds" double precision)
       ), logged AS (
         INSERT INTO webhook_attempts (notification_id, attempt, url, attempted_at, duration_ms, status_code, error, succeeded)
         SELECT "notificationId", attempt, url, "attemptedAt", "durationMs", "statusCode", error, succeeded FROM outcome
         ON CONFLICT (notification_id, attempt) DO NOTHING
       ), decided AS (
         SELECT n.id, o.succeeded,
                NOT o.succeeded AND n.delivery_attempts - n.attempts_before_retry_window >= $2
                  AND coalesce(n.retry_window_started_at, n.created_at) <= now() - make_interval(secs => $3) AS "givenUp",
                o."retryInSeconds"
           FROM notifications n JOIN outcome o ON o."notificationId" = n.id
          WHERE n.delivery_state = 'pending' AND (o.succeeded OR n.delivery_attempts = o.attempt)
            FOR UPDATE OF n
       )
       UPDATE notifications n SET
         delivery_state = CASE WHEN d.succeeded THEN 'delivered' WHEN d."givenUp" THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN d.succeeded OR d."givenUp" THEN NULL ELSE now() + make_interval(secs => d."retryInSeconds") END,
         delivered_at = CASE WHEN d.succeeded THEN now() ELSE NULL END
       FROM decided d
       WHERE n.id = d.id
       RETURNING n.id AS "notificationId", n.delivery_state AS state,
                 CASE WHEN d.succeeded THEN extract(epoch FROM n.delivered_at - n.created_at)::float8 END AS "lagSeconds"`,
      [JSON.stringify(attempts), policy.maxAttempts, policy.retryWindowSeconds],
    );
    return returnedRows(result);
  }

  /**
   * Makes an agency's undelivered deliveries (pending and given up) due now, each with a fresh
   * retry window, in one statement; returns how many. A delivery whose attempt is in flight is
   * left alone, so it is not sent twice at once: a claim keeps it pending with `next_attempt_at`
   * pushed out by the lease and its attempt not yet recorded (a pending delivery waiting for its
   * backoff has its latest attempt recorded). SKIP LOCKED passes over rows a dispatcher is claiming
   * or recording at this instant (in flight as well), and never waits on or deadlocks with them.
   */
  async rescheduleUndelivered(agencyId: string): Promise<number> {
    const result: unknown[] | [unknown[], number] = await this.dataSource.query(
      `WITH undelivered AS (
         SELECT n.id FROM notifications n
          WHERE n.agency_id = $1 AND n.delivery_state IN ('pending', 'failed')
            AND NOT (n.delivery_state = 'pending' AND n.delivery_attempts > 0 AND n.next_attempt_at > now()
                     AND NOT EXISTS (SELECT 1 FROM webhook_attempts w WHERE w.notification_id = n.id AND w.attempt = n.delivery_attempts))
            FOR UPDATE OF n SKIP LOCKED
       )
       UPDATE notifications n SET
         delivery_state = 'pending',
         next_attempt_at = now(),
         retry_window_started_at = now(),
         attempts_before_retry_window = n.delivery_attempts
       FROM undelivered u
       WHERE n.id = u.id
       RETURNING n.id`,
      [agencyId],
    );
    return returnedRows(result).length;
  }

  async findDelivery(notificationId: string): Promise<DeliveryRow | undefined> {
    const rows: DeliveryRow[] = await this.dataSource.query(`SELECT ${DELIVERY_COLUMNS} FROM notifications n WHERE n.id = $1`, [
      notificationId,
    ]);
    return rows[0];
  }

  async listAttempts(notificationId: string): Promise<AttemptRow[]> {
    return this.dataSource.query(`SELECT ${ATTEMPT_SELECT.sql} FROM webhook_attempts WHERE notification_id = $1 ORDER BY attempt`, [
      notificationId,
    ]);
  }

  /** One agency's deliveries, newest first, each with its latest attempt. */
  async listForAgency(
    agencyId: string,
    options: { state?: DeliveryState; beforeSequence?: string; limit: number },
  ): Promise<DeliveryWithLastAttempt[]> {
    return this.dataSource.query(
      `SELECT ${DELIVERY_COLUMNS},
              (SELECT json_build_object('attempt', w.attempt, 'url', w.url, 'attemptedAt', w.attempted_at, 'durationMs', w.duration_ms,
                                        'statusCode', w.status_code, 'error', w.error, 'succeeded', w.succeeded)
                 FROM webhook_attempts w WHERE w.notification_id = n.id ORDER BY w.attempt DESC LIMIT 1) AS "lastAttempt"
         FROM notifications n
        WHERE n.agency_id = $1 AND ($2::text IS NULL OR n.delivery_state = $2)
          AND ($3::bigint IS NULL OR n.sequence < $3::bigint)
        ORDER BY n.sequence DESC LIMIT $4`,
      [agencyId, options.state ?? null, options.beforeSequence ?? null, options.limit],
    );
  }
}
