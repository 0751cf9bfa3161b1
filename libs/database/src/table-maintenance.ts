import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { describeError } from '#libs/observability';

/** One table's row versions as PostgreSQL's statistics count them. */
export interface TableRowVersions {
  table: string;
  liveRows: number;
  /** Versions left behind by updates and deletes that vacuum has not cleaned yet. */
  deadRows: number;
  /** Seconds since the table was last vacuumed (by autovacuum or by hand); null if never since the statistics began. */
  secondsSinceVacuum: number | null;
}

/**
 * What vacuum has to keep up with. Every webhook delivery rewrites its notification twice (the
 * claim, then the outcome), every booking change rewrites the booking and its nights, and a
 * ban does it a million times; each rewrite leaves a dead row version until vacuum cleans it.
 * Without autovacuum they pile up for good: the tables and their indexes grow, and every scan
 * of the pending deliveries walks past them. So a process logs at boot when the server's
 * autovacuum is off, and /metrics shows the dead versions per table (docs/operations.md, Vacuum).
 */
@Injectable()
export class TableMaintenance implements OnApplicationBootstrap {
  private readonly logger = new Logger(TableMaintenance.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    try {
      if (!(await this.autovacuumEnabled())) this.logger.warn(AUTOVACUUM_OFF_WARNING);
    } catch (error) {
      // Only a warning: a database that cannot answer is reported by /health and by the work itself.
      this.logger.warn(`could not read the server's autovacuum setting: ${describeError(error)}`);
    }
  }

  /** Whether the server runs autovacuum (the `autovacuum` setting; its launcher also needs `track_counts`). */
  async autovacuumEnabled(): Promise<boolean> {
    const rows: { enabled: boolean }[] = await this.dataSource.query(
      `SELECT current_setting('autovacuum') = 'on' AND current_setting('track_counts') = 'on' AS enabled`,
    );
    return rows[0].enabled;
  }

  /** Every table of the schema, most dead versions first (from pg_stat_user_tables: a few hundred milliseconds behind). */
  async rowVersions(): Promise<TableRowVersions[]> {
    return this.dataSource.query(
      `SELECT relname AS "table", n_live_tup::float8 AS "liveRows", n_dead_tup::float8 AS "deadRows",
              extract(epoch FROM now() - greatest(last_vacuum, last_autovacuum))::float8 AS "secondsSinceVacuum"
         FROM pg_stat_user_tables
        WHERE schemaname = current_schema()
        ORDER BY n_dead_tup DESC, relname`,
    );
  }
}

export const AUTOVACUUM_OFF_WARNING =
  'autovacuum is off on this PostgreSQL server: the dead row versions that every webhook delivery, booking change and ban leaves behind are never cleaned, so the tables and indexes keep growing and every scan of the pending webhooks walks past more of them; turn it on (ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf()) or vacuum by hand (docs/operations.md, Vacuum)';
