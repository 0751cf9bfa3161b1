/** Why a write was not let in: too many of the agency's writes already waiting, or it waited too long. */
export type AgencyWriteRefusal = 'line_full' | 'waited_too_long';

export interface AgencyWriteLimits {
  /** Most writes of one agency running at once. */
  concurrency: number;
  /** Most writes of one agency waiting for a turn; one more is refused at once. */
  maxWaiting: number;
  /** Longest a write waits for its turn before it is refused. */
  maxWaitMs: number;
}

/** A turn to run: call `release` once the write is over (whatever its outcome). */
export type AgencyWriteTurn = { release: () => void } | { refused: AgencyWriteRefusal };

interface Waiter {
  grant: (turn: AgencyWriteTurn) => void;
  timer: NodeJS.Timeout;
}

interface Line {
  running: number;
  waiting: Waiter[];
}

/**
 * A bulkhead per agency, in one process: at most `concurrency` of an agency's writes run at once,
 * the rest wait in line, first come first served, and nothing of them is started meanwhile (so a
 * waiting write holds no database connection). An agency whose writes all wait on one lock (its
 * bookings' nights held by a long transaction, say) then holds at most `concurrency` connections
 * of the pool, and every other agency's requests still find one.
 */
export class AgencyWriteLimiter {
  private readonly lines = new Map<string, Line>();
  private waitingCount = 0;

  constructor(private readonly limits: AgencyWriteLimits) {}

  /** Writes waiting for a turn, all agencies together. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Resolves when the agency's write may run, or with the reason it may not. */
  acquire(agencyId: string): Promise<AgencyWriteTurn> {
    const line = this.lines.get(agencyId) ?? { running: 0, waiting: [] };
    this.lines.set(agencyId, line);
    if (line.running < this.limits.concurrency) {
      line.running++;
      return Promise.resolve(this.turnIn(agencyId, line));
    }
    if (line.waiting.length >= this.limits.maxWaiting) return Promise.resolve({ refused: 'line_full' });
    return new Promise<AgencyWriteTurn>((resolve) => {
      const waiter: Waiter = {
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

  private turnIn(agencyId: string, line: Line): AgencyWriteTurn {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const next = line.waiting.shift();
        if (next) {
          // The turn passes straight on: `running` stays as it is.
          this.waitingCount--;
          clearTimeout(next.timer);
          next.grant(this.turnIn(agencyId, line));
        } else {
          line.running--;
          this.forgetIfIdle(agencyId, line);
        }
      },
    };
  }

  private forgetIfIdle(agencyId: string, line: Line): void {
    if (line.running === 0 && line.waiting.length === 0) this.lines.delete(agencyId);
  }
}
