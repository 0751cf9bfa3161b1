import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '#libs/access';
import { TableMaintenance } from '#libs/database';
import { JobQueue } from '#libs/jobs';
import { WebhookDeliveriesService } from '#libs/notifications';
import { Metrics } from '#libs/observability';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: Metrics,
    private readonly jobs: JobQueue,
    private readonly deliveries: WebhookDeliveriesService,
    private readonly tables: TableMaintenance,
  ) {}

  @Get()
  @Public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics of this API process (queue depths are shared)', security: [] })
  @ApiOkResponse({
    description: 'the Prometheus text exposition format, version 0.0.4',
    content: { 'text/plain': { schema: { type: 'string', examples: ['# HELP kalma_bookings_created_total Bookings created\n'] } } },
  })
  async scrape(): Promise<string> {
    await Promise.all([this.sampleQueueDepths(), this.sampleOldestPendingWebhooks(), this.sampleTableMaintenance()]);
    return this.metrics.registry.metrics();
  }

  /** Per agency (its id only: no guest data is ever a label), from PostgreSQL: the same in every API process. */
  private async sampleOldestPendingWebhooks(): Promise<void> {
    try {
      const oldest = await this.deliveries.oldestPendingByAgency();
      this.metrics.webhookOldestPending.reset();
      for (const { agencyId, ageSeconds } of oldest)
        this.metrics.webhookOldestPending.set({ agency_id: agencyId }, Math.max(0, ageSeconds));
    } catch {
      // PostgreSQL unreachable: keep the last sample rather than failing the scrape (/health says why).
    }
  }

  /** Whether vacuum keeps up with the tables' dead row versions (see TableMaintenance): the same in every API process. */
  private async sampleTableMaintenance(): Promise<void> {
    try {
      const [enabled, tables] = await Promise.all([this.tables.autovacuumEnabled(), this.tables.rowVersions()]);
      this.metrics.databaseAutovacuum.set(enabled ? 1 : 0);
      this.metrics.databaseDeadRows.reset();
      this.metrics.databaseSecondsSinceVacuum.reset();
      for (const { table, deadRows, secondsSinceVacuum } of tables) {
        this.metrics.databaseDeadRows.set({ table }, deadRows);
        if (secondsSinceVacuum !== null) this.metrics.databaseSecondsSinceVacuum.set({ table }, Math.max(0, secondsSinceVacuum));
      }
    } catch {
      // PostgreSQL unreachable: keep the last sample rather than failing the scrape (/health says why).
    }
  }

  private async sampleQueueDepths(): Promise<void> {
    await Promise.all(
      this.jobs.allQueues().map(async (queue) => {
        try {
          const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
          for (const [state, count] of Object.entries(counts)) this.metrics.queueDepth.set({ queue: queue.name, state }, count);
        } catch {
          // Redis unreachable: keep the last sample rather than failing the scrape.
        }
      }),
    );
  }
}
