/** Why a write was not let in: too many of the agency's writes already waiting, or it waited too long. */
export type AgencyWriteRefusal = 'line_full' | 'waited_too_long';

export interface AgencyWriteLimits {
  /** Most writes of one agency running at once. */
  concurrency: number;
  /** Most writes of all agencies together running at once. */
  totalConcurrency: number;
  /** Most writes of one agency waiting for a turn; one more is refused at once. */
  maxWaiting: number;
  /** Longest a write waits for its turn before it is refused. */
  maxWaitMs: number;
}

/** A turn to run: call `release` once the write is over (whatever its outcome). */
export type AgencyWriteTurn = { release: () => void } | { refused: AgencyWriteRefusal };

interface Waiter {
  /** Order of arrival, all agencies together: the oldest write that may run goes first. */
  arrival: number;
  grant: (turn: AgencyWriteTurn) => void;
  timer: NodeJS.Timeout;
}

interface Line {
  running: number;
  waiting: Waiter[];
}

/**
 * A bulkhead per agency, in one process: at most `concurrency` of an agency's writes run at once,
 * and at most `totalConcurrency` of all agencies' together; the rest wait in line, and nothing of
 * them is started meanwhile (so a waiting write holds no database connection). An agency whose
 * writes all wait on one lock (its bookings' nights held by a long transaction, say) then holds at
 * most `concurrency` connections of the pool; several such agencies (a locked night is shared by
 * every agency with stays on it) hold at most `totalConcurrency`, and new bookings and reads still
 * find a connection. A turn that comes free goes to the write that has waited longest among the
 * agencies below their own limit, so a stuck agency's line never holds back another agency's.
 */
export class AgencyWriteLimiter {
  private readonly lines = new Map<string, Line>();
  private runningCount = 0;
  private waitingCount = 0;
  private arrivals = 0;

  constructor(private readonly limits: AgencyWriteLimits) {}

  /** Writes waiting for a turn, all agencies together. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Writes running, all agencies together. */
  get running(): number {
    return this.runningCount;
  }

  /** Resolves when the agency's write may run, or with the reason it may not. */
  acquire(agencyId: string): Promise<AgencyWriteTurn> {
    const line = this.lines.get(agencyId) ?? { running: 0, waiting: [] };
    this.lines.set(agencyId, line);
    if (line.waiting.length === 0 && this.mayRun(line)) return Promise.resolve(this.start(agencyId, line));
    if (line.waiting.length >= this.limits.maxWaiting) {
      this.forgetIfIdle(agencyId, line);
      return Promise.resolve({ refused: 'line_full' });
    }
    return new Promise<AgencyWriteTurn>((resolve) => {
      const waiter: Waiter = {
        arrival: this.arrivals++,
        grant: resolve,
        timer: setTimeout(() => {
          line.waiting.splice(line.waiting.indexOf(waiter), 1);
          this.waitingCount--;
          this.forgetIfIdle(agencyId, line);
          resolve({ refused: 'waited_too_long' });
        }, this.limits.maxWaitMs),
      };
      line.waiting.push(waiter);
      this.waitingCount++;
    });
  }

  private mayRun(line: Line): boolean {
    return line.running < this.limits.concurrency && this.runningCount < this.limits.totalConcurrency;
  }

  private start(agencyId: string, line: Line): AgencyWriteTurn {
    line.running++;
    this.runningCount++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        line.running--;
        this.runningCount--;
        this.forgetIfIdle(agencyId, line);
        this.grantFreeTurns();
      },
    };
  }

  /** Lets in, oldest first, the writes waiting in lines of agencies below their limit, while turns are free. */
  private grantFreeTurns(): void {
    while (this.runningCount < this.limits.totalConcurrency) {
      let oldest: [string, Line] | undefined;
      for (const entry of this.lines) {
        const [, line] = entry;
        if (
          line.waiting.length > 0 &&
          line.running < this.limits.concurrency &&
          (!oldest || line.waiting[0].arrival < oldest[1].waiting[0].arrival)
        )
          oldest = entry;
      }
      if (!oldest) return;
      const [agencyId, line] = oldest;
      const next = line.waiting.shift()!;
      this.waitingCount--;
      clearTimeout(next.timer);
      next.grant(this.start(agencyId, line));
    }
  }

  private forgetIfIdle(agencyId: string, line: Line): void {
    if (line.running === 0 && line.waiting.length === 0) this.lines.delete(agencyId);
  }
}
